"""The public base for strategies: a backtrader ``Strategy`` with the facts a portfolio of equity
shares and Treasury futures needs, so a strategy never reaches past backtrader for them.

Any ``backtrader.Strategy`` runs in ``ecore backtest``, ``ecore sweep`` and ``ecore paper``;
this base adds, with units:

* calendar facts of the day: :meth:`Strategy.today`, :meth:`~Strategy.is_business_day` (Treasury
  futures), :meth:`~Strategy.fill_day` (when an order placed on today's close fills),
  :meth:`~Strategy.held_contract` / :meth:`~Strategy.next_contract` / :meth:`~Strategy.roll_day`
  under the strategy's :class:`~ecore.data.rolls.RollRule`, :meth:`~Strategy.replaying`;
* quotes: :meth:`~Strategy.price` of any feed (dollars per share, or points), and from the run's
  price book :meth:`~Strategy.settle` (points), :meth:`~Strategy.duration` (years),
  :meth:`~Strategy.quote`, :meth:`~Strategy.contract_notional` (dollars);
  :meth:`~Strategy.multiplier` (dollars per point), :meth:`~Strategy.root_of` a feed, and the
  :class:`DailyReturn` indicator (roll-adjusted on root feeds);
* positions and orders: :meth:`~Strategy.contract_positions` (contracts by code),
  :meth:`~Strategy.shares_held`, :meth:`~Strategy.order_contract` (any contract of a root the run
  has a feed for), :meth:`~Strategy.order_shares`, :meth:`~Strategy.has_pending_orders`;
* margin: :meth:`~Strategy.margin_requirements` and :meth:`~Strategy.margin_equity` (dollars),
  and :meth:`~Strategy.notify_margin_call`, called when the broker issues a call;
* records for the report: :meth:`~Strategy.record_day` (columns of ``daily.csv``) and
  :meth:`~Strategy.record_event` (rebalances, rolls... in ``events``).

Class attributes the engine reads (a plain backtrader strategy may set them too, without
importing anything of ours): ``instruments`` (the feeds to build when the run names none),
``rolls_itself`` (True: the engine does not roll the strategy's futures positions) and
``recorded_events`` (event kinds the strategy records, so the metrics count them).

The broker is reached only through backtrader's interface (``self.broker``, ``buy``/``sell``
with ``contract=`` order information, which both the simulated and the IB broker understand).
"""

from __future__ import annotations

import datetime as dt
import math

import backtrader as bt

from ..data.calendar import as_date, treasury_calendar
from ..data.contracts import Contract, ContractError, root_of_name, spec
from ..data.feeds import latest_day
from ..data.rolls import RollRule
from .ladder import LegQuote
from .orders import order_instrument


class PortfolioRecorder:
    """Per-day values and events kept by a strategy, for reports (plain lists of dicts)."""

    def __init__(self):
        self.days: list[dict] = []
        self.events: list[dict] = []

    def event(self, day: dt.date, kind: str, detail: str) -> None:
        self.events.append({"date": day, "kind": kind, "detail": detail})


