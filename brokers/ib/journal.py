"""The local order journal (SQLite): what we meant to trade, what we sent, what was filled.

An *intent* is keyed by (day, instrument, purpose) - purpose being what the strategy trades for:
``rebalance``, ``roll``, ``margin_call``, or ``target`` for a plain order - and carries the
position it aims for.  Each order sent for an intent is a row of ``orders`` with its own
``orderRef``, ``ecore-YYYYMMDD-INSTRUMENT-PURPOSE-N`` (N counts the orders of that intent), stored
*before* it goes to IB: a re-run of the day sends at most the difference to the target under a
new N, so no ``orderRef`` is ever sent twice.

Fills are keyed by IB's execId without its last part: IB publishes a correction as the same
execId with the last number raised (``...01.01`` → ``...01.02``), which replaces the earlier
row instead of adding to it.  A commission report may come seconds (or a run) later: the fill is
recorded at once and its commission filled in when it arrives.  Fills that IB no longer reports
(IB Gateway keeps executions only since midnight) are recovered from completed orders or from
the change in positions, and recorded as ``inferred``, replaced by the real execution if it
turns up.

A journal opened ``read_only`` (a dry run) never writes: its write methods do nothing.  A
writable journal is held by one process at a time (``journal_lock.py``): a second process is
refused with the holder's pid.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ACTIONS = ("BUY", "SELL")
ORDER_TYPES = ("MKT", "LMT", "STP", "STP LMT", "TRAIL", "TRAIL LIMIT", "MOC", "LOC")
LIMIT_TYPES = ("LMT", "STP LMT", "LOC")  # the IB order types that carry a limit price

# pending: stored, not yet handed to IB; sent: handed to IB, not acknowledged; working:
# acknowledged by IB (it may be partly filled); lost: IB never received it; unknown: IB no longer
# reports it and the positions cannot tell whether it traded.  The others are final.
STATUSES = ("pending", "sent", "working", "filled", "cancelled", "rejected", "refused", "lost",
            "unknown")
LIVE = ("pending", "sent", "working")
FINAL = ("filled", "cancelled", "rejected", "refused", "lost", "unknown")

_REF = re.compile(r"^ecore-(\d{8})-(.+)-([A-Za-z0-9_]+)-(\d+)$")
_PURPOSE = re.compile(r"^[A-Za-z0-9_]{1,24}$")


class JournalConflict(RuntimeError):
    """The journal refused a write another writer's row stands in the way of (an orderRef
    already stored): the order is not sent."""


def purpose_of(tag) -> str:
    """A purpose from a strategy's tag ("rebalance", "roll"...); ``target`` when none."""
    text = str(tag or "target")
    if not _PURPOSE.match(text):
        raise ValueError(f"intent: {text!r} must be 1 to 24 letters, digits or _")
    return text


def parse_ref(order_ref: str) -> tuple[dt.date, str, str, int] | None:
    """(day, instrument, purpose, n) of one of our orderRefs, or None for anyone else's."""
    m = _REF.match(order_ref or "")
    if not m:
        return None
    try:
        day = dt.datetime.strptime(m.group(1), "%Y%m%d").date()
    except ValueError:
        return None
    return day, m.group(2), m.group(3), int(m.group(4))


