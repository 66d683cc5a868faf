"""The lock of a sweep's output folder: one sweep writes into a folder at a time.

``sweep.lock`` is held with ``flock`` and holds the owner's pid and start time.  When it is held
but its owner no longer runs (processes it left behind still hold the old lock file), the lock
is taken over: a new lock file replaces the old one.  A forked pool worker closes its copies of
the lock at once (:func:`release_inherited_locks`), so that a lock never outlives its sweep.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path

LOCK_FILE = "sweep.lock"

log = logging.getLogger(__name__)


class StoreBusy(RuntimeError):
    """Another sweep is writing into the same folder."""


class FolderLock:
    """``folder/sweep.lock``, taken on construction; :meth:`release` lets it go."""

    def __init__(self, folder: Path):
        self.fh = _acquire(Path(folder) / LOCK_FILE)
        _HELD_LOCKS.append(self.fh)

    def release(self) -> None:
        if self.fh in _HELD_LOCKS:
            _HELD_LOCKS.remove(self.fh)
        if not self.fh.closed:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()


def _acquire(path: Path):
    folder = path.parent
    for _attempt in range(3):
        fh = open(path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            owner = lock_owner(path)
            if owner_alive(owner):
                who = f" (pid {owner[0]})" if owner else ""
                raise StoreBusy(f"another sweep{who} is writing into {folder}; wait for it or "
                                "use another --out") from None
            # The owner died and left processes holding the lock: a fresh lock file.
            log.warning("taking over %s: its owner (pid %s) no longer runs", path, owner[0])
            fresh = path.with_name(f"{LOCK_FILE}.{os.getpid()}")
            new = open(fresh, "a+")
            fcntl.flock(new, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _write_owner(new)
            os.replace(fresh, path)
            if lock_owner(path) == lock_owner_of(new):
                return new
            new.close()  # another process took it over at the same moment: try again
            continue
        if os.fstat(fh.fileno()).st_ino != _inode(path):
            fh.close()  # the file was replaced while we waited for it
            continue
        _write_owner(fh)
        return fh
    raise StoreBusy(f"another sweep is taking over the lock of {folder}")

@staticmethod
def _write_owner(fh) -> None:
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()} {_process_start(os.getpid())}\n")
    fh.flush()


def _write_owner(fh) -> None:
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()} {_process_start(os.getpid())}\n")
    fh.flush()


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def lock_owner_of(fh) -> tuple[int, float] | None:
    fh.seek(0)
    try:
        pid, started = fh.read().split()[:2]
        return int(pid), float(started)
    except ValueError:
        return None


#: Lock files held by this process: a forked pool worker closes its copies at once
#: (:func:`release_inherited_locks`), so that a lock never outlives the sweep that took it.
_HELD_LOCKS: list = []


def _process_start(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), or None if it does not run."""
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.Error:
        return 0.0  # exists but cannot be inspected: treat as alive


def lock_owner(path: Path) -> tuple[int, float] | None:
    """(pid, start time) written in a lock file, or None."""
    try:
        pid, started = path.read_text(encoding="utf-8").split()[:2]
        return int(pid), float(started)
    except (OSError, ValueError):
        return None


def owner_alive(owner: tuple[int, float] | None) -> bool:
    """Whether the process recorded in a lock still runs (same pid and the same start time, so
    that a recycled pid is not mistaken for the owner)."""
    if owner is None:
        return True  # a lock held by an older ecore that wrote no pid: assume it runs
    started = _process_start(owner[0])
    return started is not None and (started == 0.0 or abs(started - owner[1]) < 1.0)


def release_inherited_locks() -> None:
    """In a forked child: close the copies of this process's lock files (a child holding them
    would keep the lock after its parent died)."""
    for fh in _HELD_LOCKS:
        with contextlib.suppress(OSError):
            fh.close()
    _HELD_LOCKS.clear()
