"""The simulated gateway's market mode: a day of market history from a data folder, and an
account kept by ecore's own money rules (:mod:`.accounting`).

:class:`MarketSimulator` turns a :class:`~.gateway.FakeGateway` into a local IB paper account
on a simulated day: it lists the data folder's share symbols and the Treasury futures contracts
trading that day, serves their daily bars up to the simulated day (``reqHistoricalData``, the
request's duration counted in trading days; a contract's bars start at its listing), answers
what-if orders with the margin model's requirements of the day, and lets orders rest until
:meth:`advance_to` reaches the next trading day, where they fill under the engine's fill rule
with the engine's costs.  Executions (price, commission), positions and account values
(NetLiquidation, TotalCashValue, margin) are what :class:`.accounting.SimulatedAccount` books.

Futures bars are the settlements of the synthetic price book (``ecore.data.synthetic_futures``,
real settlements laid over it when the folder has them), shares' bars the folder's closes: the
prices a backtest of the same folder uses.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from zoneinfo import ZoneInfo

import pandas as pd

from ....data.calendar import treasury_calendar
from ....data.contracts import Contract, spec
from .accounting import SimulatedAccount
from .book import Instrument, PlacedOrder
from .steps import Accept, Reject

log = logging.getLogger(__name__)

NEW_YORK = ZoneInfo("America/New_York")
LADDER_ROOTS = ("ZT", "ZF", "ZN", "TN", "ZB", "UB")
# Days of history the price book holds before the first simulated day: a year of bars for
# lookbacks and the margin model's volatility fallback (as a backtest's HISTORY_BEFORE_START).
HISTORY_BEFORE = dt.timedelta(days=400)
SETTLEMENT_TIME = dt.time(15, 0)  # New York: CBOT's Treasury settlement (14:00 Chicago)
RUN_TIME = dt.time(17, 0)  # New York: when a day's bars are complete


def trading_days(book, closes: pd.DataFrame, roots, symbols, start: dt.date,
                 end: dt.date) -> list[dt.date]:
    """The days a backtest of these instruments steps through (``ecore.data.feeds.build_feeds``:
    the union of the futures' settlement days and the shares' trading days)."""
    days: set = set()
    for root in roots:
        for c in book.contracts(root):
            days.update(d.date() for d in book.series(c.code).index)
    for sym in symbols:
        days.update(d.date() for d in closes[sym].dropna().index)
    return sorted(d for d in days if start <= d <= end)


class MarketSimulator:
    """Market mode of ``gateway`` over ``market`` (``ecore.data.market.MarketData``) from
    ``start`` to ``end`` (the first and last simulated days).

    ``symbols`` (default: every symbol of the data) and ``roots`` (default: the six ladder
    roots) are the instruments listed; ``cash`` the opening balance (dollars); ``settings``
    MarginBroker's money settings (``costs``, ``expense_ratio``, ``share_collateral``,
    ``margin_model``...; see ``accounting.SETTINGS``); ``book`` a price book to use instead of
    building one (the backtest's own, for a replay).
    """

    def __init__(self, gateway, market, start: dt.date, end: dt.date, *, symbols=None,
                 roots=LADDER_ROOTS, cash: float = 10_000_000.0, settings: dict | None = None,
                 book=None):
        from ....data.synthetic_futures import build_price_book

        self.gateway = gateway
        self.market = market
        self.symbols = tuple(symbols) if symbols is not None else tuple(market.closes.columns)
        self.roots = tuple(spec(r).root for r in roots)
        if book is None:
            book = build_price_book(market, roots=list(self.roots), start=start - HISTORY_BEFORE,
                                    end=end)
        self.book = book
        settings = dict(settings or {})
        settings.setdefault("short_rate", market.short_rate())
        self.account = SimulatedAccount(cash, book, market.closes, **settings)
        self.days = trading_days(book, market.closes, self.roots, self.symbols, start, end)
        if not self.days:
            raise ValueError(f"no trading days in the data from {start} to {end}")
        self.calendar = treasury_calendar()
        self.day: dt.date | None = None
        self.names: dict[int, str] = {}  # gateway conId -> our instrument name
        self.events: list[tuple[dt.date, str, str]] = []  # (day, kind, detail): refusals, forced
        self.lock = threading.RLock()
        for sym in self.symbols:
            self.names[gateway.add_stock(sym, price=0.0).conId] = sym
        self._commission_due: float | None = None
        gateway.history = self._history
        gateway.commission = self._commission
        gateway.order_script = self._script
        gateway.account_values.clear()
        self.advance_to(self.days[0])

    # -- time -----------------------------------------------------------------------------------

    def advance_to(self, day: dt.date) -> None:
        """Step the account through every trading day after the current one up to ``day``
        (resting orders fill, settlement, interest...), then set the gateway's clock to
        ``day`` at 17:00 New York, with the day's prices, contracts, positions and values."""
        with self.gateway.lock, self.lock:
            for d in self.days:
                if (self.day is None or d > self.day) and d <= day:
                    self._open(d)
            if self.day is None or day > self.day:
                self.day = max((d for d in self.days if d <= day), default=self.days[0])
            today = day
            self.gateway.clock = lambda: dt.datetime.combine(today, RUN_TIME, NEW_YORK)
            self._list_contracts(day)
            self._publish()

    def next_day(self) -> dt.date | None:
        """The next simulated trading day after the current one (None at the end)."""
        return next((d for d in self.days if self.day is None or d > self.day), None)

    def _open(self, day: dt.date) -> None:
        gw = self.gateway
        self._sync_orders()
        fill_time = dt.datetime.combine(day, SETTLEMENT_TIME, NEW_YORK)
        gw.clock = lambda: fill_time
        self._list_contracts(day)
        for outcome in self.account.open_day(day):
            order = outcome.order
            if outcome.fill is None:
                self.events.append((day, "rejection", f"{order._ecore_inst.name}: {outcome.reason}"))
                if order.tag is not None:
                    self._reject(order.tag, outcome.reason)
                continue
            placed = order.tag if order.tag is not None else self._ib_order(order)
            inst = self._instrument(order._ecore_inst.name)
            placed.instrument = inst
            self._commission_due = outcome.fill.commission
            try:
                gw._fill(gw._conn_for(placed.clientId), placed, abs(outcome.fill.size),
                         outcome.fill.price, 0.0)
            finally:
                self._commission_due = None
            if order.info.get("forced"):
                self.events.append((day, order.info.get("event", "forced"), order.info["reason"]))
        self.day = day

    # -- orders ---------------------------------------------------------------------------------

    def _script(self, order: PlacedOrder):
        """Every order rests at the gateway until the next trading day's fill (the engine's
        fill rule); combos and orders the account cannot take are rejected as IB does."""
        if order.legs:
            return (Reject(201, "Order rejected - reason:the simulator fills single contracts "
                           "only (no combo orders)"),)
        name = self.names.get(order.instrument.conId)
        if name is None:
            return (Reject(201, f"Order rejected - reason:{order.instrument.localSymbol} is not "
                           "traded by the simulator"),)
        sign = 1 if order.action == "BUY" else -1
        limit = float(order.lmtPrice) if order.orderType == "LMT" and order.lmtPrice else None
        from ...orders import OrderError

        try:
            with self.lock:
                self.account.place(name, sign * order.totalQuantity, limit, tag=order)
        except OrderError as exc:
            return (Reject(201, f"Order rejected - reason:{exc}"),)
        # futures rest working at CBOT; shares wait for the stock market's next session
        kind = "PreSubmitted" if name in self.symbols else "Submitted"
        return (Accept(kind),)

    def _sync_orders(self) -> None:
        """Orders the client cancelled or modified since they were placed."""
        acc = self.account
        for o in list(acc.resting):
            tag = o.tag
            if tag is None:
                continue
            if tag.status not in ("Submitted", "PreSubmitted", "PendingSubmit"):
                acc.resting.remove(o)
            else:
                o.size = (1 if tag.action == "BUY" else -1) * tag.remaining

    def _reject(self, placed: PlacedOrder, reason: str) -> None:
        gw = self.gateway
        conn = gw._conn_for(placed.clientId)
        if conn:
            conn.send(4, 2, placed.orderId, 201, f"Order rejected - reason:{reason}", "")
        gw._complete(placed, "Cancelled", "Rejected")
        gw._send_status(conn, placed)

    def _commission(self, inst: Instrument, quantity: float, price: float) -> float:
        """The engine's commission (dollars): of the fill being reported, else (what-if) of
        ``quantity`` at ``price`` under the account's cost model."""
        if self._commission_due is not None:
            return self._commission_due
        costs = self.account.account.costs
        if inst.secType == "FUT":
            return costs.futures_fee(quantity)
        return costs.share_fee(quantity, price)

    def _ib_order(self, order) -> PlacedOrder:
        """The order IB itself places (liquidation, close before delivery): client 0, no ref."""
        gw = self.gateway
        gw._next_perm += 1
        placed = PlacedOrder(0, 0, gw._next_perm, self._instrument(order._ecore_inst.name),
                             "BUY" if order.size > 0 else "SELL", abs(order.size), "MKT", "",
                             "DAY", gw.accounts[0], "", [])
        gw.orders[(0, -gw._next_perm)] = placed
        return placed

    # -- instruments and prices -----------------------------------------------------------------

    def _instrument(self, name: str) -> Instrument:
        for cid, n in self.names.items():
            if n == name:
                return self.gateway.instruments[cid]
        c = Contract.parse(name)
        inst = self.gateway.add_future(
            c.spec.ib_symbol, f"{c.year}{c.month:02d}", c.last_trading_day().strftime("%Y%m%d"),
            multiplier=f"{c.spec.multiplier:g}", price=0.0)
        self.names[inst.conId] = c.code
        return inst

    def _list_contracts(self, day: dt.date) -> None:
        """The contracts IB lists on ``day``: listed and not yet past their last trading day."""
        for root in self.roots:
            for c in self.book.contracts(root):
                if c.listing_day() <= day <= c.last_trading_day():
                    self._instrument(c.code)

    def _bars(self, name: str, upto: dt.date) -> pd.Series:
        """The closes (points or dollars) IB would show for ``name`` up to ``upto``."""
        if name in self.symbols:
            s = self.market.closes[name].dropna()
        else:
            c = Contract.parse(name)
            s = self.book.series(c.code)
            s = s[s.index >= pd.Timestamp(c.listing_day())]
        return s[s.index <= pd.Timestamp(upto)]

    def _history(self, inst: Instrument, duration: str) -> list:
        """Daily bars of ``inst`` for a request of ``duration`` ("30 D", "2 W", "1 Y")."""
        name = self.names.get(inst.conId)
        if name is None or self.day is None:
            return []
        try:
            n, unit = duration.split()
            per = {"D": 1, "W": 5, "M": 21, "Y": 252}[unit.upper()]
            count = int(n) * per
        except (ValueError, KeyError):
            count = 30
        today = self.gateway.now().astimezone(NEW_YORK).date()
        s = self._bars(name, today).iloc[-count:]
        return [(d.strftime("%Y%m%d"), float(v), float(v), float(v), float(v), 1000)
                for d, v in s.items()]

    def _publish(self) -> None:
        """The day's prices, positions, margins and account values into the gateway."""
        gw, acc = self.gateway, self.account
        today = self.gateway.now().astimezone(NEW_YORK).date()
        held = acc.positions()
        gw.positions.clear()
        gw.avg_cost.clear()
        for cid, name in self.names.items():
            inst = gw.instruments[cid]
            bars = self._bars(name, today)
            if len(bars):
                inst.price = float(bars.iloc[-1])
            if name not in self.symbols:
                c = Contract.parse(name)
                inst.init_margin, inst.maint_margin = acc.requirement(c, self.day)
            else:
                inst.init_margin = inst.maint_margin = 0.0
            if name in held:
                size, price = held[name]
                gw.positions[cid] = size
                mult = float(inst.multiplier) if inst.multiplier else 1.0
                gw.avg_cost[cid] = price * mult
        gw.account_values.clear()
        gw.account_values.update(acc.values())
