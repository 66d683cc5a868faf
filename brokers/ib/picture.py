"""The account picture: what IB says the account holds and has in motion.

An order computed on a partial picture can double a book, so before any order the session asks
IB for all of it, each request with its own time-out: positions, open orders (this client's and
every client's), completed orders, account values and executions (last, once every order they
refer to is known).  If any goes unanswered ``_fetch_picture`` raises ``IncompletePicture``
naming it; ``refresh`` asks again for what IB's reconnection notices (1101/1102) say may be lost.

The readings the broker sizes its orders from are here too: ``positions`` (only what ecore
trades; anything else in the account is left alone), ``working`` (quantity still in motion:
any client's working orders, and ours IB has not acknowledged yet) and ``account_state`` (in
dollars, ``account.py``).

``Picture`` is one of the mixins ``IBSession`` (``session.py``) is made of.
"""

from __future__ import annotations

import collections
import logging
import math

from .account import AccountState, account_state, has_values
from .contracts import instrument_of
from .errors import IncompletePicture
from .journal import LIVE, exec_key, parse_ref
from .order_types import CONTINGENT_TYPES, is_native_intent
from .orders import ACTIVE, ib_float, real_status

# the session's parts log as one, under the name its lines carried before it was split
log = logging.getLogger(f"{__package__}.session")

__all__ = ["Picture"]


class Picture:
    """The complete picture fetched, and the positions, working orders and account values read
    from it."""

    # -- the complete picture ---------------------------------------------------------------------

    def _watch_completed(self) -> None:
        """Keep IB's status and free text of each completed order (the libraries drop the
        text, which carries a rejection's reason), by permId."""
        wrapper = self.ib.wrapper
        original = wrapper.completedOrder

        def completed(contract, order, state):
            self.completed_states[order.permId] = (state.status,
                                                   getattr(state, "completedStatus", "") or "")
            return original(contract, order, state)
        wrapper.completedOrder = completed

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
            mult = ib_float(p.contract.multiplier) or 1.0
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
            if status not in ACTIVE or trade.orderStatus.status in ("Filled",) or \
                    not self.mine(trade.order):
                continue
            ref = trade.order.orderRef
            entry = self.journal.entry(ref) if ref else None
            if entry is not None and entry.status not in LIVE:
                continue  # ended for us (rejected, cancelled) whatever the library says
            if (entry is not None and is_native_intent(entry.intent)) or \
                    trade.order.orderType in CONTINGENT_TYPES or trade.order.parentId:
                continue  # a stop, bracket leg or OCO member waits for a price: not in motion
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
            if is_native_intent(entry.intent):
                continue  # one of ecore's native orders (``native_orders.py``)
            if entry.intent.order_ref not in seen:
                left = entry.intent.quantity - self.journal.filled(entry.intent.order_ref)
                out[entry.intent.instrument] += math.copysign(max(left, 0.0),
                                                              entry.intent.signed_quantity)
        return dict(out)

    def working_refs(self, instrument: str) -> set[str]:
        """orderRefs of our live netted orders on ``instrument`` (their fills serve today's
        intents); stops, bracket legs and OCO members serve only their own order."""
        refs = {e.intent.order_ref for e in self.journal.entries(LIVE, instrument=instrument)
                if not is_native_intent(e.intent)}
        for trade in self.ib.trades():
            ref = trade.order.orderRef
            if ref and parse_ref(ref) and parse_ref(ref)[1] == instrument and \
                    real_status(trade) in ACTIVE and self.mine(trade.order):
                entry = self.journal.entry(ref)
                if entry is None or not is_native_intent(entry.intent):
                    refs.add(ref)
        return refs
