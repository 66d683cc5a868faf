"""Outputs that appear whole or not at all, and never mix two runs.

Every writer of a command (a backtest's files, a sweep's tables and ``sweep.html``) writes into a
staging folder inside the output folder (same file system, so moves are renames) and, once all
succeeded, :meth:`StagedFolder.commit` moves them in.  Only files the manifest lists are ever
replaced: a folder or a file of the user's in an output's place stops the command
(:func:`check_targets`, also run before the work starts).  A manifest (``.ecore-manifest.json``)
records which files each command wrote last; files an earlier run of the same command wrote and
this run does not (``benchmark_daily.csv`` after ``--no-benchmark``, ``fast.csv`` after a sweep
without ``--fast``) are removed at the commit, so the folder holds one run's files.  Files the
manifest does not list (the user's own) are never touched.

A failure, Ctrl-C or SIGTERM before the commit leaves the folder as it was (the staging folder is
removed on the way out); the commit itself runs with SIGINT and SIGTERM held back, so it is not
cut in the middle.  A staging folder left by a process that was killed (``kill -9``) is removed
by the next run, which recognises it by the dead process's id in its name.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from ..errors import UserError

MANIFEST = ".ecore-manifest.json"
STAGING_PREFIX = ".ecore-staging-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_manifest(folder: Path) -> dict[str, list[str]]:
    """Command -> the file names its last run wrote into ``folder``."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): [str(n) for n in v] for k, v in data.items() if isinstance(v, list)} if isinstance(data, dict) else {}


@contextlib.contextmanager
def signals_held():
    """SIGINT and SIGTERM are delivered after the block, not inside it (main thread only)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def remove_dead_staging(folder: Path) -> None:
    """Remove staging folders in ``folder`` left by processes that no longer run."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        m = re.match(re.escape(STAGING_PREFIX) + r"(\d+)-", entry.name)
        if m and entry.is_dir() and not _pid_alive(int(m.group(1))):
            shutil.rmtree(entry, ignore_errors=True)


class OutputConflict(UserError):
    """An output's place is taken by something no ecore run wrote (a folder, the user's file)."""


def check_targets(out_dir, names, option: str = "--out") -> None:
    """Each of ``names`` in ``out_dir`` is free or a file a manifest lists (an earlier run's):
    a folder, or a file no manifest lists, is the user's and is never replaced.  Raises
    :class:`OutputConflict` naming the first; nothing is changed."""
    out = Path(out_dir)
    if not out.is_dir():
        return
    manifest = read_manifest(out)
    listed = {n for written in manifest.values() for n in written}
    for name in names:
        target = out / name
        if target.is_dir() and not target.is_symlink():
            raise OutputConflict(f"{option}: {target} is a folder, where this command writes its {name}: "
                                 "ecore never replaces a folder; move it or choose another folder")
        if (target.exists() or target.is_symlink()) and name not in listed:
            raise OutputConflict(f"{option}: {target} exists and no ecore run wrote it (it is not in "
                                 f"{out / MANIFEST}): ecore never replaces it; move it or choose another folder")


class StagedFolder:
    """Stage files for ``out_dir`` and move them in at once (see the module text).

    >>> with StagedFolder("ecore-out", "backtest") as stage:       # doctest: +SKIP
    ...     write_report(stage.path("report.html"))
    ...     stage.commit(["report.html"])
    """

    def __init__(self, out_dir, command: str):
        self.out_dir = Path(out_dir)
        self.command = command
        self.staging: Path | None = None
        self._created: list[Path] = []
        self.committed = False

    def __enter__(self) -> "StagedFolder":
        missing = []
        p = self.out_dir
        while not p.exists():
            missing.append(p)
            p = p.parent
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._created = missing  # removed again if nothing is committed
        remove_dead_staging(self.out_dir)
        self.staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=self.out_dir))
        return self

    def path(self, name: str) -> Path:
        """Where to write ``name`` before the commit."""
        return self.staging / name

    def commit(self, names, also_current=()) -> list[Path]:
        """Move the staged ``names`` into the folder, then remove what this command's previous
        run wrote and this run did not (``also_current``: names this run already committed in
        an earlier step, e.g. a sweep's ``fast.csv``).  Returns the paths written."""
        names = list(names)
        current = set(names) | set(also_current)
        check_targets(self.out_dir, names)
        with signals_held():
            manifest = read_manifest(self.out_dir)
            for name in names:
                os.replace(self.staging / name, self.out_dir / name)
            for name in manifest.get(self.command, []):
                if name not in current and "/" not in name and not name.startswith("."):
                    with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                        (self.out_dir / name).unlink()
            manifest[self.command] = sorted(current)
            tmp = self.staging / MANIFEST
            tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(tmp, self.out_dir / MANIFEST)
            self.committed = True
        return [self.out_dir / n for n in names]

    def __exit__(self, *exc) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
        if not self.committed:
            for folder in self._created:  # innermost first
                with contextlib.suppress(OSError):
                    folder.rmdir()
