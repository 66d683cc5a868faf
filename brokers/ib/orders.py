"""Our orders: sent once, brought down, cancelled, and what IB reports of them.

``submit`` writes an order to the journal before it can reach IB, so that a crash in between
leaves a trace for the next reconciliation, and refuses an orderRef the journal already holds:
an order is never sent twice.  ``reduce`` brings down earlier orders and counts only what IB
confirmed, because an order sent on the strength of a cancel that never happened could pass
the target.  ``poll`` turns the client library's state into events (``Filled``,
``Acknowledged``, ``Rejected``, ``Cancelled``), each reported once.  The two libraries overwrite
an order's status on errors that do not end it and disagree on which codes are warnings, so the
status is read with ``real_status`` and errors are classed by ecore itself (``errors.py``).
``what_if`` asks IB the margin of an order without placing it (``MarginImpact``).

``Orders`` is one of the mixins ``IBSession`` (``session.py``) is made of.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from .contracts import instrument_of
from .errors import CONNECTIVITY_CODES, RequestFailed, describe, is_warning
from .journal import (LIVE, ExecutionReport, JournalConflict, JournalEntry, OrderIntent,
                      exec_key, parse_ref)
from .order_types import OrderTerms, ib_order, oca_ended

# the session's parts log as one, under the name its lines carried before it was split
log = logging.getLogger(f"{__package__}.session")

__all__ = ["Filled", "Acknowledged", "Rejected", "Cancelled", "MarginImpact", "UNACKED",
           "ACTIVE", "ENDED", "real_status", "ib_float", "Orders"]

# IB's order statuses by what they mean for an order: not acknowledged by IB yet, still able to
# fill, ended short of filling in full ("Filled" is in none of them)
UNACKED = ("PendingSubmit", "ApiPending", "")
ACTIVE = ("PendingSubmit", "ApiPending", "PreSubmitted", "Submitted", "PendingCancel",
          "ValidationError", "")
ENDED = ("Cancelled", "ApiCancelled", "Inactive")
UNSET_DOUBLE = 1.7976931348623157e308  # what IB sends for a number it has no value for


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


def ib_float(text) -> float | None:
    """IB's number ``text``, or None when it is not a finite number or is IB's unset value."""
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


class Orders:
    """Sending, reducing and cancelling our orders; their events; what-if margin."""

    # -- sending ----------------------------------------------------------------------------------

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
            self._store(intent)
            self.journal.mark(intent.order_ref, "refused", reason=str(exc))
            raise
        if not intent.legs and self.journal.checkpoint(intent.instrument) is None:
            # where the position stood, should IB forget the order before we hear of it
            held = self.positions().get(intent.instrument, (0.0, 0.0))[0]
            self.journal.set_checkpoints({intent.instrument: held})
        self._store(intent)  # on disk before it can reach IB
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

    def _store(self, intent: OrderIntent) -> None:
        """Write ``intent`` to the journal, or raise ``JournalConflict``: an order the journal
        did not take is never sent."""
        if not self.journal.add_order(intent):
            raise JournalConflict(f"{intent.order_ref}: the journal {self.journal.path} did not "
                                  "store it (the orderRef is already there); not sent")

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
        if intent.terms:  # stops, GTC/GTD limits, brackets, OCO (``order_types.py``)
            terms = OrderTerms.from_text(intent.terms)
            parent = self.journal.entry(terms.parent_ref) if terms.parent_ref else None
            if terms.parent_ref and (parent is None or not parent.order_id):
                raise RequestFailed(f"{intent.order_ref}: its parent {terms.parent_ref} has no "
                                    "IB order id")
            return contract, ib_order(lib, intent, self.account,
                                      parent.order_id if parent else 0)
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

    @property
    def inactive_grace(self) -> float:
        """Seconds an ``Inactive`` order waits for IB's reason before it is journaled rejected
        without one."""
        return min(2.0, self.request_timeout)

    def awaiting_reason(self) -> bool:
        """True while an ``Inactive`` order of ours still waits for IB's reason."""
        return any(e.intent.order_ref in self._inactive_since for e in self.journal.entries(LIVE))

    def cancel_all(self) -> int:
        """Cancel our working orders of the configured account one by one (never IB's global
        cancel, which would take every account's orders, manual ones included); returns how
        many cancels IB confirmed within the request time-out."""
        asked = []
        for trade in self.ib.trades():
            ref = trade.order.orderRef
            if parse_ref(ref) is None or real_status(trade) not in ACTIVE or \
                    trade.orderStatus.status == "Filled" or not self.mine(trade.order):
                continue
            self.ib.cancelOrder(trade.order)
            asked.append(trade)
        deadline = time.monotonic() + self.request_timeout
        while any(real_status(t) not in ENDED + ("Filled",) for t in asked) and \
                time.monotonic() < deadline and self.ib.isConnected():
            self.pump(0.02)
        return sum(real_status(t) in ENDED for t in asked)

    def mine(self, order) -> bool:
        """True for an order of the configured account (IB fills in the account of an order
        placed without one: the login's only account)."""
        return not order.account or order.account == self.account

    def unconfirmed(self) -> list[str]:
        """Our orders sent more than a request time-out ago that IB has not acknowledged."""
        now = time.monotonic()
        return [e.intent.order_ref for e in self.journal.entries(("sent",))
                if now - self._sent_at.get(e.intent.order_ref, now) > self.request_timeout]

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
            initial = ib_float(state.initMarginChange)
            maintenance = ib_float(state.maintMarginChange)
            if initial is not None and maintenance is not None:
                return MarginImpact(initial, maintenance, ib_float(state.commission))
        raise RequestFailed(f"what-if order for {instrument}: IB sent no margin values")

    # -- bringing earlier orders down -------------------------------------------------------------

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
                    not self.mine(trade.order) or \
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

    def _left(self, trade, name: str) -> float:
        """Quantity of ``trade`` still to fill (each execution counted once)."""
        executions = {exec_key(f.execution.execId): float(f.execution.shares)
                      for f in sorted(trade.fills, key=lambda f: f.execution.execId)
                      if instrument_of(f.contract) == name}
        done = max(float(trade.orderStatus.filled or 0.0), sum(executions.values()))
        return max(float(trade.order.totalQuantity) - done, 0.0), done

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

    # -- what IB reports --------------------------------------------------------------------------

    def poll(self) -> list:
        """Events since the last poll: fills (each recorded once; corrections replace, late
        commissions filled in), acknowledgements, rejections and cancellations of our orders."""
        if self._reconcile_due and self.ib.isConnected() and not self.link_lost:
            self.refresh()
        events, self._backlog = self._backlog, []
        for fill in self.ib.fills():
            ex = fill.execution
            ref = ex.orderRef
            if not ref or parse_ref(ref) is None or (
                    ex.acctNumber and self.account and ex.acctNumber != self.account):
                continue  # not ours, or another account's of the same login
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
        if status == "Inactive" and "locate" in (trade.orderStatus.whyHeld or ""):
            status = "PreSubmitted"  # held while IB locates shares to borrow: still working
        if status in ENDED and entry.intent.terms and oca_ended(self.journal, entry):
            reason = "OCA: another order of its group filled"
            self.journal.mark(ref, "cancelled", reason=reason, perm_id=perm)
            return [Cancelled(ref, reason)]
        if status in ENDED:
            if failures and status != "ApiCancelled":
                code, reason = failures[-1]
                self.journal.mark(ref, "rejected", reason=describe(code, reason), perm_id=perm)
                return [Rejected(ref, reason, code)]
            if status == "Inactive":
                # IB's reason may follow the status (ib_insync#313): hold it briefly
                first = self._inactive_since.setdefault(ref, time.monotonic())
                if time.monotonic() - first < self.inactive_grace:
                    return []
                reason = "rejected by IB, no reason given (status Inactive)"
                self.journal.mark(ref, "rejected", reason=reason, perm_id=perm)
                return [Rejected(ref, reason, 0)]
            self.journal.mark(ref, "cancelled", reason=status, perm_id=perm)
            return [Cancelled(ref, status)]
        if status in ACTIVE and entry.status != "working":
            self.journal.mark(ref, "working", perm_id=perm)
            return [Acknowledged(ref, status)]
        return []
