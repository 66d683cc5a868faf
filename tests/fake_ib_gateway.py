"""A fake TWS / IB Gateway that speaks the real TWS API socket protocol on 127.0.0.1.

It implements the server side of the protocol at server version 176 (accepted by both
``ib_insync`` 0.9.86, client versions 157..176, and ``ib_async`` 2.1.0, 157..178), with the
field order of each message exactly as those clients decode it at that version:

* handshake: the client sends ``b"API\\0"`` + a length-prefixed ``"v157..176"``; we answer with
  the server version and connection time, then after ``startApi`` (71) with ``nextValidId`` (9)
  and ``managedAccounts`` (15);
* account updates (6, 7, 8, 54) and their multi-account form (73, 74), positions (61, 62),
  contract details (10, 52), open orders (5, 3, 53), completed orders (102), executions (11, 55),
  commission reports (59), historical daily bars (17), errors and warnings (4);
* place order (3), cancel order (4), global cancel (58).

Every message after the handshake is a 4-byte big-endian length followed by NUL-terminated
fields.  The gateway runs in background threads with blocking sockets, so tests drive the real
client libraries (which run asyncio in the main thread) without mocking them.

Each placed order runs a script: a list of steps (``Accept``, ``Fill``, ``Reject``, ``Warn``,
``Drop``) chosen by ``gateway.order_script(order)``; the default accepts and fills at once.
State (positions, executions, open orders) lives in the gateway, not in the connection, so a
dropped client that reconnects sees what happened while it was away, as with real TWS.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import struct
import threading
import time
from typing import Callable

SERVER_VERSION = 176

# ---------------------------------------------------------------------------------------------
# Order script steps


@dataclasses.dataclass(frozen=True)
class Accept:
    """Acknowledge the order: openOrder + orderStatus ``Submitted``."""


@dataclasses.dataclass(frozen=True)
class Fill:
    """Execute ``quantity`` (default: all that remains) at ``price`` (default: gateway price)."""

    quantity: float | None = None
    price: float | None = None


@dataclasses.dataclass(frozen=True)
class Reject:
    """Reject the order with an IB error (201 = order rejected) and status ``Cancelled``."""

    code: int = 201
    text: str = "Order rejected - reason:YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR EQUITY WITH LOAN VALUE [1000.00 USD] MUST EXCEED THE INITIAL MARGIN [5000.00 USD]"


@dataclasses.dataclass(frozen=True)
class Warn:
    """Send a warning about the order (e.g. 399 "order will not be placed until...")."""

    code: int = 399
    text: str = "Order Message:\nBUY 1 ZN MAR'25\nWarning: your order will not be placed at the exchange until 2025-03-14 08:00:00 US/Central"


@dataclasses.dataclass(frozen=True)
class Drop:
    """Close the client's socket, as when TWS restarts or the network fails."""


DEFAULT_SCRIPT = (Accept(), Fill())

CONNECT_WARNINGS = (
    (2104, "Market data farm connection is OK:usfarm"),
    (2106, "HMDS data farm connection is OK:ushmds"),
    (2158, "Sec-def data farm connection is OK:secdefnj"),
)


@dataclasses.dataclass
class Instrument:
    """One contract the gateway knows: what ``reqContractDetails`` returns for it."""

    conId: int
    symbol: str
    secType: str
    exchange: str
    currency: str = "USD"
    lastTradeDate: str = ""  # YYYYMMDD for futures
    multiplier: str = ""
    localSymbol: str = ""
    tradingClass: str = ""
    primaryExchange: str = ""
    price: float = 100.0
    bars: list = dataclasses.field(default_factory=list)  # (YYYYMMDD, o, h, l, c, volume)

    def wire(self) -> list:
        """The 11 contract fields of openOrder/execDetails/position (no primaryExchange)."""
        return [self.conId, self.symbol, self.secType, self.lastTradeDate, 0.0, "",
                self.multiplier, self.exchange, self.currency, self.localSymbol,
                self.tradingClass]


@dataclasses.dataclass
class PlacedOrder:
    """An order as the client sent it, with the gateway's bookkeeping."""

    orderId: int
    clientId: int
    permId: int
    instrument: Instrument
    action: str
    totalQuantity: float
    orderType: str
    lmtPrice: str
    tif: str
    account: str
    orderRef: str
    legs: list  # for BAG: [(conId, ratio, action)]
    filled: float = 0.0
    avgFillPrice: float = 0.0
    status: str = "PendingSubmit"

    @property
    def remaining(self) -> float:
        return self.totalQuantity - self.filled


