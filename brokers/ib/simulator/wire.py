"""The TWS API socket framing of the simulated gateway: length-prefixed, NUL-separated fields,
one reader thread per client connection, and the server version it negotiates."""

from __future__ import annotations

import socket
import struct
import threading
from zoneinfo import ZoneInfo

SERVER_VERSION = 178  # the newest version ib_async 2.1.0 negotiates
UNSET = "1.7976931348623157E308"
GATEWAY_TZ = ZoneInfo("America/New_York")


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
    def __init__(self, gateway, sock: socket.socket):  # gateway: the FakeGateway serving it
        self.gateway = gateway
        self.sock = sock
        self.client_id: int | None = None
        self.version = SERVER_VERSION
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
        low, high = (int(v) for v in versions[0].lstrip("v").split(" ")[0].split(".."))
        self.version = min(high, self.gateway.max_version)
        if self.version < low:
            self.close()
            return
        self.send(self.version, self.gateway.now().strftime("%Y%m%d %H:%M:%S") + " US/Eastern")
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
        # the client hung up (or the socket failed): close our end too, or the server process
        # prints "unclosed socket" (a ResourceWarning) on the user's terminal when it is freed
        self.close()
        self.gateway._forget(self)
