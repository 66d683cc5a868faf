"""``IBBroker``: a backtrader broker that trades an IB paper account through an ``IBSession``.

A strategy written for the simulated ``MarginBroker`` runs unchanged: ``buy``/``sell``/
``order_target_size`` on a feed, ``getposition``, ``getvalue``, ``getcash``, ``notify_order``,
and ``requirements(sizes, day)`` / ``margin_equity()`` for its margin budget (IB's what-if
margin per contract, see ``requirements``).  What an order trades is decided the same way:
``info["contract"]`` (a futures code) if given, else, on a root feed (``IBRootFeed``, named
"ZN"), the contract it holds that day, else the feed's name when it is a futures code
(``"ZNH25"``), else the feed's name as a ticker.

Orders are sent only on *live* bars: the feed replays recent history first (status DELAYED)
so indicators warm up, and an order created on a replayed bar is rejected, never sent.

**Intents, not orders.**  Each order of the strategy becomes an *intent* keyed by (day,
instrument, purpose) - the purpose is ``info["intent"]`` or the ``kind`` our strategies pass
("rebalance", "roll", "margin_call"), else "target" - aiming at a target position: the position
the strategy saw when it decided (a snapshot taken before each ``next``) plus what it ordered
on that instrument so far in this decision.  The broker then nets what IB already has in motion
for the instrument - every working order, ours or not, and our orders IB has not acknowledged -
and sends only the difference, under a new ``orderRef`` (see ``journal.py``).  When orders of
an earlier decision in motion would pass the target, ecore's working orders are brought down to
it (modified, or cancelled; counted only once IB confirms); orders sent within this decision are
parts of it, and the difference is sent.  A same-day re-run asking to go further than the target
an earlier run reached is held to it (a strategy that buys "100 more" every run does not double
its book); within one run, an order decided after an earlier one of the same day (once it filled,
or while it rests) adds to it and is sent.  So re-runs, restarts and reconnects never take the
account past the strategy's target.

Stops, trailing stops, Close, brackets and OCO members are not netted: each is IB's native order
of its type (``order_types.py``), sent or adopted once (``native_orders.py``).

A roll can go as one calendar-spread (combo/BAG) order: ``buy(data, size=n,
spread=("ZNH25", "ZNM25"))`` sells n of the first contract and buys n of the second in one
order (``sell`` rolls a short); a limit price is the spread in points (second minus first).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import logging
import math

import backtrader as bt

from ...data.contracts import ContractError, spec
from ...data.feeds import contract_of
from .account import AccountState
from .contracts import futures_contract
from .errors import RequestFailed
from .journal import JournalConflict, OrderIntent, parse_ref, purpose_of
from .native_orders import NativeOrders, is_native
from .order_types import OrderTerms, is_native_intent, oca_name, tif_of
from .orders import Acknowledged, Cancelled, Filled, MarginImpact, Rejected
from .pretrade import PreTradeChecks
from .safety import KillSwitch, LimitBreach
from .session import IBSession

log = logging.getLogger(__name__)

EPS = 1e-9


@dataclasses.dataclass(frozen=True)
class DryRunOrder:
    """An order a dry run would send, with IB's what-if margin impact (or why it has none)."""

    intent: OrderIntent
    margin: MarginImpact | None
    margin_error: str = ""


