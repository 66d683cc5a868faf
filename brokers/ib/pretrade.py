"""The paper broker's pre-trade checks: what ``IBBroker`` refuses before an order goes to IB.

The checks are the backtest's (``brokers/fills.py``, ``brokers/short_sales.py``), made with the
run's own costs (``costs``, a ``CostModel``: commission and slippage as a backtest of the same
config charges them) and, for margin, ecore's margin model and IB's what-if margin, the stricter
one binding (``margin_rules.InitialCheck``).  In the backtest's order:

* a share sale that opens or grows a short must pass ``short_sales.refusal`` (Reg T initial on
  the short plus the futures' initial margin, same message; status Margin);
* a share purchase that adds risk needs the cash (``share_buys_need_cash``, default on, as a
  backtest's ``MarginBroker``; ``fills.cash_refusal``), then margin equity after it
  (``fills.share_equity_after``: fill and commission paid, the shares counted at
  ``share_collateral``, a covered short's value released) must cover the initial margin of the
  futures and the shorts;
* a futures order that adds risk must leave margin equity after it
  (``fills.futures_equity_after``: slippage and commission paid) at or above the initial margin
  of the resulting positions; a calendar spread (a roll) is checked on the positions after both
  legs, paying commission and slippage on each.

An order is checked as if it traded at its *base* price: a market order at the feed's last
price, a resting limit at its limit, a stop at its trigger (a stop-limit at its limit); the fill
is that price plus the run's slippage against the order, never past a limit, and for futures the
day's mark is the base price (a limit that fills better than the market earns nothing here).
Orders in motion count as filled (IB's positions plus every working order plus what this
decision sent), and what this decision's passed orders cost (equity, cash) counts as spent.

Native orders (``native_orders.py``) are decided at submission, not when they trigger: one that
adds risk (a stop or stop-limit opening or growing a position, an OCO member that would, a
bracket's parent) is checked as if it filled at its trigger or limit price; a bracket's children
only reduce what their parent opens and are not checked (a refused parent takes them with it).

A refused order ends with the backtest's status (Margin), is counted in ``refused`` and said
in the run's summary, and is never sent (a dry run shows it).  Not checked here: the
backtest's delivery-window and last-trading-day refusals (such an order is left to IB).
``PreTradeChecks`` is a mixin of ``IBBroker``.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import logging

from .. import short_sales
from ..costs import CostModel
from ..fills import cash_refusal, futures_equity_after, share_equity_after, within_limit
from ..positions import reduces
from .contracts import futures_contract
from .errors import RequestFailed
from .margin_rules import InitialCheck, model_initial

log = logging.getLogger(__name__)

__all__ = ["PreTradeChecks"]


@functools.cache
def _short_rules() -> short_sales.ShortSaleRules:
    """The bundled short-sale rules: a backtest's default (``short_sales = true``); a paper
    config has no ``short_sales`` setting."""
    return short_sales.ShortSaleRules.bundled()


@dataclasses.dataclass
class _Held:
    """A share position as ``short_sales`` reads one: size (shares), value (dollars, signed)."""

    size: float
    value: float


class _ShortBook:
    """What ``short_sales.refusal`` and ``requirements`` read of an ``Account``: the share
    positions in motion, margin equity (dollars) and ``share_collateral``."""

    def __init__(self, shares: dict[str, _Held], equity: float, share_collateral: float):
        self.shares = shares
        self.share_collateral = share_collateral
        self._equity = equity

    def margin_equity(self) -> float:
        return self._equity


class PreTradeChecks:
    """The pre-trade checks of ``IBBroker``; needs its state (positions, orders in motion,
    ``margin_equity``, ``requirements``, params ``costs``, ``share_collateral``,
    ``share_buys_need_cash``, ``margin_model``)."""

    def _margin_refused(self, order, intent, price: float, day, limit: float | None = None) -> bool:
        """The backtest's pre-trade checks (module docstring) of ``intent`` traded at ``price``
        (points or dollars per unit), never past ``limit``: True when ``order`` was refused
        (status Margin, as the backtest's refusals; counted in ``refused``), in a dry run too."""
        reason = self._pretrade_refusal(order, intent, float(price), day, limit)
        if reason is None:
            return False
        self.refused.append(f"{intent.instrument}: {reason}")
        order.addinfo(reason=reason)
        order.margin()
        self.notifs.append(order.clone())
        return True

    # -- the figures ----------------------------------------------------------------------------

    def _costs(self) -> CostModel:
        return self.p.costs or CostModel()

    def _in_motion(self) -> dict[str, float]:
        """IB's positions plus every order in motion, by instrument (contracts or shares)."""
        out: dict[str, float] = collections.defaultdict(float)
        for k, v in self._positions.items():
            out[k] += v[0]
        for part in (self._working, self._moving):
            for k, v in part.items():
                if "/" not in k:  # a spread's legs are counted in its contracts' positions
                    out[k] += v
        return out

    def _legs(self, intent) -> list[tuple[str, float]]:
        """(contract or ticker, signed quantity) of each leg an intent trades."""
        if not intent.legs:
            return [(intent.instrument, intent.signed_quantity)]
        sign = 1.0 if intent.action == "BUY" else -1.0
        return [(code, sign * ratio * intent.quantity * (1.0 if side == "BUY" else -1.0))
                for code, ratio, side in intent.legs]

    def _share_price(self, symbol: str, fallback: float) -> float:
        """The last price of ``symbol``'s feed (dollars), else ``fallback``."""
        for d in getattr(getattr(self, "cerebro", None), "datas", None) or []:
            if len(d) and self._instrument(d, {}) == symbol and d.close[0] > 0:
                return float(d.close[0])
        return fallback

    def _shorts_value(self) -> float:
        """Market value (dollars, positive) of the short share positions IB holds, at their
        feeds' last prices (else their average prices)."""
        return sum(-size * self._share_price(sym, avg) for sym, (size, avg) in
                   self._positions.items() if size < 0 and futures_contract(sym) is None)

    def _short_book(self, motion: dict[str, float], equity: float) -> _ShortBook:
        shares = {}
        for sym, size in motion.items():
            if futures_contract(sym) is None and size:
                avg = self._positions.get(sym, (0.0, 0.0))[1]
                shares[sym] = _Held(size, size * self._share_price(sym, avg))
        return _ShortBook(shares, equity, float(self.p.share_collateral))

    def _initial(self, sizes: dict[str, float], day, intent) -> tuple[float | None, float | None]:
        """Initial margin (dollars) of the futures ``sizes`` by ecore's margin model and by IB's
        what-if margin per contract; None where a figure is unavailable."""
        if self.p.margin_model is None:
            from ..margin import MarginModel

            self.p.margin_model = MarginModel()  # the bundled schedule, as a backtest's default
        try:
            ours = model_initial(self.p.margin_model, sizes, day)
        except (ValueError, KeyError) as exc:  # MarginError is a ValueError
            # said once a run (in the summary's notes), not once an order
            note = f"ecore's margin model has no initial margin ({exc}): IB's what-if alone was checked"
            if note not in self.margin_notes:
                self.margin_notes.append(note)
                log.warning("%s", note)
            ours = None
        try:
            ib = self.requirements({k: int(round(q)) for k, q in sizes.items()}, day)[1]
        except RequestFailed as exc:
            log.warning("no what-if margin for the check of %s: %s", intent.order_ref, exc)
            ib = None
        return ours, ib

    def _note_what_if(self, check: InitialCheck) -> None:
        """One note a run when IB's what-if was the stricter figure: the check where it was
        stricter by the most (each order of a decision checks the positions so far, so the
        same gap would otherwise be noted once an order)."""
        note = check.note()
        if not note:
            return
        gap = check.ib - check.ours
        kept = self._what_if_gap
        if kept is not None and gap <= kept[0]:
            return
        if kept is not None and kept[1] in self.margin_notes:
            self.margin_notes.remove(kept[1])
        self._what_if_gap = (gap, note)
        self.margin_notes.append(note)
        log.info("%s", note)

    # -- the checks -----------------------------------------------------------------------------

    def _pretrade_refusal(self, order, intent, price: float, day,
                          limit: float | None) -> str | None:
        """Why ``intent`` may not be sent (the backtest's words), or None when it may."""
        motion = self._in_motion()
        legs = self._legs(intent)
        adding = [(k, q) for k, q in legs if not reduces(motion.get(k, 0.0), motion.get(k, 0.0) + q)]
        if not adding:
            return None  # only reduces risk: never checked, as in the backtest
        costs = self._costs()
        equity = self.margin_equity() - self._spent
        book = self._short_book(motion, equity)
        sizes = {k: q for k, q in motion.items() if q and futures_contract(k) is not None}
        rules = _short_rules()
        _, shorts_initial = short_sales.requirements(book, rules)
        symbol, q = legs[0]
        if futures_contract(symbol) is None:
            old = motion.get(symbol, 0.0)
            fill = within_limit(costs.slipped(price, q), limit, q)
            comm = costs.share_fee(q, fill)
            if q < 0:
                ours, ib = self._initial(sizes, day, intent)
                futures_initial = max(f for f in (ours, ib, 0.0) if f is not None)
                why = short_sales.refusal(book, rules, symbol, old, q, fill, comm,
                                          futures_initial)
                if why is None:
                    self._spent += comm  # the proceeds are locked: equity moves by the commission
                return why
            cash = self.getcash() - self._cash_spent
            why = cash_refusal(symbol, q, fill, comm, cash) if self.p.share_buys_need_cash else None
            if why is not None:
                return why
            after = share_equity_after(equity, old, q, fill, price, comm,
                                       float(self.p.share_collateral))
            cash_cost = q * fill + comm
        else:
            after = equity
            for code, size in legs:
                base = price if not intent.legs else self._reference_price(order.data, code)
                c = futures_contract(code)
                fill = within_limit(costs.slipped(base, size, float(c.spec.tick(day))),
                                    None if intent.legs else limit, size)
                after = futures_equity_after(after, size, float(c.spec.multiplier), base, fill,
                                             costs.futures_fee(size))
                sizes[code] = sizes.get(code, 0.0) + size
            cash_cost = equity - after
        ours, ib = self._initial(sizes, day, intent)
        check = InitialCheck(after, None if ours is None else ours + shorts_initial,
                             None if ib is None else ib + shorts_initial)
        self._note_what_if(check)
        if not check.passes:
            return check.reason()
        # what this decision's passed orders cost counts as spent (IB has not filled them)
        self._spent += equity - after
        self._cash_spent += cash_cost
        return None
