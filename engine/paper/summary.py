"""What a paper run did: the orders it sent, by how they stood in the journal as it ended.

``summarize(broker, journal)`` counts them - filled, still working at IB (e.g. resting until the
open), rejected by IB, refused by a safety limit, not sent, or never acknowledged - with the
orders of earlier runs this run found ended at IB short of a fill (a rejection at the open while
no process ran, a DAY order cancelled at the close) and the intents rejected earlier today that
it did not retry (``--retry-rejected``), and gives the exit status: 0 only when every order was
acknowledged by IB and nothing failed, unseen or held back.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class RunSummary:
    """The orders a run sent, by how they stood when it ended (orderRefs)."""

    filled: tuple = ()
    working: tuple = ()
    unconfirmed: tuple = ()
    rejected: tuple = ()  # (orderRef, IB's reason)
    refused: tuple = ()  # reasons (safety limits)
    not_sent: tuple = ()  # reasons (connection, contract details...)
    other: tuple = ()  # (orderRef, status): cancelled, unknown...
    # (orderRef, status, reason): orders of earlier runs this run found ended at IB short of a
    # fill (rejected or cancelled by IB while no process ran, expired, or no longer known)
    found_ended: tuple = ()
    held_back: tuple = ()  # (orderRef, reason): rejected earlier today, not retried
    notices: tuple = ()  # what the run decided on that the user must know (an unclosed session)
    margin_calls: tuple = ()  # the calls issued to the strategy this run (MarginCall)
    margin_notes: tuple = ()  # which margin figure was used where IB's and ecore's differ

    @property
    def sent(self) -> int:
        return len(self.filled) + len(self.working) + len(self.unconfirmed) + \
            len(self.rejected) + len(self.other)

    @property
    def exit_code(self) -> int:
        """0 when everything meant was acknowledged by IB; 4 otherwise (see ``ecore.engine.paper.run``)."""
        return 4 if (self.unconfirmed or self.rejected or self.refused or self.not_sent or
                     self.found_ended or self.held_back) else 0

    def text(self) -> str:
        lines = [f"summary: sent {self.sent}, filled {len(self.filled)}, working "
                 f"{len(self.working)}, rejected {len(self.rejected)}, refused "
                 f"{len(self.refused)}, not sent {len(self.not_sent)}, unconfirmed "
                 f"{len(self.unconfirmed)}"]
        lines += [f"  filled      {r}" for r in self.filled]
        lines += [f"  working     {r}" for r in self.working]
        lines += [f"  unconfirmed {r} (IB has not acknowledged it)" for r in self.unconfirmed]
        lines += [f"  rejected    {r}: {why}" for r, why in self.rejected]
        lines += [f"  refused     {why}" for why in self.refused]
        lines += [f"  not sent    {why}" for why in self.not_sent]
        lines += [f"  {status:<11} {r}" for r, status in self.other]
        lines += [f"note: {n}" for n in (*self.notices, *self.margin_notes)]
        lines += [f"{call}" for call in self.margin_calls]
        if self.found_ended:
            lines.append(f"found ended at IB since the last run: {len(self.found_ended)}")
            lines += [f"  {status:<11} {r}: {why}" for r, status, why in self.found_ended]
        if self.held_back:
            lines.append(f"not retried: {len(self.held_back)} intent(s) IB rejected earlier "
                         "today; once the cause is fixed, run again with --retry-rejected")
            lines += [f"  held back   {r}: {why}" for r, why in self.held_back]
        return "\n".join(lines)


def summarize(broker, journal) -> RunSummary:
    """The summary of the orders ``broker`` sent, from ``journal``."""
    groups: dict[str, list] = {k: [] for k in ("filled", "working", "unconfirmed", "rejected",
                                                "other")}
    for ref in broker.sent_refs:
        entry = journal.entry(ref)
        status = entry.status if entry is not None else "lost"
        if status == "filled":
            groups["filled"].append(ref)
        elif status == "working":
            groups["working"].append(ref)
        elif status in ("sent", "pending"):
            groups["unconfirmed"].append(ref)
        elif status == "rejected":
            groups["rejected"].append((ref, entry.reason))
        else:
            groups["other"].append((ref, status))
    not_sent = tuple(o.info.get("reason", "") for o in getattr(broker, "failed", []))
    session = getattr(broker, "session", None)
    found = tuple((r, status, why) for r, status, why in getattr(session, "found_ended", ())
                  if r not in broker.sent_refs)
    return RunSummary(tuple(groups["filled"]), tuple(groups["working"]),
                      tuple(groups["unconfirmed"]), tuple(groups["rejected"]),
                      tuple(broker.refused), not_sent, tuple(groups["other"]), found,
                      tuple(dict(getattr(broker, "held_back", ())).items()),
                      tuple(getattr(session, "notices", ())),
                      tuple(getattr(broker, "margin_calls", ())),
                      tuple(getattr(broker, "margin_notes", ())))
