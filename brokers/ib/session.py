"""One connection to TWS / IB Gateway, with the journal: a complete picture before any order,
orders sent once, and everything IB reports recorded once.

``IBSession`` knows nothing of backtrader.  ``connect()`` opens the API socket and then asks IB,
each with its own time-out, for the account's positions, open orders (this client's and every
client's), completed orders, account values and executions; if any of them goes unanswered it
stops (``IncompletePicture``) before a single order, because an order computed on a partial
picture can double a book.  It refuses any account that is not an IB paper account (``DU...``),
then reconciles the journal with what IB reported: orders IB never received are ``lost``,
orders that ended while we were away are closed with their fills, and fills IB no longer reports
(IB Gateway keeps executions only since midnight) are inferred from completed orders or from the
change in positions.

``poll()`` reports what happened since the last call as events (``Filled``, ``Acknowledged``,
``Rejected``, ``Cancelled``), read from the client library's state, classified by ecore itself
(``errors.py``) so that both libraries mean the same thing.  After IB's notices 1101/1102 the
session asks for executions and open orders again.

Written only against the API ``ib_insync`` and ``ib_async`` share (see ``client.py``).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import time
import types
from dataclasses import dataclass, field

from .account import AccountState, account_state, has_values
from .contracts import ContractBook, instrument_of
from .errors import (CLIENT_ID_IN_USE, CONNECTIVITY_CODES, ClientIdInUse, GatewayUnreachable,
                     IncompletePicture, PaperAccountRequired, RequestFailed, describe, is_warning)
from .journal import (LIVE, ExecutionReport, Journal, JournalEntry, OrderIntent, exec_key,
                      parse_ref)
from .safety import SafetyLimits

log = logging.getLogger(__name__)

__all__ = ["ConnectionSettings", "IBSession", "Filled", "Acknowledged", "Rejected", "Cancelled",
           "MarginImpact", "PaperAccountRequired", "LivePortRefused", "is_warning"]

UNACKED = ("PendingSubmit", "ApiPending", "")
ACTIVE = ("PendingSubmit", "ApiPending", "PreSubmitted", "Submitted", "PendingCancel",
          "ValidationError", "")
ENDED = ("Cancelled", "ApiCancelled", "Inactive")
UNSET_DOUBLE = 1.7976931348623157e308

# IB's live-trading sockets: ecore paper never talks to them.
LIVE_PORTS = {7496: "TWS live-trading", 4001: "IB Gateway live-trading"}


class LivePortRefused(ValueError):
    """The configured port is one of IB's live-trading ports."""