@dataclass(frozen=True)
class OrderIntent:
    """One order for an intent: ``quantity`` contracts or shares (> 0), ``action`` BUY/SELL.

    ``target`` is the position (contracts or shares, signed) the intent aims for; ``notional``
    the order's approximate value in dollars (quantity x price x multiplier), for the safety
    limits; ``limit_price`` (points or dollars per share) only for ``LMT``.  ``legs`` is empty for
    an outright order; for a calendar spread it holds ``((instrument, ratio, action), ...)`` and
    ``instrument`` names the spread.
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
    purpose: str = "target"
    target: float | None = None
    terms: str = ""  # IB's native order terms beyond type and limit (``order_types.OrderTerms``)

    def __post_init__(self):
        if not self.order_ref or len(self.order_ref) > 128:
            raise ValueError(f"order_ref: {self.order_ref!r} must be 1 to 128 characters")
        if self.action not in ACTIONS:
            raise ValueError(f"action: {self.action!r} is not BUY or SELL")
        if not self.quantity > 0:
            raise ValueError(f"quantity: {self.quantity!r} must be positive")
        if self.order_type not in ORDER_TYPES:
            raise ValueError(f"order_type: {self.order_type!r} is not one of "
                             f"{', '.join(ORDER_TYPES)}")
        if (self.order_type in LIMIT_TYPES) != (self.limit_price is not None):
            raise ValueError(f"limit_price: {self.limit_price!r} is required for "
                             f"{'/'.join(LIMIT_TYPES)} orders only")

    @staticmethod
    def ref_for(day: dt.date, instrument: str, purpose: str = "target", n: int = 1) -> str:
        """The ``orderRef`` of the ``n``-th order of the intent (day, instrument, purpose)."""
        return f"ecore-{day:%Y%m%d}-{instrument}-{purpose_of(purpose)}-{int(n)}"

    @property
    def signed_quantity(self) -> float:
        return self.quantity if self.action == "BUY" else -self.quantity


@dataclass(frozen=True)
class JournalEntry:
    """An order as recorded, with its state: ``status`` is one of ``STATUSES``."""

    intent: OrderIntent
    status: str
    order_id: int | None
    perm_id: int | None
    reason: str
    updated_at: str = ""


@dataclass(frozen=True)
class ExecutionReport:
    """One fill: ``shares`` > 0 at ``price`` (points or $/share; NaN when inferred without a
    price), ``side`` BOT or SLD; ``source`` "ib" or "inferred"."""

    exec_id: str
    order_ref: str
    instrument: str
    side: str
    shares: float
    price: float
    time: str
    commission: float | None = None
    source: str = "ib"

    @property
    def signed_shares(self) -> float:
        return self.shares if self.side == "BOT" else -self.shares


def exec_key(exec_id: str) -> str:
    """The execution an execId belongs to: the id without its last part (the correction
    number), for IB's four-part ids; others (combo legs' five-part ids) are kept whole."""
    parts = exec_id.split(".")
    return ".".join(parts[:-1]) if len(parts) == 4 else exec_id


_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_ref TEXT PRIMARY KEY, day TEXT NOT NULL, instrument TEXT NOT NULL,
    purpose TEXT NOT NULL, target REAL, action TEXT NOT NULL, quantity REAL NOT NULL,
    order_type TEXT NOT NULL, limit_price REAL, notional REAL NOT NULL, legs TEXT NOT NULL,
    status TEXT NOT NULL, order_id INTEGER, perm_id INTEGER, reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fills (
    exec_key TEXT PRIMARY KEY, exec_id TEXT NOT NULL, order_ref TEXT NOT NULL,
    instrument TEXT NOT NULL, side TEXT NOT NULL, shares REAL NOT NULL, price REAL,
    time TEXT NOT NULL, commission REAL, source TEXT NOT NULL, recorded_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (
    instrument TEXT PRIMARY KEY, size REAL NOT NULL, fills_seen INTEGER NOT NULL,
    at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS order_terms (order_ref TEXT PRIMARY KEY, terms TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS margin_calls (
    day TEXT PRIMARY KEY, amount REAL NOT NULL, deadline TEXT NOT NULL, equity REAL NOT NULL,
    maintenance REAL NOT NULL, initial REAL NOT NULL, recorded_at TEXT NOT NULL);
"""

_ORDER_COLUMNS = ("order_ref, day, instrument, action, quantity, order_type, limit_price, "
                  "notional, legs, purpose, target, status, order_id, perm_id, reason, "
                  "updated_at, ")
