"""The simulated gateway itself: its state (contracts, positions, orders, executions, account
values) and how it handles each request, faults included."""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import threading
import time
from typing import Callable

from .book import ExecutionRecord, Instrument, PlacedOrder
from .faults import MonthFaults
from .messages import Messages
from .resting import Resting, order_types_of, read_terms
from .steps import (CONNECT_WARNINGS, CONNECTIVITY_TEXT, DEFAULT_SCRIPT, REQ_ACCOUNT,
                    REQ_ACCOUNT_MULTI, REQ_ALL_OPEN_ORDERS, REQ_COMPLETED_ORDERS,
                    REQ_CONTRACT_DETAILS, REQ_EXECUTIONS, REQ_HISTORY, REQ_OPEN_ORDERS,
                    REQ_PLACE_ORDER, REQ_POSITIONS, Accept, Cancel, Drop, Fill, Hold, Info,
                    ReadOnly, Reject, Rest, Silent, Warn)
from .wire import GATEWAY_TZ, SERVER_VERSION, UNSET, _Connection


def _retail_commission(inst: Instrument, quantity: float, price: float) -> float:
    """The gateway's default commission (dollars): $2.25 a contract, $0.005 a share (min $1)."""
    return 2.25 * quantity if inst.secType == "FUT" else max(1.0, 0.005 * quantity)


