"""The account without trading: what ``ecore paper status`` prints.

``ecore paper status --config FILE`` connects like a run (the same complete picture of the
account, the journal opened read-only, no order, no what-if), on its own client id so that it
runs beside a long-running ``ecore paper``, and prints the positions ecore trades (and how many
others it leaves alone), the configured account's working orders, the margin in use, the
journal's latest orders and fills, and the fills IB made since the last run (which the next
run records: status never writes the journal).  Exit 0, or 2 when it cannot connect or IB does not answer.
"""

from __future__ import annotations



def account_status(session, journal, latest: int = 10) -> str:
    """The text ``ecore paper status`` prints."""
    from ...brokers.ib.contracts import instrument_of
    from ...brokers.ib.order_types import describe_ib_order
    from ...brokers.ib.orders import ACTIVE, real_status

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
               and t.orderStatus.status != "Filled" and session.mine(t.order)]
    lines.append(f"working orders ({len(working)}):")
    for t in working:
        name = instrument_of(t.contract) or t.contract.localSymbol or t.contract.symbol
        left = float(t.order.totalQuantity) - float(t.orderStatus.filled or 0)
        lines.append(f"  {t.order.action} {left:g} {name} {t.order.orderType}"
                     f"{describe_ib_order(t.order)} "
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
    # status never writes the journal: what IB filled since the last run is the next run's
    # to record (it is no anomaly, so no warning)
    unrecorded = session.unrecorded_fills
    lines.append(f"fills since the last run, to be recorded by the next run ({len(unrecorded)}):")
    for f, source in unrecorded:
        # IB reports executions to the client that placed the order (and only since its
        # midnight): status, on its own client id, mostly infers them as a run would
        price = f"@ {f.price:g}" if f.source == "ib" else f"(from {source}, price unknown)"
        lines.append(f"  {f.time[:19] or '-':<19}  {f.order_ref}  {f.side} {f.shares:g} "
                     f"{f.instrument} {price}")
    return "\n".join(lines)
