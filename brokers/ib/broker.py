"""``IBBroker``: a backtrader broker that trades an IB paper account through an ``IBSession``.

A strategy written for the simulated ``MarginBroker`` runs unchanged: ``buy``/``sell``/
``order_target_size`` on a feed, ``getposition``, ``getvalue``, ``getcash``, ``notify_order``.
What an order trades is decided the same way: ``info["contract"]`` (a futures code) if given -
any contract, qualified with IB on first use even when no feed carries it - else, on a root feed
(``IBRootFeed``, named "ZN"), the contract it holds that day, else the feed's name when it is a
futures code (``"ZNH25"``), else the feed's name as a ticker.

Orders are sent only on *live* bars: the feed replays recent history first (status DELAYED)
so indicators warm up, and an order created on a replayed bar is rejected, never sent.

A roll can go as one calendar-spread (combo/BAG) order: ``buy(data, size=n,
spread=("ZNH25", "ZNM25"))`` sells n of the first contract and buys n of the second in one
order (``sell`` rolls a short); a limit price is the spread in points (second minus first).

Each order becomes an ``OrderIntent`` whose ``orderRef`` is
``ecore-YYYYMMDD-INSTRUMENT-ACTION-SIZE`` (plus ``-TAG`` with ``info["intent"]="TAG"``), so
the same wish on the same day maps to the same journal row: after a restart the strategy asks
again and the broker answers with the existing IB order instead of sending a second one.
"""

from __future__ import annotations

import collections
import logging

import backtrader as bt

from ...data.feeds import contract_of
from ...data.contracts import ContractError, spec
from .contracts import futures_contract
from .journal import OrderIntent
from .safety import KillSwitch, LimitBreach
from .session import AccountState, Cancelled, Filled, IBSession, Rejected

log = logging.getLogger(__name__)


