"""One connection to TWS / IB Gateway, with the journal: send intents once, recover the rest.

``IBSession`` knows nothing of backtrader.  It connects (and reconnects), refuses any account
that is not an IB paper account (``DU...``), turns ``OrderIntent``s into IB orders after storing
them in the journal, and on every ``poll()`` reports what happened since the last one as
events (``Filled``, ``Rejected``, ``Cancelled``).  Everything it reports is read from the
client library's current state (``ib.fills()``, ``ib.trades()``), which after a reconnect holds
what IB replays (open orders, the day's executions), so a fill that happened while we were
disconnected is reported exactly like a live one, and only once (the journal keys fills by
``execId``).

Written only against the API ``ib_insync`` and ``ib_async`` share (see ``client.py``).
"""

from __future__ import annotations

import logging
import time
import types
from dataclasses import dataclass, field

from .contracts import ContractBook, instrument_of
from .journal import ExecutionReport, Journal, JournalEntry, OrderIntent
from .safety import LimitBreach, SafetyLimits

log = logging.getLogger(__name__)

# IB message codes that are information, not failures: 399 order warning (e.g. "will not be
# placed until market opens"), 202 cancel confirmation, 10167 delayed market data, 110x
# connectivity notices, and the whole 2100-2199 range (data-farm status: 2104, 2106, 2158...).
WARNING_CODES = frozenset({165, 202, 321, 329, 399, 404, 434, 492, 1100, 1101, 1102, 10167})

DONE_STATUSES = ("Cancelled", "ApiCancelled", "Inactive")


def is_warning(code: int) -> bool:
    """True for IB codes that are logged only, never treated as an order's rejection."""
    return code in WARNING_CODES or 2100 <= code < 2200


class PaperAccountRequired(RuntimeError):
    """The connected account is not an IB paper account (paper accounts start with ``DU``)."""


@dataclass(frozen=True)
class ConnectionSettings:
    """Where TWS / IB Gateway listens: 7497 = TWS paper, 4002 = Gateway paper."""

    host: str = "127.0.0.1"
    port: int = 7497
    client_id: int = 1
    account: str = ""
    timeout: float = 10.0
    readonly: bool = False

    def __post_init__(self):
        if not isinstance(self.port, int) or not 0 < self.port < 65536:
            raise ValueError(f"port: {self.port!r} is not a TCP port number")
        if not isinstance(self.client_id, int) or self.client_id < 0:
            raise ValueError(f"client_id: {self.client_id!r} must be a non-negative integer")
        if self.account and not self.account.startswith("DU"):
            raise PaperAccountRequired(
                f"account: {self.account!r} is not a paper account (paper accounts start with DU)")


@dataclass(frozen=True)
class AccountState:
    """Account values in dollars, read from IB's account updates."""

    net_liquidation: float
    cash: float
    excess_liquidity: float
    initial_margin: float
    maintenance_margin: float


@dataclass(frozen=True)
class Filled:
    """An execution for an intent (``report.shares`` > 0, side BOT/SLD)."""

    order_ref: str
    report: ExecutionReport


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


