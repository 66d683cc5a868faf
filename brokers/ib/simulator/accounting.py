"""The simulated IB account's money, by ecore's own rules: the rule modules of ``brokers/``
(settlement, accruals, fills, margin model, margin calls, liquidation, delivery guard, costs)
acting on one :class:`~ecore.brokers.account.Account`, composed in the order of a trading day
of :class:`~ecore.brokers.simulated.MarginBroker` (its module docstring). Nothing here computes
money itself: what the gateway reports (positions, NetLiquidation, margin) is what a backtest
of the same orders books.

Orders rest at the gateway until the next trading day and fill there under the engine's fill
rule (futures at the settlement plus slippage, shares at the close plus slippage, on days the
stock market traded; the pre-trade initial-margin check; risk-reducing orders first), as a
backtest's orders placed on one day's close fill on the next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pandas as pd
from backtrader.order import Order

from ...account import Account
from ...accruals import ShortRate, accrue
from ...costs import CostModel
from ...delivery_guard import due_today, overdue
from ...fills import Fill, Refusal, fill_future, fill_share
from ...journal import DELIVERY_GUARD, FORCED_LIQUIDATION, VARIATION_MARGIN
from ...liquidation import check_policy, liquidation_plan, liquidation_prices
from ...margin import MarginModel
from ...margin_calls import MarginCalls
from ...orders import Instrument, OrderError
from ...positions import reduces
from ...settlement import mark_shares, settle_futures
from ....data.calendar import treasury_calendar
from ....data.contracts import Contract

# MarginBroker's settings the simulated account honours (the rest are backtrader's).
SETTINGS = ("margin_model", "costs", "short_rate", "borrow_spread", "collateral_haircut",
            "expense_ratio", "futures_fill", "share_collateral", "call_deadline_days",
            "liquidation_policy", "delivery_guard", "share_buys_need_cash")


class Quote:
    """A share's close on the account's day, read as the rule modules read a backtrader feed's
    bar: ``close[0]``, ``datetime.date(0)``, ``lines.traded[0]`` (0 when the stock market was
    shut and the close is the last one), and a closes-only bar's open, high and low (the close:
    the trigger rule then trades on the close, as on a backtest's closes-only feed)."""

    def __init__(self, symbol: str):
        self._name = symbol
        self.day: dt.date | None = None
        self.close = [math.nan]
        self.lines = type("Lines", (), {})()
        self.lines.traded = [0.0]
        self.lines.open = self.lines.high = self.lines.low = self.close
        self.datetime = self

    def date(self, ago: int = 0) -> dt.date | None:
        return self.day

    def __len__(self) -> int:
        return 0 if self.day is None else 1