class IBBroker(bt.BrokerBase):
    """Backtrader broker over an ``IBSession``; ``dry_run`` computes orders and sends none."""

    def __init__(self, session: IBSession, dry_run: bool = False,
                 kill_switch: KillSwitch | None = None):
        super().__init__()
        self.session = session
        self.dry_run = dry_run
        self.kill_switch = kill_switch
        self.notifs: collections.deque = collections.deque()
        self.orders: dict[str, bt.Order] = {}  # order_ref -> order of this process
        self.dry_run_intents: list[OrderIntent] = []
        self.refused: list[str] = []
        self.stopped = False

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self):
        super().start()
        self.session.ensure_connected()
        # backtrader's end-of-run summary reads these; the account's value is IB's net liq.
        self.startingcash = self.session.account_state().cash
        self.startingvalue = self.session.account_state().net_liquidation

    def next(self):
        """Called by cerebro every loop: kill switch, reconnect, then IB's news as notifications."""
        if self.stopped:
            return
        if self.kill_switch is not None and self.kill_switch.tripped:
            self.kill()
            return
        self.session.ensure_connected()
        for event in self.session.poll():
            self._apply(event)

    def kill(self) -> None:
        """Cancel every open order at IB and stop trading."""
        log.warning("kill switch: cancelling all open orders and stopping")
        if not self.dry_run and self.session.ib.isConnected():
            self.session.cancel_all()
            self.session.pump(0.5)
            for event in self.session.poll():  # journal the cancellations before stopping
                self._apply(event)
        self.stopped = True

    def idle(self) -> bool:
        """True when no order of this process is still working at IB."""
        return not any(o.alive() for o in self.orders.values())

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
        """Equity backing margin (dollars): IB's net liquidation value."""
        return self.session.account_state().net_liquidation

    def contract_positions(self) -> dict[str, float]:
        """``{futures code: contracts}``, as ``MarginBroker.contract_positions()``."""
        return {k: v[0] for k, v in sorted(self.session.positions().items())
                if futures_contract(k) is not None}

    def share_positions(self) -> dict[str, float]:
        """``{ticker: shares}``, as ``MarginBroker.share_positions()``."""
        return {k: v[0] for k, v in sorted(self.session.positions().items())
                if futures_contract(k) is None}

    @property
    def positions(self):
        return self.contract_positions() | self.share_positions()

    def get_orders_open(self, safe=False):
        return [o.clone() if safe else o for o in self.orders.values() if o.alive()]

    def getposition(self, data):
        """IB's position for the feed's instrument; for a feed named for a futures root
        ("ZN"), the net position over all of that root's contracts, as ``MarginBroker``."""
        positions = self.session.positions()
        if self._is_root(data._name):
            size = sum(v[0] for k, v in positions.items()
                       if futures_contract(k) is not None and futures_contract(k).root == data._name)
            return bt.Position(size, 0.0)
        size, price = positions.get(self._instrument(data, {}), (0.0, 0.0))
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
                            parent=parent, transmit=transmit)
        return self._submit(order, kwargs)

    def sell(self, owner, data, size, price=None, plimit=None, exectype=None, valid=None,
             tradeid=0, oco=None, trailamount=None, trailpercent=None, parent=None,
             transmit=True, **kwargs):
        order = bt.SellOrder(owner=owner, data=data, size=size, price=price, pricelimit=plimit,
                             exectype=exectype, valid=valid, tradeid=tradeid, oco=oco,
                             parent=parent, transmit=transmit)
        return self._submit(order, kwargs)

    def cancel(self, order):
        ref = order.info.get("order_ref")
        if ref and order.alive() and not self.dry_run:
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

    def _submit(self, order, info: dict):
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
        if order.exectype not in (None, bt.Order.Market, bt.Order.Limit):
            return self._reject(order, "only market and limit orders are supported")
        action = "BUY" if order.isbuy() else "SELL"
        quantity = abs(float(order.size))
        day = data.datetime.date(0)
        limit = float(order.price) if order.exectype == bt.Order.Limit else None
        legs: tuple = ()
        mult = self._multiplier(instrument)
        if info.get("spread"):
            try:
                legs, instrument, mult = self._spread_legs(info["spread"])
            except ValueError as exc:
                return self._reject(order, str(exc))
        ref = OrderIntent.ref_for(day, instrument, action, quantity, info.get("intent"))
        # notional: the outright value of one leg (a spread's own price is near zero)
        price = self._reference_price(data, instrument) if legs or limit is None else limit
        intent = OrderIntent(ref, day, instrument, action, quantity,
                             "LMT" if limit is not None else "MKT", limit,
                             notional=quantity * price * mult, legs=legs)
        order.addinfo(order_ref=ref, instrument=instrument)
        if self.dry_run:
            try:
                self.session.limits.check(intent, self.session.journal)
            except LimitBreach as exc:
                self.refused.append(str(exc))
                return self._reject(order, str(exc))
            self.dry_run_intents.append(intent)
            order.accept(self)
            self.notifs.append(order.clone())
            return order
        try:
            entry = self.session.submit(intent)
        except LimitBreach as exc:
            self.refused.append(str(exc))
            return self._reject(order, str(exc))
        except ConnectionError as exc:
            return self._reject(order, f"not connected to IB, nothing sent ({exc})")
        self.orders[ref] = order
        if entry.status in ("rejected", "refused"):
            return self._reject(order, f"already {entry.status} today, not retried: {entry.reason}")
        order.accept(self)
        self.notifs.append(order.clone())
        for report in self.session.journal.executions(ref):
            self._execute(order, report)  # fills recorded by an earlier run of this intent
        if entry.status == "cancelled":
            order.cancel()
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
        order = self.orders.get(event.order_ref)
        if order is None:
            log.info("%s for an order of an earlier run: %s", type(event).__name__, event)
            return
        if isinstance(event, Filled):
            self._execute(order, event.report)
        elif isinstance(event, Rejected):
            self._reject(order, f"IB error {event.code}: {event.reason}")
        elif isinstance(event, Cancelled):
            order.cancel()
            self.notifs.append(order.clone())

    def _execute(self, order, report) -> None:
        instrument = order.info.get("instrument")
        if "/" in instrument:
            # a spread's size is counted on its second leg (bought when the spread is bought)
            instrument = instrument.split("/")[1]
        if report.instrument != instrument:
            return
        size = report.signed_shares
        price = report.price
        comm = report.commission or 0.0
        value = abs(size) * price * self._multiplier(instrument)
        psize = order.executed.size + size
        order.execute(order.data.datetime[0], size, price, 0, 0.0, 0.0, size, value, comm, 0.0,
                      0.0, psize, price)
        if abs(order.executed.size) >= abs(order.size) - 1e-9:
            order.completed()
        else:
            order.partial()
        self.notifs.append(order.clone())