@dataclass
class IBSession:
    """A connection plus journal. ``lib`` is the client module (``client_library()``)."""

    settings: ConnectionSettings
    journal: Journal
    lib: types.ModuleType
    contracts: ContractBook | None = None
    limits: SafetyLimits = field(default_factory=SafetyLimits)
    commission_grace: float = 1.0  # seconds to wait for a fill's commission report
    reconnect_interval: float = 2.0  # seconds between reconnection attempts
    account: str = ""
    connects: int = 0
    warnings: list = field(default_factory=list)  # (reqId, code, text) logged, not acted on

    def __post_init__(self):
        self.ib = self.lib.IB()
        if self.contracts is None:
            self.contracts = ContractBook(self.lib)
        self.ib.errorEvent += self._on_error
        self._first_seen: dict[str, float] = {}
        self._last_attempt = float("-inf")

    # -- connection -------------------------------------------------------------------------------

    def connect(self) -> None:
        """Connect, check the account is a paper account, then reconcile with the journal."""
        s = self.settings
        self.ib.connect(s.host, s.port, clientId=s.client_id, timeout=s.timeout,
                        readonly=s.readonly)
        accounts = list(self.ib.managedAccounts())
        account = s.account or (accounts[0] if len(accounts) == 1 else "")
        if not account:
            self.ib.disconnect()
            raise PaperAccountRequired(
                f"account: several accounts {accounts}; name the paper (DU...) account to use")
        if not account.startswith("DU") or account not in accounts:
            self.ib.disconnect()
            raise PaperAccountRequired(
                f"account: {account!r} is not a paper account (paper accounts start with DU); "
                "ecore paper never trades a live account")
        self.account = account
        self.connects += 1
        log.info("connected to %s:%s as client %s, account %s", s.host, s.port, s.client_id,
                 account)
        self.reconcile()

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
        except (ConnectionError, OSError, TimeoutError) as exc:
            log.error("reconnection failed (%r); will retry", exc)
            return False
        return True

    def disconnect(self) -> None:
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

    def _on_error(self, req_id, code, text, contract=None) -> None:
        if is_warning(int(code)):
            log.info("IB warning %s (req %s): %s", code, req_id, text)
            self.warnings.append((req_id, int(code), text))
        else:
            log.error("IB error %s (req %s): %s", code, req_id, text)

    # -- account ----------------------------------------------------------------------------------

    def account_state(self) -> AccountState:
        values = {}
        for v in self.ib.accountValues():
            if v.account == self.account and v.currency in ("USD", "BASE", "") and not v.modelCode:
                try:
                    values.setdefault(v.tag, float(v.value))
                except ValueError:
                    continue
        return AccountState(
            net_liquidation=values.get("NetLiquidation", 0.0),
            cash=values.get("TotalCashValue", 0.0),
            excess_liquidity=values.get("ExcessLiquidity", 0.0),
            initial_margin=values.get("InitMarginReq", 0.0),
            maintenance_margin=values.get("MaintMarginReq", 0.0))

    def positions(self) -> dict[str, tuple[float, float]]:
        """``{instrument: (size, average price)}``; price in points or dollars per share."""
        out = {}
        for p in self.ib.positions():
            if p.account != self.account or not float(p.position):
                continue
            inst = instrument_of(p.contract)
            mult = float(p.contract.multiplier) if p.contract.multiplier else 1.0
            out[inst] = (float(p.position), float(p.avgCost) / mult)
        return out

    # -- orders -----------------------------------------------------------------------------------

    def submit(self, intent: OrderIntent) -> JournalEntry:
        """Send ``intent`` unless the journal shows it already went to IB; returns its entry.

        Raises ``LimitBreach`` (the intent is journalled as ``refused``) when over a limit.
        """
        entry = self.journal.entry(intent.order_ref)
        if entry is not None and entry.status != "lost":
            log.info("%s already in the journal (%s); not sent again", intent.order_ref,
                     entry.status)
            return entry
        try:
            self.limits.check(intent, self.journal)
        except LimitBreach as exc:
            log.error("refused: %s", exc)
            if entry is None:
                self.journal.add_intent(intent)
            self.journal.mark(intent.order_ref, "refused", reason=str(exc))
            raise
        self.ensure_connected()
        contract, order = self._ib_order(intent)
        if entry is None:
            self.journal.add_intent(intent)  # on disk before it can reach IB
        else:
            self.journal.mark(intent.order_ref, "pending")
        try:
            trade = self.ib.placeOrder(contract, order)
        except ConnectionError:
            # the client refuses before writing to the socket: IB never saw this order
            self.journal.mark(intent.order_ref, "lost", reason="not connected")
            raise
        self.journal.mark(intent.order_ref, "sent", order_id=trade.order.orderId)
        log.info("sent %s: %s %g %s (order id %s)", intent.order_ref, intent.action,
                 intent.quantity, intent.instrument, trade.order.orderId)
        return self.journal.entry(intent.order_ref)

    def _ib_order(self, intent: OrderIntent):
        lib = self.lib
        if intent.legs:
            legs = []
            for instrument, ratio, action in intent.legs:
                leg = self.contracts.qualify(self.ib, instrument)
                legs.append(lib.ComboLeg(conId=leg.conId, ratio=abs(int(ratio)), action=action,
                                         exchange=leg.exchange))
            first = self.contracts.qualify(self.ib, intent.legs[0][0])
            contract = lib.Contract(secType="BAG", symbol=first.symbol, exchange=first.exchange,
                                    currency="USD", comboLegs=legs)
        else:
            contract = self.contracts.qualify(self.ib, intent.instrument)
        common = dict(orderRef=intent.order_ref, account=self.account, tif="DAY")
        if intent.order_type == "LMT":
            order = lib.LimitOrder(intent.action, intent.quantity, intent.limit_price, **common)
        else:
            order = lib.MarketOrder(intent.action, intent.quantity, **common)
        return contract, order

    def cancel(self, order_ref: str) -> bool:
        """Ask IB to cancel the open order for an intent; False if none is open."""
        for trade in self.ib.openTrades():
            if trade.order.orderRef == order_ref:
                self.ib.cancelOrder(trade.order)
                return True
        return False

    def cancel_all(self) -> None:
        """Cancel every open order of the account (IB's global cancel)."""
        self.ib.reqGlobalCancel()

    # -- reconciliation ---------------------------------------------------------------------------

    def reconcile(self) -> None:
        """Align the journal with IB after (re)connecting.

        An intent stored but not confirmed sent (the process died between the two writes) is
        ``sent`` if IB knows its orderRef (open order or execution), else ``lost`` and may be
        sent again.  Fills that arrived while we were away are picked up by the next ``poll``.
        """
        known = {t.order.orderRef: t for t in self.ib.trades() if t.order.orderRef}
        executed = {f.execution.orderRef for f in self.ib.fills()}
        for entry in self.journal.entries(("pending",)):
            ref = entry.intent.order_ref
            if ref in known:
                self.journal.mark(ref, "sent", order_id=known[ref].order.orderId)
            elif ref in executed:
                self.journal.mark(ref, "sent")
            else:
                log.warning("%s was stored but IB never received it; marked lost", ref)
                self.journal.mark(ref, "lost")
        for ref, trade in known.items():
            entry = self.journal.entry(ref)
            if entry is not None and trade.order.permId:
                self.journal.mark(ref, entry.status, perm_id=trade.order.permId)

    def poll(self) -> list:
        """Events since the last poll: new fills (deduplicated by execId), rejections, cancels."""
        events: list = []
        now = time.monotonic()
        for fill in self.ib.fills():
            ex = fill.execution
            ref = ex.orderRef
            if not ref or self.journal.has_execution(ex.execId):
                continue
            entry = self.journal.entry(ref)
            if entry is None:
                continue  # not ours (manual order, other client)
            first = self._first_seen.setdefault(ex.execId, now)
            has_commission = fill.commissionReport.execId == ex.execId
            if not has_commission and now - first < self.commission_grace:
                continue  # the commission report normally follows within milliseconds
            report = ExecutionReport(
                ex.execId, ref, instrument_of(fill.contract), ex.side, float(ex.shares),
                float(ex.price), fill.time.isoformat() if fill.time else "",
                float(fill.commissionReport.commission) if has_commission else None)
            if self.journal.record_execution(report):
                events.append(Filled(ref, report))
                if entry.status in ("pending", "sent", "lost") and \
                        self.journal.filled(ref) >= entry.intent.quantity - 1e-9:
                    self.journal.mark(ref, "filled")
        for trade in self.ib.trades():
            ref = trade.order.orderRef
            if not ref or trade.orderStatus.status not in DONE_STATUSES:
                continue
            entry = self.journal.entry(ref)
            if entry is None or entry.status not in ("pending", "sent"):
                continue
            failure = [e for e in trade.log if e.errorCode and not is_warning(e.errorCode)]
            if failure:
                reason, code = failure[-1].message, failure[-1].errorCode
                self.journal.mark(ref, "rejected", reason=reason)
                events.append(Rejected(ref, reason, code))
            else:
                self.journal.mark(ref, "cancelled", reason=trade.orderStatus.status)
                events.append(Cancelled(ref, trade.orderStatus.status))
        return events

    def open_order_refs(self) -> set[str]:
        return {t.order.orderRef for t in self.ib.openTrades() if t.order.orderRef}