class FakeGateway(Resting, Messages, MonthFaults):
    """A scriptable TWS / IB Gateway on 127.0.0.1; ``start()`` returns the port."""

    def __init__(self, account: str = "DU1234567", accounts: list[str] | None = None):
        self.accounts = accounts or [account]
        self.lock = threading.RLock()
        self.instruments: dict[int, Instrument] = {}
        self.positions: dict[int, float] = {}
        self.avg_cost: dict[int, float] = {}
        self.other_account_positions: list[tuple[str, Instrument, float]] = []
        self.orders: dict[tuple[int, int], PlacedOrder] = {}
        self.placed: list[PlacedOrder] = []  # every (non what-if) placeOrder received, in order
        self.what_ifs: list[tuple[Instrument, str, float]] = []  # (instrument, action, quantity)
        self.modified: list[PlacedOrder] = []  # working orders the client modified
        self.executions: list[ExecutionRecord] = []
        self.received: list[list[str]] = []  # every client message, raw fields
        self.errors: list[str] = []
        self.base_currency = "USD"
        self.exchange_rates: dict[str, float] = {"USD": 1.0}  # base units per unit of currency
        self.account_values: dict[str, float] = {  # in the base currency
            "NetLiquidation": 1_000_000.0,
            "TotalCashValue": 1_000_000.0,
            "ExcessLiquidity": 990_000.0,
            "InitMarginReq": 10_000.0,
            "MaintMarginReq": 9_000.0,
            "BuyingPower": 4_000_000.0,
            "EquityWithLoanValue": 1_000_000.0,
        }
        self.connect_warnings = list(CONNECT_WARNINGS)
        self.order_script: Callable[[PlacedOrder], tuple | list] = lambda order: DEFAULT_SCRIPT
        self.max_version = SERVER_VERSION
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(GATEWAY_TZ)
        self.unanswered: set[int] = set()  # request message ids left without an answer
        self.request_errors: dict[int, tuple[int, str]] = {}  # message id -> (code, text)
        self.drop_on: dict[int, int] = {}  # message id -> how many more times to drop on it
        self.client_ids_in_use: set[int] = set()
        self.master_client_id: int | None = None  # sees every client's executions
        self.read_only = False
        self.whatif_unset_first = 0  # the next N what-ifs get IB's unset (E308) answer first
        self.unsolicited_completed = False  # send 101 outside any request when an order ends
        self.history_faults: dict[int, list] = {}  # conId -> scripted history faults (faults.py)
        self.history_requests_faulted = 0
        self.unfinished_bars = False  # today's bar so far, before the close (faults.py)
        self.next_valid_id = 1
        self.trail_updates: list[tuple[str, float]] = []  # (orderRef, new stop) of TRAIL orders
        self.expired: list[str] = []  # orderRefs of DAY/GTD orders ended by close_session
        # Hooks of the market mode (:mod:`.market`): daily bars of an instrument for a request's
        # duration ("30 D"), and the commission of an execution (instrument, quantity, price).
        self.history: Callable[[Instrument, str], list] | None = None
        self.commission: Callable[[Instrument, float, float], float] = _retail_commission
        self._next_conid = 100_000
        self._next_perm = 900_000_000
        self._next_exec = 1
        self._connections: list[_Connection] = []
        self._timers: list[threading.Timer] = []
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- set-up ---------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The gateway's clock (aware, its login time zone)."""
        return self.clock()

    def midnight(self) -> dt.datetime:
        """The gateway's last midnight: executions and completed orders before it are gone."""
        now = self.now()
        return now.replace(hour=0, minute=0, second=0, microsecond=0)

    def add_future(self, symbol: str, month: str, last_trade_date: str, multiplier: str = "1000",
                   price: float = 110.0, exchange: str = "CBOT", bars=(),
                   currency: str = "USD") -> Instrument:
        """A future; ``month`` YYYYMM, ``last_trade_date`` YYYYMMDD."""
        y, m = int(month[:4]), int(month[4:])
        local = f"{symbol:<5}{dt.date(y, m, 1):%b %y}".upper()
        return self._add(Instrument(0, symbol, "FUT", exchange, currency=currency,
                                    lastTradeDate=last_trade_date, multiplier=multiplier,
                                    localSymbol=local, tradingClass=symbol, price=price,
                                    bars=list(bars)))

    def add_stock(self, symbol: str, primary: str = "ARCA", price: float = 500.0,
                  bars=(), currency: str = "USD") -> Instrument:
        return self._add(Instrument(0, symbol, "STK", "SMART", currency=currency,
                                    localSymbol=symbol, tradingClass=symbol,
                                    primaryExchange=primary, price=price, bars=list(bars)))

    def add_option(self, symbol: str, expiry: str, strike: float, right: str = "C",
                   price: float = 5.0) -> Instrument:
        """An equity option (symbol = its underlying's, as IB reports it)."""
        local = f"{symbol:<6}{expiry[2:]}{right}{int(strike * 1000):08d}"
        return self._add(Instrument(0, symbol, "OPT", "SMART", lastTradeDate=expiry,
                                    multiplier="100", localSymbol=local, tradingClass=symbol,
                                    price=price, strike=strike, right=right))

    def add_forex(self, base: str, quote: str = "USD", price: float = 1.08) -> Instrument:
        """A currency balance as IB reports it (``CASH``, e.g. EUR.USD)."""
        return self._add(Instrument(0, base, "CASH", "IDEALPRO", currency=quote,
                                    localSymbol=f"{base}.{quote}", tradingClass=f"{base}.{quote}",
                                    price=price))

    def _add(self, inst: Instrument) -> Instrument:
        with self.lock:
            self._next_conid += 1
            inst.conId = self._next_conid
            self.instruments[inst.conId] = inst
        return inst

    def set_position(self, inst: Instrument, quantity: float, avg_cost: float | None = None):
        with self.lock:
            self.positions[inst.conId] = quantity
            mult = float(inst.multiplier) if inst.multiplier else 1.0
            self.avg_cost[inst.conId] = avg_cost if avg_cost is not None else inst.price * mult

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, port: int = 0) -> int:
        """Listen on 127.0.0.1 at ``port`` (0: a free one); returns the port."""
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", port))
        self._server.listen(8)
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()
        return self.port

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        if self._server is not None:
            self._server.close()
            self._server = None
        for conn in list(self._connections):
            conn.close()

    def _accept_loop(self) -> None:
        while self._server is not None:
            try:
                sock, _ = self._server.accept()
            except OSError:
                return
            # small messages go out at once, as from TWS (no 40 ms Nagle/delayed-ACK stalls)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Connection(self, sock)
            with self.lock:
                self._connections.append(conn)
            threading.Thread(target=conn.run, daemon=True).start()

    def _forget(self, conn: _Connection) -> None:
        with self.lock:
            if conn in self._connections:
                self._connections.remove(conn)

    def drop_connections(self) -> None:
        """Close every client socket now."""
        for conn in list(self._connections):
            conn.close()

    @property
    def connection_count(self) -> int:
        return len([c for c in self._connections if not c.closed])

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()

    # -- scripting helpers used by tests --------------------------------------------------------

    def open_orders(self) -> list[PlacedOrder]:
        return [o for o in self.orders.values() if o.status in ("PreSubmitted", "Submitted")]

    def add_working_order(self, inst: Instrument, action: str, quantity: float, order_ref: str,
                          client_id: int, status: str = "Submitted") -> PlacedOrder:
        """An order already working at IB, placed by an earlier process (of ``client_id``)."""
        with self.lock:
            self._next_perm += 1
            order = PlacedOrder(self.next_valid_id, client_id, self._next_perm, inst, action,
                                float(quantity), "MKT", "", "DAY", self.accounts[0], order_ref,
                                [], status=status)
            self.next_valid_id += 1
            self.orders[(client_id, order.orderId)] = order
            self.placed.append(order)
            return order

    def fill_open_orders(self, price: float | None = None, quantity: float | None = None,
                         commission_delay: float | None = 0.0, where=None) -> None:
        """Fill every resting order now (those ``where(order)`` accepts; ``quantity`` of each,
        default all), reporting to whichever client is connected."""
        with self.lock:
            for order in self.open_orders():
                if where is not None and not where(order):
                    continue
                self._fill(self._conn_for(order.clientId), order, quantity, price,
                           commission_delay)

    def cancel_open_orders(self) -> None:
        """IB cancels every working order (DAY orders at the end of their session)."""
        with self.lock:
            for order in self.open_orders():
                self._cancel(self._conn_for(order.clientId), order)

    def correct(self, execution: ExecutionRecord, shares: float | None = None,
                price: float | None = None) -> ExecutionRecord:
        """Publish a correction of ``execution``: the same execId but for its last part, one
        more than the latest (``.01`` → ``.02``), with the corrected shares or price."""
        with self.lock:
            head, _, _ = execution.execId.rpartition(".")
            rev = max(int(e.execId.rpartition(".")[2]) for e in self.executions
                      if e.execId.rpartition(".")[0] == head)
            execution = next(e for e in self.executions if e.execId == f"{head}.{rev:02d}")
            fixed = dataclasses.replace(
                execution, execId=f"{head}.{rev + 1:02d}",
                shares=execution.shares if shares is None else shares,
                price=execution.price if price is None else price, commission_sent=False)
            self.executions.append(fixed)
            delta = (fixed.shares - execution.shares) * (1 if fixed.side == "BOT" else -1)
            self.positions[fixed.instrument.conId] = self.positions.get(
                fixed.instrument.conId, 0.0) + delta
            conn = self._conn_for(fixed.clientId)
            if conn:
                self._send_execution(conn, fixed, -1)
                self._send_commission(conn, fixed)
            return fixed

    def send_error(self, req_id: int, code: int, text: str) -> None:
        for conn in list(self._connections):
            conn.send(4, 2, req_id, code, text, "")

    def notify(self, code: int) -> None:
        """A connectivity notice to every client: 1100 lost, 1101 restored (data lost), 1102
        restored (data maintained)."""
        self.send_error(-1, code, CONNECTIVITY_TEXT[code])

    # -- message handling -----------------------------------------------------------------------

    def _conn_for(self, client_id: int) -> _Connection | None:
        for conn in self._connections:
            if conn.client_id == client_id and not conn.closed:
                return conn
        return None

    def _request_id(self, msg: int, f: list[str]) -> int:
        if msg in (REQ_EXECUTIONS, REQ_CONTRACT_DETAILS):
            return int(f[2])
        if msg == REQ_HISTORY:
            return int(f[1])
        if msg == REQ_PLACE_ORDER:
            return int(f[1])
        return -1

    def _handle(self, conn: _Connection, f: list[str]) -> None:
        msg = int(f[0])
        with self.lock:
            if msg == 71:  # startApi: version, clientId, optionalCapabilities
                client_id = int(f[2])
                in_use = client_id in self.client_ids_in_use or any(
                    c.client_id == client_id and c is not conn and not c.closed
                    for c in self._connections)
                if in_use:
                    conn.send(4, 2, -1, 326, "Unable to connect as the client id is already in "
                              "use. Retry with a unique client id.", "")
                    conn.close()
                    return
                conn.client_id = client_id
                conn.send(9, 1, self.next_valid_id)
                conn.send(15, 1, ",".join(self.accounts))
                for code, text in self.connect_warnings:
                    conn.send(4, 2, -1, code, text, "")
                return
            if self.drop_on.get(msg, 0) > 0:
                self.drop_on[msg] -= 1
                conn.close()
                return
            if msg in self.unanswered:
                return
            if msg in self.request_errors and msg != REQ_PLACE_ORDER:
                code, text = self.request_errors[msg]
                conn.send(4, 2, self._request_id(msg, f), code, text, "")
                return
            if msg == 8:  # reqIds
                conn.send(9, 1, self.next_valid_id)
            elif msg == 49:  # reqCurrentTime
                conn.send(49, 1, int(time.time()))
            elif msg == REQ_POSITIONS:
                conn.subscribed_positions = True
                for con_id, qty in self.positions.items():
                    self._send_position(conn, self.instruments[con_id], qty)
                for account, inst, qty in self.other_account_positions:
                    self._send_position(conn, inst, qty, account)
                conn.send(62, 1)
            elif msg == 64:  # cancelPositions
                conn.subscribed_positions = False
            elif msg == REQ_ACCOUNT:  # version, subscribe, account
                conn.subscribed_account = f[2] == "1"
                if conn.subscribed_account:
                    account = f[3] or self.accounts[0]
                    for key, value, currency in self._account_rows():
                        conn.send(6, 2, key, value, currency, account)
                    for con_id, qty in self.positions.items():
                        self._send_portfolio(conn, self.instruments[con_id], qty, account)
                    conn.send(8, 1, self.now().strftime("%H:%M"))
                    conn.send(54, 1, account)
            elif msg == REQ_ACCOUNT_MULTI:  # version, reqId, account, modelCode, ledger
                req_id, account = int(f[2]), f[3]
                for key, value, currency in self._account_rows():
                    conn.send(73, 1, req_id, account, "", key, value, currency)
                conn.send(74, 1, req_id)
            elif msg in (REQ_OPEN_ORDERS, REQ_ALL_OPEN_ORDERS):
                for order in self.open_orders():
                    if msg == REQ_ALL_OPEN_ORDERS or order.clientId == conn.client_id:
                        self._send_open_order(conn, order)
                        self._send_status(conn, order)
                conn.send(53, 1)
            elif msg == REQ_COMPLETED_ORDERS:
                if self.read_only:
                    return  # refused in read-only mode: no answer at all
                midnight = self.midnight()
                for order in self.placed:
                    if order.completed_at is not None and order.completed_at >= midnight:
                        self._send_completed_order(conn, order)
                conn.send(102)
            elif msg == REQ_EXECUTIONS:  # version, reqId, filter...
                req_id = int(f[2])
                mine = self._executions_for(conn)
                for ex in mine:
                    self._send_execution(conn, ex, req_id)
                conn.send(55, 1, req_id)
                for ex in mine:
                    if ex.commission_sent:
                        self._send_commission(conn, ex)
            elif msg == REQ_CONTRACT_DETAILS:  # version, reqId, contract(12), ...
                self._contract_details(conn, int(f[2]), f[3:15])
            elif msg == REQ_HISTORY:  # reqId, contract(12), includeExpired, ...
                self._historical(conn, int(f[1]), f[2:14], f[17] if len(f) > 17 else "")
            elif msg == REQ_PLACE_ORDER:
                self._place(conn, f)
            elif msg == 4:  # cancelOrder: version, orderId, manualCancelOrderTime
                order = self.orders.get((conn.client_id, int(f[2])))
                if order is not None:
                    self._cancel(conn, order)
            elif msg == 58:  # reqGlobalCancel
                for order in self.open_orders():
                    self._cancel(self._conn_for(order.clientId), order)
            # every other request (market data type, etc.) needs no answer here

    def _executions_for(self, conn: _Connection) -> list[ExecutionRecord]:
        """IB Gateway keeps executions since its midnight, and without the master client id
        returns only the executions of this client's orders."""
        midnight = self.midnight()
        return [ex for ex in self.executions if ex.at >= midnight and (
            conn.client_id == self.master_client_id or ex.clientId == conn.client_id)]

    def _account_rows(self) -> list[tuple[str, str, str]]:
        """(tag, value, currency) rows as IB sends them: summary tags in the base currency,
        per-currency tags once per currency plus ``BASE``, an exchange rate per currency."""
        base = self.base_currency
        rows = [(k, f"{v:.2f}", base) for k, v in self.account_values.items()]
        cash = self.account_values.get("TotalCashValue", 0.0)
        rows += [("CashBalance", f"{cash:.2f}", "BASE"), ("CashBalance", f"{cash:.2f}", base)]
        rows += [("ExchangeRate", "1.00", "BASE")]
        rates = dict(self.exchange_rates)
        rates[base] = 1.0
        rows += [("ExchangeRate", f"{r:.6f}", c) for c, r in rates.items()]
        rows += [("AccountCode", self.accounts[0], ""), ("AccountReady", "true", ""),
                 ("AccountType", "INDIVIDUAL", ""), ("Currency", base, base),
                 ("Currency", base, "BASE")]
        return rows

    def _match(self, c: list[str]) -> list[Instrument]:
        con_id, symbol, sec_type, ltd, _strike, _right, mult, exchange, _prim, currency, \
            local, trading_class = c
        found = []
        for inst in self.instruments.values():
            if con_id not in ("", "0") and int(con_id) != inst.conId:
                continue
            if symbol and symbol != inst.symbol:
                continue
            if sec_type and sec_type != inst.secType:
                continue
            if ltd and not inst.lastTradeDate.startswith(ltd):
                continue
            if mult and inst.multiplier and float(mult) != float(inst.multiplier):
                continue
            # IB still accepts the pre-2022 venue name for CBOT products
            if exchange and exchange not in (inst.exchange, "SMART") and not (
                    exchange == "ECBOT" and inst.exchange == "CBOT"):
                continue
            if currency and currency != inst.currency:
                continue
            if local and local != inst.localSymbol:
                continue
            if trading_class and trading_class != inst.tradingClass:
                continue
            found.append(inst)
        return found

    def _contract_details(self, conn: _Connection, req_id: int, c: list[str]) -> None:
        matches = self._match(c)
        if not matches:
            conn.send(4, 2, req_id, 200, "No security definition has been found for the request", "")
            return
        for inst in matches:
            last_times = inst.lastTradeDate and f"{inst.lastTradeDate} 12:01:00 US/Central"
            conn.send(
                10, req_id, inst.symbol, inst.secType, last_times, inst.strike, inst.right,
                inst.exchange, inst.currency, inst.localSymbol, inst.tradingClass,
                inst.tradingClass, inst.conId, 0.015625 if inst.secType == "FUT" else 0.01,
                inst.multiplier, order_types_of(inst), inst.exchange, 1, 0, inst.symbol,
                inst.primaryExchange, inst.lastTradeDate[:6], "", "", "", "US/Central", "", "",
                "", "", 0, 1, "", "", "", inst.lastTradeDate, "", 1, 1, 1)
        conn.send(52, 1, req_id)

    def _historical(self, conn: _Connection, req_id: int, c: list[str], duration: str = "") -> None:
        matches = self._match(c)
        # market mode (:mod:`.market`): the data folder's bars for the request's duration
        served = self.history(matches[0], duration) if len(matches) == 1 and self.history is not None else None
        if len(matches) != 1 or (self.history is not None and not served):
            conn.send(4, 2, req_id, 162, "Historical Market Data Service error message:HMDS "
                      "query returned no data", "")
            return
        if not self._history_fault(conn, req_id, matches[0]):
            self._send_history(conn, req_id, matches[0], served)

    def _what_if_index(self, conn: _Connection, f: list[str]) -> int:
        """Where ``whatIf`` sits in a placeOrder of a market or limit order: 85 at server
        version 176, 84 from 177 (faProfile gone); a combo adds its legs' fields."""
        base = 85 if conn.version < 177 else 84
        if f[4] == "BAG":
            base += 3 + 8 * int(f[35])
        return base

    def _place(self, conn: _Connection, f: list[str]) -> None:
        order_id = int(f[1])
        contract = f[2:14]
        sec_type = contract[2]
        what_if = f[self._what_if_index(conn, f)] == "1"
        legs = []
        if sec_type == "BAG":
            n = int(f[35])
            for i in range(n):
                base = 36 + 8 * i
                legs.append((int(f[base]), int(f[base + 1]), f[base + 2]))
            inst = Instrument(0, contract[1], "BAG", contract[7] or "CBOT", localSymbol="",
                              tradingClass=contract[1])
        else:
            matches = self._match(contract)
            if len(matches) != 1:
                conn.send(4, 2, order_id, 200, "No security definition has been found for the request", "")
                return
            inst = matches[0]
        if self.read_only:
            conn.send(4, 2, order_id, 321, ReadOnly().text, "")
            return
        if REQ_PLACE_ORDER in self.request_errors:
            code, text = self.request_errors[REQ_PLACE_ORDER]
            conn.send(4, 2, order_id, code, text, "")
            return
        if what_if:
            self._what_if(conn, order_id, inst, f[16], float(f[17]), f)
            return
        key = (conn.client_id, order_id)
        if key in self.orders:
            order = self.orders[key]
            if order.status not in ("Submitted", "PreSubmitted") or float(f[17]) < order.filled:
                conn.send(4, 2, order_id, 104, "Cannot modify a filled order.", "")
                return
            order.totalQuantity = float(f[17])  # a modification of a working order
            self.modified.append(order)
            self._send_open_order(conn, order)
            self._send_status(conn, order)
            return
        self._next_perm += 1
        order = PlacedOrder(order_id, conn.client_id, self._next_perm, inst, f[16],
                            float(f[17]), f[18], f[19], f[21], f[23], f[26], legs)
        if not legs:
            read_terms(order, f, conn.version)
        self.orders[key] = order
        self.placed.append(order)
        self.next_valid_id = max(self.next_valid_id, order_id + 1)
        if self.rests(order):
            self.rest(order, conn)
            return
        self.run_script(order, self.order_script(order), conn)

    def run_script(self, order: PlacedOrder, steps, conn: _Connection | None = None) -> None:
        """Play order script ``steps`` on ``order`` (also used by tests on resting orders)."""
        current = conn if conn is not None else self._conn_for(order.clientId)
        for step in steps:
            if isinstance(step, Accept):
                order.status = step.status
                self._send_open_order(current, order)
                self._send_status(current, order)
            elif isinstance(step, Rest):
                order.status = "PreSubmitted"
                self._send_open_order(current, order)
                self._send_status(current, order)
                if current:
                    current.send(4, 2, order.orderId, 399, step.text, "")
            elif isinstance(step, Fill):
                self._fill(current, order, step.quantity, step.price, step.commission_delay)
            elif isinstance(step, Reject):
                if step.inactive_first or step.no_text:
                    self._complete(order, "Inactive", "Rejected")
                    self._send_open_order(current, order)
                    self._send_status(current, order)
                    if current and not step.no_text:
                        self.later(step.text_delay, current.send, 4, 2, order.orderId,
                                   step.code, step.text, "")
                elif step.error_first:
                    if current:
                        current.send(4, 2, order.orderId, step.code, step.text, "")
                    self._complete(order, "Inactive", "Rejected")
                    self._send_open_order(current, order)
                    self._send_status(current, order)
                else:
                    if current:
                        current.send(4, 2, order.orderId, step.code, step.text, "")
                    self._complete(order, "Cancelled", "Rejected")
                    self._send_status(current, order)
            elif isinstance(step, Hold):
                order.status, order.why_held = "Inactive", step.why
                self._send_open_order(current, order)
                self._send_status(current, order)
                order.status, order.why_held = "Submitted", ""
            elif isinstance(step, ReadOnly):
                order.status = "Refused"  # IB keeps no trace of it
                if current:
                    current.send(4, 2, order.orderId, 321, step.text, "")
            elif isinstance(step, Silent):
                order.status = "Lost"  # IB keeps no trace of it
                return
            elif isinstance(step, (Info, Warn)):
                if current:
                    current.send(4, 2, order.orderId, step.code, step.text, "")
            elif isinstance(step, Cancel):
                self._cancel(current, order, step.text)
            elif isinstance(step, Drop):
                if current:
                    current.close()
                current = None
            else:
                raise TypeError(f"unknown order script step {step!r}")

    def _complete(self, order: PlacedOrder, status: str, completed_status: str) -> None:
        order.status = status
        order.completed_at = self.now()
        order.completed_status = completed_status
        self.on_complete(order)
        if self.unsolicited_completed:
            conn = self._conn_for(order.clientId)
            if conn:
                self._send_completed_order(conn, order)

    def _what_if(self, conn, order_id: int, inst: Instrument, action: str, qty: float, f) -> None:
        init, maint = inst.margins()
        self.what_ifs.append((inst, action, qty))
        held = self.positions.get(inst.conId, 0.0)
        after_size = held + (qty if action == "BUY" else -qty)
        # margin is charged on the absolute position: reducing a position frees margin
        d_init = (abs(after_size) - abs(held)) * init
        d_maint = (abs(after_size) - abs(held)) * maint
        av = self.account_values
        before_i, before_m = av.get("InitMarginReq", 0.0), av.get("MaintMarginReq", 0.0)
        ewl = av.get("EquityWithLoanValue", av.get("NetLiquidation", 0.0))
        probe = PlacedOrder(order_id, conn.client_id, 0, inst, action, qty, f[18], f[19], f[21],
                            f[23], f[26], [], status="PreSubmitted")
        if self.whatif_unset_first:
            self.whatif_unset_first -= 1
            self._send_open_order(conn, probe, what_if=(UNSET,) * 9 + (
                UNSET, UNSET, UNSET, "USD", "Your order size is larger than the precaution"))
        margins = (f"{before_i:.2f}", f"{before_m:.2f}", f"{ewl:.2f}", f"{d_init:.2f}",
                   f"{d_maint:.2f}", "0.00", f"{before_i + d_init:.2f}",
                   f"{before_m + d_maint:.2f}", f"{ewl:.2f}")
        commission = round(self.commission(inst, qty, inst.price), 2)
        self._send_open_order(conn, probe, what_if=margins + (commission, UNSET, UNSET, "USD", ""))

    def _cancel(self, conn: _Connection | None, order: PlacedOrder,
                text: str = "Order Canceled - reason:") -> None:
        if order.status not in ("PreSubmitted", "Submitted", "PendingSubmit"):
            return
        self._complete(order, "Cancelled", "Cancelled by Trader")
        self._send_status(conn, order)
        if conn:
            conn.send(4, 2, order.orderId, 202, text, "")

    def _fill(self, conn: _Connection | None, order: PlacedOrder, quantity, price,
              commission_delay: float | None = 0.0) -> None:
        qty = order.remaining if quantity is None else min(quantity, order.remaining)
        if qty <= 0:
            return
        sign = 1 if order.action == "BUY" else -1
        now = self.now()
        legs = ([(self.instruments[cid], ratio * (1 if act == "BUY" else -1))
                 for cid, ratio, act in order.legs] if order.legs else [(order.instrument, 1)])
        late = []
        for inst, ratio in legs:
            px = price if price is not None and not order.legs else inst.price
            leg_sign = sign * (1 if ratio > 0 else -1)
            shares = qty * abs(ratio)
            self._next_exec += 1
            ex = ExecutionRecord(
                order.orderId, order.clientId, order.permId, inst,
                f"0000e1a7.{self._next_exec:08x}.01.01", now, "BOT" if leg_sign > 0 else "SLD",
                shares, px, order.filled + qty, px, order.orderRef,
                round(self.commission(inst, shares, px), 2),
                account=order.account)
            self.executions.append(ex)
            old = self.positions.get(inst.conId, 0.0)
            new = old + leg_sign * shares
            self.positions[inst.conId] = new
            mult = float(inst.multiplier) if inst.multiplier else 1
            self.avg_cost[inst.conId] = px * mult
            if conn:
                self._send_execution(conn, ex, -1)
            if commission_delay == 0.0:
                ex.commission_sent = True
                if conn:
                    self._send_commission(conn, ex)
            elif commission_delay is not None:
                late.append(ex)
            for c in self._connections:
                if c.subscribed_positions and not c.closed:
                    self._send_position(c, inst, new)
                if c.subscribed_account and not c.closed:
                    self._send_portfolio(c, inst, new, self.accounts[0])
        if late:
            timer = threading.Timer(commission_delay, self._late_commissions, (late,))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()
        if price is not None:
            fill_px = price
        elif order.legs:  # a spread trades at the difference of its legs' prices
            fill_px = sum(self.instruments[cid].price * (ratio if act == "BUY" else -ratio)
                          for cid, ratio, act in order.legs)
        else:
            fill_px = order.instrument.price
        order.avgFillPrice = (order.avgFillPrice * order.filled + fill_px * qty) / (order.filled + qty)
        order.filled += qty
        if order.remaining <= 0:
            self._complete(order, "Filled", "Filled")
        else:
            order.status = "Submitted"
        if conn:
            self._send_open_order(conn, order)
            self._send_status(conn, order, last_price=fill_px)

    def _late_commissions(self, executions: list[ExecutionRecord]) -> None:
        with self.lock:
            for ex in executions:
                ex.commission_sent = True
                conn = self._conn_for(ex.clientId)
                if conn:
                    self._send_commission(conn, ex)