@dataclass(frozen=True)
class ConnectionSettings:
    """Where TWS / IB Gateway listens (7497 = TWS paper, 4002 = Gateway paper) and how long to
    wait: ``timeout`` for the socket and API handshake, ``request_timeout`` for each request
    (seconds)."""

    host: str = "127.0.0.1"
    port: int = 7497
    client_id: int = 1
    account: str = ""
    timeout: float = 10.0
    readonly: bool = False
    request_timeout: float = 10.0

    def __post_init__(self):
        if isinstance(self.port, bool) or not isinstance(self.port, int) or \
                not 0 < self.port < 65536:
            raise ValueError(f"port: {self.port!r} is not a TCP port number")
        if self.port in LIVE_PORTS:
            raise LivePortRefused(
                f"port: {self.port} is the {LIVE_PORTS[self.port]} port; ecore paper trades only "
                "paper accounts (TWS paper 7497, IB Gateway paper 4002)")
        if isinstance(self.client_id, bool) or not isinstance(self.client_id, int) or \
                self.client_id < 0:
            raise ValueError(f"client_id: {self.client_id!r} must be a non-negative integer")
        if self.account and not self.account.startswith("DU"):
            raise PaperAccountRequired(
                f"account: {self.account!r} is not a paper account (paper accounts start with DU)")
        for name in ("timeout", "request_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    not 0 < value < math.inf:
                raise ValueError(f"{name}: {value!r} must be a positive number of seconds")


@dataclass(frozen=True)
class Filled:
    """An execution for one of our orders (``report.shares`` > 0, side BOT/SLD)."""

    order_ref: str
    report: ExecutionReport


@dataclass(frozen=True)
class Acknowledged:
    """IB accepted the order (status ``status``: Submitted, PreSubmitted...)."""

    order_ref: str
    status: str


@dataclass(frozen=True)
class Rejected:
    """IB rejected the order; ``reason`` is IB's text, ``code`` its error code."""

    order_ref: str
    reason: str
    code: int


@dataclass(frozen=True)
class Cancelled:
    order_ref: str
    reason: str


@dataclass(frozen=True)
class MarginImpact:
    """IB's what-if answer for one order: change of initial and maintenance margin and the
    commission, dollars (of the account's base currency)."""

    initial_change: float
    maintenance_change: float
    commission: float | None


def _float(text) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return None if not math.isfinite(value) or abs(value) >= UNSET_DOUBLE * 0.99 else value


def real_status(trade) -> str:
    """The order's last status as IB sent it (the libraries overwrite ``orderStatus.status``
    with ``Cancelled`` or ``ValidationError`` on errors that do not end the order)."""
    for entry in reversed(trade.log):
        if not entry.errorCode and entry.status:
            return entry.status
    return trade.orderStatus.status


@dataclass
class IBSession:
    """A connection plus journal. ``lib`` is the client module (``client_library()``).

    ``dry_run`` sessions never place an order (what-if queries only) and keep the journal as
    they found it.
    """

    settings: ConnectionSettings
    journal: Journal
    lib: types.ModuleType
    contracts: ContractBook | None = None
    limits: SafetyLimits = field(default_factory=SafetyLimits)
    reconnect_interval: float = 2.0  # seconds between reconnection attempts
    client_id_retries: int = 2  # connection attempts more when IB says the client id is in use
    client_id_pause: float = 0.5  # seconds between them
    dry_run: bool = False
    account: str = ""
    connects: int = 0
    warnings: list = field(default_factory=list)  # (id, code, text) logged, not acted on

    def __post_init__(self):
        self.ib = self.lib.IB()
        self.ib.RequestTimeout = self.settings.request_timeout
        if self.contracts is None:
            self.contracts = ContractBook(self.lib)
        self.ib.errorEvent += self._on_error
        self.errors: dict[int, list[tuple[int, str]]] = collections.defaultdict(list)
        self.contract_errors: dict[int, tuple[int, str]] = {}  # conId -> last request error
        self.link_lost = False
        self._reconcile_due = False
        self._last_attempt = float("-inf")
        self._sent_at: dict[str, float] = {}
        self._fill_state: dict[str, tuple] = {}  # execId -> (shares, price, commission) seen
        self._left_alone: set[int] = set()
        self._backlog: list = []

    # -- connection -------------------------------------------------------------------------------

    @property
    def request_timeout(self) -> float:
        return self.settings.request_timeout

    def connect(self) -> None:
        """Connect, check the account, fetch the complete picture, reconcile the journal.

        Raises ``GatewayUnreachable``, ``ClientIdInUse``, ``PaperAccountRequired`` or
        ``IncompletePicture``; the connection is closed when it does.
        """
        self.link_lost = False
        for attempt in range(self.client_id_retries + 1):
            try:
                self.lib.util.run(self._connect())
                break
            except ClientIdInUse:
                # a process that just disconnected may hold the id for a moment
                if attempt == self.client_id_retries:
                    raise
                time.sleep(self.client_id_pause)
        self.connects += 1
        self.reconcile()

    async def _connect(self) -> None:
        s = self.settings
        ib = self.ib
        ib.wrapper.reset()  # ib_insync keeps the last session's trades and fills otherwise
        ib.wrapper.clientId = s.client_id
        self.errors.clear()
        refused = lambda: any(code == CLIENT_ID_IN_USE  # noqa: E731
                              for code, _ in self.errors.get(-1, []))
        task = asyncio.ensure_future(ib.client.connectAsync(s.host, s.port, s.client_id,
                                                            s.timeout))
        try:
            # IB answers 326 and closes the socket; the libraries would wait out the time-out
            while not task.done() and not refused():
                await asyncio.wait([task], timeout=0.02)
            if not task.done():
                task.cancel()
                raise ConnectionError("client id in use")
            task.result()
        except (asyncio.TimeoutError, TimeoutError, ConnectionError, OSError,
                asyncio.CancelledError) as exc:
            ib.disconnect()
            if refused():
                raise ClientIdInUse(
                    f"client id {s.client_id} is already in use at {s.host}:{s.port} (IB error "
                    "326): another program or an earlier ecore run is connected with it; use "
                    "another client_id or stop that program") from None
            raise GatewayUnreachable(
                f"cannot reach TWS/IB Gateway at {s.host}:{s.port} ({type(exc).__name__}"
                f"{': ' + str(exc) if str(exc) else ''}); is it running with the API enabled "
                "on this port?") from None
        try:
            self.account = self._paper_account()
            await self._fetch_picture()
        except BaseException:
            ib.disconnect()
            raise
        log.info("connected to %s:%s as client %s, account %s (server version %s)", s.host,
                 s.port, s.client_id, self.account, ib.client.serverVersion())

    def _paper_account(self) -> str:
        s = self.settings
        accounts = list(self.ib.client.getAccounts())
        account = s.account or (accounts[0] if len(accounts) == 1 else "")
        if not account:
            raise PaperAccountRequired(
                f"account: several accounts {accounts}; name the paper (DU...) account to use")
        if not account.startswith("DU") or account not in accounts:
            raise PaperAccountRequired(
                f"account: {account!r} is not a paper account (paper accounts start with DU); "
                "ecore paper never trades a live account")
        return account

    async def _ask(self, requests: dict) -> list[str]:
        """Run the named requests concurrently, each with the request time-out; the names of
        those not answered."""
        t = self.request_timeout
        results = await asyncio.gather(*(asyncio.wait_for(r, t) for r in requests.values()),
                                       return_exceptions=True)
        missing = []
        for name, result in zip(requests, results):
            if isinstance(result, BaseException):
                if not self.ib.isConnected():
                    raise ConnectionError(f"IB closed the connection while answering {name}")
                missing.append(name)
        return missing

    async def _fetch_picture(self) -> None:
        ib = self.ib
        missing = await self._ask({
            "positions (reqPositions)": ib.reqPositionsAsync(),
            "open orders (reqOpenOrders)": ib.reqOpenOrdersAsync(),
            "completed orders (reqCompletedOrders)": ib.reqCompletedOrdersAsync(False),
            "account values (reqAccountUpdates)": ib.reqAccountUpdatesAsync(self.account),
        })
        # one 'openOrders' request at a time: the libraries key both by that name
        missing += await self._ask({"every client's open orders (reqAllOpenOrders)":
                                    ib.reqAllOpenOrdersAsync()})
        # executions last, once every order they refer to is known
        missing += await self._ask({"executions (reqExecutions)": ib.reqExecutionsAsync()})
        if not any(m.startswith("account values") for m in missing) and \
                not has_values(ib.accountValues(), self.account):
            missing.append(f"account values of {self.account} (reqAccountUpdates)")
        if missing:
            hint = ""
            if any(m.startswith("completed orders") for m in missing):
                hint = " (IB does not answer it when the API is Read-Only)"
            raise IncompletePicture(
                f"IB did not answer within {self.request_timeout:g} s: {', '.join(missing)}"
                f"{hint}; nothing was sent (ecore trades only on a complete picture)")

    def ensure_connected(self) -> bool:
        """Reconnect if the connection dropped; True if a (re)connection happened.

        After a first successful connection, a failed reconnection is logged and retried on a
        later call (at most every ``reconnect_interval`` seconds) instead of raising, so an
        unattended run rides out a TWS restart.
        """
        if self.ib.isConnected():
            return False
        if not self.connects:
            self.connect()
            return True
        now = time.monotonic()
        if now - self._last_attempt < self.reconnect_interval:
            return False
        self._last_attempt = now
        log.warning("connection to IB lost; reconnecting")
        try:
            self.connect()
        except (ConnectionError, OSError, TimeoutError, IncompletePicture) as exc:
            log.error("reconnection failed (%s); will retry", exc)
            return False
        return True

    @property
    def ready(self) -> bool:
        """Connected, with IB's link to its servers up: orders may be sent."""
        return self.ib.isConnected() and not self.link_lost

    def disconnect(self) -> None:
        if self.ib.isConnected():
            try:
                self.pump(0.02)
                self.poll()
                self.checkpoint()
            except (ConnectionError, OSError):
                pass
        self.ib.disconnect()

    def pump(self, seconds: float = 0.0) -> None:
        """Let the client library process incoming messages for ``seconds``."""
        if not self.ib.isConnected():
            time.sleep(seconds)
            return
        try:
            self.ib.sleep(seconds)
        except ConnectionError as exc:
            # the socket closed while we waited; the next ensure_connected() reconnects
            log.warning("IB connection closed: %s", exc)

    def _on_error(self, req_id, code, text, contract=None, *rest) -> None:
        code = int(code)
        self.errors[int(req_id)].append((code, text))
        if contract is not None and getattr(contract, "conId", 0):
            self.contract_errors[contract.conId] = (code, text)
        if code in CONNECTIVITY_CODES:
            log.warning("IB %s: %s", code, text)
            self.link_lost = code == 1100
            if code in (1101, 1102):
                self._reconcile_due = True
        elif is_warning(code):
            log.info("IB warning %s (id %s): %s", code, req_id, text)
            self.warnings.append((req_id, code, text))
        else:
            log.error("IB error %s (id %s): %s", code, req_id, text)

    # -- requests ---------------------------------------------------------------------------------

    def run(self, awaitable, what: str):
        """Await one request with the request time-out; ``RequestFailed`` naming ``what``."""
        try:
            return self.lib.util.run(asyncio.wait_for(awaitable, self.request_timeout))
        except (asyncio.TimeoutError, TimeoutError):
            raise RequestFailed(f"IB did not answer {what} within {self.request_timeout:g} s") \
                from None

    def qualify(self, instrument: str):
        """The qualified IB contract of ``instrument`` (cached), within the request time-out."""
        try:
            return self.contracts.qualify(self.ib, instrument)
        except (asyncio.TimeoutError, TimeoutError):
            raise RequestFailed(f"IB did not answer the contract details of {instrument} within "
                                f"{self.request_timeout:g} s") from None

    def what_if(self, instrument: str, signed_quantity: float) -> MarginImpact:
        """IB's margin change for an order of ``signed_quantity`` of ``instrument`` (what-if:
        nothing is placed). Raises ``RequestFailed`` with IB's code and text."""
        contract = self.qualify(instrument)
        order = self.lib.MarketOrder("BUY" if signed_quantity > 0 else "SELL",
                                     abs(signed_quantity), account=self.account)
        for _ in range(3):  # IB often answers first with unset (E308) values
            before = {k: len(v) for k, v in self.errors.items()}
            state = self.run(self.ib.whatIfOrderAsync(contract, order),
                             f"the what-if order for {instrument}")
            if not state:
                new = [e for k, v in self.errors.items() for e in v[before.get(k, 0):]
                       if not is_warning(e[0])]
                code, text = new[-1] if new else (None, "no answer")
                raise RequestFailed(f"what-if order for {instrument} refused: "
                                    f"{describe(code, text) if code else text}", code)
            initial = _float(state.initMarginChange)
            maintenance = _float(state.maintMarginChange)
            if initial is not None and maintenance is not None:
                return MarginImpact(initial, maintenance, _float(state.commission))
        raise RequestFailed(f"what-if order for {instrument}: IB sent no margin values")

    # -- account ----------------------------------------------------------------------------------

    def account_state(self) -> AccountState:
        return account_state(self.ib.accountValues(), self.account)

    def positions(self) -> dict[str, tuple[float, float]]:
        """``{instrument: (size, average price)}`` of what ecore trades (shares and futures of
        our contract table, in dollars), keyed by IB's conId; price in points or $/share.
        Anything else the account holds is logged once and left alone."""
        out: dict[str, tuple[float, float]] = {}
        for p in self.ib.positions():
            size = float(p.position)
            if p.account != self.account or not size:
                continue
            inst = instrument_of(p.contract)
            if inst is None:
                if p.contract.conId not in self._left_alone:
                    self._left_alone.add(p.contract.conId)
                    log.info("position left alone (not traded by ecore): %s %s %g",
                             p.contract.secType, p.contract.localSymbol or p.contract.symbol, size)
                continue
            mult = _float(p.contract.multiplier) or 1.0
            if inst in out:  # two conIds under one name: never merge silently
                raise RuntimeError(f"two IB contracts map to {inst}: conId {p.contract.conId}")
            out[inst] = (size, float(p.avgCost) / mult)
        return out

    def working(self) -> dict[str, float]:
        """Signed quantity still to fill of every working order of the account, by instrument
        (any client's, as IB reported them), plus our orders IB has not acknowledged yet."""
        out: dict[str, float] = collections.defaultdict(float)
        seen = set()
        for trade in self.ib.trades():
            status = real_status(trade)
            if status not in ACTIVE or trade.orderStatus.status in ("Filled",):
                continue
            ref = trade.order.orderRef
            entry = self.journal.entry(ref) if ref else None
            if entry is not None and entry.status not in LIVE:
                continue  # ended for us (rejected, cancelled) whatever the library says
            name = instrument_of(trade.contract) if trade.contract.secType != "BAG" else (
                parse_ref(ref)[1] if parse_ref(ref) else None)
            if name is None:
                continue
            # a correction is another fill to the libraries: count each execution once
            executions = {exec_key(f.execution.execId): float(f.execution.shares)
                          for f in sorted(trade.fills, key=lambda f: f.execution.execId)
                          if instrument_of(f.contract) == name or trade.contract.secType == "BAG"}
            done = max(float(trade.orderStatus.filled or 0.0), sum(executions.values()))
            left = max(float(trade.order.totalQuantity) - done, 0.0)
            out[name] += left if trade.order.action == "BUY" else -left
            if ref:
                seen.add(ref)
        for entry in self.journal.entries(("pending", "sent")):
            if entry.intent.order_ref not in seen:
                left = entry.intent.quantity - self.journal.filled(entry.intent.order_ref)
                out[entry.intent.instrument] += math.copysign(max(left, 0.0),
                                                              entry.intent.signed_quantity)
        return dict(out)

    def _left(self, trade, name: str) -> float:
        """Quantity of ``trade`` still to fill (each execution counted once)."""
        executions = {exec_key(f.execution.execId): float(f.execution.shares)
                      for f in sorted(trade.fills, key=lambda f: f.execution.execId)
                      if instrument_of(f.contract) == name}
        done = max(float(trade.orderStatus.filled or 0.0), sum(executions.values()))
        return max(float(trade.order.totalQuantity) - done, 0.0), done

    def reduce(self, instrument: str, quantity: float, action: str) -> float:
        """Take up to ``quantity`` off our working ``action`` ("BUY" or "SELL") orders on
        ``instrument``, newest first: a smaller quantity (IB's order modification), or a cancel
        when nothing would remain.  Returns the quantity IB confirmed taken off, within the
        request time-out: an order that filled before the cancel or modification reached IB,
        or one IB did not answer about, counts as still going (an order sent on the strength of
        a cancel that never happened could pass the target)."""
        left = quantity
        asked = []  # (trade, quantity before, quantity asked for or None to cancel, log length)
        for trade in reversed(list(self.ib.trades())):
            if left < 1e-9:
                break
            ref = trade.order.orderRef
            entry = self.journal.entry(ref) if ref else None
            if entry is None or entry.status not in LIVE or entry.intent.legs or \
                    entry.intent.instrument != instrument or real_status(trade) not in ACTIVE or \
                    trade.order.clientId != self.settings.client_id or \
                    trade.order.action != action:
                continue
            remaining, done = self._left(trade, instrument)
            cut = min(left, remaining)
            if cut < 1e-9:
                continue
            before = float(trade.order.totalQuantity)
            total = before - cut
            if total <= done + 1e-9:
                logged = len(trade.log)
                self.ib.cancelOrder(trade.order)
                asked.append((trade, before, None, logged))
                log.info("%s cancelled: a later decision wants less", ref)
            else:
                logged = len(trade.log)
                trade.order.totalQuantity = total
                self.ib.placeOrder(trade.contract, trade.order)  # a modification, same order
                asked.append((trade, before, total, logged))
                self.journal.set_quantity(ref, total, reason=f"reduced by {cut:g} to {total:g} "
                                          "by a later decision")
                log.info("%s reduced by %g to %g: a later decision wants less", ref, cut, total)
            left -= cut
        return self._confirmed_cut(instrument, asked)

    def _confirmed_cut(self, instrument: str, asked: list) -> float:
        """How much of the cancels and modifications ``asked`` IB confirmed, waiting up to the
        request time-out.  Each is (trade, quantity before, quantity asked for or None for a
        cancel, length of the trade's log when asked)."""
        def refused(trade, logged) -> bool:
            return any(e.errorCode and not is_warning(e.errorCode) and e.errorCode != 202
                       for e in trade.log[logged:])

        def answered(trade, total, logged) -> bool:
            status = real_status(trade)
            if status in ENDED or status == "Filled" or refused(trade, logged):
                return True
            if total is None:
                return False  # a cancel: IB answers Cancelled (or the order fills first)
            _, done = self._left(trade, instrument)
            # IB's order status after a modification reports the new quantity (filled +
            # remaining); until it answers, the libraries still hold the old one.
            reported = float(trade.orderStatus.filled or 0.0) + \
                float(trade.orderStatus.remaining or 0.0)
            return done >= total - 1e-9 or abs(reported - total) < 1e-9

        deadline = time.monotonic() + self.request_timeout
        while not all(answered(t, total, n) for t, _, total, n in asked) and \
                time.monotonic() < deadline and self.ib.isConnected():
            self.pump(0.02)
        taken = 0.0
        for trade, before, total, logged in asked:
            _, done = self._left(trade, instrument)
            if real_status(trade) in ENDED:
                taken += before - done  # cancelled: what had not filled is gone
            elif total is not None and answered(trade, total, logged) and \
                    not refused(trade, logged):
                taken += before - max(total, done)
            elif real_status(trade) != "Filled":
                log.warning("%s: IB did not confirm the reduction within %g s; counted as still "
                            "working", trade.order.orderRef, self.request_timeout)
        return taken

    def working_refs(self, instrument: str) -> set[str]:
        """orderRefs of our live orders on ``instrument`` (their fills serve today's intents)."""
        refs = {e.intent.order_ref for e in self.journal.entries(LIVE, instrument=instrument)}
        for trade in self.ib.trades():
            ref = trade.order.orderRef
            if ref and parse_ref(ref) and parse_ref(ref)[1] == instrument and \
                    real_status(trade) in ACTIVE:
                refs.add(ref)
        return refs

    # -- orders -----------------------------------------------------------------------------------

    def submit(self, intent: OrderIntent) -> JournalEntry:
        """Store ``intent`` (a new orderRef) and send it; returns its journal entry.

        Raises ``LimitBreach`` (journalled ``refused``) over a limit, ``ConnectionError`` when
        not connected (nothing stored).  A dry-run session never gets here.
        """
        if self.dry_run:
            raise RuntimeError("a dry run sends no order")
        if self.journal.entry(intent.order_ref) is not None:
            raise RuntimeError(f"{intent.order_ref} is already in the journal; never sent twice")
        from .safety import LimitBreach

        if not self.ready:
            raise ConnectionError("not connected to IB" if not self.ib.isConnected() else
                                  "IB lost its connection to its servers (1100)")
        contract, order = self._ib_order(intent)
        try:
            self.limits.check(intent, self.journal)
        except LimitBreach as exc:
            log.error("refused: %s", exc)
            self.journal.add_order(intent)
            self.journal.mark(intent.order_ref, "refused", reason=str(exc))
            raise
        if not intent.legs and self.journal.checkpoint(intent.instrument) is None:
            # where the position stood, should IB forget the order before we hear of it
            held = self.positions().get(intent.instrument, (0.0, 0.0))[0]
            self.journal.set_checkpoints({intent.instrument: held})
        self.journal.add_order(intent)  # on disk before it can reach IB
        try:
            trade = self.ib.placeOrder(contract, order)
        except ConnectionError:
            # the client refuses before writing to the socket: IB never saw this order
            self.journal.mark(intent.order_ref, "lost", reason="not connected")
            raise
        self._sent_at[intent.order_ref] = time.monotonic()
        self.journal.mark(intent.order_ref, "sent", order_id=trade.order.orderId)
        log.info("sent %s: %s %g %s (order id %s)", intent.order_ref, intent.action,
                 intent.quantity, intent.instrument, trade.order.orderId)
        return self.journal.entry(intent.order_ref)

    def _ib_order(self, intent: OrderIntent):
        lib = self.lib
        if intent.legs:
            legs = []
            for instrument, ratio, action in intent.legs:
                leg = self.qualify(instrument)
                legs.append(lib.ComboLeg(conId=leg.conId, ratio=abs(int(ratio)), action=action,
                                         exchange=leg.exchange))
            first = self.qualify(intent.legs[0][0])
            contract = lib.Contract(secType="BAG", symbol=first.symbol, exchange=first.exchange,
                                    currency="USD", comboLegs=legs)
        else:
            contract = self.qualify(intent.instrument)
        common = dict(orderRef=intent.order_ref, account=self.account, tif="DAY")
        if intent.order_type == "LMT":
            order = lib.LimitOrder(intent.action, intent.quantity, intent.limit_price, **common)
        else:
            order = lib.MarketOrder(intent.action, intent.quantity, **common)
        return contract, order

    def cancel(self, order_ref: str) -> bool:
        """Ask IB to cancel the working order ``order_ref``; False if none is working."""
        for trade in self.ib.trades():
            if trade.order.orderRef == order_ref and real_status(trade) in ACTIVE:
                self.ib.cancelOrder(trade.order)
                return True
        return False

    def cancel_all(self) -> None:
        """Cancel every open order of the account (IB's global cancel)."""
        self.ib.reqGlobalCancel()

    def unconfirmed(self) -> list[str]:
        """Our orders sent more than a request time-out ago that IB has not acknowledged."""
        now = time.monotonic()
        return [e.intent.order_ref for e in self.journal.entries(("sent",))
                if now - self._sent_at.get(e.intent.order_ref, now) > self.request_timeout]

    # -- reconciliation ---------------------------------------------------------------------------

    def _trades_by_ref(self) -> dict[str, list]:
        out = collections.defaultdict(list)
        for t in self.ib.trades():
            if t.order.orderRef:
                out[t.order.orderRef].append(t)
        return out

    def reconcile(self) -> None:
        """Align the journal with IB's complete picture after (re)connecting.

        Fills IB reports are recorded first.  Then each order the journal still has as live is
        ``working`` if IB lists it open, closed as IB's completed orders say, ``filled`` when its
        fills cover it, ``lost`` if it never was acknowledged and IB knows nothing of it (it may
        be sent again under a new orderRef); an acknowledged order IB no longer reports ended on
        an earlier day: its fills are inferred from the change in positions since the journal
        last saw them, or the order is marked ``unknown``.
        """
        self._backlog += self.poll()  # handed to the broker by the next poll
        by_ref = self._trades_by_ref()
        vanished: dict[str, list[JournalEntry]] = collections.defaultdict(list)
        for entry in self.journal.entries(LIVE):
            ref = entry.intent.order_ref
            trades = by_ref.get(ref, [])
            statuses = [real_status(t) for t in trades]
            filled = self.journal.filled(ref)
            perm = next((t.order.permId for t in trades if t.order.permId), None)
            if filled >= entry.intent.quantity - 1e-9:
                self.journal.mark(ref, "filled", perm_id=perm)
            elif any(s in ACTIVE and s not in UNACKED for s in statuses):
                self.journal.mark(ref, "working", perm_id=perm)
            elif "Filled" in statuses or any(s in ENDED for s in statuses):
                done = max([float(getattr(t.order, "filledQuantity", 0) or 0) for t in trades]
                           + [float(t.orderStatus.filled or 0) for t in trades])
                if done > filled + 1e-9:
                    self._infer_fill(entry, done - filled, "IB's completed orders")
                if done >= entry.intent.quantity - 1e-9:
                    self.journal.mark(ref, "filled", perm_id=perm)
                else:
                    status = "Inactive" if "Inactive" in statuses else "Cancelled"
                    self.journal.mark(ref, "cancelled", perm_id=perm,
                                      reason=f"IB reports it {status} (completed orders)")
            elif trades and entry.status == "working":
                self.journal.mark(ref, "working", perm_id=perm)
            else:
                # IB knows nothing of it: never received (lost), or ended before IB's memory
                # (executions and completed orders since midnight): the positions tell
                vanished[entry.intent.instrument].append(entry)
        if vanished:
            self._infer_vanished(vanished)
        self.checkpoint()

    def _infer_fill(self, entry: JournalEntry, quantity: float, source: str) -> None:
        ref = entry.intent.order_ref
        legs = entry.intent.legs or ((entry.intent.instrument, 1, entry.intent.action),)
        for i, (instrument, ratio, action) in enumerate(legs):
            report = ExecutionReport(
                f"inferred:{ref}:{i}", ref, instrument, "BOT" if action == "BUY" else "SLD",
                quantity * abs(ratio), float("nan"), "", None, "inferred")
            self.journal.record_fill(report)
        log.warning("%s: %g filled while ecore was away; IB no longer reports the execution, "
                    "recorded from %s (price unknown)", ref, quantity, source)

    def _infer_vanished(self, vanished: dict[str, list[JournalEntry]]) -> None:
        positions = {k: v[0] for k, v in self.positions().items()}
        for instrument, entries in vanished.items():
            expected = sum(math.copysign(e.intent.quantity - self.journal.filled(e.intent.order_ref),
                                         e.intent.signed_quantity) for e in entries)
            cp = self.journal.checkpoint(instrument)
            moved = None if cp is None else positions.get(instrument, 0.0) - cp[0] - cp[1]
            for e in entries:
                ref = e.intent.order_ref
                if moved is not None and abs(moved - expected) < 1e-9 and abs(moved) > 1e-9:
                    self._infer_fill(e, e.intent.quantity - self.journal.filled(ref),
                                     "the change in IB's positions")
                    self.journal.mark(ref, "filled")
                elif (moved is not None and abs(moved) < 1e-9) or (
                        moved is None and e.status in ("pending", "sent")):
                    if e.status in ("pending", "sent"):
                        log.warning("%s: IB never acknowledged it and has no trace of it; "
                                    "marked lost", ref)
                        self.journal.mark(ref, "lost", reason="IB has no trace of it")
                    else:
                        self.journal.mark(ref, "cancelled", reason="no longer at IB and the "
                                          "position did not move: it expired unfilled")
                else:
                    why = "no position recorded before" if moved is None else \
                        f"position moved by {moved:g}, its orders by {expected:g}"
                    log.warning("%s: IB no longer reports it and %s; marked unknown", ref, why)
                    self.journal.mark(ref, "unknown", reason=f"IB no longer reports it; {why}")

    def checkpoint(self) -> None:
        """Remember IB's positions with the fills recorded so far (to infer later fills)."""
        if self.journal.read_only:
            return
        positions = {k: v[0] for k, v in self.positions().items()}
        names = set(positions) | {e.intent.instrument for e in self.journal.entries(LIVE)}
        self.journal.set_checkpoints({name: positions.get(name, 0.0) for name in names
                                      if "/" not in name})

    def refresh(self) -> None:
        """Ask IB again for open orders and executions (after 1101/1102: data may be lost)."""
        self._reconcile_due = False
        ib = self.ib
        try:
            missing = self.lib.util.run(self._ask({"open orders (reqOpenOrders)":
                                                   ib.reqOpenOrdersAsync()}))
            missing += self.lib.util.run(self._ask({"executions (reqExecutions)":
                                                    ib.reqExecutionsAsync()}))
        except ConnectionError as exc:
            log.warning("refresh interrupted: %s", exc)
            return
        if missing:
            log.error("after IB's reconnection notice, not answered: %s; will ask again",
                      ", ".join(missing))
            self._reconcile_due = True

    def poll(self) -> list:
        """Events since the last poll: fills (each recorded once; corrections replace, late
        commissions filled in), acknowledgements, rejections and cancellations of our orders."""
        if self._reconcile_due and self.ib.isConnected() and not self.link_lost:
            self.refresh()
        events, self._backlog = self._backlog, []
        for fill in self.ib.fills():
            ex = fill.execution
            ref = ex.orderRef
            if not ref or parse_ref(ref) is None:
                continue
            has_commission = fill.commissionReport.execId == ex.execId
            commission = float(fill.commissionReport.commission) if has_commission else None
            state = (float(ex.shares), float(ex.price), commission)
            if self._fill_state.get(ex.execId) == state:
                continue
            self._fill_state[ex.execId] = state
            if self.journal.entry(ref) is None:
                log.info("fill %s for %s, an order this journal does not hold", ex.execId, ref)
                continue
            report = ExecutionReport(
                ex.execId, ref, instrument_of(fill.contract) or fill.contract.localSymbol,
                ex.side, float(ex.shares), float(ex.price),
                fill.time.isoformat() if fill.time else "", commission)
            outcome = self.journal.record_fill(report)
            if outcome == "new":
                events.append(Filled(ref, report))
            elif outcome == "corrected":
                log.warning("%s: IB corrected execution %s (%g @ %g); the journal keeps the "
                            "correction", ref, ex.execId, report.shares, report.price)
        for trade in self.ib.trades():
            ref = trade.order.orderRef
            entry = self.journal.entry(ref) if ref else None
            if entry is None or entry.status not in LIVE:
                continue
            events += self._order_events(entry, trade)
        return events

    def _order_events(self, entry: JournalEntry, trade) -> list:
        ref = entry.intent.order_ref
        status = real_status(trade)
        # IB's own text as the error event carried it; the library's log as a fallback
        raw = self.errors.get(trade.order.orderId, []) if trade.order.orderId else []
        logged = [(e.errorCode, e.message.split(": ", 1)[-1]) for e in trade.log if e.errorCode]
        failures = [(c, t) for c, t in (raw or logged)
                    if not is_warning(c) and c not in CONNECTIVITY_CODES]
        perm = trade.order.permId or None
        if self.journal.filled(ref) >= entry.intent.quantity - 1e-9:
            self.journal.mark(ref, "filled", perm_id=perm)
            return []
        if status in UNACKED and not trade.fills:
            if failures:
                code, reason = failures[-1]
                self.journal.mark(ref, "rejected", reason=describe(code, reason))
                return [Rejected(ref, reason, code)]
            return []
        if status in ENDED:
            if failures and status != "ApiCancelled":
                code, reason = failures[-1]
                self.journal.mark(ref, "rejected", reason=describe(code, reason), perm_id=perm)
                return [Rejected(ref, reason, code)]
            self.journal.mark(ref, "cancelled", reason=status, perm_id=perm)
            return [Cancelled(ref, status)]
        if status in ACTIVE and entry.status != "working":
            self.journal.mark(ref, "working", perm_id=perm)
            return [Acknowledged(ref, status)]
        return []
