"""The connection to TWS / IB Gateway: where it listens, opening it, and riding out its drops.

Connecting has failures of its own that an unattended run must tell apart, so they are kept
here, away from what the session asks once connected: nothing listening (``GatewayUnreachable``),
the client id taken (``ClientIdInUse``: IB answers 326 and closes the socket, which the client
libraries would wait out until their time-out), a live-trading port or a live account (refused
before any order can exist), and IB's own link to its servers going down and up (1100, then
1101/1102) while our socket stays open.  What IB's codes mean is decided in ``errors.py``;
``_on_error`` here only acts on it.

``Connection`` is one of the mixins ``IBSession`` (``session.py``) is made of; the state it uses
is set up there.  ``connect()`` goes on to the complete picture (``picture.py``) and the
journal's reconciliation (``reconcile.py``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass

from .errors import (CLIENT_ID_IN_USE, CONNECTIVITY_CODES, ClientIdInUse, GatewayUnreachable,
                     IncompletePicture, PaperAccountRequired, RequestFailed, is_warning)

# the session's parts log as one, under the name its lines carried before it was split
log = logging.getLogger(f"{__package__}.session")

__all__ = ["ConnectionSettings", "LIVE_PORTS", "LivePortRefused", "Connection"]

# IB's live-trading sockets: ecore paper never talks to them.
LIVE_PORTS = {7496: "TWS live-trading", 4001: "IB Gateway live-trading"}


class LivePortRefused(ValueError):
    """The configured port is one of IB's live-trading ports."""