# a journal written before order terms existed, opened read-only, has no order_terms table
_TERMS = "(SELECT terms FROM order_terms t WHERE t.order_ref=orders.order_ref)"


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
    """The SQLite journal at ``path`` (created if missing); every write is committed at once.

    ``read_only=True`` opens an existing file without the right to write (a missing one as an
    empty journal in memory), and every write method does nothing.
    """

    def __init__(self, path: str | Path, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        if read_only:
            if str(path) != ":memory:" and self.path.exists():
                self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
                if not self._has_tables():
                    self._db.close()
                    self._db = self._memory()
            else:
                self._db = self._memory()
            return
        self._lock = None
        if str(path) != ":memory:":
            from .journal_lock import JournalLock

            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = JournalLock(self.path)  # one process per journal
        self._db = sqlite3.connect(str(self.path))
        self._db.executescript(_SCHEMA)
        self._db.commit()

    @staticmethod
    def _memory():
        db = sqlite3.connect(":memory:")
        db.executescript(_SCHEMA)
        return db

    @property
    def _terms(self) -> str:
        if "_terms_sql" not in self.__dict__:
            self._terms_sql = _TERMS if "order_terms" in self._tables() else "''"
        return self._terms_sql

    def _tables(self) -> set[str]:
        """The tables the file has (a journal opened read-only may predate the newer ones)."""
        return {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}

    def _has_tables(self) -> bool:
        return {"orders", "fills", "checkpoints"} <= self._tables()

    def close(self) -> None:
        self._db.close()
        if getattr(self, "_lock", None) is not None:
            self._lock.release()
            self._lock = None

    def _write(self, sql: str, args: tuple = ()):
        if self.read_only:
            return None
        with self._db:
            return self._db.execute(sql, args)

    # -- orders ---------------------------------------------------------------------------------

    def add_order(self, intent: OrderIntent) -> bool:
        """Store a new order as ``pending``; False (and nothing stored) if its ref exists."""
        now = _now()
        try:
            cur = self._write(
                "INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?,?,?,'pending',NULL,NULL,'',?,?)",
                (intent.order_ref, intent.day.isoformat(), intent.instrument, intent.purpose,
                 intent.target, intent.action, intent.quantity, intent.order_type,
                 intent.limit_price, intent.notional, _legs_text(intent.legs), now, now))
            if intent.terms and cur is not None:
                self._write("INSERT INTO order_terms VALUES (?,?)", (intent.order_ref,
                                                                      intent.terms))
        except sqlite3.IntegrityError:
            return False
        return cur is not None

    def mark(self, order_ref: str, status: str, *, reason: str | None = None,
             order_id: int | None = None, perm_id: int | None = None) -> None:
        """Set an order's status (and IB's order id / perm id / reason when given)."""
        if status not in STATUSES:
            raise ValueError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
        if self.read_only:
            return
        cur = self._write(
            "UPDATE orders SET status=?, reason=COALESCE(?, reason), "
            "order_id=COALESCE(?, order_id), perm_id=COALESCE(?, perm_id), updated_at=? "
            "WHERE order_ref=?", (status, reason, order_id, perm_id, _now(), order_ref))
        if cur.rowcount != 1:
            raise KeyError(f"order_ref: {order_ref!r} is not in the journal")

    def entry(self, order_ref: str) -> JournalEntry | None:
        row = self._db.execute(f"SELECT {_ORDER_COLUMNS}{self._terms} FROM orders "
                               "WHERE order_ref=?", (order_ref,)).fetchone()
        return self._entry(row) if row else None

    def entries(self, statuses: tuple[str, ...] | None = None, day: dt.date | None = None,
                instrument: str | None = None) -> list[JournalEntry]:
        """Orders in the order they were stored, filtered by status, day and instrument."""
        sql, args = f"SELECT {_ORDER_COLUMNS}{self._terms} FROM orders WHERE 1=1", []
        if day is not None:
            sql += " AND day=?"
            args.append(day.isoformat())
        if instrument is not None:
            sql += " AND instrument=?"
            args.append(instrument)
        rows = self._db.execute(sql + " ORDER BY created_at, rowid", args).fetchall()
        entries = [self._entry(r) for r in rows]
        return [e for e in entries if statuses is None or e.status in statuses]

    def intent_orders(self, day: dt.date, instrument: str, purpose: str) -> list[JournalEntry]:
        """Every order of the intent (day, instrument, purpose), oldest first."""
        return [e for e in self.entries(day=day, instrument=instrument)
                if e.intent.purpose == purpose]

    def next_ref(self, day: dt.date, instrument: str, purpose: str) -> str:
        """The orderRef of the intent's next order (never one already stored)."""
        used = [parse_ref(e.intent.order_ref) for e in self.intent_orders(day, instrument, purpose)]
        n = max((u[3] for u in used if u), default=0) + 1
        return OrderIntent.ref_for(day, instrument, purpose, n)

    def set_quantity(self, order_ref: str, quantity: float, reason: str) -> None:
        """Record that a working order was reduced to ``quantity`` (its notional in proportion)."""
        self._write("UPDATE orders SET notional=notional*?/quantity, quantity=?, reason=?, "
                    "updated_at=? WHERE order_ref=?",
                    (quantity, quantity, reason, _now(), order_ref))

    def day_fills(self, day: dt.date, instrument: str) -> float:
        """Signed quantity our orders of ``day`` filled in ``instrument`` (any purpose)."""
        row = self._db.execute(
            "SELECT COALESCE(SUM(CASE f.side WHEN 'BOT' THEN f.shares ELSE -f.shares END),0) "
            "FROM fills f JOIN orders o ON o.order_ref=f.order_ref "
            "WHERE o.day=? AND f.instrument=?", (day.isoformat(), instrument)).fetchone()
        return float(row[0])

    @staticmethod
    def _entry(row) -> JournalEntry:
        (ref, day, inst, action, qty, otype, lmt, notional, legs, purpose, target, status, oid,
         pid, reason, updated, terms) = row
        intent = OrderIntent(ref, dt.date.fromisoformat(day), inst, action, qty, otype, lmt,
                             notional, _legs_from(legs), purpose, target, terms or "")
        return JournalEntry(intent, status, oid, pid, reason, updated)

    def day_totals(self, day: dt.date) -> tuple[float, float]:
        """(quantity, notional $) of the day's orders that went, or may have gone, to IB."""
        row = self._db.execute(
            "SELECT COALESCE(SUM(quantity),0), COALESCE(SUM(notional),0) FROM orders "
            "WHERE day=? AND status NOT IN ('refused','lost')", (day.isoformat(),)).fetchone()
        return float(row[0]), float(row[1])

    # -- fills ----------------------------------------------------------------------------------

    def record_fill(self, report: ExecutionReport) -> str:
        """Store a fill; returns ``"new"``, ``"corrected"`` (a later correction replaced the
        row), ``"commission"`` (only its commission was new) or ``"duplicate"``."""
        key = exec_key(report.exec_id)
        row = self._db.execute("SELECT exec_id, commission, source FROM fills WHERE exec_key=?",
                               (key,)).fetchone()
        values = (report.exec_id, report.order_ref, report.instrument, report.side,
                  report.shares, report.price, report.time, report.commission, report.source)
        if row is None:
            if report.source == "ib":
                # a real execution replaces what was inferred for its order
                self._write("DELETE FROM fills WHERE order_ref=? AND source='inferred'",
                            (report.order_ref,))
            self._write("INSERT INTO fills VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        (key, *values, _now()))
            return "new"
        old_id, old_commission, _ = row
        if report.exec_id > old_id and len(report.exec_id) == len(old_id):
            commission = report.commission if report.commission is not None else old_commission
            self._write("UPDATE fills SET exec_id=?, order_ref=?, instrument=?, side=?, shares=?, "
                        "price=?, time=?, commission=?, source=? WHERE exec_key=?",
                        (*values[:7], commission, report.source, key))
            return "corrected"
        if report.exec_id == old_id and old_commission is None and report.commission is not None:
            self.set_commission(report.exec_id, report.commission)
            return "commission"
        return "duplicate"

    def set_commission(self, exec_id: str, commission: float) -> bool:
        """Record a commission that arrived after its fill; False if the fill is unknown."""
        cur = self._write("UPDATE fills SET commission=? WHERE exec_key=? AND exec_id=?",
                          (commission, exec_key(exec_id), exec_id))
        return bool(cur is not None and cur.rowcount)

    def has_execution(self, exec_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM fills WHERE exec_key=?",
                                (exec_key(exec_id),)).fetchone() is not None

    def executions(self, order_ref: str | None = None) -> list[ExecutionReport]:
        sql = ("SELECT exec_id, order_ref, instrument, side, shares, price, time, commission, "
               "source FROM fills")
        args: tuple = ()
        if order_ref is not None:
            sql += " WHERE order_ref=?"
            args = (order_ref,)
        return [ExecutionReport(*r[:5], float("nan") if r[5] is None else r[5], *r[6:])
                for r in self._db.execute(sql + " ORDER BY rowid", args)]

    def filled(self, order_ref: str) -> float:
        """Quantity filled so far for an order; for a spread, counted on its first leg."""
        entry = self.entry(order_ref)
        if entry is None:
            return 0.0
        instrument, ratio = entry.intent.instrument, 1
        if entry.intent.legs:
            instrument, ratio, _ = entry.intent.legs[0]
        return sum(e.shares for e in self.executions(order_ref)
                   if e.instrument == instrument) / abs(ratio)

    # -- margin calls ---------------------------------------------------------------------------

    def record_margin_call(self, call) -> None:
        """Keep a margin call (``brokers.margin_calls.MarginCall``, dollars) the run issued; a
        re-run of the day replaces that day's call with what it found."""
        self._write("INSERT OR REPLACE INTO margin_calls VALUES (?,?,?,?,?,?,?)",
                    (call.issued.isoformat(), float(call.amount), call.deadline.isoformat(),
                     float(call.equity), float(call.maintenance), float(call.initial), _now()))

    def margin_calls(self) -> list:
        """The margin calls recorded, oldest first (``MarginCall``; none in a journal written
        before calls were recorded)."""
        from ..margin_calls import MarginCall

        if "margin_calls" not in self._tables():
            return []
        rows = self._db.execute("SELECT day, amount, deadline, equity, maintenance, initial "
                                "FROM margin_calls ORDER BY day").fetchall()
        return [MarginCall(dt.date.fromisoformat(d), a, dt.date.fromisoformat(dl), e, m, i)
                for d, a, dl, e, m, i in rows]

    # -- positions as last seen (to infer fills IB no longer reports) ---------------------------

    def fills_seen(self) -> int:
        """A marker of the fills recorded so far (for ``checkpoint``)."""
        return int(self._db.execute("SELECT COALESCE(MAX(rowid),0) FROM fills").fetchone()[0])

    def set_checkpoints(self, sizes: dict[str, float]) -> None:
        """Remember IB's positions (``{instrument: size}``) together with the fills recorded
        so far, in one transaction; unchanged rows are left as they are."""
        if self.read_only:
            return
        seen, now = self.fills_seen(), _now()
        old = {r[0]: (r[1], r[2]) for r in
               self._db.execute("SELECT instrument, size, fills_seen FROM checkpoints")}
        rows = [(name, size, seen, now) for name, size in sizes.items()
                if old.get(name) != (size, seen)]
        if rows:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO checkpoints VALUES (?,?,?,?)", rows)

    def checkpoint(self, instrument: str) -> tuple[float, float] | None:
        """(size at the checkpoint, signed quantity of the fills recorded since), or None."""
        row = self._db.execute("SELECT size, fills_seen FROM checkpoints WHERE instrument=?",
                               (instrument,)).fetchone()
        if row is None:
            return None
        since = self._db.execute(
            "SELECT COALESCE(SUM(CASE side WHEN 'BOT' THEN shares ELSE -shares END),0) FROM fills "
            "WHERE instrument=? AND rowid>?", (instrument, row[1])).fetchone()[0]
        return float(row[0]), float(since)
