"""Faults of a paper account's first month, as real TWS / IB Gateway plays them (a mixin of
:class:`~.gateway.FakeGateway`):

* ``later``: a message sent some time after the event (IB's reason for an ``Inactive`` order
  may follow its status, ib_insync#313);
* ``reject_open_orders``: resting orders rejected at the open while no client is connected
  (the next session sees them only among the completed orders);
* ``add_foreign_order``, ``fill_foreign_order``: a working order of another account of the
  same login, and its fill (advisor or linked accounts: their orders, executions and completed
  orders reach the same connection);
* ``history_faults``: per conId, a script for its next history requests: ``("error", code,
  text)`` (162 pacing violation, no permissions), ``("silent",)`` (never answered), ``("delay",
  seconds)`` (answered late);
* ``unfinished_bars``: on a trading day before the session's close IB's daily history ends
  with today's bar so far (its close is the last trade, not a settlement).
"""

from __future__ import annotations

import datetime as dt
import threading

from .book import ExecutionRecord, Instrument, PlacedOrder

SESSION_CLOSE = dt.time(16, 0)  # New York: the stock close, an hour after CBOT's settlement


class MonthFaults:

    def later(self, seconds: float, fn, *args) -> None:
        """Call ``fn(*args)`` after ``seconds`` (at once when 0), under the gateway's lock."""
        if seconds <= 0:
            fn(*args)
            return

        def fire():
            with self.lock:
                fn(*args)
        timer = threading.Timer(seconds, fire)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def reject_open_orders(self, code: int = 201, text: str = "Order rejected - reason:YOUR "
                           "ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR "
                           "EQUITY WITH LOAN VALUE [1000.00 USD] MUST EXCEED THE INITIAL MARGIN",
                           where=None) -> list[PlacedOrder]:
        """IB rejects resting orders (those ``where(order)`` accepts) at the open: status
        ``Inactive``, the error to a connected client, the reason in the completed order."""
        done = []
        with self.lock:
            for order in self.open_orders():
                if where is not None and not where(order):
                    continue
                self._complete(order, "Inactive", text)
                conn = self._conn_for(order.clientId)
                if conn:
                    self._send_open_order(conn, order)
                    self._send_status(conn, order)
                    conn.send(4, 2, order.orderId, code, text, "")
                done.append(order)
        return done

    def add_foreign_order(self, inst: Instrument, action: str, quantity: float, account: str,
                          client_id: int = 0, order_ref: str = "") -> PlacedOrder:
        """A working order of ``account`` (another account of the login), placed by
        ``client_id`` (0: TWS itself)."""
        with self.lock:
            self._next_perm += 1
            self.next_valid_id += 1
            order = PlacedOrder(self.next_valid_id + 10_000, client_id, self._next_perm, inst,
                                action, float(quantity), "MKT", "", "DAY", account, order_ref,
                                [], status="Submitted")
            self.orders[(client_id, order.orderId)] = order
            self.placed.append(order)
            return order

    def fill_foreign_order(self, order: PlacedOrder, price: float | None = None) -> None:
        """Fill another account's order in full: its execution and completed order reach
        every client that sees them (the login's positions of this gateway are the first
        account's, so they do not move)."""
        with self.lock:
            self._next_exec += 1
            px = order.instrument.price if price is None else price
            self.executions.append(ExecutionRecord(
                order.orderId, order.clientId, order.permId, order.instrument,
                f"0000e1a7.{self._next_exec:08x}.01.01", self.now(),
                "BOT" if order.action == "BUY" else "SLD", order.remaining, px,
                order.totalQuantity, px, order.orderRef, 2.25, commission_sent=True,
                account=order.account))
            order.avgFillPrice, order.filled = px, order.totalQuantity
            self._complete(order, "Filled", "Filled")

    def _history_fault(self, conn, req_id: int, inst: Instrument) -> bool:
        """Play the next scripted fault of ``inst``'s history; True when it answered (or
        swallowed) the request."""
        script = self.history_faults.get(inst.conId)
        if not script:
            return False
        fault = script.pop(0)
        self.history_requests_faulted += 1
        if fault[0] == "error":
            conn.send(4, 2, req_id, fault[1], fault[2], "")
            return True
        if fault[0] == "silent":
            return True
        if fault[0] == "delay":
            self.later(fault[1], self._send_history, conn, req_id, inst)
            return True
        raise ValueError(f"unknown history fault {fault!r}")

    def _history_bars(self, inst: Instrument) -> list:
        """The daily bars IB sends now: with today's unfinished bar before the close."""
        bars = list(inst.bars)
        now = self.now()
        today = now.strftime("%Y%m%d")
        if self.unfinished_bars and bars and now.weekday() < 5 and \
                now.time() < SESSION_CLOSE and bars[-1][0] < today:
            px = inst.price
            bars.append((today, bars[-1][4], max(px, bars[-1][4]), min(px, bars[-1][4]), px,
                         max(1, int(bars[-1][5]) // 3)))
        return bars

    def _send_history(self, conn, req_id: int, inst: Instrument, bars: list | None = None) -> None:
        """IB's answer to a daily-bar request: ``bars`` (the market mode's) or the instrument's own."""
        if bars is None:
            bars = self._history_bars(inst)
        fields: list = [17, req_id, bars[0][0] if bars else "", bars[-1][0] if bars else "",
                        len(bars)]
        for day, o, h, lo, cl, vol in bars:
            fields += [day, o, h, lo, cl, vol, cl, 1]
        conn.send(*fields)