@dataclass(frozen=True)
class ConnectionSettings:
    """Where TWS / IB Gateway listens (7497 = TWS paper, 4002 = Gateway paper) and how long to
    wait: ``timeout`` for the socket and API handshake, ``request_timeout`` for each request
    (seconds)."""

    host: str = "127.0.0.1"
    port: int = 7497
    client_id: int = 1
    account: str = ""
    timeout: float = 10.0
    readonly: bool = False
    request_timeout: float = 10.0

    def __post_init__(self):
        if isinstance(self.port, bool) or not isinstance(self.port, int) or \
                not 0 < self.port < 65536:
            raise ValueError(f"port: {self.port!r} is not a TCP port number")
        if self.port in LIVE_PORTS:
            raise LivePortRefused(
                f"port: {self.port} is the {LIVE_PORTS[self.port]} port; ecore paper trades only "
                "paper accounts (TWS paper 7497, IB Gateway paper 4002)")
        if isinstance(self.client_id, bool) or not isinstance(self.client_id, int) or \
                self.client_id < 0:
            raise ValueError(f"client_id: {self.client_id!r} must be a non-negative integer")
        if self.account and not self.account.startswith("DU"):
            raise PaperAccountRequired(
                f"account: {self.account!r} is not a paper account (paper accounts start with DU)")
        for name in ("timeout", "request_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    not 0 < value < math.inf:
                raise ValueError(f"{name}: {value!r} must be a positive number of seconds")


class Connection:
    """Connecting, reconnecting and disconnecting; IB's messages routed; requests timed."""

    # -- connection -------------------------------------------------------------------------------

    @property
    def request_timeout(self) -> float:
        return self.settings.request_timeout

    def connect(self) -> None:
        """Connect, check the account, fetch the complete picture, reconcile the journal.

        Raises ``GatewayUnreachable``, ``ClientIdInUse``, ``PaperAccountRequired`` or
        ``IncompletePicture``; the connection is closed when it does.
        """
        self.link_lost = False
        for attempt in range(self.client_id_retries + 1):
            try:
                self.lib.util.run(self._connect())
                break
            except ClientIdInUse:
                # a process that just disconnected may hold the id for a moment
                if attempt == self.client_id_retries:
                    raise
                time.sleep(self.client_id_pause)
        self.connects += 1
        self.reconcile()

    async def _connect(self) -> None:
        s = self.settings
        ib = self.ib
        ib.wrapper.reset()  # ib_insync keeps the last session's trades and fills otherwise
        ib.wrapper.clientId = s.client_id
        self.errors.clear()
        refused = lambda: any(code == CLIENT_ID_IN_USE  # noqa: E731
                              for code, _ in self.errors.get(-1, []))
        task = asyncio.ensure_future(ib.client.connectAsync(s.host, s.port, s.client_id,
                                                            s.timeout))
        try:
            # IB answers 326 and closes the socket; the libraries would wait out the time-out
            while not task.done() and not refused():
                await asyncio.wait([task], timeout=0.02)
            if not task.done():
                task.cancel()
                raise ConnectionError("client id in use")
            task.result()
        except (asyncio.TimeoutError, TimeoutError, ConnectionError, OSError,
                asyncio.CancelledError) as exc:
            ib.disconnect()
            if refused():
                raise ClientIdInUse(
                    f"client id {s.client_id} is already in use at {s.host}:{s.port} (IB error "
                    "326): another program or an earlier ecore run is connected with it; use "
                    "another client_id or stop that program") from None
            raise GatewayUnreachable(
                f"cannot reach TWS/IB Gateway at {s.host}:{s.port} ({type(exc).__name__}"
                f"{': ' + str(exc) if str(exc) else ''}); is it running with the API enabled "
                "on this port?") from None
        try:
            self.account = self._paper_account()
            await self._fetch_picture()
        except BaseException:
            ib.disconnect()
            raise
        log.info("connected to %s:%s as client %s, account %s (server version %s)", s.host,
                 s.port, s.client_id, self.account, ib.client.serverVersion())

    def _paper_account(self) -> str:
        s = self.settings
        accounts = list(self.ib.client.getAccounts())
        account = s.account or (accounts[0] if len(accounts) == 1 else "")
        if not account:
            raise PaperAccountRequired(
                f"account: several accounts {accounts}; name the paper (DU...) account to use")
        if not account.startswith("DU") or account not in accounts:
            raise PaperAccountRequired(
                f"account: {account!r} is not a paper account (paper accounts start with DU); "
                "ecore paper never trades a live account")
        return account

    def ensure_connected(self) -> bool:
        """Reconnect if the connection dropped; True if a (re)connection happened.

        After a first successful connection, a failed reconnection is logged and retried on a
        later call (at most every ``reconnect_interval`` seconds) instead of raising, so an
        unattended run rides out a TWS restart.
        """
        if self.ib.isConnected():
            return False
        if not self.connects:
            self.connect()
            return True
        now = time.monotonic()
        if now - self._last_attempt < self.reconnect_interval:
            return False
        self._last_attempt = now
        log.warning("connection to IB lost; reconnecting")
        try:
            self.connect()
        except (ConnectionError, OSError, TimeoutError, IncompletePicture) as exc:
            log.error("reconnection failed (%s); will retry", exc)
            return False
        return True

    @property
    def ready(self) -> bool:
        """Connected, with IB's link to its servers up: orders may be sent."""
        return self.ib.isConnected() and not self.link_lost

    def disconnect(self) -> None:
        if self.ib.isConnected():
            try:
                self.pump(0.02)
                self.poll()
                self.checkpoint()
            except (ConnectionError, OSError):
                pass
        self.ib.disconnect()

    def pump(self, seconds: float = 0.0) -> None:
        """Let the client library process incoming messages for ``seconds``."""
        if not self.ib.isConnected():
            time.sleep(seconds)
            return
        try:
            self.ib.sleep(seconds)
        except ConnectionError as exc:
            # the socket closed while we waited; the next ensure_connected() reconnects
            log.warning("IB connection closed: %s", exc)

    def _on_error(self, req_id, code, text, contract=None, *rest) -> None:
        code = int(code)
        self.errors[int(req_id)].append((code, text))
        if contract is not None and getattr(contract, "conId", 0):
            self.contract_errors[contract.conId] = (code, text)
        if code in CONNECTIVITY_CODES:
            log.warning("IB %s: %s", code, text)
            self.link_lost = code == 1100
            if code in (1101, 1102):
                self._reconcile_due = True
        elif is_warning(code):
            log.info("IB warning %s (id %s): %s", code, req_id, text)
            self.warnings.append((req_id, code, text))
        else:
            log.error("IB error %s (id %s): %s", code, req_id, text)

    # -- requests ---------------------------------------------------------------------------------

    def run(self, awaitable, what: str):
        """Await one request with the request time-out; ``RequestFailed`` naming ``what``."""
        try:
            return self.lib.util.run(asyncio.wait_for(awaitable, self.request_timeout))
        except (asyncio.TimeoutError, TimeoutError):
            raise RequestFailed(f"IB did not answer {what} within {self.request_timeout:g} s") \
                from None

    def qualify(self, instrument: str):
        """The qualified IB contract of ``instrument`` (cached), within the request time-out."""
        try:
            return self.contracts.qualify(self.ib, instrument)
        except (asyncio.TimeoutError, TimeoutError):
            raise RequestFailed(f"IB did not answer the contract details of {instrument} within "
                                f"{self.request_timeout:g} s") from None

    async def _ask(self, requests: dict) -> list[str]:
        """Run the named requests concurrently, each with the request time-out; the names of
        those not answered."""
        t = self.request_timeout
        results = await asyncio.gather(*(asyncio.wait_for(r, t) for r in requests.values()),
                                       return_exceptions=True)
        missing = []
        for name, result in zip(requests, results):
            if isinstance(result, BaseException):
                if not self.ib.isConnected():
                    raise ConnectionError(f"IB closed the connection while answering {name}")
                missing.append(name)
        return missing
