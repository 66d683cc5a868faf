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
   (act/365); the borrow fee of short share positions (:mod:`.short_sales`);
2. deposits and withdrawals queued with :meth:`add_cash`;
3. delivery guard for positions that should already have been closed (data gaps);
4. marking: futures positions receive or pay variation margin ``q x m x (S_t - S_prev)``;
   shares are marked to the close;
5. orders placed on earlier days expire, wait or fill (:mod:`.order_book`: validity, OCO groups,
   brackets; :mod:`.triggers`: whether and where each backtrader order type trades on the day's
   bar): Market orders at the day's settlement (or open, with ``futures_fill="open"``) or the
   share's close (or open, ``share_fill="open"``), limits and stops inside the day's range, plus
   slippage in ticks or basis points; a fill books ``q x m x (S_t - P_fill)`` at once.  Orders
   that only reduce risk are processed first and always pass; any other order must leave equity (NAV) at or above the
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
Equity for margin = cash plus ``share_collateral`` (default 0) times the shares' value.  Positions
are kept per contract: a roll is two real trades and the spread between two contracts is never
booked as profit.  No calendar-spread margin credit is given (conservative).

Each rule lives in a module named for it; this class composes them in the order above and speaks
backtrader's broker interface:

=================================  ===========================================================
step                               module
=================================  ===========================================================
1. interest, expense ratio         :mod:`.accruals`
3, 6. delivery guard               :mod:`.delivery_guard`
4. variation margin, share marks   :mod:`.settlement`
5. fills, pre-trade margin check   :mod:`.fills` (what an order trades: :mod:`.orders`; when:
                                   :mod:`.triggers`; waiting orders: :mod:`.order_book`)
7. margin calls / liquidation      :mod:`.margin_calls` / :mod:`.liquidation`
requirements                       :mod:`.margin` (schedule, model), :mod:`.account`
money                              :mod:`.journal` (every movement), :mod:`.costs`
short sales of shares              :mod:`.short_sales` (Reg T / FINRA 4210, borrow fee, buy-in)
backtrader's broker API            :mod:`.broker_api`, :mod:`.commission`, :mod:`.execution`,
                                   :mod:`.submission_check`, :mod:`.fund_mode`
=================================  ===========================================================
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import warnings

import backtrader as bt
import pandas as pd
from backtrader.order import BuyOrder, SellOrder
from backtrader.position import Position

from ..data.calendar import as_date, treasury_calendar
from ..data.feeds import latest_day
from . import delivery_guard, journal as J, settlement
from . import short_sales
from .account import Account
from .accruals import ShortRate, accrue
from .broker_api import BrokerAPI, UnsupportedBrokerCall
from .default_book import LazyBook
from .execution import Execution, created_this_bar, reported_values
from .fund_mode import FundShares
from .refusals import category as refusal_category
from .short_sales import ShortSaleRules
from .submission_check import check_submitted
from .costs import CostModel
from .delivery_guard import DeliveryWarning
from .fills import Fill, Refusal, fill_future, fill_share
from .liquidation import LIQUIDATION_POLICIES, check_policy, liquidation_plan, liquidation_prices
from .margin import MarginModel
from .margin_calls import MarginCall, MarginCalls
from .order_book import OrderBook, follow_roll
from .orders import FuturesCommInfo, OrderError, belongs, data_kind, forced_order, resolve, validate
from .positions import FuturesPosition, reduces

log = logging.getLogger(__name__)


