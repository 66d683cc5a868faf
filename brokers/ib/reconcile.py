"""Reconciling the journal with IB after every (re)connection.

The journal says what ecore sent; IB's complete picture (``picture.py``) says what became of it.
While ecore was away an order may have been acknowledged, filled or cancelled, or may never have
reached IB; and IB Gateway keeps executions only since midnight.  So each order the journal
still has as live is closed on the best evidence left: IB's fills, then its open and completed
orders, then the change in positions since the journal's last ``checkpoint``.  An order none of
them explains is marked ``unknown`` rather than guessed at.

A read-only journal (a dry run, ``ecore paper status``) records nothing: the fills it finds
are kept in ``unrecorded_fills`` for it to show, the next trading run records them.

``Reconciliation`` is one of the mixins ``IBSession`` (``session.py``) is made of.
"""

from __future__ import annotations

import collections
import logging
import math

from .journal import LIVE, ExecutionReport, JournalEntry, exec_key
from .orders import ACTIVE, ENDED, UNACKED, Filled, real_status

# the session's parts log as one, under the name its lines carried before it was split
log = logging.getLogger(f"{__package__}.session")

__all__ = ["Reconciliation"]


class Reconciliation:
    """The journal aligned with IB's complete picture; fills IB no longer reports inferred."""

    # -- reconciliation ---------------------------------------------------------------------------

    def reconcile(self) -> None:
        """Align the journal with IB's complete picture after (re)connecting.

        Fills IB reports are recorded first.  Then each order the journal still has as live is
        ``working`` if IB lists it open, closed as IB's completed orders say, ``filled`` when its
        fills cover it, ``lost`` if it never was acknowledged and IB knows nothing of it (it may
        be sent again under a new orderRef); an acknowledged order IB no longer reports ended on
        an earlier day: its fills are inferred from the change in positions since the journal
        last saw them, or the order is marked ``unknown``.
        """
        events = self.poll()
        self._backlog += events  # handed to the broker by the next poll
        if self.journal.read_only:
            self._keep_unrecorded([e.report for e in events if isinstance(e, Filled)], "")
        by_ref = self._trades_by_ref()
        vanished: dict[str, list[JournalEntry]] = collections.defaultdict(list)
        for entry in self.journal.entries(LIVE):
            ref = entry.intent.order_ref
            trades = by_ref.get(ref, [])
            statuses = [real_status(t) for t in trades]
            filled = self._filled(entry)
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
                    self._ended_at_ib(entry, trades, statuses, perm)
            elif trades and entry.status == "working":
                self.journal.mark(ref, "working", perm_id=perm)
            else:
                # IB knows nothing of it: never received (lost), or ended before IB's memory
                # (executions and completed orders since midnight): the positions tell
                vanished[entry.intent.instrument].append(entry)
        if vanished:
            self._infer_vanished(vanished)
        self._revive_held(by_ref)
        self.checkpoint()

    def _ended_at_ib(self, entry: JournalEntry, trades: list, statuses: list, perm) -> None:
        """An order IB's completed orders show ended short of a full fill: ``Inactive`` is
        IB's rejection (nautilus_trader does the same), anything else a cancel by IB (a DAY
        order at the close, a price check...).  Either is reported by this run."""
        ref = entry.intent.order_ref
        text = next((self.completed_states[t.order.permId][1] for t in trades
                     if t.order.permId in self.completed_states
                     and self.completed_states[t.order.permId][1]), "")
        if "Inactive" in statuses:
            reason = f"IB rejected it: {text}" if text and text != "Rejected" else \
                "IB rejected it (status Inactive), no reason given"
            self.journal.mark(ref, "rejected", perm_id=perm,
                              reason=reason + " (found in IB's completed orders)")
            self.found_ended.append((ref, "rejected", reason))
        else:
            status = next(s for s in statuses if s in ENDED or s == "Filled")
            reason = f"IB reports it {status}" + (f": {text}" if text else "")
            self.journal.mark(ref, "cancelled", perm_id=perm,
                              reason=reason + " (completed orders)")
            self.found_ended.append((ref, "cancelled", reason))

    def _revive_held(self, by_ref: dict) -> None:
        """An order journaled rejected that IB lists as working after all is ``working``
        again: its quantity is in motion and a retry must net against it."""
        for entry in self.journal.entries(("rejected",)):
            statuses = [real_status(t) for t in by_ref.get(entry.intent.order_ref, [])]
            if any(s in ACTIVE and s not in UNACKED for s in statuses):
                log.warning("%s: journaled rejected, but IB lists it working; working again",
                            entry.intent.order_ref)
                self.journal.mark(entry.intent.order_ref, "working",
                                  reason="IB lists it working after a rejection")

    def _trades_by_ref(self) -> dict[str, list]:
        out = collections.defaultdict(list)
        for t in self.ib.trades():
            if t.order.orderRef and self.mine(t.order):
                out[t.order.orderRef].append(t)
        return out

    def _filled(self, entry: JournalEntry) -> float:
        """What the journal has filled of the order, with the fills it could not record (a
        read-only journal); for a spread, counted on its first leg as ``Journal.filled``."""
        ref = entry.intent.order_ref
        instrument, ratio = entry.intent.instrument, 1
        if entry.intent.legs:
            instrument, ratio, _ = entry.intent.legs[0]
        return self.journal.filled(ref) + sum(
            r.shares for r, _ in self.unrecorded_fills
            if r.order_ref == ref and r.instrument == instrument) / abs(ratio)

    def _keep_unrecorded(self, reports: list[ExecutionReport], source: str) -> None:
        """Keep fills a read-only journal cannot record, once each (a correction replaces what
        it corrects, as in the journal); ``source`` says what an inferred fill was read from."""
        kept = {exec_key(r.exec_id): (r, s) for r, s in self.unrecorded_fills}
        for r in reports:
            old = kept.get(exec_key(r.exec_id))
            if old is None or r.exec_id > old[0].exec_id:
                kept[exec_key(r.exec_id)] = (r, source)
        self.unrecorded_fills = list(kept.values())

    def _infer_fill(self, entry: JournalEntry, quantity: float, source: str) -> None:
        ref = entry.intent.order_ref
        legs = entry.intent.legs or ((entry.intent.instrument, 1, entry.intent.action),)
        reports = [ExecutionReport(
            f"inferred:{ref}:{i}", ref, instrument, "BOT" if action == "BUY" else "SLD",
            quantity * abs(ratio), float("nan"), "", None, "inferred")
            for i, (instrument, ratio, action) in enumerate(legs)]
        if self.journal.read_only:
            # nothing is lost: the next trading run infers it again (and warns then)
            self._keep_unrecorded(reports, source)
            return
        for report in reports:
            self.journal.record_fill(report)
        log.warning("%s: %g filled while ecore was away; IB no longer reports the execution, "
                    "recorded from %s (price unknown)", ref, quantity, source)

    def _infer_vanished(self, vanished: dict[str, list[JournalEntry]]) -> None:
        positions = {k: v[0] for k, v in self.positions().items()}
        for instrument, entries in vanished.items():
            expected = sum(math.copysign(e.intent.quantity - self._filled(e),
                                         e.intent.signed_quantity) for e in entries)
            cp = self.journal.checkpoint(instrument)
            moved = None if cp is None else positions.get(instrument, 0.0) - cp[0] - cp[1]
            for e in entries:
                ref = e.intent.order_ref
                if moved is not None and abs(moved - expected) < 1e-9 and abs(moved) > 1e-9:
                    self._infer_fill(e, e.intent.quantity - self._filled(e),
                                     "the change in IB's positions")
                    self.journal.mark(ref, "filled")
                elif (moved is not None and abs(moved) < 1e-9) or (
                        moved is None and e.status in ("pending", "sent")):
                    if e.status in ("pending", "sent"):
                        log.warning("%s: IB never acknowledged it and has no trace of it; "
                                    "marked lost", ref)
                        self.journal.mark(ref, "lost", reason="IB has no trace of it")
                    else:
                        why = "no longer at IB and the position did not move: it expired unfilled"
                        self.journal.mark(ref, "cancelled", reason=why)
                        self.found_ended.append((ref, "cancelled", why))
                else:
                    why = "no position recorded before" if moved is None else \
                        f"position moved by {moved:g}, its orders by {expected:g}"
                    log.warning("%s: IB no longer reports it and %s; marked unknown", ref, why)
                    self.journal.mark(ref, "unknown", reason=f"IB no longer reports it; {why}")
                    self.found_ended.append((ref, "unknown", f"IB no longer reports it; {why}"))

    def checkpoint(self) -> None:
        """Remember IB's positions with the fills recorded so far (to infer later fills)."""
        if self.journal.read_only:
            return
        positions = {k: v[0] for k, v in self.positions().items()}
        names = set(positions) | {e.intent.instrument for e in self.journal.entries(LIVE)}
        self.journal.set_checkpoints({name: positions.get(name, 0.0) for name in names
                                      if "/" not in name})
