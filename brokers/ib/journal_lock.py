"""One process per journal: ``<journal>.lock``, held with ``flock`` for the journal's lifetime.

Two ``ecore paper`` processes on one journal (any client ids) would each read the other's
orders as in motion or not, and both could send the full target; so the second is refused,
naming the holder's pid (written in the lock file).  The kernel lets the lock go when its
holder exits, however it exits, so a crashed run never blocks the next one.  A read-only
journal (``ecore paper status``, a dry run) takes no lock: it writes nothing.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

__all__ = ["JournalInUse", "JournalLock"]


class JournalInUse(RuntimeError):
    """Another process holds the journal."""


class JournalLock:
    """The lock of the journal at ``journal``; taken on construction, ``release()`` frees it."""

    def __init__(self, journal: Path):
        self.path = Path(f"{journal}.lock")
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise JournalInUse(
                f"journal {journal} is in use by another ecore process (pid {holder}); one "
                "process per journal: wait for it to end or stop it (its lock: "
                f"{self.path})") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None and not self._fh.closed:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
        self._fh = None