class Strategy(bt.Strategy):
    """A backtrader strategy with helpers for shares and Treasury futures (module docstring).

    Subclasses that define ``notify_order`` call ``super().notify_order(order)`` so that
    :meth:`has_pending_orders` stays true until every order is done.
    """

    params = dict(
        price_book=None,  # ecore.data.price_book.FuturesPriceBook (the engine hands it in)
    )

    #: Feeds built when the run names no instruments: symbols ("SPY", a close feed), roots
    #: ("ZN", the contract held under the roll rule) or contract codes ("ZNM25", one contract).
    instruments: tuple[str, ...] = ()
    #: True when the strategy moves its futures positions to the next contract itself; otherwise
    #: the engine rolls positions taken through root feeds on the roll day.
    rolls_itself: bool = False
    #: Event kinds this strategy records with :meth:`record_event` ("rebalance", "roll"), so the
    #: metrics count them; kinds it does not record are reported as unknown, not as zero.
    recorded_events: tuple[str, ...] = ()

    @classmethod
    def instruments_for(cls, params: dict) -> tuple[str, ...] | None:
        """The feeds the strategy needs when they follow from its parameters (``params`` laid
        over the defaults), or None when they come from the run's ``instruments``.  A strategy
        that names its own feeds refuses ``instruments``."""
        return None

    def __init__(self):
        self.record = PortfolioRecorder()
        self._pending: set[int] = set()
        self._calendar = treasury_calendar()
        self._roll_rule: RollRule | None = None
        self._day_memo: dict = {}

    # ----- calendar facts of the day ------------------------------------------------------------
    def today(self) -> dt.date:
        """The day of the current bar: the close the strategy decides on (the latest bar of the
        feeds: one that has ended, a contract after its expiry, stays on its last day)."""
        day = latest_day(self.datas, self._day_memo)
        if day is None:
            raise ValueError("no feed has delivered a bar yet")
        return day

    def is_business_day(self, day=None) -> bool:
        """Whether Treasury futures settle on ``day`` (default today): both the CBOT rates market
        and the cash Treasury market are open."""
        return self._calendar.is_business_day(self._day(day))

    def fill_day(self, day=None) -> dt.date:
        """The day orders placed on ``day``'s close (default today) fill: the next Treasury
        business day (shares fill on the next day the stock market trades)."""
        return self._calendar.next_business_day(self._day(day))

    @property
    def roll_rule(self) -> RollRule:
        """The strategy's roll rule: its ``roll_offset`` and ``roll_spread_days`` parameters when
        it has them, else five business days before first notice in one day (the root feeds'
        rule too)."""
        if self._roll_rule is None:
            self._roll_rule = RollRule(offset=int(getattr(self.p, "roll_offset", 5)),
                                       spread_days=int(getattr(self.p, "roll_spread_days", 1)))
        return self._roll_rule

    def held_contract(self, root: str, day=None) -> str:
        """The code of the contract a position in ``root`` is in at ``day``'s close (default
        today) under :attr:`roll_rule`: what the root's feed carries that day."""
        return self.roll_rule.held(root, self._day(day)).code

    def next_contract(self, root: str, day=None) -> str:
        """The code of the contract ``root``'s position rolls into next."""
        return self.roll_rule.next(root, self._day(day)).code

    def roll_day(self, code: str) -> dt.date:
        """The last day contract ``code`` is held under :attr:`roll_rule`."""
        return self.roll_rule.roll_day(Contract.parse(code))

    def replaying(self) -> bool:
        """True while a live feed (paper trading) replays history: those bars only warm the
        feeds up, and the broker refuses orders on them; decisions wait for the live bar.
        Always False in a backtest."""
        return any(d.islive() and d._laststatus != d.LIVE for d in self.datas)

    def _day(self, day) -> dt.date:
        return self.today() if day is None else as_date(day)

    # ----- quotes -------------------------------------------------------------------------------
    def price(self, name: str) -> float:
        """The current close of feed ``name``: dollars per share, or points for a futures feed."""
        return float(self.getdatabyname(name).close[0])

    def settle(self, code: str, day=None) -> float | None:
        """Settlement of contract ``code`` on ``day`` (default today), points; None when the
        price book has none that day (or the run has no price book)."""
        book = self.p.price_book
        return None if book is None else book.settle(code, self._day(day))

    def duration(self, code: str, day=None) -> float | None:
        """Modified duration of contract ``code`` on ``day`` (default today), years; None when
        unknown."""
        book = self.p.price_book
        if book is None:
            return None
        value = book.value(code, self._day(day), "duration")
        if value is None or not math.isfinite(float(value)):
            return None
        return float(value)

    def quote(self, code: str, day=None) -> LegQuote | None:
        """Price (points) and duration (years) of contract ``code`` on ``day``, as the ladder
        solver takes them; None when either is unknown."""
        day = self._day(day)
        price = self.settle(code, day)
        if price is None:
            return None
        duration = self.duration(code, day)
        if duration is None:
            return None
        return LegQuote(root=Contract.parse(code).root, contract=code, price=price, duration=duration)

    def multiplier(self, code: str) -> int:
        """Dollars per point of contract ``code`` (or of a root, "ZN"): 1,000 for ZN."""
        try:
            return Contract.parse(code).spec.multiplier
        except (ContractError, ValueError):
            return spec(code).multiplier

    def root_of(self, data) -> str | None:
        """The futures root a feed trades ("ZN" for a root feed "ZN" or a contract feed "ZNM25";
        a feed named for a root carrying one contract counts too); None for shares."""
        return root_of_name(data._name)

    def contract_notional(self, code: str, day=None) -> float | None:
        """Dollars of face exposure of one contract ``code``: settlement x multiplier."""
        price = self.settle(code, day)
        return None if price is None else price * spec(Contract.parse(code).root).multiplier

    # ----- positions and orders -----------------------------------------------------------------
    def contract_positions(self) -> dict[str, int]:
        """Signed contracts held, by contract code (the broker keeps positions per contract, so
        a root's position may sit in two contracts during a roll)."""
        return {c: int(n) for c, n in self.broker.contract_positions().items() if n}

    def shares_held(self, name: str) -> float:
        """Shares held of the fund or stock of feed ``name``."""
        return float(self.getposition(self.getdatabyname(name)).size)

    def has_pending_orders(self) -> bool:
        """Whether an order placed through :meth:`order_contract` or :meth:`order_shares` is
        still waiting for its fill (or refusal); on paper, also an order of an earlier run
        still working at the broker (``orders_in_motion``), as a backtest's order of yesterday."""
        in_motion = getattr(self.broker, "orders_in_motion", None)
        return bool(self._pending) or bool(in_motion() if callable(in_motion) else False)

    def order_contract(self, code: str, size: int, kind: str = "trade"):
        """Buy (``size`` > 0) or sell contracts of ``code`` ("ZNU25"): through the feed of its
        root (any contract of the root, not only the one the feed carries) or a feed named by
        the code.  ``kind`` ("trade", "roll", "rebalance", "margin_call") labels the fill in
        ``trades.csv``.  Returns the order, or None for a zero size."""
        if size == 0:
            return None
        root = Contract.parse(code).root
        names = self.env.datasbyname
        data = names.get(root) or names.get(code)
        if data is None:
            raise KeyError(f"no feed for {code}: add its root {root} (or {code}) to the instruments")
        if size > 0:
            order = self.buy(data=data, size=size, contract=code, kind=kind)
        else:
            order = self.sell(data=data, size=-size, contract=code, kind=kind)
        if order is not None:
            self._pending.add(order.ref)
        return order

    def order_contracts(self, orders) -> None:
        """Send ``orders``, ``(code, signed contracts, kind)`` as :meth:`order_contract` takes
        them: those that shrink a holding (never flipping it) first, then the others, each group
        in the order given.  The simulated broker fills risk-reducing orders first; a broker
        that checks margin as orders arrive (IB, the paper broker's pre-trade check) then sees
        a roll's sales before its purchases too."""
        held = self.contract_positions()
        shrinks = [held.get(code, 0) * n < 0 and abs(n) <= abs(held.get(code, 0))
                   for code, n, _ in orders]
        for code, n, kind in [o for o, first in zip(orders, shrinks) if first] + \
                [o for o, first in zip(orders, shrinks) if not first]:
            self.order_contract(code, n, kind)

    def order_shares(self, name: str, size: float, kind: str = "trade"):
        """Buy (``size`` > 0) or sell shares of feed ``name``; ``kind`` as :meth:`order_contract`."""
        if size == 0:
            return None
        data = self.getdatabyname(name)
        order = self.buy(data=data, size=size, kind=kind) if size > 0 else \
            self.sell(data=data, size=-size, kind=kind)
        if order is not None:
            self._pending.add(order.ref)
        return order

    def notify_order(self, order):
        if order.status in (order.Submitted, order.Accepted, order.Partial):
            return
        self._pending.discard(order.ref)

    # ----- margin -------------------------------------------------------------------------------
    def margin_requirements(self, counts: dict[str, int] | None = None, day=None) -> tuple[float, float] | None:
        """(maintenance, initial) margin in dollars of ``counts`` (``{code: contracts}``; default
        the positions held) on ``day``; None when the broker does not model margin (an IB paper
        account applies its own)."""
        requirements = getattr(self.broker, "requirements", None)
        return None if requirements is None else requirements(counts, day)

    def margin_equity(self) -> float | None:
        """Dollars of equity that back futures margin (cash, plus any share value the broker
        counts); None when the broker does not say."""
        equity = getattr(self.broker, "margin_equity", None)
        return None if equity is None else float(equity())

    def notify_margin_call(self, call):
        """Called when the broker issues a margin call: ``call.amount`` (dollars to deposit or
        raise), ``call.issued`` and ``call.deadline`` (dates).  Unmet by the deadline, the
        broker sells futures.  Default: nothing (a deposit would be ``self.broker.add_cash(x)``)."""

    # ----- records ------------------------------------------------------------------------------
    def record_day(self, **values) -> None:
        """Add columns to today's row of ``daily.csv`` (``ladder_duration`` in years, weights as
        fractions of NAV...); call at most once a day."""
        self.record.days.append({"date": self.today(), **values})

    def record_event(self, kind: str, detail: str) -> None:
        """Note an event of today (``kind`` "rebalance", "roll"... with a sentence) for the
        report; declare the kinds in :attr:`recorded_events` so the metrics count them."""
        self.record.event(self.today(), kind, detail)


class DailyReturn(bt.Indicator):
    """A feed's simple daily return (decimal).  On a root feed, across a roll, it runs from the
    new contract's previous close (the ``next_close`` line), so the gap between two contracts is
    not taken for a return."""

    lines = ("ret",)

    def __init__(self):
        self.addminperiod(2)
        self._rolls = "held" in self.data.lines.getlinealiases()

    def next(self):
        d = self.data
        previous = d.close[-1]
        if self._rolls and d.lines.held[0] != d.lines.held[-1]:
            previous = d.lines.next_close[-1]
        self.lines.ret[0] = d.close[0] / previous - 1.0


def is_contract_code(name: str) -> bool:
    """Whether ``name`` is a futures contract code ("ZNH25"), not a share symbol."""
    try:
        Contract.parse(name)
        return True
    except (ContractError, ValueError):
        return False


__all__ = ["Strategy", "DailyReturn", "PortfolioRecorder", "is_contract_code", "order_instrument"]
