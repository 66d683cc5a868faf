"""One connection to TWS / IB Gateway, with the journal: a complete picture before any order,
orders sent once, and everything IB reports recorded once.

``IBSession`` knows nothing of backtrader.  ``connect()`` opens the API socket and then asks IB,
each with its own time-out, for the account's positions, open orders (this client's and every
client's), completed orders, account values and executions; if any of them goes unanswered it
stops (``IncompletePicture``) before a single order, because an order computed on a partial
picture can double a book.  It refuses any account that is not an IB paper account (``DU...``),
then reconciles the journal with what IB reported: orders IB never received are ``lost``,
orders that ended while we were away are closed with their fills, and fills IB no longer reports
(IB Gateway keeps executions only since midnight) are inferred from completed orders or from the
change in positions.

``poll()`` reports what happened since the last call as events (``Filled``, ``Acknowledged``,
``Rejected``, ``Cancelled``), read from the client library's state, classified by ecore itself
(``errors.py``) so that both libraries mean the same thing.  After IB's notices 1101/1102 the
session asks for executions and open orders again.

The session is one object to its users (the broker, the feeds, ``ecore paper``), but each of its
jobs is written in a module of its own, as a mixin working on the state set up here:

* ``connection.py``: ``ConnectionSettings`` (paper ports and accounts only), connecting and
  reconnecting, IB's error messages acted on, requests under the request time-out;
* ``picture.py``: the complete picture, and the positions, working orders and account values
  read from it;
* ``reconcile.py``: the journal aligned with the picture after each (re)connection;
* ``orders.py``: orders submitted, reduced and cancelled, what-if margin, ``poll()``'s events.

Written only against the API ``ib_insync`` and ``ib_async`` share (see ``client.py``).
"""

from __future__ import annotations

import collections
import types
from dataclasses import dataclass, field

from .connection import Connection, ConnectionSettings
from .contracts import ContractBook
from .journal import Journal
from .orders import Orders
from .picture import Picture
from .reconcile import Reconciliation
from .safety import SafetyLimits

__all__ = ["IBSession"]


@dataclass
class IBSession(Connection, Picture, Reconciliation, Orders):
    """A connection plus journal. ``lib`` is the client module (``client_library()``).

    ``dry_run`` sessions never place an order (what-if queries only) and keep the journal as
    they found it.
    """

    settings: ConnectionSettings
    journal: Journal
    lib: types.ModuleType
    contracts: ContractBook | None = None
    limits: SafetyLimits = field(default_factory=SafetyLimits)
    reconnect_interval: float = 2.0  # seconds between reconnection attempts
    client_id_retries: int = 2  # connection attempts more when IB says the client id is in use
    client_id_pause: float = 0.5  # seconds between them
    dry_run: bool = False
    account: str = ""
    connects: int = 0
    warnings: list = field(default_factory=list)  # (id, code, text) logged, not acted on

    def __post_init__(self):
        # every part's state is set up here, so that one place shows all the session holds
        self.ib = self.lib.IB()
        self.ib.RequestTimeout = self.settings.request_timeout
        if self.contracts is None:
            self.contracts = ContractBook(self.lib)
        self.ib.errorEvent += self._on_error
        self.errors: dict[int, list[tuple[int, str]]] = collections.defaultdict(list)
        self.contract_errors: dict[int, tuple[int, str]] = {}  # conId -> last request error
        self.link_lost = False
        self._reconcile_due = False
        self._last_attempt = float("-inf")
        self._sent_at: dict[str, float] = {}
        self._fill_state: dict[str, tuple] = {}  # execId -> (shares, price, commission) seen
        self._left_alone: set[int] = set()
        self._backlog: list = []
        self._inactive_since: dict[str, float] = {}  # orderRef -> when IB first said Inactive
        # (orderRef, status, reason) of our orders this session found ended at IB while no
        # ecore process ran: rejected or cancelled by IB, expired, or no longer known
        self.found_ended: list[tuple[str, str, str]] = []
        # (ExecutionReport, what it was inferred from or "") a read-only journal cannot record
        self.unrecorded_fills: list[tuple] = []
        self.completed_states: dict[int, tuple[str, str]] = {}  # permId -> (status, IB's text)
        self._watch_completed()
        self.notices: list[str] = []  # what the run must say on the terminal (feeds' notes)
        self.said_still_working = False  # a --once run's feeds say once that they stop waiting