class IBBroker(PreTradeChecks, NativeOrders, bt.BrokerBase):
    """Backtrader broker over an ``IBSession``; ``dry_run`` computes orders and sends none.
    ``share_collateral`` and ``call_deadline_days`` mean what they mean to ``MarginBroker``
    (``margin_rules``); ``margin_model`` (a ``MarginModel``, default the bundled schedule) is
    ecore's side of the pre-trade initial-margin check; ``costs`` (a ``CostModel``, default the
    backtest's) and ``share_buys_need_cash`` its commission, slippage and cash (``pretrade``)."""

    params = (("share_collateral", 0.0), ("call_deadline_days", 1), ("margin_model", None),
              ("costs", None), ("share_buys_need_cash", True))

    def __init__(self, session: IBSession, dry_run: bool = False,
                 kill_switch: KillSwitch | None = None, retry_rejected: bool = False):
        super().__init__()
        # a same-day re-run sends an intent IB rejected earlier today again only when the
        # user says the cause is fixed (``--retry-rejected``); else it is held back and counted
        self.retry_rejected = retry_rejected
        self.held_back: list[tuple[str, str]] = []  # (orderRef rejected earlier, IB's reason)
        self.killed = 0  # our orders the kill switch cancelled
        self.session = session
        self.dry_run = dry_run
        self.kill_switch = kill_switch
        self.notifs: collections.deque = collections.deque()
        self.orders: list[bt.Order] = []  # orders of this process, oldest first
        self.dry_run_orders: list[DryRunOrder] = []
        self._dry_open: list[bt.Order] = []  # a dry run's computed orders: open as if sent
        self.refused: list[str] = []
        self.sent_refs: list[str] = []  # orderRefs sent by this process
        self.failed: list[bt.Order] = []  # orders not sent (connection, contract details)
        self.stopped = False
        self.kill_reason = ""
        self._snapshot_positions: dict[str, tuple[float, float]] | None = None
        self._working: dict[str, float] = {}
        self._planned: dict[str, float] = {}
        self._moving: dict[str, float] = {}
        self._own: dict[str, float] = {}
        self._claimed: set[str] = set()  # journal orders adopted by native orders of this run
        self._margin_per_contract: dict[tuple, tuple[float, float]] = {}
        self.margin_calls: list = []  # calls issued to the strategy (MarginCall)
        self.margin_notes: list[str] = []  # when IB's figures were the stricter ones
        self._what_if_gap = None  # (dollars, note): IB's what-if most above ecore's (pretrade)
        self._margin_checked = None
        self._spent = self._cash_spent = 0.0

    @property
    def _positions(self) -> dict[str, tuple[float, float]]:
        """The cycle's snapshot of IB's positions (IB's current ones before the first)."""
        if self._snapshot_positions is None:
            return self.session.positions()
        return self._snapshot_positions

    @property
    def dry_run_intents(self) -> list[OrderIntent]:
        return [d.intent for d in self.dry_run_orders]

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self):
        super().start()
        self.session.ensure_connected()
        self._snapshot()
        self._working_at_start = dict(self._working)
        # backtrader's end-of-run summary reads these; the account's value is IB's net liq.
        state = self.session.account_state()
        self.startingcash, self.startingvalue = state.cash, state.net_liquidation

    def _snapshot(self) -> None:
        """What the strategy decides on in this cycle: IB's positions and, for netting, what
        IB has in motion.  Taken once per cycle so that a fill arriving while the strategy
        decides cannot be counted twice (once in the position, once as still to fill)."""
        self._snapshot_positions = self.session.positions()
        self._working = self.session.working()
        self._planned = {}
        self._moving = {}
        self._own = self._own_working()
        self._spent = self._cash_spent = 0.0  # what this decision's orders take (pretrade)

    def _own_working(self) -> dict[str, float]:
        """Signed quantity still to fill of the netted orders this process sent in earlier
        cycles, by instrument: a later order of the same day adds to them (several orders on
        one instrument on one day are each sent), where a re-run is held to the day's target."""
        out: dict[str, float] = collections.defaultdict(float)
        journal = self.session.journal
        for ref in self.sent_refs:
            entry = journal.entry(ref)
            if entry is None or entry.status not in ("pending", "sent", "working") or \
                    is_native_intent(entry.intent) or entry.intent.legs:
                continue
            left = max(entry.intent.quantity - journal.filled(ref), 0.0)
            out[entry.intent.instrument] += math.copysign(left, entry.intent.signed_quantity)
        return dict(out)

    def next(self):
        """Called by cerebro every loop: kill switch, reconnect, IB's news, a new snapshot."""
        if self.stopped:
            return
        if self.kill_switch is not None and self.kill_switch.tripped:
            self.kill()
            return
        self.session.ensure_connected()
        for event in self.session.poll():
            self._apply(event)
        if self.session.ib.isConnected():
            self._snapshot()
            self._check_margin_call()

    def _check_margin_call(self) -> None:
        """Once per live bar, before the strategy decides: equity below maintenance issues a
        call, as the simulated broker's settlement does (``margin_rules``)."""
        from ...data.calendar import treasury_calendar
        from .margin_rules import margin_call_due

        datas = getattr(getattr(self, "cerebro", None), "datas", None) or []
        if not datas or any(d.islive() and d._laststatus != d.LIVE for d in datas):
            return
        days = [d.datetime.date(0) for d in datas if len(d)]
        if not days or max(days) == self._margin_checked:
            return
        day = self._margin_checked = max(days)
        call = margin_call_due(day, self.margin_equity(), self.session.account_state(),
                               treasury_calendar(), self.p.call_deadline_days)
        if call is None:
            return
        self.margin_calls.append(call)
        self.session.journal.record_margin_call(call)
        log.warning("%s", call)
        for strat in getattr(self.cerebro, "runningstrats", []) or []:
            hook = getattr(strat, "notify_margin_call", None)
            if callable(hook):
                hook(call)

    def kill(self) -> None:
        """Cancel our working orders of the configured account, one by one, and stop trading
        (``killed``: how many cancels IB confirmed)."""
        self.kill_reason = self.kill_switch.reason if self.kill_switch is not None else "kill"
        log.warning("kill switch (%s): cancelling our open orders of %s and stopping",
                    self.kill_reason, self.session.account)
        if not self.dry_run and self.session.ib.isConnected():
            self.killed = self.session.cancel_all()
            self.session.pump(0.05)
            for event in self.session.poll():  # journal the cancellations before stopping
                self._apply(event)
        self.stopped = True

    def orders_in_motion(self) -> dict[str, float]:
        """Orders of earlier runs still working at IB (signed quantity per instrument): a fresh
        process's strategy counts them as pending, as a backtest's strategy counts yesterday's
        orders that have not filled (Good Friday's share order waits for Monday)."""
        from .journal import LIVE

        datas = getattr(getattr(self, "cerebro", None), "datas", None) or []
        days = [d.datetime.date(0) for d in datas if len(d)]
        if not days:
            return {}
        today = max(days)
        # a re-run the same day decides again (its intents net with the day's first run's)
        earlier = {e.intent.instrument for e in self.session.journal.entries(LIVE)
                   if e.intent.day < today and e.status == "working"}
        start = getattr(self, "_working_at_start", {})
        return {k: v for k, v in self._working.items() if k in start and k in earlier and v}

    def idle(self) -> bool:
        """True when no order of this process is still on its way at IB (resting stops and
        limits of ``native_orders`` once acknowledged do not hold a ``--once`` run)."""
        return not any(o.alive() and not self._resting(o) for o in self.orders)

    def _resting(self, order) -> bool:
        """A native order other than a market order (a stop, a take-profit, a Close, a GTC
        limit of a bracket) that IB acknowledged: it waits for a price, not for this run."""
        if not order.info.get("native") or order.exectype in (None, bt.Order.Market):
            return False
        journal = self.session.journal
        return all((journal.entry(r) is not None and journal.entry(r).status == "working")
                   for r in order.info.get("refs", ()))

    def get_notification(self):
        return self.notifs.popleft() if self.notifs else None

    # -- account --------------------------------------------------------------------------------

    def account_state(self) -> AccountState:
        return self.session.account_state()

    def getcash(self):
        return self.session.account_state().cash

    def getvalue(self, datas=None):
        if not datas:
            return self.session.account_state().net_liquidation
        total = 0.0
        for d in datas:
            # a root feed's value is its net position at the held contract's price
            mult = spec(d._name).multiplier if self._is_root(d._name) else \
                self._multiplier(self._instrument(d, {}))
            total += self.getposition(d).size * d.close[0] * mult
        return total

    get_cash = getcash
    get_value = getvalue

    def margin_equity(self) -> float:
        """Equity backing margin (dollars), as ``MarginBroker.margin_equity``: cash plus
        ``share_collateral`` times the shares' value less shorts, or IB's figure when lower
        (noted in ``margin_notes``; see ``margin_rules``)."""
        from .margin_rules import margin_equity

        equity = margin_equity(self.session.account_state(), self.p.share_collateral,
                               self._shorts_value())
        if equity.source == "IB":
            note = equity.describe()
            if note not in self.margin_notes:
                self.margin_notes.append(note)
                log.info("%s", note)
        return equity.value

    def requirements(self, sizes: dict[str, int] | None = None, day=None) -> tuple[float, float]:
        """(maintenance, initial) margin in dollars of holding ``sizes`` (``{code: contracts}``;
        default the futures held), as ``MarginBroker.requirements``: contracts times IB's
        margin per contract, from a what-if order of one contract more than held (asked once
        per contract and day).  IB's portfolio margin of the whole book may be lower (spread
        offsets): the budget errs on the safe side.  Raises ``RequestFailed`` when IB does not
        answer the what-if."""
        sizes = self.contract_positions() if sizes is None else sizes
        day = day or dt.date.today()
        maintenance = initial = 0.0
        for code, q in sizes.items():
            if not q:
                continue
            init_per, maint_per = self._per_contract(code, day)
            initial += abs(q) * init_per
            maintenance += abs(q) * maint_per
        return maintenance, initial

    def _per_contract(self, code: str, day) -> tuple[float, float]:
        key = (code, day)
        if key not in self._margin_per_contract:
            held = self._positions.get(code, (0.0, 0.0))[0]
            impact = self.session.what_if(code, -1.0 if held < 0 else 1.0)
            self._margin_per_contract[key] = (abs(impact.initial_change),
                                              abs(impact.maintenance_change))
        return self._margin_per_contract[key]

    def contract_positions(self) -> dict[str, float]:
        """``{futures code: contracts}``, as ``MarginBroker.contract_positions()``."""
        return {k: v[0] for k, v in sorted(self._positions.items())
                if futures_contract(k) is not None}

    def share_positions(self) -> dict[str, float]:
        """``{ticker: shares}``, as ``MarginBroker.share_positions()``."""
        return {k: v[0] for k, v in sorted(self._positions.items())
                if futures_contract(k) is None}

    @property
    def positions(self):
        return self.contract_positions() | self.share_positions()

    def get_orders_open(self, safe=False):
        return [o.clone() if safe else o for o in self.orders + self._dry_open if o.alive()]

    def getposition(self, data):
        """IB's position for the feed's instrument; for a feed named for a futures root
        ("ZN"), the net position over all of that root's contracts, as ``MarginBroker``."""
        if self._is_root(data._name):
            size = sum(v[0] for k, v in self._positions.items()
                       if futures_contract(k) is not None and futures_contract(k).root == data._name)
            return bt.Position(size, 0.0)
        size, price = self._positions.get(self._instrument(data, {}), (0.0, 0.0))
        return bt.Position(size, price)

    @staticmethod
    def _is_root(name: str) -> bool:
        try:
            return spec(name).root == name
        except (ContractError, KeyError, ValueError):
            return False

    def orderstatus(self, order):
        return order.status

    # -- orders -----------------------------------------------------------------------------------

    def buy(self, owner, data, size, price=None, plimit=None, exectype=None, valid=None,
            tradeid=0, oco=None, trailamount=None, trailpercent=None, parent=None,
            transmit=True, **kwargs):
        order = bt.BuyOrder(owner=owner, data=data, size=size, price=price, pricelimit=plimit,
                            exectype=exectype, valid=valid, tradeid=tradeid, oco=oco,
                            parent=parent, transmit=transmit,
                            trailamount=trailamount, trailpercent=trailpercent)
        return self._submit(order, kwargs, valid)

    def sell(self, owner, data, size, price=None, plimit=None, exectype=None, valid=None,
             tradeid=0, oco=None, trailamount=None, trailpercent=None, parent=None,
             transmit=True, **kwargs):
        order = bt.SellOrder(owner=owner, data=data, size=size, price=price, pricelimit=plimit,
                             exectype=exectype, valid=valid, tradeid=tradeid, oco=oco,
                             parent=parent, transmit=transmit,
                             trailamount=trailamount, trailpercent=trailpercent)
        return self._submit(order, kwargs, valid)

    def cancel(self, order):
        if order.alive() and not self.dry_run:
            order.addinfo(cancel_asked=True)  # IB's Cancelled is then ours, not an expiry
            for ref in order.info.get("sent_refs", ()):
                self.session.cancel(ref)
        return order

    @staticmethod
    def _instrument(data, info) -> str:
        """``info["contract"]``, else a root feed's held contract, else the feed's IB
        instrument, else the feed's name."""
        if info.get("contract"):
            return info["contract"]
        if hasattr(data.lines, "held"):
            return contract_of(data._name, data.lines.held[0]).code
        return getattr(data.p, "instrument", None) or data._name

    @staticmethod
    def _reference_price(data, instrument: str) -> float:
        """The feed's price of what an order trades, for its notional: on a root feed
        (``ecore.brokers.ib.root_feed``) the contract it rolls into is priced by ``next_close``,
        any other contract of the root by the held contract's ``close``."""
        fut = futures_contract(instrument.split("/")[0])
        lines = data.lines
        if fut is not None and hasattr(lines, "next_close") and \
                fut.year * 100 + fut.month == int(lines.next[0]) and lines.next_close[0] > 0:
            return float(lines.next_close[0])
        return float(data.close[0])

    def _multiplier(self, instrument: str) -> float:
        fut = futures_contract(instrument)
        return float(fut.spec.multiplier) if fut is not None else 1.0

    def _reject(self, order, reason: str):
        order.addinfo(reason=reason)
        order.reject(self)
        self.notifs.append(order.clone())
        return order

    def _cancel_order(self, order, reason: str):
        order.addinfo(reason=reason)
        order.cancel()
        self.notifs.append(order.clone())
        return order

    def _target(self, day, instrument: str, purpose: str, delta: float, legs: tuple) -> float:
        """The position the intent aims for (for a spread: the day's spread quantity).

        The position the strategy saw, plus what this run's orders of earlier cycles still have
        to fill, plus what it ordered on the instrument this cycle.  On a same-day re-run, a
        strategy asking to go further than the last target an earlier run set (from where the
        day started: the position less the day's fills) is held to that target: a strategy that
        orders "100 more" on every run must not double its book.  Asking for less (or the other
        way) is honoured."""
        earlier = [e.intent.target for e in
                   self.session.journal.intent_orders(day, instrument, purpose)
                   if e.intent.target is not None and e.intent.order_ref not in self.sent_refs]
        if legs:
            return earlier[0] if earlier else delta
        seen = self._positions.get(instrument, (0.0, 0.0))[0]
        planned = self._planned.get(instrument, 0.0) + delta
        self._planned[instrument] = planned
        target = seen + self._own.get(instrument, 0.0) + planned
        if earlier:
            # the furthest an earlier run of the day went (its last target)
            first = earlier[-1]
            start = seen - self.session.journal.day_fills(day, instrument)
            if (first - start) * (target - start) > 0 and abs(target - start) > abs(first - start):
                target = first
        return target

    def _submit(self, order, info: dict, valid=None):
        order.addinfo(**info)
        # Trade bookkeeping in the strategy needs a commission scheme; commissions themselves
        # come from IB's reports, so this one charges nothing and only carries the multiplier.
        mult = self._multiplier(self._instrument(order.data, info))
        order.addcomminfo(bt.CommInfoBase(commission=0.0, mult=mult, stocklike=mult == 1.0,
                                          commtype=bt.CommInfoBase.COMM_FIXED))
        order.submit(self)
        self.notifs.append(order.clone())
        data = order.data
        instrument = self._instrument(data, info)
        if self.stopped or (self.kill_switch is not None and self.kill_switch.tripped):
            return self._reject(order, "kill switch tripped; nothing sent")
        if data._laststatus != data.LIVE:
            return self._reject(order, "order on a replayed (not live) bar; nothing sent")
        if is_native(order):  # stops, Close, brackets, OCO: IB's own order types
            return self._submit_native(order, info, valid, instrument, data.datetime.date(0))
        try:
            purpose = purpose_of(info.get("intent") or info.get("kind"))
        except ValueError as exc:
            return self._reject(order, str(exc))
        delta = float(order.size)
        day = data.datetime.date(0)
        limit = float(order.price) if order.exectype == bt.Order.Limit else None
        legs: tuple = ()
        mult = self._multiplier(instrument)
        if info.get("spread"):
            try:
                legs, instrument, mult = self._spread_legs(info["spread"])
            except ValueError as exc:
                return self._reject(order, str(exc))
        target = self._target(day, instrument, purpose, delta, legs)
        if legs:
            working = sum(e.intent.signed_quantity - math.copysign(
                self.session.journal.filled(e.intent.order_ref), e.intent.signed_quantity)
                for e in self.session.journal.intent_orders(day, instrument, purpose)
                if e.status in ("pending", "sent", "working"))
            filled = sum(math.copysign(self.session.journal.filled(e.intent.order_ref),
                                       e.intent.signed_quantity)
                         for e in self.session.journal.intent_orders(day, instrument, purpose))
            need = target - filled - working
        else:
            held = self._positions.get(instrument, (0.0, 0.0))[0]
            need = target - held - self._working.get(instrument, 0.0) - \
                self._moving.get(instrument, 0.0)
        rejected = [e for e in self.session.journal.intent_orders(day, instrument, purpose)
                    if e.status == "rejected"]
        if rejected and not self.retry_rejected:
            self.held_back.append((rejected[-1].intent.order_ref, rejected[-1].reason))
            return self._reject(order, f"already rejected today, not retried (run with "
                                f"--retry-rejected once the cause is fixed): "
                                f"{rejected[-1].reason}")
        order.addinfo(instrument=instrument, target=target, purpose=purpose,
                      refs=set(self.session.working_refs(instrument)) if not self.dry_run
                      else set(), sent_refs=[])
        # Working orders of earlier decisions (runs) that go the other way are brought down
        # rather than traded against.  Orders sent in this cycle are parts of one decision (the
        # strategy's order into a contract the roll keeper then rolls): the difference is sent.
        earlier = 0.0 if legs else self._working.get(instrument, 0.0)
        if abs(need) >= EPS and abs(earlier) >= EPS and (need > 0) != (earlier > 0):
            return self._reduce(order, instrument, need)
        if abs(need) < EPS or (need > 0) != (delta > 0):
            return self._nothing_to_send(order, instrument, need, delta)
        quantity = min(abs(need), abs(delta)) if not legs else abs(need)
        action = "BUY" if need > 0 else "SELL"
        # notional: the outright value of one leg (a spread's own price is near zero)
        price = self._reference_price(data, instrument) if legs or limit is None else limit
        ref = self._next_ref(day, instrument, purpose)
        terms = ""
        if limit is not None and not legs:  # GTC/GTD/DAY as backtrader's valid; oco= may join
            tif, good_till = tif_of(order, valid)
            terms = OrderTerms(tif=tif, good_till=good_till, oca_group=oca_name(ref),
                               oca_type=1).text()
        intent = OrderIntent(ref, day, instrument, action, quantity,
                             "LMT" if limit is not None else "MKT", limit,
                             notional=quantity * price * mult, legs=legs, purpose=purpose,
                             target=target, terms=terms)
        if self._margin_refused(order, intent, price, day, None if legs else limit):
            return order
        if self.dry_run:
            return self._dry_run(order, intent)
        try:
            self.session.submit(intent)
        except LimitBreach as exc:
            self.refused.append(str(exc))
            return self._reject(order, str(exc))
        except (ConnectionError, RequestFailed, JournalConflict) as exc:
            self.failed.append(order)
            return self._reject(order, f"not sent: {exc}")
        self._moving[instrument] = self._moving.get(instrument, 0.0) + intent.signed_quantity
        self.sent_refs.append(ref)
        return self._accepted(order, ref)

    def _accepted(self, order, ref: str):
        """``order`` went to IB as ``ref``: tracked, Accepted, told to the strategy."""
        order.info["refs"].add(ref)
        order.info["sent_refs"].append(ref)
        self.orders.append(order)
        order.accept(self)
        self.notifs.append(order.clone())
        return order

    def _reduce(self, order, instrument: str, need: float):
        """Orders in motion would pass the target: take the excess off ours."""
        if self.dry_run:
            return self._cancel_order(order, f"would reduce the working orders for {instrument} "
                                      f"by {abs(need):g}")
        taken = self.session.reduce(instrument, abs(need), "BUY" if need < 0 else "SELL")
        self._moving[instrument] = self._moving.get(instrument, 0.0) + math.copysign(taken, need)
        if abs(need) - taken >= EPS:
            # other clients' orders, or the target lies beyond the position: a later run
            self.failed.append(order)
            return self._cancel_order(
                order, f"orders working at IB for {instrument} pass the target by "
                f"{abs(need) - taken:g} that ecore cannot take off; a later run sends the rest")
        log.info("%s: working orders reduced by %g to the target %g", instrument, taken,
                 order.info["target"])
        if not order.info["refs"]:
            return self._cancel_order(order, f"nothing to send: {instrument} is at the target")
        self.orders.append(order)
        order.accept(self)
        self.notifs.append(order.clone())
        return order

    def _nothing_to_send(self, order, instrument: str, need: float, delta: float):
        """No order: IB already has the target, or working orders that reach (or pass) it."""
        refs = order.info["refs"]
        if abs(need) >= EPS and not self.dry_run:
            # working orders would take the account past the target: cancel ours
            for ref in sorted(refs):
                self.session.cancel(ref)
            self.failed.append(order)  # the account is not where the strategy wants it yet
            return self._cancel_order(
                order, f"working orders for {instrument} exceed the target by {abs(need):g}; "
                "cancelled them, a later run sends the difference")
        if refs and not self.dry_run:
            log.info("%s: orders already working at IB cover this order; nothing sent",
                     instrument)
            self.orders.append(order)
            order.accept(self)
            self.notifs.append(order.clone())
            return order
        return self._cancel_order(order, f"nothing to send: {instrument} already at or moving "
                                  "to the target")

    def _dry_run(self, order, intent: OrderIntent):
        order.addinfo(dry_ref=intent.order_ref)  # what a bracket child or OCO member links to
        try:
            self.session.limits.check(intent, self.session.journal)
        except LimitBreach as exc:
            self.refused.append(str(exc))
            return self._reject(order, str(exc))
        margin, error = None, ""
        if not intent.legs:
            try:
                margin = self.session.what_if(intent.instrument, intent.signed_quantity)
            except RequestFailed as exc:
                error = str(exc)
        self.dry_run_orders.append(DryRunOrder(intent, margin, error))
        # as if sent: later orders of this decision (the roll keeper's) net against it
        self._moving[intent.instrument] = self._moving.get(intent.instrument, 0.0) + \
            intent.signed_quantity
        self._dry_open.append(order)
        order.accept(self)
        self.notifs.append(order.clone())
        return order

    @staticmethod
    def _spread_legs(spread) -> tuple[tuple, str, float]:
        """Legs, instrument name ("ZNH25/ZNM25") and multiplier of a calendar spread."""
        if not isinstance(spread, (tuple, list)) or len(spread) != 2:
            raise ValueError(f"spread: {spread!r} must be (expiring code, next code)")
        first, second = (futures_contract(str(c)) for c in spread)
        if first is None or second is None or first.root != second.root or first >= second:
            raise ValueError(
                f"spread: {spread!r} must name two contracts of one root, nearer first")
        legs = ((first.code, 1, "SELL"), (second.code, 1, "BUY"))
        return legs, f"{first.code}/{second.code}", float(first.spec.multiplier)

    def _apply(self, event) -> None:
        ref = event.order_ref
        if isinstance(event, Filled):
            self._fill(event)
            return
        if isinstance(event, Acknowledged):
            return
        for order in self.orders:
            refs = order.info.get("refs", set())
            if ref not in refs or not order.alive():
                continue
            live = [r for r in refs if r != ref and self._is_live(r)]
            if live:
                continue
            if isinstance(event, Rejected):
                self._reject(order, f"IB error {event.code}: {event.reason}" if event.code
                             else event.reason)
            elif isinstance(event, Cancelled) and self._validity_ended(order, ref):
                self._expire(order, f"expired at IB ({event.reason}): {self._tif(ref)}")
            elif isinstance(event, Cancelled):
                self._cancel_order(order, f"cancelled at IB ({event.reason})")

    def _is_live(self, ref: str) -> bool:
        entry = self.session.journal.entry(ref)
        return entry is not None and entry.status in ("pending", "sent", "working")

    def _fill(self, event: Filled) -> None:
        report = event.report
        left = report.signed_shares
        parsed = parse_ref(event.order_ref)
        for order in self.orders:
            if abs(left) < EPS:
                break
            if not order.alive() or event.order_ref not in order.info.get("refs", set()):
                continue
            instrument = order.info.get("instrument", "")
            counted = instrument.split("/")[1] if "/" in instrument else instrument
            if report.instrument != counted:
                continue
            room = order.size - order.executed.size
            if (room > 0) != (left > 0):
                continue
            size = left if abs(left) <= abs(room) else room
            self._execute(order, size, report.price, report.commission or 0.0)
            left -= size
        if abs(left) >= EPS and parsed is not None:
            log.info("fill of %s (%g %s) for an order of an earlier run", event.order_ref,
                     report.signed_shares, report.instrument)

    def _execute(self, order, size: float, price: float, comm: float) -> None:
        instrument = order.info.get("instrument")
        if "/" in instrument:
            # a spread's size is counted on its second leg (bought when the spread is bought)
            instrument = instrument.split("/")[1]
        value = abs(size) * price * self._multiplier(instrument)
        psize = order.executed.size + size
        order.execute(order.data.datetime[0], size, price, 0, 0.0, 0.0, size, value, comm, 0.0,
                      0.0, psize, price)
        if abs(order.executed.size) >= abs(order.size) - EPS:
            order.completed()
        else:
            order.partial()
        self.notifs.append(order.clone())
