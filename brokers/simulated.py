"""A backtrader broker that accounts for Treasury futures the way a clearing broker does.

``MarginBroker`` is set with ``cerebro.setbroker(MarginBroker(price_book=..., margin_model=...))``
and serves any ordinary strategy (``buy``, ``sell``, ``close``, ``order_target_*``,
``notify_order``, ``notify_trade``, ``getposition``) and analyzers (``TimeReturn``, ``DrawDown``,
``Transactions``).

What an order trades (architecture.md, "Margin broker"):

* ``order.info["contract"]`` (``strategy.buy(data=feed, size=1, contract="ZNM25")``) → that contract;
* a data whose name parses as a contract code (``"ZNH25"``) → that contract;
* a data with a ``held`` line (a RootFeed: contract month as a number, 202503) → the held contract
  of the root named by the data;
* anything else → shares of the data's symbol.

One trading day (one call of :meth:`MarginBroker.next`), in this order:

1. interest on the previous closing cash for the calendar days elapsed (act/360; a negative
   balance pays the rate plus ``borrow_spread``) and the fund expense ratio on the previous NAV
   (act/365);
2. deposits and withdrawals queued with :meth:`add_cash`;
3. delivery guard for positions that should already have been closed (data gaps);
4. marking: futures positions receive or pay variation margin ``q x m x (S_t - S_prev)``;
   shares are marked to the close;
5. orders placed on earlier days fill: futures at the day's settlement (or open, with
   ``futures_fill="open"``) plus slippage in ticks, shares at the close plus slippage in basis
   points; a fill books ``q x m x (S_t - P_fill)`` at once.  Orders that only reduce risk are
   processed first and always pass; any other order must leave equity (NAV) at or above the
   initial margin of the resulting positions, or it is refused (status ``Margin``) with a reason
   in ``order.info["reason"]`` and ``order.reason``.  Share purchases also need cash;
6. delivery guard: a contract still held on the business day before its first intention day is
   closed at that day's settlement (a forced order, ``order.info["forced"] = True``, and a
   warning), as Interactive Brokers closes positions before delivery;
7. margin: open calls are met (equity back at initial margin, or the called amount deposited) or,
   past their deadline, futures are liquidated under ``liquidation_policy`` at the deadline day's
   settlement plus slippage (forced orders seen in ``notify_order``); then, when equity is below
   maintenance margin, a call for the amount that restores **initial** margin is issued, with a
   deadline ``call_deadline_days`` trading days later (default 1: the next day's settlement).
   Strategies that define ``notify_margin_call(call)`` are told;
8. the day's state (NAV, margin, excess, calls open, counters) is recorded.

NAV = cash + market value of shares; futures carry no market value (their P&L has moved cash).
Equity for margin = cash plus ``share_collateral`` (default 0) times the shares' value.  Positions are kept per contract: a roll is two real trades and the
spread between two contracts is never booked as profit.  No calendar-spread margin credit is
given (conservative).
"""

from __future__ import annotations

import collections
import functools
import datetime as dt
import logging
import math
import warnings
from dataclasses import dataclass

import backtrader as bt
import pandas as pd
from backtrader.comminfo import CommInfoBase
from backtrader.order import BuyOrder, Order, SellOrder
from backtrader.position import Position

from ..data.calendar import as_date, treasury_calendar
from ..data.contracts import Contract, ContractError, spec
from .margin import MarginModel
from . import journal as J
from .costs import CostModel

log = logging.getLogger(__name__)

LIQUIDATION_POLICIES = ("largest_requirement", "all")


@functools.lru_cache(maxsize=None)
def _guard_day_of(c: Contract) -> dt.date:
    # Checked for every held contract every day; the answer never changes.
    return treasury_calendar().previous_business_day(c.first_intention_day())


class DeliveryWarning(UserWarning):
    """A futures position was closed by the broker before its first intention day."""


class FuturesCommInfo(CommInfoBase):
    """Commission-info object handed to backtrader for futures feeds.

    ``get_margin(price)`` is the notional of one contract, so that ``order_target_value`` and
    ``order_target_percent`` on a futures feed size the position by notional exposure
    (``getvalue(datas=[feed])`` is the signed notional of that feed's contracts).
    """

    params = (("stocklike", False), ("commtype", CommInfoBase.COMM_FIXED))

    def get_margin(self, price):
        return abs(price) * self.p.mult

    def getvaluesize(self, size, price):
        return size * price * self.p.mult

    def getvalue(self, position, price):
        return position.size * price * self.p.mult


def _share_comminfo() -> CommInfoBase:
    return CommInfoBase(stocklike=True, commtype=CommInfoBase.COMM_FIXED, commission=0.0, mult=1.0)


@dataclass
class FuturesPosition:
    contract: Contract
    size: int = 0
    price: float = 0.0  # average entry price (points)
    mark: float | None = None  # settlement the position was last marked to
    mark_day: dt.date | None = None
    data: object = None  # the backtrader data that last traded it (for forced orders)


@dataclass
class SharePosition:
    symbol: str
    size: float = 0.0
    price: float = 0.0
    value: float = 0.0  # value recorded in the journal's shares account
    data: object = None