@dataclasses.dataclass
class ExecutionRecord:
    orderId: int
    clientId: int
    permId: int
    instrument: Instrument
    execId: str
    time: str
    side: str
    shares: float
    price: float
    cumQty: float
    avgPrice: float
    orderRef: str
    commission: float


def _encode(fields) -> bytes:
    parts = []
    for f in fields:
        if isinstance(f, bool):
            parts.append("1" if f else "0")
        elif f is None:
            parts.append("")
        else:
            parts.append(str(f))
    body = ("\0".join(parts) + "\0").encode()
    return struct.pack(">I", len(body)) + body


class _Connection:
    def __init__(self, gateway: "FakeGateway", sock: socket.socket):
        self.gateway = gateway
        self.sock = sock
        self.client_id: int | None = None
        self.send_lock = threading.Lock()
        self.closed = False
        self.subscribed_positions = False
        self.subscribed_account = False

    def send(self, *fields) -> None:
        if self.closed:
            return
        with self.send_lock:
            try:
                self.sock.sendall(_encode(fields))
            except OSError:
                self.closed = True

    def close(self) -> None:
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def _recv_exact(self, n: int) -> bytes | None:
        data = b""
        while len(data) < n:
            try:
                chunk = self.sock.recv(n - len(data))
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        return data

    def _recv_frame(self) -> list[str] | None:
        head = self._recv_exact(4)
        if head is None:
            return None
        body = self._recv_exact(struct.unpack(">I", head)[0])
        if body is None:
            return None
        fields = body.decode().split("\0")
        return fields[:-1] if fields and fields[-1] == "" else fields

    def run(self) -> None:
        if self._recv_exact(4) != b"API\0":
            self.close()
            return
        versions = self._recv_frame()
        if versions is None:
            self.close()
            return
        low, high = versions[0].lstrip("v").split(" ")[0].split("..")
        if not int(low) <= SERVER_VERSION <= int(high):
            self.close()
            return
        self.send(SERVER_VERSION, "20250314 09:00:00 US/Central")
        while not self.closed:
            fields = self._recv_frame()
            if fields is None:
                break
            self.gateway.received.append(fields)
            try:
                self.gateway._handle(self, fields)
            except Exception as exc:  # a bug in the fake must show up in the test, not hang it
                self.gateway.errors.append(repr(exc))
                raise
        self.closed = True
        self.gateway._forget(self)


