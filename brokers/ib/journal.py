"""The local order journal (SQLite): what we meant to trade, what we sent, what was filled.

Every order starts as an *intent* (``OrderIntent``) whose ``order_ref`` is derived from what the
strategy wants (day, instrument, side, size).  The intent is committed to disk *before* the
order goes to IB, and IB carries the same ``orderRef`` on the order and on every execution, so
after a crash, a restart or a lost connection we can always tell whether an intent already
reached IB and must not be sent again.  Executions are keyed by IB's ``execId``, so a fill
reported twice (live, then again by ``reqExecutions`` after a reconnect) counts once.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

ACTIONS = ("BUY", "SELL")
ORDER_TYPES = ("MKT", "LMT")

# pending: stored, not yet confirmed sent; sent: handed to IB; lost: IB never saw it (safe to
# send again); the rest are final.
STATUSES = ("pending", "sent", "filled", "rejected", "cancelled", "refused", "lost")
FINAL = ("filled", "rejected", "cancelled", "refused")


@dataclass(frozen=True)
class OrderIntent:
    """One order the strategy wants: ``quantity`` contracts or shares (> 0), ``action`` BUY/SELL.

    ``notional`` is the order's approximate value in dollars (quantity x price x multiplier),
    used by the safety limits.  ``limit_price`` (points or dollars per share) only for ``LMT``.
    ``legs`` is empty for an outright order; for a calendar spread it holds
    ``((instrument, ratio, action), ...)`` and ``instrument`` names the spread.
    """

    order_ref: str
    day: dt.date
    instrument: str
    action: str
    quantity: float
    order_type: str = "MKT"
    limit_price: float | None = None
    notional: float = 0.0
    legs: tuple = ()

    def __post_init__(self):
        if not self.order_ref or len(self.order_ref) > 128:
            raise ValueError(f"order_ref: {self.order_ref!r} must be 1 to 128 characters")
        if self.action not in ACTIONS:
            raise ValueError(f"action: {self.action!r} is not BUY or SELL")
        if not self.quantity > 0:
            raise ValueError(f"quantity: {self.quantity!r} must be positive")
        if self.order_type not in ORDER_TYPES:
            raise ValueError(f"order_type: {self.order_type!r} is not MKT or LMT")
        if (self.order_type == "LMT") != (self.limit_price is not None):
            raise ValueError(f"limit_price: {self.limit_price!r} is required for LMT orders only")

    @staticmethod
    def ref_for(day: dt.date, instrument: str, action: str, quantity: float,
                tag: str | None = None) -> str:
        """The ``orderRef`` for an intent: the same wish on the same day gives the same ref."""
        base = f"ecore-{day:%Y%m%d}-{instrument}-{action}-{quantity:g}"
        return f"{base}-{tag}" if tag else base

    @property
    def signed_quantity(self) -> float:
        return self.quantity if self.action == "BUY" else -self.quantity


@dataclass(frozen=True)
class JournalEntry:
    """An intent as recorded, with its state: ``status`` is one of ``STATUSES``."""

    intent: OrderIntent
    status: str
    order_id: int | None
    perm_id: int | None
    reason: str


@dataclass(frozen=True)
class ExecutionReport:
    """One fill: ``shares`` > 0 at ``price`` (points or $/share), ``side`` BOT or SLD."""

    exec_id: str
    order_ref: str
    instrument: str
    side: str
    shares: float
    price: float
    time: str
    commission: float | None = None

    @property
    def signed_shares(self) -> float:
        return self.shares if self.side == "BOT" else -self.shares


_SCHEMA = """
CREATE TABLE IF NOT EXISTS intents (
    order_ref TEXT PRIMARY KEY, day TEXT NOT NULL, instrument TEXT NOT NULL,
    action TEXT NOT NULL, quantity REAL NOT NULL, order_type TEXT NOT NULL,
    limit_price REAL, notional REAL NOT NULL, legs TEXT NOT NULL,
    status TEXT NOT NULL, order_id INTEGER, perm_id INTEGER, reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS executions (
    exec_id TEXT PRIMARY KEY, order_ref TEXT NOT NULL, instrument TEXT NOT NULL,
    side TEXT NOT NULL, shares REAL NOT NULL, price REAL NOT NULL, time TEXT NOT NULL,
    commission REAL);
"""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _legs_text(legs: tuple) -> str:
    return ";".join(f"{i}:{r}:{a}" for i, r, a in legs)


def _legs_from(text: str) -> tuple:
    if not text:
        return ()
    out = []
    for part in text.split(";"):
        i, r, a = part.split(":")
        out.append((i, int(r), a))
    return tuple(out)


class Journal:
    """The SQLite journal at ``path`` (created if missing); every write is committed at once."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path))
        self._db.executescript(_SCHEMA)
        self._db.commit()

    def close(self) -> None:
        self._db.close()

    # -- intents ---------------------------------------------------------------------------------

    def add_intent(self, intent: OrderIntent) -> bool:
        """Store a new intent as ``pending``; False (and nothing stored) if its ref exists."""
        now = _now()
        try:
            with self._db:
                self._db.execute(
                    "INSERT INTO intents VALUES (?,?,?,?,?,?,?,?,?,'pending',NULL,NULL,'',?,?)",
                    (intent.order_ref, intent.day.isoformat(), intent.instrument, intent.action,
                     intent.quantity, intent.order_type, intent.limit_price, intent.notional,
                     _legs_text(intent.legs), now, now))
        except sqlite3.IntegrityError:
            return False
        return True

    def mark(self, order_ref: str, status: str, *, reason: str | None = None,
             order_id: int | None = None, perm_id: int | None = None) -> None:
        """Set an intent's status (and IB's order id / perm id / reason when given)."""
        if status not in STATUSES:
            raise ValueError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
        with self._db:
            cur = self._db.execute(
                "UPDATE intents SET status=?, reason=COALESCE(?, reason), "
                "order_id=COALESCE(?, order_id), perm_id=COALESCE(?, perm_id), updated_at=? "
                "WHERE order_ref=?", (status, reason, order_id, perm_id, _now(), order_ref))
        if cur.rowcount != 1:
            raise KeyError(f"order_ref: {order_ref!r} is not in the journal")

    def entry(self, order_ref: str) -> JournalEntry | None:
        row = self._db.execute(
            "SELECT order_ref, day, instrument, action, quantity, order_type, limit_price, "
            "notional, legs, status, order_id, perm_id, reason FROM intents WHERE order_ref=?",
            (order_ref,)).fetchone()
        return self._entry(row) if row else None

    def entries(self, statuses: tuple[str, ...] | None = None) -> list[JournalEntry]:
        rows = self._db.execute(
            "SELECT order_ref, day, instrument, action, quantity, order_type, limit_price, "
            "notional, legs, status, order_id, perm_id, reason FROM intents ORDER BY created_at, "
            "rowid").fetchall()
        entries = [self._entry(r) for r in rows]
        return [e for e in entries if statuses is None or e.status in statuses]

    @staticmethod
    def _entry(row) -> JournalEntry:
        (ref, day, inst, action, qty, otype, lmt, notional, legs, status, oid, pid,
         reason) = row
        intent = OrderIntent(ref, dt.date.fromisoformat(day), inst, action, qty, otype, lmt,
                             notional, _legs_from(legs))
        return JournalEntry(intent, status, oid, pid, reason)

    def day_totals(self, day: dt.date) -> tuple[float, float]:
        """(quantity, notional $) of the day's intents that went, or may have gone, to IB."""
        row = self._db.execute(
            "SELECT COALESCE(SUM(quantity),0), COALESCE(SUM(notional),0) FROM intents "
            "WHERE day=? AND status NOT IN ('refused','lost')", (day.isoformat(),)).fetchone()
        return float(row[0]), float(row[1])

    # -- executions -------------------------------------------------------------------------------

    def record_execution(self, report: ExecutionReport) -> bool:
        """Store a fill; False if its ``exec_id`` was already recorded (a duplicate report)."""
        try:
            with self._db:
                self._db.execute(
                    "INSERT INTO executions VALUES (?,?,?,?,?,?,?,?)",
                    (report.exec_id, report.order_ref, report.instrument, report.side,
                     report.shares, report.price, report.time, report.commission))
        except sqlite3.IntegrityError:
            return False
        return True

    def has_execution(self, exec_id: str) -> bool:
        return self._db.execute(
            "SELECT 1 FROM executions WHERE exec_id=?", (exec_id,)).fetchone() is not None

    def executions(self, order_ref: str | None = None) -> list[ExecutionReport]:
        sql = ("SELECT exec_id, order_ref, instrument, side, shares, price, time, commission "
               "FROM executions")
        args: tuple = ()
        if order_ref is not None:
            sql += " WHERE order_ref=?"
            args = (order_ref,)
        return [ExecutionReport(*r) for r in self._db.execute(sql + " ORDER BY rowid", args)]

    def filled(self, order_ref: str) -> float:
        """Quantity filled so far for an intent; for a spread, counted on its first leg."""
        entry = self.entry(order_ref)
        if entry is None:
            return 0.0
        instrument, ratio = entry.intent.instrument, 1
        if entry.intent.legs:
            instrument, ratio, _ = entry.intent.legs[0]
        return sum(e.shares for e in self.executions(order_ref)
                   if e.instrument == instrument) / abs(ratio)