class MarginBroker(BrokerAPI, bt.BrokerBase):
    """Margin-accounting broker for equity shares and Treasury futures (see module docstring).

    ``MarginBroker()`` with no arguments is a drop-in for ``cerebro.setbroker()``: $10,000 of
    cash and the bundled futures price book, built on the first futures question (a shares-only
    run never builds it).  backtrader's broker API is honoured or refused at the call
    (:mod:`.broker_api`); every ``start()`` (each ``cerebro.run()``, each ``optstrategy``
    combination) begins from a fresh account.
    """

    params = (
        ("cash", 10_000.0),  # backtrader's default
        ("price_book", None),  # FuturesPriceBook (None: the bundled book, built on first use)
        ("margin_model", None),  # MarginModel (None: MarginModel(history=price_book))
        ("short_rate", 0.0),  # float, or Series of decimal annual rates indexed by date
        # Interactive Brokers charges its benchmark + 1.5% on small debit balances (less on large
        # ones): the spread over the short rate paid by a negative cash balance [U].
        ("borrow_spread", 0.015),
        ("collateral_haircut", 0.0),  # share of posted initial margin that earns no interest
        ("expense_ratio", 0.0),  # annual, accrued daily on NAV (act/365); the 90/60 fund: 0.0020
        ("costs", None),  # CostModel (None: retail defaults)
        ("futures_fill", "settle"),  # "settle" or "open" (the price book's open column)
        ("share_fill", "close"),  # where share Market orders fill: "close" or "open" (the feed's open)
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
        # Short sales of shares under short_sale_rules (a ShortSaleRules; None: the bundled Reg T /
        # FINRA 4210 figures); False refuses any order that would leave a short.
        ("short_sales", True),
        ("short_sale_rules", None),
        # backtrader's BackBroker settings (see broker_api.py)
        ("checksubmit", True),
        ("coc", False),
        ("coo", False),
        ("fundmode", False),
        ("fundstartval", 100.0),
    )

    def __init__(self):
        super().__init__()
        self.startingcash = float(self.p.cash)
        self._running = False
        self._execution = Execution()
        self._execution.coc, self._execution.coo = bool(self.p.coc), bool(self.p.coo)
        self._default_book = None
        self._reset()

    # ------------------------------------------------------------------ state ------------------
    def _reset(self):
        if self.p.futures_fill not in ("settle", "open"):
            raise ValueError("futures_fill must be 'settle' or 'open'")
        if self.p.share_fill not in ("close", "open"):
            raise ValueError(f"share_fill must be 'close' or 'open', got {self.p.share_fill!r}")
        check_policy(self.p.liquidation_policy)
        book = self.p.price_book
        if book is None:
            if self._default_book is None:
                self._default_book = LazyBook()
            book = self._default_book
        model = self.p.margin_model if self.p.margin_model is not None else MarginModel(history=book)
        costs = self.p.costs if self.p.costs is not None else CostModel()
        self._account = Account(self.startingcash, book, model, costs, self.p.share_collateral)
        self._account.execution = self._execution
        rules = self.p.short_sale_rules
        if rules is not None and not isinstance(rules, ShortSaleRules):
            raise ValueError("short_sale_rules must be a ShortSaleRules (or None for the bundled figures)")
        self._account.short_rules = (rules or ShortSaleRules.bundled()) if self.p.short_sales else None
        self._fund = FundShares(self.startingcash, self.p.fundstartval)
        self._submitted: list = []
        self._cal = treasury_calendar()
        self._calls = MarginCalls(self._account, self._cal, self.p.call_deadline_days)
        self._rate = ShortRate(self.p.short_rate)
        self._book = OrderBook()
        self.pending: list = self._book.pending  # the book's waiting orders (the same list)
        self.orders: list = []
        self.notifs = collections.deque()
        self._queued_cash: list[float] = []
        self._today: dt.date | None = None
        self._prev_day: dt.date | None = None
        self._states: list[dict] = []
        self._day_memo: dict = {}
        if not hasattr(self, "_prerun_cash"):
            self._prerun_cash: list[float] = []

    def start(self):
        """A fresh account for every run (``cerebro.run()`` twice, each ``optstrategy``
        combination): cash, positions, orders, journal, margin calls and records start over;
        deposits queued before the run stay queued."""
        super().start()
        self._check_schemes()
        queued = list(self._prerun_cash)
        self._reset()
        self._queued_cash = queued
        self._prerun_cash = queued
        self._running = True

    def stop(self):
        super().stop()
        self._running = False

    # ------------------------------------------------------------------ cash / value -----------
    def add_cash(self, cash):
        """Deposit (positive) or withdraw (negative); booked at the start of the next trading day."""
        self._queued_cash.append(float(cash))
        if not self._running:
            self._prerun_cash = list(self._queued_cash)

    def getcash(self):
        return self._account.journal.cash

    get_cash = getcash
    cash = property(getcash)

    def requirements(self, sizes: dict[str, int] | None = None, day=None) -> tuple[float, float]:
        """(maintenance, initial) margin in dollars of ``sizes`` (``{code: contracts}``; default
        the positions held) on ``day`` (default the current bar's day)."""
        day = as_date(day) if day is not None else (self._today or self._day_from_datas())
        return self._account.requirements(day, sizes)

    def margin_equity(self) -> float:
        """Equity that backs futures margin (dollars): cash plus ``share_collateral`` times the
        shares' market value."""
        return self._account.margin_equity()

    def rate_on(self, day: dt.date) -> float:
        """The short rate (decimal, annual) in force on ``day``."""
        return self._rate.on(day)

    def getvalue(self, datas=None, mkt=False, lever=False):
        """NAV; with ``datas``, the value of those datas: share market value, or the signed
        notional of a futures feed's contracts."""
        account = self._account
        if lever:
            raise UnsupportedBrokerCall("MarginBroker.get_value(lever=True): leverage is not modelled")
        if not datas:
            return account.journal.shares_value if mkt else account.journal.nav
        total = 0.0
        for d in datas:
            if data_kind(d) == "share":
                sp = account.shares.get(d._name)
                if sp is not None and sp.size:
                    total += sp.size * float(d.close[0])
            else:
                for fp in account.futures.values():
                    if fp.size and belongs(fp.contract, d):
                        px = fp.mark if fp.mark is not None else fp.price
                        total += fp.size * px * fp.contract.spec.multiplier
        return total

    get_value = getvalue

    # ------------------------------------------------------------------ positions --------------
    def getposition(self, data):
        """Shares: the share position.  A contract feed: that contract.  A RootFeed: the net
        position over all the root's contracts (price: size-weighted entry price)."""
        account = self._account
        if data_kind(data) == "share":
            sp = account.shares.get(data._name)
            return Position(sp.size, sp.price) if sp else Position(0, 0.0)
        size, cost = 0, 0.0
        for fp in account.futures.values():
            if fp.size and belongs(fp.contract, data):
                size += fp.size
                cost += fp.size * fp.price
        return Position(size, cost / size if size else 0.0)

    def contract_positions(self) -> dict[str, int]:
        """``{code: contracts}`` of open futures positions."""
        return {c: fp.size for c, fp in sorted(self._account.futures.items()) if fp.size}

    def share_positions(self) -> dict[str, float]:
        """``{symbol: shares}`` of open share positions."""
        return {s: sp.size for s, sp in sorted(self._account.shares.items()) if sp.size}

    @property
    def positions(self):
        return self.contract_positions() | self.share_positions()

    # ------------------------------------------------------------------ records ----------------
    def journal(self) -> pd.DataFrame:
        """The cash journal: ``date, kind, instrument, amount, balance, account, note``."""
        return self._account.journal.frame()

    def write_journal_csv(self, path) -> None:
        self.journal().to_csv(path, index=False, date_format="%Y-%m-%d")

    def daily_state(self) -> pd.DataFrame:
        """One row per trading day: NAV, cash, margin requirements and equity, calls open (dollars)."""
        cols = ["date", "nav", "cash", "shares_value", "futures_notional", "initial_margin",
                "maintenance_margin", "excess_liquidity", "margin_to_equity", "margin_calls_open"]
        f = pd.DataFrame(self._states)
        if f.empty:
            return pd.DataFrame(columns=cols)
        f["date"] = pd.to_datetime(f["date"])
        return f

    def margin_calls(self) -> list[MarginCall]:
        return list(self._calls.calls)

    @property
    def starting_cash(self) -> float:
        return self._account.journal.opening_cash

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
        self._book.link_oco(order, oco)
        return self.submit(order)

    def sell(self, owner, data, size, price=None, plimit=None, exectype=None, valid=None, tradeid=0,
             oco=None, trailamount=None, trailpercent=None, parent=None, transmit=True, **kwargs):
        order = SellOrder(owner=owner, data=data, size=size, price=price, pricelimit=plimit,
                          exectype=exectype, valid=valid, tradeid=tradeid, trailamount=trailamount,
                          trailpercent=trailpercent, parent=parent, transmit=transmit)
        order.addinfo(**kwargs)
        self._book.link_oco(order, oco)
        return self.submit(order)

    def cancel(self, order):
        """Cancel a waiting order (notified ``Canceled``), its OCO group and, for a bracket
        parent, its children; False when the order is not waiting."""
        if order in self._submitted:  # checksubmit: not yet accepted (backtrader would refuse)
            self._submitted.remove(order)
        elif not self._book.remove(order):
            return False
        order.cancel()
        self.notify(order)
        self._ended(order, traded=False)
        return True

    def submit(self, order):
        """Send ``order`` (and, when it transmits, the bracket family it completes): each is
        ``Submitted`` then ``Accepted``, or ``Rejected`` with a reason (order_book docstring)."""
        batch = self._book.take(order)
        if batch is None:
            self._reject(order, f"parent order {order.parent.ref} is not waiting (refused, cancelled or done)")
            return order
        for o in batch:
            self._transmit(o)
        return order

    def _transmit(self, order):
        order.submit(self)
        self.orders.append(order)
        parent = order.parent
        if parent is not None and parent.status not in (bt.Order.Submitted, bt.Order.Accepted,
                                                         bt.Order.Partial, bt.Order.Completed):
            self._reject(order, f"parent order {parent.ref} was {parent.getstatusname().lower()}")
            return
        try:
            inst = resolve(order)
            validate(order, inst, self._current_day(order), self._account.book)
        except OrderError as exc:
            self._reject(order, str(exc), status="rejected")
            return
        order._ecore_inst = inst
        if inst.kind == "future" and (self._execution.coc or self._execution.coo) and \
                order.exectype in (None, bt.Order.Market):
            self._reject(order, "cheat-on-close/open is modelled for shares only: futures fill at the "
                         "settlement (or the open with futures_fill='open')")
            return
        if inst.kind == "future" and isinstance(order.tradeid, int) and order.tradeid == 0 and \
                "held" in order.data.lines.getlinealiases():
            # One backtrader Trade per contract (not per root feed): trade P&L never mixes the
            # prices of two contracts.
            order.tradeid = inst.name
        self._book.day_order_valid(order)
        if self.p.checksubmit:
            # backtrader's checksubmit: the order waits as Submitted; cash and margin are reserved
            # for it at the start of the next bar (submission_check.py).
            self.notify(order)
            self._submitted.append(order)
            return
        # backtrader without checksubmit tells of the order once, accepted
        order.accept(self)
        self.notify(order)
        self._book.add(order)

    def _ended(self, order, traded: bool):
        """After ``order`` traded or ended: cancel its OCO group and, as its bracket says, its
        family (backtrader's order: siblings first, then the bracket)."""
        for o in self._book.oco_siblings(order):
            o.cancel()
            self.notify(o)
        for o in self._book.family_done(order, cancel=not traded):
            self.cancel(o)

    def _current_day(self, order) -> dt.date | None:
        try:
            if len(order.data):
                return order.data.datetime.date(0)
        except Exception:  # noqa: BLE001 - data not started
            pass
        return self._today

    def _reject(self, order, reason: str, status: str = "rejected"):
        order.info["reason"] = reason
        order.info["refusal"] = refusal_category(reason, status)
        order.reason = reason
        counters = self._account.counters
        if status == "margin":
            order.margin()
            counters["margin_rejections"] += 1
        else:
            order.reject(self)
            counters["rejections"] += 1
        inst = getattr(order, "_ecore_inst", None)
        name = inst.name if inst else (getattr(order.data, "_name", "") or "")
        day = self._today or self._current_day(order)
        if day is not None:
            self._account.journal.event(day, J.REJECTION, name, f"order {order.ref} "
                                        f"{'buy' if order.isbuy() else 'sell'} {abs(order.size)}: {reason}")
        log.info("order %s refused: %s", order.ref, reason)
        self._book.remove(order)
        self.notify(order)
        if order.owner is not None:
            self._ended(order, traded=False)

    def _execute(self, order, fill: Fill):
        total = abs(fill.closed) + abs(fill.opened) or 1
        closedcomm = fill.commission * abs(fill.closed) / total
        openedcomm = fill.commission - closedcomm
        pos = self.getposition(order.data)
        price = fill.price
        closedvalue, openedvalue = reported_values(fill, order._ecore_inst.kind)
        order.execute(self._execution.fill_time(order), fill.size, price,
                      fill.closed, closedvalue, closedcomm,
                      fill.opened, openedvalue, openedcomm,
                      0.0, fill.pnl, pos.size, pos.price)
        order.addcomminfo(fill.comminfo)
        self._book.remove(order)
        self.notify(order)
        if order.owner is not None:
            self._ended(order, traded=True)

    def _settle_order(self, order, outcome: Fill | Refusal | None):
        if isinstance(outcome, Refusal):
            # Short sales switched off are a refusal of the order itself, not of its margin.
            off = self._account.short_rules is None and refusal_category(outcome.reason) == "short sale"
            self._reject(order, outcome.reason, status="rejected" if off else "margin")
        elif isinstance(outcome, Fill):
            self._execute(order, outcome)

    # ------------------------------------------------------------------ the day ----------------
    def _day_from_datas(self) -> dt.date | None:
        cerebro = getattr(self, "cerebro", None)
        return latest_day(cerebro.datas, self._day_memo) if cerebro is not None else None

    def next(self):
        day = self._day_from_datas()
        if day is None or day == self._today:
            return
        account = self._account
        self._prev_day, self._today = self._today, day
        if self._submitted:
            self._check_submitted(day)
        accrue(account, self._prev_day, day, self._rate, self.p.borrow_spread, self.p.collateral_haircut,
               self.p.expense_ratio)
        short_sales.accrue_borrow(account, account.short_rules, self._prev_day, day)
        self._apply_cash(day)
        if self.p.delivery_guard:
            self._close_for_delivery(delivery_guard.overdue(account, day), day)
        settlement.settle_futures(account, day)
        settlement.mark_shares(account, day)
        self._fill_pending(day)
        if self.p.delivery_guard:
            self._close_for_delivery(delivery_guard.due_today(account, day), day)
        settlement.mark_shares(account, day)  # slippage on today's share fills
        self._calls.settle(day, self._liquidate, self._notify_margin_call)
        self._record(day)

    def _check_submitted(self, day: dt.date):
        # Walked from a copy: a refused parent's legs are cancelled out of self._submitted on
        # the way (cancel) and then skipped by the walk.
        for order, reason in check_submitted(self._account, list(self._submitted), day):
            self._submitted.remove(order)
            if reason is not None:
                self._reject(order, reason, status="margin")
            else:
                order.accept(self)
                self.notify(order)
                self._book.add(order)

    def _apply_cash(self, day: dt.date):
        for amount in self._queued_cash:
            kind = J.DEPOSIT if amount >= 0 else J.WITHDRAWAL
            self._account.journal.post(day, kind, "cash", amount)
            self._calls.deposit(amount)
            self._fund.deposit(amount)
        self._queued_cash = []

    def _fill_pending(self, day: dt.date):
        """Waiting orders, risk-reducing ones first: expire, wait (inactive bracket children,
        untriggered prices) or trade under :mod:`.triggers` (as backtrader's broker: one pass)."""
        account = self._account
        book = self._book
        book.activate_waiting()
        for order in book:
            follow_roll(order)

        def reduces_risk(o) -> bool:
            inst = o._ecore_inst
            old = account.size_of(inst.kind, inst.name)
            return reduces(old, old + o.size)

        orders = sorted(book.pending, key=lambda o: 0 if reduces_risk(o) else 1)  # risk-reducing first (stable)
        for order in orders:
            if order not in book:
                continue
            if order.expire():
                book.remove(order)
                self.notify(order)
                self._ended(order, traded=False)
                continue
            if not order.active():
                continue
            if not self._execution.coo and created_this_bar(order):
                continue  # created in next_open of this bar: fills from the next bar (backtrader)
            try:
                if order._ecore_inst.kind == "future":
                    outcome = fill_future(account, order, day, self._cal, self.p.futures_fill)
                else:
                    outcome = fill_share(account, order, day, self.p.share_buys_need_cash, self.p.share_fill)
            except OrderError as exc:
                self._reject(order, str(exc))
                continue
            self._settle_order(order, outcome)

    def _force_close(self, fp: FuturesPosition, size: int, day: dt.date, price: float, event: str,
                     reason: str, slip: bool):
        order = forced_order(fp.data, fp.contract, size, reason, event)
        order.submit(self)
        self.orders.append(order)
        self.notify(order)
        order.accept(self)
        self.notify(order)
        self._account.journal.event(day, event, fp.contract.code, reason)
        if event == J.DELIVERY_GUARD:
            warnings.warn(reason, DeliveryWarning, stacklevel=2)
            self._account.counters["delivery_closes"] += 1
        kind = J.VARIATION_MARGIN if event == J.DELIVERY_GUARD else J.FORCED_LIQUIDATION
        outcome = fill_future(self._account, order, day, self._cal, self.p.futures_fill, forced=True, price=price,
                              slip=slip, kind=kind)
        self._settle_order(order, outcome)
        return order

    def _close_for_delivery(self, closes, day: dt.date):
        for close in closes:
            self._force_close(close.position, -close.position.size, day, close.price, J.DELIVERY_GUARD,
                              close.reason, slip=False)

    def _liquidate(self, call: MarginCall, day: dt.date):
        plan = liquidation_plan(self._account, day, self.p.liquidation_policy, self)
        reason = (f"margin call of {call.issued.isoformat()} for ${call.amount:,.2f} not met by "
                  f"{call.deadline.isoformat()}: forced liquidation")
        for fp, q, price in liquidation_prices(self._account, plan, day):
            self._force_close(fp, q, day, price, J.FORCED_LIQUIDATION, reason, slip=True)
        for sp, shares in short_sales.buy_ins(self._account, day):
            self._buy_in(sp, shares, day, reason)

    def _buy_in(self, sp, shares: float, day: dt.date, reason: str):
        """Cover a short at today's close (a forced order, like a futures liquidation)."""
        order = short_sales.buy_in_order(sp, shares, reason)
        order.submit(self)
        self.orders.append(order)
        order.accept(self)
        self.notify(order)
        self._account.journal.event(day, J.FORCED_LIQUIDATION, sp.symbol, f"buy-in of {shares:g}: {reason}")
        self._account.counters["forced_orders"] += 1
        self._settle_order(order, fill_share(self._account, order, day, False))

    def _notify_margin_call(self, call: MarginCall):
        for strat in getattr(getattr(self, "cerebro", None), "runningstrats", []) or []:
            hook = getattr(strat, "notify_margin_call", None)
            if callable(hook):
                hook(call)

    def _record(self, day: dt.date):
        account = self._account
        account.forget_flat()
        j = account.journal
        mm, im = account.requirements(day)
        nav = j.nav
        self._fund.mark(nav)
        equity = account.margin_equity()
        counters = account.counters
        self._states.append({
            "date": day, "nav": nav, "cash": j.cash, "shares_value": j.shares_value,
            "futures_notional": account.notional(), "initial_margin": im, "maintenance_margin": mm,
            "margin_equity": equity, "excess_liquidity": equity - mm,
            "margin_to_equity": im / equity if equity > 0 else float("inf"),
            "margin_calls_open": self._calls.open_count(),
            "contracts": sum(abs(fp.size) for fp in account.futures.values()),
            "margin_calls_issued": counters["margin_calls"],
            "forced_orders": counters["forced_orders"],
            "rejections": counters["rejections"] + counters["margin_rejections"],
            "journal_rows": len(j.rows),
        })


__all__ = ["MarginBroker", "MarginCall", "FuturesCommInfo", "DeliveryWarning", "CostModel", "LIQUIDATION_POLICIES"]