class FakeGateway:
    """A scriptable TWS / IB Gateway on 127.0.0.1; ``start()`` returns the port."""

    def __init__(self, account: str = "DU1234567", accounts: list[str] | None = None):
        self.accounts = accounts or [account]
        self.lock = threading.RLock()
        self.instruments: dict[int, Instrument] = {}
        self.positions: dict[int, float] = {}
        self.avg_cost: dict[int, float] = {}
        self.orders: dict[tuple[int, int], PlacedOrder] = {}
        self.placed: list[PlacedOrder] = []  # every placeOrder received, in order
        self.executions: list[ExecutionRecord] = []
        self.received: list[list[str]] = []  # every client message, raw fields
        self.errors: list[str] = []
        self.account_values: dict[str, float] = {
            "NetLiquidation": 1_000_000.0,
            "TotalCashValue": 1_000_000.0,
            "ExcessLiquidity": 990_000.0,
            "InitMarginReq": 10_000.0,
            "MaintMarginReq": 9_000.0,
            "BuyingPower": 4_000_000.0,
        }
        self.connect_warnings = list(CONNECT_WARNINGS)
        self.order_script: Callable[[PlacedOrder], tuple | list] = lambda order: DEFAULT_SCRIPT
        self.next_valid_id = 1
        self._next_conid = 100_000
        self._next_perm = 900_000_000
        self._next_exec = 1
        self._connections: list[_Connection] = []
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- set-up ---------------------------------------------------------------------------------

    def add_future(self, symbol: str, month: str, last_trade_date: str, multiplier: str = "1000",
                   price: float = 110.0, exchange: str = "CBOT", bars=()) -> Instrument:
        """A Treasury future; ``month`` YYYYMM, ``last_trade_date`` YYYYMMDD."""
        y, m = int(month[:4]), int(month[4:])
        local = f"{symbol:<5}{dt.date(y, m, 1):%b %y}".upper()
        return self._add(Instrument(0, symbol, "FUT", exchange, lastTradeDate=last_trade_date,
                                    multiplier=multiplier, localSymbol=local,
                                    tradingClass=symbol, price=price, bars=list(bars)))

    def add_stock(self, symbol: str, primary: str = "ARCA", price: float = 500.0,
                  bars=()) -> Instrument:
        return self._add(Instrument(0, symbol, "STK", "SMART", localSymbol=symbol,
                                    tradingClass=symbol, primaryExchange=primary, price=price,
                                    bars=list(bars)))

    def _add(self, inst: Instrument) -> Instrument:
        with self.lock:
            self._next_conid += 1
            inst.conId = self._next_conid
            self.instruments[inst.conId] = inst
        return inst

    def set_position(self, inst: Instrument, quantity: float, avg_cost: float | None = None):
        with self.lock:
            self.positions[inst.conId] = quantity
            self.avg_cost[inst.conId] = avg_cost if avg_cost is not None else inst.price

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> int:
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(8)
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()
        return self.port

    def stop(self) -> None:
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

    def fill_open_orders(self, price: float | None = None) -> None:
        """Fill every resting order now, reporting to whichever client is connected."""
        with self.lock:
            for order in self.open_orders():
                self._fill(self._conn_for(order.clientId), order, None, price)

    def send_error(self, req_id: int, code: int, text: str) -> None:
        for conn in list(self._connections):
            conn.send(4, 2, req_id, code, text, "")

    # -- message handling -----------------------------------------------------------------------

    def _conn_for(self, client_id: int) -> _Connection | None:
        for conn in self._connections:
            if conn.client_id == client_id and not conn.closed:
                return conn
        return None

    def _handle(self, conn: _Connection, f: list[str]) -> None:
        msg = int(f[0])
        with self.lock:
            if msg == 71:  # startApi: version, clientId, optionalCapabilities
                conn.client_id = int(f[2])
                conn.send(9, 1, self.next_valid_id)
                conn.send(15, 1, ",".join(self.accounts))
                for code, text in self.connect_warnings:
                    conn.send(4, 2, -1, code, text, "")
            elif msg == 8:  # reqIds
                conn.send(9, 1, self.next_valid_id)
            elif msg == 49:  # reqCurrentTime
                conn.send(49, 1, int(time.time()))
            elif msg == 61:  # reqPositions
                conn.subscribed_positions = True
                for con_id, qty in self.positions.items():
                    self._send_position(conn, self.instruments[con_id], qty)
                conn.send(62, 1)
            elif msg == 64:  # cancelPositions
                conn.subscribed_positions = False
            elif msg == 6:  # reqAccountUpdates: version, subscribe, account
                conn.subscribed_account = f[2] == "1"
                if conn.subscribed_account:
                    account = f[3] or self.accounts[0]
                    for key, value in self.account_values.items():
                        conn.send(6, 2, key, f"{value:.2f}", "USD", account)
                    for con_id, qty in self.positions.items():
                        self._send_portfolio(conn, self.instruments[con_id], qty, account)
                    conn.send(8, 1, "09:00")
                    conn.send(54, 1, account)
            elif msg == 76:  # reqAccountUpdatesMulti: version, reqId, account, modelCode, ledger
                req_id, account = int(f[2]), f[3]
                for key, value in self.account_values.items():
                    conn.send(73, 1, req_id, account, "", key, f"{value:.2f}", "USD")
                conn.send(74, 1, req_id)
            elif msg in (5, 16):  # reqOpenOrders / reqAllOpenOrders
                for order in self.open_orders():
                    if msg == 16 or order.clientId == conn.client_id:
                        self._send_open_order(conn, order)
                        self._send_status(conn, order)
                conn.send(53, 1)
            elif msg == 99:  # reqCompletedOrders
                conn.send(102)
            elif msg == 7:  # reqExecutions: version, reqId, filter...
                req_id = int(f[2])
                for ex in self.executions:
                    self._send_execution(conn, ex, req_id)
                conn.send(55, 1, req_id)
                for ex in self.executions:
                    self._send_commission(conn, ex)
            elif msg == 9:  # reqContractDetails: version, reqId, contract(12), ...
                self._contract_details(conn, int(f[2]), f[3:15])
            elif msg == 20:  # reqHistoricalData: reqId, contract(12), includeExpired, ...
                self._historical(conn, int(f[1]), f[2:14])
            elif msg == 3:
                self._place(conn, f)
            elif msg == 4:  # cancelOrder: version, orderId, manualCancelOrderTime
                order = self.orders.get((conn.client_id, int(f[2])))
                if order is not None:
                    self._cancel(conn, order)
            elif msg == 58:  # reqGlobalCancel
                for order in self.open_orders():
                    self._cancel(self._conn_for(order.clientId), order)
            # every other request (market data type, etc.) needs no answer here

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
                10, req_id, inst.symbol, inst.secType, last_times, 0.0, "", inst.exchange,
                inst.currency, inst.localSymbol, inst.tradingClass, inst.tradingClass,
                inst.conId, 0.015625 if inst.secType == "FUT" else 0.01, inst.multiplier,
                "ACTIVETIM,LMT,MKT", inst.exchange, 1, 0, inst.symbol, inst.primaryExchange,
                inst.lastTradeDate[:6], "", "", "", "US/Central", "", "", "", "", 0,
                1, "", "", "", inst.lastTradeDate, "", 1, 1, 1)
        conn.send(52, 1, req_id)

    def _historical(self, conn: _Connection, req_id: int, c: list[str]) -> None:
        matches = self._match(c)
        if len(matches) != 1:
            conn.send(4, 2, req_id, 162, "Historical Market Data Service error message:No data", "")
            return
        bars = matches[0].bars
        fields: list = [17, req_id, bars[0][0] if bars else "", bars[-1][0] if bars else "",
                        len(bars)]
        for day, o, h, lo, cl, vol in bars:
            fields += [day, o, h, lo, cl, vol, cl, 1]
        conn.send(*fields)

    def _place(self, conn: _Connection, f: list[str]) -> None:
        order_id = int(f[1])
        contract = f[2:14]
        sec_type = contract[2]
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
        key = (conn.client_id, order_id)
        if key in self.orders and self.orders[key].status not in ("PendingSubmit",):
            conn.send(4, 2, order_id, 103, "Duplicate order id", "")
            return
        self._next_perm += 1
        order = PlacedOrder(order_id, conn.client_id, self._next_perm, inst, f[16],
                            float(f[17]), f[18], f[19], f[21], f[23], f[26], legs)
        self.orders[key] = order
        self.placed.append(order)
        self.next_valid_id = max(self.next_valid_id, order_id + 1)
        current = conn
        for step in self.order_script(order):
            if isinstance(step, Accept):
                order.status = "Submitted"
                self._send_open_order(current, order)
                self._send_status(current, order)
            elif isinstance(step, Fill):
                self._fill(current, order, step.quantity, step.price)
            elif isinstance(step, Reject):
                order.status = "Cancelled"
                if current:
                    current.send(4, 2, order_id, step.code, step.text, "")
                self._send_status(current, order)
            elif isinstance(step, Warn):
                if current:
                    current.send(4, 2, order_id, step.code, step.text, "")
            elif isinstance(step, Drop):
                if current:
                    current.close()
                current = None
            else:
                raise TypeError(f"unknown order script step {step!r}")

    def _cancel(self, conn: _Connection | None, order: PlacedOrder) -> None:
        if order.status not in ("PreSubmitted", "Submitted", "PendingSubmit"):
            return
        order.status = "Cancelled"
        self._send_status(conn, order)
        if conn:
            conn.send(4, 2, order.orderId, 202, "Order Canceled - reason:", "")

    def _fill(self, conn: _Connection | None, order: PlacedOrder, quantity, price) -> None:
        qty = order.remaining if quantity is None else min(quantity, order.remaining)
        if qty <= 0:
            return
        sign = 1 if order.action == "BUY" else -1
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d %H:%M:%S") + " UTC"
        legs = ([(self.instruments[cid], ratio * (1 if act == "BUY" else -1))
                 for cid, ratio, act in order.legs] if order.legs else [(order.instrument, 1)])
        for inst, ratio in legs:
            px = price if price is not None and not order.legs else inst.price
            leg_sign = sign * (1 if ratio > 0 else -1)
            shares = qty * abs(ratio)
            self._next_exec += 1
            ex = ExecutionRecord(
                order.orderId, order.clientId, order.permId, inst,
                f"0000e1a7.{self._next_exec:08x}.01.01", now, "BOT" if leg_sign > 0 else "SLD",
                shares, px, order.filled + qty, px, order.orderRef,
                round(2.25 * shares if inst.secType == "FUT" else 0.005 * shares, 2))
            self.executions.append(ex)
            old = self.positions.get(inst.conId, 0.0)
            new = old + leg_sign * shares
            self.positions[inst.conId] = new
            self.avg_cost[inst.conId] = px * (float(inst.multiplier) if inst.multiplier else 1)
            if conn:
                self._send_execution(conn, ex, -1)
                self._send_commission(conn, ex)
            for c in self._connections:
                if c.subscribed_positions and not c.closed:
                    self._send_position(c, inst, new)
                if c.subscribed_account and not c.closed:
                    self._send_portfolio(c, inst, new, self.accounts[0])
        if price is not None:
            fill_px = price
        elif order.legs:  # a spread trades at the difference of its legs' prices
            fill_px = sum(self.instruments[cid].price * (ratio if act == "BUY" else -ratio)
                          for cid, ratio, act in order.legs)
        else:
            fill_px = order.instrument.price
        order.avgFillPrice = (order.avgFillPrice * order.filled + fill_px * qty) / (order.filled + qty)
        order.filled += qty
        order.status = "Filled" if order.remaining <= 0 else "Submitted"
        if conn:
            self._send_open_order(conn, order)
            self._send_status(conn, order, last_price=fill_px)

    # -- encoders (field order as decoded at server version 176) --------------------------------

    def _send_position(self, conn, inst: Instrument, qty: float) -> None:
        conn.send(61, 3, self.accounts[0], *inst.wire(), qty, self.avg_cost.get(inst.conId, 0.0))

    def _send_portfolio(self, conn, inst: Instrument, qty: float, account: str) -> None:
        mult = float(inst.multiplier) if inst.multiplier else 1.0
        conn.send(7, 8, inst.conId, inst.symbol, inst.secType, inst.lastTradeDate, 0.0, "",
                  inst.multiplier, inst.primaryExchange, inst.currency, inst.localSymbol,
                  inst.tradingClass, qty, inst.price, qty * inst.price * mult,
                  self.avg_cost.get(inst.conId, 0.0), 0.0, 0.0, account)

    def _send_status(self, conn, order: PlacedOrder, last_price: float = 0.0) -> None:
        if conn is None:
            return
        conn.send(3, order.orderId, order.status, order.filled, order.remaining,
                  order.avgFillPrice, order.permId, 0, last_price, order.clientId, "", 0.0)

    def _send_execution(self, conn, ex: ExecutionRecord, req_id: int) -> None:
        conn.send(11, req_id, ex.orderId, *ex.instrument.wire(), ex.execId, ex.time,
                  self.accounts[0], ex.instrument.exchange, ex.side, ex.shares, ex.price,
                  ex.permId, ex.clientId, 0, ex.cumQty, ex.avgPrice, ex.orderRef, "", "", "", 1)

    def _send_commission(self, conn, ex: ExecutionRecord) -> None:
        conn.send(59, 1, ex.execId, ex.commission, "USD", "", "", "")

    def _send_open_order(self, conn, order: PlacedOrder) -> None:
        if conn is None:
            return
        inst = order.instrument
        legs: list = [len(order.legs)]
        for con_id, ratio, action in order.legs:
            legs += [con_id, ratio, action, "CBOT", 0, 0, "", -1]
        conn.send(
            5, order.orderId, *inst.wire(),
            order.action, order.totalQuantity, order.orderType, order.lmtPrice, "",
            order.tif, "", order.account, "O", 0, order.orderRef, order.clientId, order.permId,
            0, 0, 0, "", "",  # outsideRth, hidden, discretionaryAmt, goodAfterTime, sharesAlloc
            "", "", "", "", "",  # faGroup, faMethod, faPercentage, faProfile, modelCode
            "", "", "", "", 0, "", -1,  # goodTillDate ... exemptCode
            0, "", "", "", "", "",  # auctionStrategy, startingPrice ... stockRangeUpper
            "", 0, 0, 0, "", 3, 0, 0, "",  # displaySize ... nbboPriceCap
            0, 0, "", 0, "", "",  # parentId, triggerMethod, volatility, volType, dnType, dnAux
            0, 0, "", "", "", "", "",  # continuousUpdate ... comboLegsDescrip
            *legs, 0, 0,  # order combo legs, smart combo routing params
            "", "", "",  # scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement
            "",  # hedgeType
            0, "", "", 0, 0,  # optOutSmartRouting, clearingAccount/Intent, notHeld, dnc
            "",  # algoStrategy
            0, 0, order.status, "", "", "", "", "", "", "", "", "", "", "", "", "", "",
            0, 0,  # randomizeSize, randomizePrice
            0,  # conditions
            "", "", "", "", "", "", "", 0, "", "", "", "", 0, 0, "", 0,
            "", 0, 0,  # duration, postToAts, autoCancelParent
            "", "", 0, "", "",  # minTradeQty ... midOffsetAtHalf
        )
