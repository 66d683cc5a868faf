"""Short sales of shares under a securities-margin rule (Reg T initial, FINRA 4210 maintenance).

A short sale borrows shares and sells them; the broker keeps the proceeds as collateral for the
loan, so they back nothing else.  In the account:

* the proceeds go to cash and the short is a negative position in the journal's shares account,
  marked to the close every day (NAV = cash + longs - shorts at market, as backtrader counts it);
* margin equity leaves out the short's market value (the proceeds are locked): equity = cash -
  short market value + ``share_collateral`` x long market value;
* requirements, added to the futures margin of the same account: **initial** = (``initial_ratio``
  - 1) x short market value (Regulation T's 150% includes the 100% of proceeds already held),
  **maintenance** = the greater of ``maintenance_ratio`` x market value and
  ``minimum_per_share`` per share (``low_price_per_share`` or 100% of value below ``low_price``);
  a short opened or increased must leave equity at or above the initial requirement, else the
  order is refused (status Margin); below maintenance a margin call is issued and, unmet, the
  short is bought in after the futures (:mod:`.liquidation`);
* a borrow fee accrues daily on the previous day's short market value (act/360), one journal row
  of kind ``borrow_fee`` per symbol and day.

The figures are data (``short_sale_rules.csv``, each with its source); ``ShortSaleRules(...)``
overrides them.  A broker with ``short_sales=False`` refuses any order that would leave a short
(reason "short sale ... refused").
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, fields
from pathlib import Path

from backtrader.order import BuyOrder, Order

from . import journal as J
from .orders import Instrument

RULES_FILE = Path(__file__).with_name("short_sale_rules.csv")
BORROW_FEE = "borrow_fee"  # journal kind
REFUSED = "short sale"  # the refusal category (see refusals.py)


@dataclass(frozen=True)
class ShortSaleRules:
    """Securities-margin figures for short sales (ratios as decimals, dollars per share)."""

    initial_ratio: float
    maintenance_ratio: float
    minimum_per_share: float
    low_price: float
    low_price_per_share: float
    borrow_fee: float  # decimal annual rate, act/360

    def __post_init__(self):
        for f in fields(self):
            if not getattr(self, f.name) >= 0:
                raise ValueError(f"ShortSaleRules.{f.name} must be a non-negative number")
        if self.initial_ratio < 1:
            raise ValueError("ShortSaleRules.initial_ratio includes the proceeds: it must be at least 1")

    @classmethod
    def bundled(cls, **overrides) -> "ShortSaleRules":
        """The figures of ``short_sale_rules.csv`` (Reg T 150%, FINRA 4210 30%), with overrides."""
        with RULES_FILE.open(newline="", encoding="utf-8") as fh:
            values = {row["key"]: float(row["value"]) for row in csv.DictReader(fh)}
        values.update({k: float(v) for k, v in overrides.items()})
        return cls(**{f.name: values[f.name] for f in fields(cls)})

    def maintenance(self, shares: float, price: float) -> float:
        """Maintenance requirement in dollars of ``shares`` (absolute) sold short at ``price``."""
        shares, value = abs(shares), abs(shares) * price
        if price < self.low_price:
            return max(self.low_price_per_share * shares, value)
        return max(self.maintenance_ratio * value, self.minimum_per_share * shares)

    def initial(self, shares: float, price: float) -> float:
        """Initial requirement in dollars beyond the proceeds held (Reg T: 50% of the value)."""
        return max((self.initial_ratio - 1.0) * abs(shares) * price, self.maintenance(shares, price))


def short_value(account) -> float:
    """Market value of the short share positions as last marked (dollars, positive)."""
    return -sum(sp.value for sp in account.shares.values() if sp.size < 0)


def requirements(account, rules: ShortSaleRules, extra: tuple[str, float, float] | None = None) -> tuple[float, float]:
    """(maintenance, initial) of the shorts held, dollars; ``extra`` = (symbol, new size, price)
    replaces one position (an order being checked)."""
    mm = im = 0.0
    seen = False
    for sym, sp in account.shares.items():
        size = sp.size
        price = abs(sp.value / size) if size else 0.0
        if extra is not None and sym == extra[0]:
            size, price, seen = extra[1], extra[2], True
        if size < 0:
            mm += rules.maintenance(size, price)
            im += rules.initial(size, price)
    if extra is not None and not seen and extra[1] < 0:
        mm += rules.maintenance(extra[1], extra[2])
        im += rules.initial(extra[1], extra[2])
    return mm, im


def refusal(account, rules: ShortSaleRules | None, symbol: str, old: float, size: float, price: float,
            commission: float, futures_initial: float) -> str | None:
    """Why a share sale of ``size`` (negative) from ``old`` at ``price`` may not open or grow a
    short, or None when it may."""
    new = old + size
    if new >= -1e-12 or size >= 0:
        return None
    if rules is None:
        return (f"short sale of {abs(new):g} {symbol} refused: short sales are off "
                "(broker setting short_sales = false)")
    if old < 0 and abs(new) <= abs(old):
        return None
    _, im_short = requirements(account, rules, (symbol, new, price))
    # The proceeds go to cash and the short's value grows by as much: margin equity (which leaves
    # the short's value out) moves only by the commission.
    equity_after = account.margin_equity() - commission
    if old > 0:  # the long part sold turns shares (counted at share_collateral) into cash
        equity_after += (1.0 - account.share_collateral) * old * price
    need = im_short + futures_initial
    if equity_after < need:
        return (f"short sale of {abs(new):g} {symbol}: margin equity ${equity_after:,.2f} < initial "
                f"requirement ${need:,.2f} (Reg T {rules.initial_ratio:.0%} on the short, futures included)")
    return None


def accrue_borrow(account, rules: ShortSaleRules | None, prev: dt.date | None, day: dt.date) -> None:
    """Book the borrow fee of each short for the calendar days from ``prev`` to ``day``."""
    if rules is None or prev is None or not rules.borrow_fee:
        return
    days = (day - prev).days
    for sym, sp in account.shares.items():
        if sp.size < 0 and sp.value:
            fee = sp.value * rules.borrow_fee * days / 360.0  # value is negative: a charge
            account.journal.post(day, BORROW_FEE, sym, fee,
                                 note=f"{-sp.value:,.2f} short x {rules.borrow_fee:.4%} x {days}/360")


def buy_ins(account, day: dt.date) -> list[tuple[object, float]]:
    """(share position, shares to buy) covering shorts, largest first, until margin equity covers
    the initial requirement left: what a broker buys in when a call is not met after the futures
    have been liquidated.  Empty when there is no short or equity already covers it."""
    rules = account.short_rules
    if rules is None:
        return []
    shorts = sorted((sp for sp in account.shares.values() if sp.size < 0), key=lambda sp: sp.value)
    plan = []
    covered: set[str] = set()
    for sp in shorts:
        _, im = account.requirements(day)
        left = im - sum(rules.initial(s.size, abs(s.value / s.size)) for s in shorts if s.symbol in covered)
        if account.margin_equity() >= left:
            break
        plan.append((sp, -sp.size))
        covered.add(sp.symbol)
    return plan


def buy_in_order(sp, shares: float, reason: str):
    """The market order that covers ``shares`` of the short ``sp`` (forced, with its reason)."""
    order = BuyOrder(owner=None, data=sp.data, size=shares, price=None, exectype=Order.Market)
    order.addinfo(forced=True, reason=reason, event=J.FORCED_LIQUIDATION)
    order.reason = reason
    order._ecore_inst = Instrument("share", sp.symbol, None)
    return order