@dataclasses.dataclass(eq=False)
class RestingOrder:
    """An order waiting at the gateway for the next trading day; the attributes are those the
    fill rules read of a backtrader order.  ``size`` is signed (contracts or shares)."""

    size: float
    _ecore_inst: Instrument
    data: object = None
    exectype: int = Order.Market
    price: float | None = None
    tag: object = None  # the gateway's PlacedOrder, None for IB's own (forced) orders
    info: dict = dataclasses.field(default_factory=dict)

    def addinfo(self, **kwargs) -> None:
        self.info.update(kwargs)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of an order on a day: ``fill`` (a :class:`~ecore.brokers.fills.Fill`) or
    ``reason`` (refused by margin or cash, or impossible)."""

    order: RestingOrder
    day: dt.date
    fill: Fill | None = None
    reason: str = ""


class SimulatedAccount:
    """One account: cash, positions and margin under ecore's rules, advanced day by day."""

    def __init__(self, cash: float, book, closes: pd.DataFrame, **settings):
        unknown = set(settings) - set(SETTINGS)
        if unknown:
            raise ValueError(f"unknown account settings {sorted(unknown)}; known: {SETTINGS}")
        self.settings = {"borrow_spread": 0.015, "collateral_haircut": 0.0, "expense_ratio": 0.0,
                         "futures_fill": "settle", "share_collateral": 0.0,
                         "call_deadline_days": 1, "liquidation_policy": "largest_requirement",
                         "delivery_guard": True, "share_buys_need_cash": True, **settings}
        s = self.settings
        check_policy(s["liquidation_policy"])
        model = s.get("margin_model") or MarginModel(history=book)
        costs = s.get("costs") or CostModel()
        self.account = Account(float(cash), book, model, costs, s["share_collateral"])
        self.calendar = treasury_calendar()
        self.calls = MarginCalls(self.account, self.calendar, s["call_deadline_days"])
        self.rate = ShortRate(s.get("short_rate", 0.0))
        self.closes = closes
        self.quotes: dict[str, Quote] = {}
        self.resting: list[RestingOrder] = []
        self.day: dt.date | None = None
        self.states: list[dict] = []

    # -- orders ---------------------------------------------------------------------------------

    def place(self, instrument: str, size: float, limit: float | None = None,
              tag=None) -> RestingOrder:
        """Rest an order for ``size`` (signed) of a futures code or share symbol; it fills on
        the next trading day.  Raises ``OrderError`` for a contract past its last trading day."""
        try:
            c = Contract.parse(instrument)
            inst = Instrument("future", c.code, c)
            if self.day is not None and self.day > c.last_trading_day():
                raise OrderError(f"{c.code} stopped trading on {c.last_trading_day()}")
            data = None
        except ValueError:
            inst = Instrument("share", instrument, None)
            data = self._quote(instrument)
        order = RestingOrder(size, inst, data, Order.Limit if limit is not None else Order.Market,
                             limit, tag)
        self.resting.append(order)
        return order

    def cancel(self, tag) -> bool:
        """Take the resting order of gateway order ``tag`` off the book."""
        for o in self.resting:
            if o.tag is tag:
                self.resting.remove(o)
                return True
        return False

    # -- the day --------------------------------------------------------------------------------

    def open_day(self, day: dt.date) -> list[Outcome]:
        """One trading day in MarginBroker's order: accruals, delivery guard, settlement, fills
        of the resting orders, delivery guard, margin calls (liquidation past the deadline);
        returns what happened to orders, IB's forced ones included."""
        if self.day is not None and day <= self.day:
            return []
        a, s = self.account, self.settings
        prev, self.day = self.day, day
        for sym, q in self.quotes.items():
            self._set_quote(q, day)
        accrue(a, prev, day, self.rate, s["borrow_spread"], s["collateral_haircut"],
               s["expense_ratio"])
        out: list[Outcome] = []
        if s["delivery_guard"]:
            out += self._force(overdue(a, day), day, DELIVERY_GUARD)
        settle_futures(a, day)
        mark_shares(a, day)
        out += self._fill_resting(day)
        if s["delivery_guard"]:
            out += self._force(due_today(a, day), day, DELIVERY_GUARD)
        mark_shares(a, day)
        forced: list[Outcome] = []

        def liquidate(call, on):
            plan = liquidation_plan(a, on, s["liquidation_policy"], None)
            reason = (f"margin call of {call.issued} for ${call.amount:,.2f} not met by "
                      f"{call.deadline}: forced liquidation")
            for fp, q, price in liquidation_prices(a, plan, on):
                forced.append(self._forced_fill(fp.contract, q, on, price, reason,
                                                FORCED_LIQUIDATION, slip=True))

        self.calls.settle(day, liquidate, lambda call: None)
        out += forced
        self._record(day)
        return out

    def _fill_resting(self, day: dt.date) -> list[Outcome]:
        a = self.account

        def reduces_risk(o) -> bool:
            old = a.size_of(o._ecore_inst.kind, o._ecore_inst.name)
            return reduces(old, old + o.size)

        out = []
        for order in sorted(self.resting, key=lambda o: 0 if reduces_risk(o) else 1):
            try:
                if order._ecore_inst.kind == "future":
                    result = fill_future(a, order, day, self.calendar, self.settings["futures_fill"])
                else:
                    result = fill_share(a, order, day, self.settings["share_buys_need_cash"])
            except OrderError as exc:
                result = Refusal(str(exc))
            if result is None:
                continue  # its market is shut today (or a limit not reached): it waits
            self.resting.remove(order)
            if isinstance(result, Fill):
                out.append(Outcome(order, day, fill=result))
            else:
                a.counters["margin_rejections"] += 1
                out.append(Outcome(order, day, reason=result.reason))
        return out

    def _force(self, closes, day: dt.date, event: str) -> list[Outcome]:
        return [self._forced_fill(c.position.contract, -c.position.size, day, c.price, c.reason,
                                  event, slip=False) for c in closes]

    def _forced_fill(self, contract: Contract, size: int, day: dt.date, price: float,
                     reason: str, event: str, slip: bool) -> Outcome:
        order = RestingOrder(size, Instrument("future", contract.code, contract),
                             info={"forced": True, "reason": reason, "event": event})
        self.account.journal.event(day, event, contract.code, reason)
        kind = VARIATION_MARGIN if event == DELIVERY_GUARD else FORCED_LIQUIDATION
        result = fill_future(self.account, order, day, self.calendar,
                             self.settings["futures_fill"], forced=True, price=price, slip=slip,
                             kind=kind)
        return Outcome(order, day, fill=result)

    def _quote(self, symbol: str) -> Quote:
        q = self.quotes.get(symbol)
        if q is None:
            if symbol not in self.closes.columns:
                raise OrderError(f"no closes for {symbol} in the simulator's data")
            q = self.quotes[symbol] = Quote(symbol)
            if self.day is not None:
                self._set_quote(q, self.day)
        return q

    def _set_quote(self, q: Quote, day: dt.date) -> None:
        series = self.closes[q._name]
        upto = series.loc[:pd.Timestamp(day)].dropna()
        if upto.empty:
            q.day = None
            return
        q.day = day
        q.close[0] = float(upto.iloc[-1])
        q.lines.traded[0] = 1.0 if upto.index[-1].date() == day else 0.0

    # -- what IB reports ------------------------------------------------------------------------

    def _record(self, day: dt.date) -> None:
        a = self.account
        a.forget_flat()
        j = a.journal
        mm, im = a.requirements(day)
        equity = a.margin_equity()
        self.states.append({
            "date": day, "nav": j.nav, "cash": j.cash, "shares_value": j.shares_value,
            "futures_notional": a.notional(), "initial_margin": im, "maintenance_margin": mm,
            "margin_equity": equity, "excess_liquidity": equity - mm,
            "margin_to_equity": im / equity if equity > 0 else float("inf"),
            "margin_calls_open": self.calls.open_count(),
            "contracts": sum(abs(fp.size) for fp in a.futures.values()),
            "margin_calls_issued": a.counters["margin_calls"],
            "forced_orders": a.counters["forced_orders"],
            "rejections": a.counters["margin_rejections"]})

    def values(self) -> dict[str, float]:
        """IB's account tags (dollars) as ecore's rules give them: NetLiquidation (cash plus
        shares at market; futures P&L is in cash after each settlement), TotalCashValue, the
        margin requirements of the positions held, EquityWithLoanValue (margin equity: cash
        plus ``share_collateral`` of the shares), ExcessLiquidity (equity less maintenance),
        AvailableFunds (equity less initial)."""
        a = self.account
        j = a.journal
        mm, im = a.requirements(self.day) if self.day is not None else (0.0, 0.0)
        equity = a.margin_equity()
        return {"NetLiquidation": j.nav, "TotalCashValue": j.cash,
                "GrossPositionValue": j.shares_value, "InitMarginReq": im,
                "MaintMarginReq": mm, "EquityWithLoanValue": equity,
                "ExcessLiquidity": equity - mm, "AvailableFunds": equity - im,
                "BuyingPower": max(equity - im, 0.0) * 4}

    def positions(self) -> dict[str, tuple[float, float]]:
        """``{instrument: (size, average price)}`` of every open position."""
        a = self.account
        out = {c: (fp.size, fp.price) for c, fp in a.futures.items() if fp.size}
        out.update({s: (sp.size, sp.price) for s, sp in a.shares.items() if sp.size})
        return out

    def requirement(self, contract: Contract, day: dt.date) -> tuple[float, float]:
        """(initial, maintenance) margin of one contract on ``day`` (dollars), IB's what-if."""
        maintenance, initial = self.account.model.requirement(contract.root, day)
        return initial, maintenance

    def daily(self) -> pd.DataFrame:
        """One row per simulated day, the columns of ``MarginBroker.daily_state()``."""
        f = pd.DataFrame(self.states)
        if len(f):
            f["date"] = pd.to_datetime(f["date"])
        return f

    def journal(self) -> pd.DataFrame:
        """The cash journal, as ``MarginBroker.journal()``."""
        return self.account.journal.frame()