@dataclass
class MarginCall:
    """A demand to bring equity back to initial margin."""

    issued: dt.date
    amount: float
    deadline: dt.date
    equity: float
    maintenance: float
    initial: float
    deposited: float = 0.0
    status: str = "open"  # open, met, liquidated
    closed: dt.date | None = None

    @property
    def open(self) -> bool:
        return self.status == "open"

    @property
    def day(self) -> dt.date:
        """The day the call was issued (alias of ``issued``)."""
        return self.issued

    def __str__(self) -> str:
        return (f"margin call {self.issued.isoformat()}: equity ${self.equity:,.2f} < maintenance "
                f"${self.maintenance:,.2f}; ${self.amount:,.2f} to restore initial ${self.initial:,.2f} by "
                f"{self.deadline.isoformat()} ({self.status})")


@dataclass
class _Instrument:
    kind: str  # "future" or "share"
    name: str  # contract code or share symbol
    contract: Contract | None = None


class OrderError(ValueError):
    pass


class MarginBroker(bt.BrokerBase):
    """Margin-accounting broker for equity shares and Treasury futures (see module docstring)."""

    params = (
        ("cash", 1_000_000.0),
        ("price_book", None),  # FuturesPriceBook
        ("margin_model", None),  # MarginModel (None: MarginModel(history=price_book))
        ("short_rate", 0.0),  # float, or Series of decimal annual rates indexed by date
        # Interactive Brokers charges its benchmark + 1.5% on small debit balances (less on large
        # ones): the spread over the short rate paid by a negative cash balance [U].
        ("borrow_spread", 0.015),
        ("collateral_haircut", 0.0),  # share of posted initial margin that earns no interest
        ("expense_ratio", 0.0),  # annual, accrued daily on NAV (act/365); the 90/60 fund: 0.0020
        ("costs", None),  # CostModel (None: retail defaults)
        ("futures_fill", "settle"),  # "settle" or "open" (the price book's open column)
        ("call_deadline_days", 1),  # trading days after the call day
        ("liquidation_policy", "largest_requirement"),  # or "all", or a callable
        ("delivery_guard", True),
        ("share_buys_need_cash", True),
        # Fraction of the shares' market value that counts as equity for futures margin.  0 (the
        # default) is how a fund runs the 90/60 structure: the futures account at the clearing
        # broker holds cash collateral and the shares sit with the custodian, so losses on the
        # futures must be covered from cash (selling shares to raise it).  1 counts shares in
        # full, like a single brokerage account that sweeps excess equity between segments.
        ("share_collateral", 0.0),
    )

    def __init__(self):
        super().__init__()
        self.startingcash = float(self.p.cash)
        self._reset()

    # ------------------------------------------------------------------ state ------------------
    def _reset(self):
        self._journal = J.Journal(self.startingcash)
        self._fut: dict[str, FuturesPosition] = {}
        self._req_memo: dict = {}
        self._shares: dict[str, SharePosition] = {}
        self.pending: list[Order] = []
        self.orders: list[Order] = []
        self.notifs = collections.deque()
        self._calls: list[MarginCall] = []
        self._queued_cash: list[float] = []
        self._today: dt.date | None = None
        self._prev_day: dt.date | None = None
        self._states: list[dict] = []
        self._counters = collections.Counter()
        self._costs = self.p.costs if self.p.costs is not None else CostModel()
        if self.p.price_book is None:
            raise ValueError("MarginBroker needs price_book= (a FuturesPriceBook)")
        self._book = self.p.price_book
        self._model = self.p.margin_model if self.p.margin_model is not None else MarginModel(history=self._book)
        if self.p.futures_fill not in ("settle", "open"):
            raise ValueError("futures_fill must be 'settle' or 'open'")
        pol = self.p.liquidation_policy
        if not callable(pol) and pol not in LIQUIDATION_POLICIES:
            raise ValueError(f"liquidation_policy must be one of {LIQUIDATION_POLICIES} or a callable")
        if int(self.p.call_deadline_days) < 1:
            raise ValueError("call_deadline_days must be at least 1 (trading days after the call)")
        self._cal = treasury_calendar()
        rate = self.p.short_rate
        if isinstance(rate, pd.Series):
            r = rate.dropna().sort_index()
            r.index = pd.DatetimeIndex(r.index).normalize()
            if r.empty:
                raise ValueError("short_rate series is empty")
            self._rate_series = r
            biggest = float(r.abs().max())
        else:
            self._rate_series = None
            self._rate_const = float(rate)
            biggest = abs(self._rate_const)
        if not math.isfinite(biggest) or biggest > 1.0:
            raise ValueError("short_rate must be decimal annual rates (0.05 for 5%), not percent")

    def init(self):
        super().init()

    def start(self):
        super().start()
        self._reset_if_unused()

    def _reset_if_unused(self):
        if self._today is None and not self._journal.rows and not self.pending:
            queued = list(self._queued_cash)
            self._reset()
            self._queued_cash = queued

    # ------------------------------------------------------------------ cash / value -----------
    def set_cash(self, cash):
        """Starting cash (before the run)."""
        if self._today is not None:
            raise RuntimeError("set_cash after the run started: use add_cash (a journaled deposit)")
        self.startingcash = float(cash)
        self.p.cash = float(cash)
        self._journal = J.Journal(self.startingcash)

    def add_cash(self, cash):
        """Deposit (positive) or withdraw (negative); booked at the start of the next trading day."""
        self._queued_cash.append(float(cash))

    def getcash(self):
        return self._journal.cash

    def requirements(self, sizes: dict[str, int] | None = None, day=None) -> tuple[float, float]:
        """(maintenance, initial) margin in dollars of ``sizes`` (``{code: contracts}``; default
        the positions held) on ``day`` (default the current bar's day)."""
        day = as_date(day) if day is not None else (self._today or self._day_from_datas())
        return self._requirements(day, sizes)

    def margin_equity(self) -> float:
        """Equity that backs futures margin (dollars): cash plus ``share_collateral`` times the
        shares' market value."""
        j = self._journal
        return j.cash + self.p.share_collateral * j.shares_value

    get_cash = getcash
    cash = property(getcash)

    def getvalue(self, datas=None, mkt=False, lever=False):
        """NAV; with ``datas``, the value of those datas: share market value, or the signed
        notional of a futures feed's contracts."""
        if not datas:
            return self._journal.nav
        total = 0.0
        for d in datas:
            inst = self._data_kind(d)
            if inst == "share":
                sp = self._shares.get(d._name)
                if sp is not None and sp.size:
                    total += sp.size * float(d.close[0])
            else:
                for code, fp in self._fut.items():
                    if fp.size and self._position_belongs(fp, d):
                        px = fp.mark if fp.mark is not None else fp.price
                        total += fp.size * px * fp.contract.spec.multiplier
        return total

    get_value = getvalue

    def get_fundmode(self):
        return False

    def getcommissioninfo(self, data):
        if self._data_kind(data) == "share":
            return _share_comminfo()
        root = self._root_of_data(data)
        return FuturesCommInfo(mult=spec(root).multiplier)

    # ------------------------------------------------------------------ positions --------------
    def _data_kind(self, data) -> str:
        name = getattr(data, "_name", "") or ""
        if hasattr(data, "lines") and "held" in data.lines.getlinealiases():
            return "future"
        try:
            Contract.parse(name)
            return "future"
        except (ContractError, ValueError):
            return "share"

    def _root_of_data(self, data) -> str:
        name = getattr(data, "_name", "") or ""
        try:
            return Contract.parse(name).root
        except (ContractError, ValueError):
            return spec(name).root

    def _position_belongs(self, fp: FuturesPosition, data) -> bool:
        name = getattr(data, "_name", "") or ""
        try:
            return Contract.parse(name) == fp.contract
        except (ContractError, ValueError):
            pass
        try:
            return spec(name).root == fp.contract.root
        except ContractError:
            return False

    def getposition(self, data):
        """Shares: the share position.  A contract feed: that contract.  A RootFeed: the net
        position over all the root's contracts (price: size-weighted entry price)."""
        if self._data_kind(data) == "share":
            sp = self._shares.get(data._name)
            return Position(sp.size, sp.price) if sp else Position(0, 0.0)
        size, cost = 0, 0.0
        for fp in self._fut.values():
            if fp.size and self._position_belongs(fp, data):
                size += fp.size
                cost += fp.size * fp.price
        return Position(size, cost / size if size else 0.0)

    def contract_positions(self) -> dict[str, int]:
        """``{code: contracts}`` of open futures positions."""
        return {c: fp.size for c, fp in sorted(self._fut.items()) if fp.size}

    def share_positions(self) -> dict[str, float]:
        return {s: sp.size for s, sp in sorted(self._shares.items()) if sp.size}

    @property
    def positions(self):
        return self.contract_positions() | self.share_positions()

    # ------------------------------------------------------------------ records ----------------
    def journal(self) -> pd.DataFrame:
        """The cash journal: ``date, kind, instrument, amount, balance, account, note``."""
        return self._journal.frame()

    def write_journal_csv(self, path) -> None:
        self.journal().to_csv(path, index=False, date_format="%Y-%m-%d")

    def daily_state(self) -> pd.DataFrame:
        cols = ["date", "nav", "cash", "shares_value", "futures_notional", "initial_margin",
                "maintenance_margin", "excess_liquidity", "margin_to_equity", "margin_calls_open"]
        f = pd.DataFrame(self._states)
        if f.empty:
            return pd.DataFrame(columns=cols)
        f["date"] = pd.to_datetime(f["date"])
        return f

    def margin_calls(self) -> list[MarginCall]:
        return list(self._calls)

    @property
    def starting_cash(self) -> float:
        return self._journal.opening_cash

    # ------------------------------------------------------------------ orders -----------------
    def get_notification(self):
        try:
            return self.notifs.popleft()
        except IndexError:
            return None

    def notify(self, order):
        self.notifs.append(order.clone())

    def get_orders_open(self, safe=False):
        return [o.clone() if safe else o for o in self.pending]

    def orderstatus(self, order):
        return order.status

    def buy(self, owner, data, size, price=None, plimit=None, exectype=None, valid=None, tradeid=0,
            oco=None, trailamount=None, trailpercent=None, parent=None, transmit=True, **kwargs):
        order = BuyOrder(owner=owner, data=data, size=size, price=price, pricelimit=plimit,
                         exectype=exectype, valid=valid, tradeid=tradeid, trailamount=trailamount,
                         trailpercent=trailpercent, parent=parent, transmit=transmit)
        order.addinfo(**kwargs)
        return self.submit(order)

    def sell(self, owner, data, size, price=None, plimit=None, exectype=None, valid=None, tradeid=0,
             oco=None, trailamount=None, trailpercent=None, parent=None, transmit=True, **kwargs):
        order = SellOrder(owner=owner, data=data, size=size, price=price, pricelimit=plimit,
                          exectype=exectype, valid=valid, tradeid=tradeid, trailamount=trailamount,
                          trailpercent=trailpercent, parent=parent, transmit=transmit)
        order.addinfo(**kwargs)
        return self.submit(order)

    def cancel(self, order):
        if order in self.pending:
            self.pending.remove(order)
            order.cancel()
            self.notify(order)
            return True
        return False

    def submit(self, order):
        order.submit(self)
        self.orders.append(order)
        self.notify(order)
        try:
            inst = self._resolve(order)
            self._validate_static(order, inst, self._current_day(order))
        except OrderError as exc:
            self._reject(order, str(exc), status="rejected")
            return order
        order._ecore_inst = inst
        if inst.kind == "future" and isinstance(order.tradeid, int) and order.tradeid == 0 and \
                "held" in order.data.lines.getlinealiases():
            # One backtrader Trade per contract (not per root feed): trade P&L never mixes the
            # prices of two contracts.
            order.tradeid = inst.name
        order.accept(self)
        self.notify(order)
        self.pending.append(order)
        return order

    def _current_day(self, order) -> dt.date | None:
        try:
            if len(order.data):
                return order.data.datetime.date(0)
        except Exception:  # noqa: BLE001 - data not started
            pass
        return self._today

    def _resolve(self, order) -> _Instrument:
        data = order.data
        code = order.info.get("contract", None) if hasattr(order.info, "get") else None
        if code is not None:
            try:
                c = code if isinstance(code, Contract) else Contract.parse(str(code))
            except (ContractError, ValueError) as exc:
                raise OrderError(f"unknown contract {code!r}: {exc}") from None
            return _Instrument("future", c.code, c)
        name = getattr(data, "_name", "") or ""
        try:
            c = Contract.parse(name)
            return _Instrument("future", c.code, c)
        except (ContractError, ValueError):
            pass
        if "held" in data.lines.getlinealiases():
            try:
                held = int(round(float(data.held[0])))
                c = Contract(spec(name).root, held // 100, held % 100)
            except (ContractError, ValueError, IndexError, TypeError) as exc:
                raise OrderError(f"cannot tell which contract feed {name!r} holds: {exc}") from None
            return _Instrument("future", c.code, c)
        return _Instrument("share", name or "share", None)

    def _validate_static(self, order, inst: _Instrument, day: dt.date | None):
        size = order.size
        if size is None or size == 0 or not math.isfinite(size):
            raise OrderError(f"order size must be a non-zero number, got {size!r}")
        if order.exectype not in (Order.Market, Order.Close, Order.Limit):
            raise OrderError(f"unsupported order type {Order.ExecTypes[order.exectype]}: use Market, Close or Limit")
        if order.exectype == Order.Limit and order.price is None:
            raise OrderError("limit order without a limit price")
        if inst.kind == "future":
            if abs(size - round(size)) > 1e-9:
                raise OrderError(f"fractional contract size {abs(size)!r}: futures trade in whole contracts")
            c = inst.contract
            if c not in self._book:
                raise OrderError(f"unknown contract {c.code}: no prices for it in the price book")
            if day is not None and day > c.last_trading_day():
                raise OrderError(f"{c.code} stopped trading on {c.last_trading_day().isoformat()} (last trading day)")

    def _reject(self, order, reason: str, status: str = "rejected"):
        order.info["reason"] = reason
        order.reason = reason
        if status == "margin":
            order.margin()
            self._counters["margin_rejections"] += 1
        else:
            order.reject(self)
            self._counters["rejections"] += 1
        inst = getattr(order, "_ecore_inst", None)
        name = inst.name if inst else (getattr(order.data, "_name", "") or "")
        day = self._today or self._current_day(order)
        if day is not None:
            self._journal.event(day, J.REJECTION, name, f"order {order.ref} {'buy' if order.isbuy() else 'sell'} "
                                f"{abs(order.size)}: {reason}")
        log.info("order %s refused: %s", order.ref, reason)
        if order in self.pending:
            self.pending.remove(order)
        self.notify(order)

    # ------------------------------------------------------------------ the day ----------------
    def _day_from_datas(self) -> dt.date | None:
        cerebro = getattr(self, "cerebro", None)
        days = []
        for d in (cerebro.datas if cerebro is not None else []):
            if len(d):
                days.append(d.datetime.date(0))
        return max(days) if days else None

    def next(self):
        day = self._day_from_datas()
        if day is None or day == self._today:
            return
        self._prev_day, self._today = self._today, day
        self._accrue(day)
        self._apply_cash(day)
        if self.p.delivery_guard:
            self._guard_missed(day)
        self._mark(day)
        self._fill_pending(day)
        if self.p.delivery_guard:
            self._guard(day)
        self._mark_shares(day)  # slippage on today's share fills
        self._margin(day)
        self._record(day)

    # 1. interest and expenses
    def rate_on(self, day: dt.date) -> float:
        if self._rate_series is None:
            return self._rate_const
        s = self._rate_series
        i = int(s.index.searchsorted(pd.Timestamp(day), side="right")) - 1
        return float(s.iloc[i]) if i >= 0 else float(s.iloc[0])

    def _accrue(self, day: dt.date):
        prev = self._prev_day
        if prev is None:
            return
        days = (day - prev).days
        rate = self.rate_on(prev)
        cash = self._journal.cash
        if cash > 0:
            haircut = self.p.collateral_haircut * self._requirements(prev)[1] if self.p.collateral_haircut else 0.0
            base = max(cash - haircut, 0.0)
            amount = base * rate * days / 360.0
            note = f"{base:,.2f} x {rate:.4%} x {days}/360"
        else:
            amount = cash * (rate + self.p.borrow_spread) * days / 360.0
            note = f"{cash:,.2f} x ({rate:.4%} + {self.p.borrow_spread:.4%}) x {days}/360"
        if amount:
            self._journal.post(day, J.INTEREST, "cash", amount, note=note)
        if self.p.expense_ratio:
            fee = -self._journal.nav * self.p.expense_ratio * days / 365.0
            self._journal.post(day, J.EXPENSE, "fund", fee,
                               note=f"expense ratio {self.p.expense_ratio:.4%} x {days}/365 on NAV")

    # 2. deposits
    def _apply_cash(self, day: dt.date):
        for amount in self._queued_cash:
            kind = J.DEPOSIT if amount >= 0 else J.WITHDRAWAL
            self._journal.post(day, kind, "cash", amount)
            for call in self._calls:
                if call.open:
                    call.deposited += amount
        self._queued_cash = []

    # 4. marking
    def _mark(self, day: dt.date):
        for code, fp in self._fut.items():
            if not fp.size:
                continue
            s = self._book.settle(fp.contract, day)
            if s is None:
                self._counters["stale_marks"] += 1
                continue
            vm = fp.size * fp.contract.spec.multiplier * (s - fp.mark)
            if vm:
                self._journal.post(day, J.VARIATION_MARGIN, code, vm,
                                   note=f"{fp.size} x {fp.contract.spec.multiplier} x ({s} - {fp.mark})")
            fp.mark, fp.mark_day = s, day
        self._mark_shares(day)

    def _mark_shares(self, day: dt.date):
        for sym, sp in self._shares.items():
            if sp.data is None or not len(sp.data):
                continue
            new = sp.size * float(sp.data.close[0])
            delta = new - sp.value
            if abs(delta) > 0:
                self._journal.post(day, J.SHARE_MARK, sym, delta, account=J.SHARES,
                                   note=f"{sp.size} x {float(sp.data.close[0])}")
                sp.value = new

    # margin requirements of the current (or hypothetical) positions
    def _requirements(self, day: dt.date, sizes: dict[str, int] | None = None) -> tuple[float, float]:
        sizes = {c: fp.size for c, fp in self._fut.items()} if sizes is None else sizes
        # Asked several times a day for the same positions: remember the day's answers.
        key = (day, tuple(sorted((c, q) for c, q in sizes.items() if q)))
        hit = self._req_memo.get(key)
        if hit is not None:
            return hit
        if self._req_memo and next(iter(self._req_memo))[0] != day:
            self._req_memo.clear()
        self._req_memo[key] = result = self._requirements_uncached(day, sizes)
        return result

    def _requirements_uncached(self, day: dt.date, sizes: dict[str, int]) -> tuple[float, float]:
        mm = im = 0.0
        for code, q in sizes.items():
            if q:
                c = self._fut[code].contract if code in self._fut else Contract.parse(code)
                quote = self._model.quote(c.root, day)
                mm += abs(q) * quote.maintenance
                im += abs(q) * quote.initial
        return mm, im

    # 5. fills
    def _reduces(self, order) -> bool:
        inst = order._ecore_inst
        if inst.kind == "future":
            old = self._fut[inst.name].size if inst.name in self._fut else 0
        else:
            old = self._shares[inst.name].size if inst.name in self._shares else 0
        new = old + order.size
        return old != 0 and abs(new) <= abs(old) and old * new >= 0

    def _fill_pending(self, day: dt.date):
        orders = [o for o in self.pending]
        orders.sort(key=lambda o: 0 if self._reduces(o) else 1)  # risk-reducing first (stable)
        for order in orders:
            if order not in self.pending:
                continue
            if order.expire():
                self.pending.remove(order)
                self.notify(order)
                continue
            try:
                if order._ecore_inst.kind == "future":
                    self._fill_future(order, day)
                else:
                    self._fill_share(order, day)
            except OrderError as exc:
                self._reject(order, str(exc))

    def _futures_price(self, c: Contract, day: dt.date) -> float | None:
        s = self._book.settle(c, day)
        if s is None:
            return None
        if self.p.futures_fill == "open":
            o = self._book.value(c, day, "open")
            if o is not None and not pd.isna(o) and o > 0:
                return float(o)
        return s

    def _fill_future(self, order, day: dt.date, forced: bool = False, price: float | None = None,
                     slip: bool = True, kind: str | None = None):
        inst = order._ecore_inst
        c = inst.contract
        if not forced and day > c.last_trading_day():
            raise OrderError(f"{c.code} stopped trading on {c.last_trading_day().isoformat()} (last trading day)")
        if not forced and not self._cal.is_business_day(day):
            return  # the futures market is shut today: the order waits
        settle = self._book.settle(c, day) if price is None else price
        if settle is None:
            raise OrderError(f"no settlement price for {c.code} on {day.isoformat()}: order not filled")
        base = settle if price is not None else self._futures_price(c, day)
        size = int(round(order.size))
        mult = c.spec.multiplier
        tick = float(c.spec.tick(day))
        fill = base + (math.copysign(self._costs.futures_slippage_ticks * tick, size) if slip else 0.0)
        if order.exectype == Order.Limit:
            lim = float(order.price)
            if (size > 0 and base > lim) or (size < 0 and base < lim):
                return  # limit not reached: keep waiting
            fill = min(fill, lim) if size > 0 else max(fill, lim)
        fp = self._fut.get(c.code)
        if fp is None:
            fp = self._fut[c.code] = FuturesPosition(c)
        old = fp.size
        new = old + size
        reduces = old != 0 and abs(new) <= abs(old) and old * new >= 0
        comm = self._costs.futures_fee(size)
        vm = size * mult * (settle - fill)
        if not reduces and not forced:
            guard_day = self._guard_day(c)
            if day >= guard_day:
                raise OrderError(
                    f"{c.code} is inside its delivery window (first intention day "
                    f"{c.first_intention_day().isoformat()}): only closing orders are accepted")
            sizes = {k: p.size for k, p in self._fut.items()}
            sizes[c.code] = new
            _, im_after = self._requirements(day, sizes)
            equity_after = self.margin_equity() + vm - comm
            if equity_after < im_after:
                self._reject(order, (
                    f"margin: equity after the trade ${equity_after:,.2f} < initial margin "
                    f"${im_after:,.2f} of the resulting positions (short ${im_after - equity_after:,.2f})"),
                    status="margin")
                return
        # execute
        if fp.mark is None or not old:
            fp.mark = settle
            fp.mark_day = day
        elif fp.mark != settle:
            # a position not marked today (stale price): bring it to today's settlement first
            vm_old = old * mult * (settle - fp.mark)
            self._journal.post(day, J.VARIATION_MARGIN, c.code, vm_old, note="catch-up mark")
            fp.mark, fp.mark_day = settle, day
        # Slippage paid, in dollars (reports add it to commissions as a cost of trading).
        order.addinfo(slippage=size * mult * (fill - base))
        note = f"fill {size:+d} @ {fill} vs settle {settle}"
        if forced:
            note = f"FORCED ({order.info.get('reason', '')}) " + note
        self._journal.post(day, kind or (J.FORCED_LIQUIDATION if forced else J.VARIATION_MARGIN), c.code, vm, note=note)
        if comm:
            self._journal.post(day, J.COMMISSION, c.code, -comm, note=f"{abs(size)} contracts" + (" (forced)" if forced else ""))
        closed, opened, pnl = self._split(old, size, fp.price, fill, mult)
        fp.price = self._new_avg(old, size, fp.price, fill)
        fp.size = new
        fp.data = order.data
        self._execute(order, size, fill, closed, opened, pnl, comm, mult, FuturesCommInfo(mult=mult))
        self._counters["forced_orders" if forced else "fills"] += 1

    def _fill_share(self, order, day: dt.date):
        data = order.data
        inst = order._ecore_inst
        if not len(data) or data.datetime.date(0) != day:
            return  # no bar for this symbol today: a market order waits for the next close
        traded = getattr(data.lines, "traded", None)
        if traded is not None and not traded[0]:
            return  # the stock market was shut (the feed repeats the last close): wait
        close = float(data.close[0])
        if not (close > 0):
            raise OrderError(f"no usable close for {inst.name} on {day.isoformat()}")
        size = float(order.size)
        sp = self._shares.get(inst.name)
        if sp is None:
            sp = self._shares[inst.name] = SharePosition(inst.name, data=data)
        sp.data = data
        old = sp.size
        new = old + size
        if new < -1e-12:
            raise OrderError(f"short sale of {inst.name} refused: shares are held fully paid, not shorted")
        bps = self._costs.share_slippage_bps / 1e4
        fill = close * (1 + bps) if size > 0 else close * (1 - bps)
        if order.exectype == Order.Limit:
            lim = float(order.price)
            if (size > 0 and close > lim) or (size < 0 and close < lim):
                return
            fill = min(fill, lim) if size > 0 else max(fill, lim)
        comm = self._costs.share_fee(size, fill)
        if size > 0:
            cash_after = self._journal.cash - size * fill - comm
            if self.p.share_buys_need_cash and cash_after < 0:
                self._reject(order, f"insufficient cash: buying {size:g} {inst.name} needs "
                             f"${size * fill + comm:,.2f}, cash is ${self._journal.cash:,.2f}", status="margin")
                return
            _, im = self._requirements(day)
            # Cash pays fill and commission; the shares count at their close, times share_collateral.
            equity_after = self.margin_equity() - size * fill - comm + self.p.share_collateral * size * close
            if equity_after < im:
                self._reject(order, f"margin: equity after the trade ${equity_after:,.2f} < initial margin ${im:,.2f}",
                             status="margin")
                return
        order.addinfo(slippage=size * (fill - close))  # dollars paid over the close
        kind = J.SHARE_BUY if size > 0 else J.SHARE_SELL
        self._journal.post(day, kind, inst.name, -size * fill, note=f"{size:+g} @ {fill}")
        self._journal.post(day, kind, inst.name, size * fill, account=J.SHARES, note=f"{size:+g} @ {fill}")
        sp.value += size * fill
        if comm:
            self._journal.post(day, J.COMMISSION, inst.name, -comm, note=f"{abs(size):g} shares")
        closed, opened, pnl = self._split(old, size, sp.price, fill, 1.0)
        sp.price = self._new_avg(old, size, sp.price, fill)
        sp.size = new
        self._execute(order, size, fill, closed, opened, pnl, comm, 1.0, _share_comminfo())
        self._counters["fills"] += 1

    @staticmethod
    def _split(old, size, avg, price, mult):
        """(closed, opened, realized pnl) of adding ``size`` to a position ``old`` at ``avg``."""
        if old * size < 0:
            closed = -old if abs(size) >= abs(old) else size
            opened = size - closed
        else:
            closed, opened = 0, size
        pnl = -closed * (price - avg) * mult
        return closed, opened, pnl

    @staticmethod
    def _new_avg(old, size, avg, price):
        new = old + size
        if new == 0:
            return 0.0
        if old == 0 or old * new < 0:
            return price
        if abs(new) > abs(old):
            return (old * avg + size * price) / new
        return avg

    def _execute(self, order, size, price, closed, opened, pnl, comm, mult, comminfo):
        total = abs(closed) + abs(opened) or 1
        closedcomm = comm * abs(closed) / total
        openedcomm = comm - closedcomm
        pos = self.getposition(order.data)
        order.execute(order.data.datetime[0], size, price,
                      closed, abs(closed) * price * mult, closedcomm,
                      opened, abs(opened) * price * mult, openedcomm,
                      0.0, pnl, pos.size, pos.price)
        order.addcomminfo(comminfo)
        if order in self.pending:
            self.pending.remove(order)
        self.notify(order)

    # 3 and 6. delivery guard
    def _guard_day(self, c: Contract) -> dt.date:
        """The last business day a contract may be held: the day before its first intention day."""
        return _guard_day_of(c)

    def _guard(self, day: dt.date):
        for code, fp in list(self._fut.items()):
            if fp.size and day >= self._guard_day(fp.contract):
                s = self._book.settle(fp.contract, day)
                if s is None:
                    continue  # handled by _guard_missed on the next day
                self._force_close(fp, -fp.size, day, s, J.DELIVERY_GUARD,
                                  f"{code} held into its delivery window (first intention day "
                                  f"{fp.contract.first_intention_day().isoformat()}): closed at the settlement of "
                                  f"{day.isoformat()}", slip=False)

    def _guard_missed(self, day: dt.date):
        for code, fp in list(self._fut.items()):
            if fp.size and day >= fp.contract.first_intention_day():
                prior = self._book.last_settle(fp.contract, fp.contract.first_intention_day() - dt.timedelta(days=1))
                price = prior[1] if prior else fp.mark
                self._force_close(fp, -fp.size, day, price, J.DELIVERY_GUARD,
                                  f"{code} still held on its first intention day "
                                  f"{fp.contract.first_intention_day().isoformat()}: closed at the prior settlement",
                                  slip=False)

    def _force_close(self, fp: FuturesPosition, size: int, day: dt.date, price: float, event: str,
                     reason: str, slip: bool = True, kind: str | None = None):
        data = fp.data
        cls = BuyOrder if size > 0 else SellOrder
        order = cls(owner=None, data=data, size=abs(size), price=None, exectype=Order.Market)
        order.addinfo(forced=True, reason=reason, contract=fp.contract.code, event=event)
        order.reason = reason
        order._ecore_inst = _Instrument("future", fp.contract.code, fp.contract)
        if "held" in data.lines.getlinealiases():
            order.tradeid = fp.contract.code
        order.submit(self)
        self.orders.append(order)
        self.notify(order)
        order.accept(self)
        self.notify(order)
        self._journal.event(day, event, fp.contract.code, reason)
        if event == J.DELIVERY_GUARD:
            warnings.warn(reason, DeliveryWarning, stacklevel=2)
            self._counters["delivery_closes"] += 1
        self._fill_future(order, day, forced=True, price=price, slip=slip,
                          kind=kind or (J.VARIATION_MARGIN if event == J.DELIVERY_GUARD else J.FORCED_LIQUIDATION))
        return order

    # 7. margin calls
    def _margin(self, day: dt.date):
        nav = self.margin_equity()
        mm, im = self._requirements(day)
        for call in self._calls:
            if not call.open:
                continue
            if nav >= im or call.deposited >= call.amount - 1e-9:
                how = "equity back at initial margin" if nav >= im else f"${call.deposited:,.2f} deposited"
                call.status, call.closed = "met", day
                self._journal.event(day, J.MARGIN_CALL_MET, "account",
                                    f"call of {call.issued.isoformat()} for ${call.amount:,.2f} met: {how}")
            elif day >= call.deadline:
                self._liquidate(call, day)
                call.status, call.closed = "liquidated", day
                nav = self.margin_equity()
                mm, im = self._requirements(day)
        if not any(c.open for c in self._calls) and mm > 0 and nav < mm:
            deadline = self._cal.add_business_days(day, int(self.p.call_deadline_days))
            call = MarginCall(day, im - nav, deadline, nav, mm, im)
            self._calls.append(call)
            self._counters["margin_calls"] += 1
            self._journal.event(day, J.MARGIN_CALL, "account",
                                f"equity ${nav:,.2f} < maintenance ${mm:,.2f}: call for ${call.amount:,.2f} "
                                f"(to initial ${im:,.2f}) due by the settlement of {deadline.isoformat()}")
            log.warning("margin call on %s for $%.2f", day, call.amount)
            for strat in getattr(getattr(self, "cerebro", None), "runningstrats", []) or []:
                hook = getattr(strat, "notify_margin_call", None)
                if callable(hook):
                    hook(call)

    def _liquidation_plan(self, day: dt.date) -> dict[str, int]:
        """Contracts to close (signed order sizes) so that equity covers initial margin."""
        pol = self.p.liquidation_policy
        if callable(pol):
            return dict(pol(self, day))
        held = {c: fp.size for c, fp in self._fut.items() if fp.size}
        if pol == "all":
            return {c: -q for c, q in held.items()}
        # largest_requirement: contracts with the largest initial requirement per contract first
        # (each contract sold frees the most margin, so the fewest are sold), one contract at a
        # time, until equity (net of the liquidation's costs) covers the initial margin left.
        plan: dict[str, int] = {}
        sizes = dict(held)
        costs = 0.0
        order = sorted(held, key=lambda c: -self._model.initial(Contract.parse(c).root, day))
        for code in order:
            c = Contract.parse(code)
            tick = float(c.spec.tick(day))
            per_contract = self._costs.futures_fee(1) + self._costs.futures_slippage_ticks * tick * c.spec.multiplier
            while sizes[code]:
                _, im = self._requirements(day, sizes)
                if self.margin_equity() - costs >= im:
                    return plan
                step = -1 if sizes[code] > 0 else 1
                sizes[code] += step
                plan[code] = plan.get(code, 0) + step
                costs += per_contract
        return plan

    def _liquidate(self, call: MarginCall, day: dt.date):
        plan = self._liquidation_plan(day)
        reason = (f"margin call of {call.issued.isoformat()} for ${call.amount:,.2f} not met by "
                  f"{call.deadline.isoformat()}: forced liquidation")
        for code, q in plan.items():
            if not q:
                continue
            fp = self._fut[code]
            s = self._book.settle(fp.contract, day)
            price = s if s is not None else fp.mark
            self._force_close(fp, q, day, price, J.FORCED_LIQUIDATION, reason, slip=True)

    # 8. record
    def _record(self, day: dt.date):
        # Flat contracts are forgotten at the end of the day, so that daily loops cover only
        # what is held (a 25-year backtest trades hundreds of contracts).
        for code in [c for c, fp in self._fut.items() if not fp.size]:
            del self._fut[code]
        j = self._journal
        mm, im = self._requirements(day)
        notional = sum(abs(fp.size) * fp.contract.spec.multiplier * (fp.mark or 0.0)
                       for fp in self._fut.values() if fp.size)
        nav = j.nav
        equity = self.margin_equity()
        self._states.append({
            "date": day, "nav": nav, "cash": j.cash, "shares_value": j.shares_value,
            "futures_notional": notional, "initial_margin": im, "maintenance_margin": mm,
            "margin_equity": equity, "excess_liquidity": equity - mm,
            "margin_to_equity": im / equity if equity > 0 else float("inf"),
            "margin_calls_open": sum(1 for c in self._calls if c.open),
            "contracts": sum(abs(fp.size) for fp in self._fut.values()),
            "margin_calls_issued": self._counters["margin_calls"],
            "forced_orders": self._counters["forced_orders"],
            "rejections": self._counters["rejections"] + self._counters["margin_rejections"],
            "journal_rows": len(j.rows),
        })


__all__ = ["MarginBroker", "MarginCall", "FuturesCommInfo", "DeliveryWarning", "CostModel", "LIQUIDATION_POLICIES"]
