"""What a paper run did, and ``ecore paper status``: the account without trading.

``summarize(broker, journal)`` counts the orders a run sent by their state in the journal as the
run ended - filled, still working at IB (e.g. resting until the open), rejected by IB, refused by
a safety limit, not sent, or never acknowledged - and gives the exit status: 0 only when every
order was acknowledged by IB and none failed.

``ecore paper status --config FILE`` connects like a run (the same complete picture of the
account, the journal opened read-only, no order, no what-if) and prints the positions ecore
trades (and how many others it leaves alone), the working orders, the margin in use and the
journal's latest orders and fills.  Exit 0, or 2 when it cannot connect or IB does not answer.
"""

from __future__ import annotations

import dataclasses
import logging
import sys

log = logging.getLogger(__name__)


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

    @property
    def sent(self) -> int:
        return len(self.filled) + len(self.working) + len(self.unconfirmed) + \
            len(self.rejected) + len(self.other)

    @property
    def exit_code(self) -> int:
        """0 when everything meant was acknowledged by IB; 4 otherwise (see ``ecore.engine.paper``)."""
        return 4 if (self.unconfirmed or self.rejected or self.refused or self.not_sent) else 0

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
    return RunSummary(tuple(groups["filled"]), tuple(groups["working"]),
                      tuple(groups["unconfirmed"]), tuple(groups["rejected"]),
                      tuple(broker.refused), not_sent, tuple(groups["other"]))


def account_status(session, journal, latest: int = 10) -> str:
    """The text ``ecore paper status`` prints."""
    from ..brokers.ib.contracts import instrument_of
    from ..brokers.ib.orders import ACTIVE, real_status

    state = session.account_state()
    positions = session.positions()
    others = [p for p in session.ib.positions() if p.account == session.account
              and float(p.position) and instrument_of(p.contract) is None]
    lines = [f"account {session.account}: net liquidation ${state.net_liquidation:,.0f}, cash "
             f"${state.cash:,.0f}" + (f" (base {state.base_currency}, {state.usd_rate:g} per USD)"
                                      if state.base_currency != "USD" else "")]
    used = state.initial_margin / state.net_liquidation if state.net_liquidation else 0.0
    lines.append(f"margin: initial ${state.initial_margin:,.0f} ({used:.1%} of net liquidation), "
                 f"maintenance ${state.maintenance_margin:,.0f}, excess liquidity "
                 f"${state.excess_liquidity:,.0f}")
    lines.append(f"positions ({len(positions)}" + (f"; {len(others)} other position(s) left "
                                                  "alone" if others else "") + "):")
    for name, (size, price) in sorted(positions.items()):
        lines.append(f"  {name:<12} {size:>12g}  avg {price:,.4g}")
    working = [t for t in session.ib.trades() if real_status(t) in ACTIVE
               and t.orderStatus.status != "Filled"]
    lines.append(f"working orders ({len(working)}):")
    for t in working:
        name = instrument_of(t.contract) or t.contract.localSymbol or t.contract.symbol
        left = float(t.order.totalQuantity) - float(t.orderStatus.filled or 0)
        lines.append(f"  {t.order.action} {left:g} {name} {t.order.orderType} "
                     f"{real_status(t)}  ref {t.order.orderRef or '-'}")
    entries = journal.entries()[-latest:]
    lines.append(f"journal {journal.path} (latest {len(entries)} orders):")
    for e in entries:
        i = e.intent
        lines.append(f"  {e.updated_at[:19]}  {i.order_ref}  {i.action} {i.quantity:g} "
                     f"{i.instrument}  {e.status}" + (f": {e.reason}" if e.reason else ""))
    fills = journal.executions()[-latest:]
    lines.append(f"latest fills ({len(fills)}):")
    for f in fills:
        commission = "commission pending" if f.commission is None else \
            f"commission {f.commission:g}"
        lines.append(f"  {f.time[:19]}  {f.order_ref}  {f.side} {f.shares:g} {f.instrument} @ "
                     f"{f.price:g}  {commission}" + ("  (inferred)" if f.source != "ib" else ""))
    return "\n".join(lines)


def run_status(args) -> int:
    """``ecore paper status``: connect, print, disconnect; never trades, never writes."""
    from .cli import UserError
    from .paper import _config_from_args, connection_errors, open_session

    config = _config_from_args(args)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    session, journal = open_session(config, dry_run=True)
    try:
        session.connect()
        print(account_status(session, journal))
    except connection_errors() as exc:
        raise UserError(str(exc) or repr(exc)) from None
    finally:
        session.ib.disconnect()
        journal.close()
    return 0
