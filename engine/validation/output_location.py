"""An output folder is checked before a run starts: creatable, writable, not a file, with room.

Root ignores permission bits, so writability is tested by creating (and removing at once) a
file where the outputs will go, not by reading modes; a read-only mount fails the same way for
everyone.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from .schema import InputError

MB = 1024 * 1024


def _mb(n: float) -> str:
    return f"{n / MB:,.1f} MB" if n < 10 * MB else f"{n / MB:,.0f} MB"


def nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists."""
    p = path
    while not p.exists() and not p.is_symlink() and p != p.parent:
        p = p.parent
    return p


def check_output_folder(path, expected_bytes: int, option: str = "--out") -> Path:
    """The folder ``path`` can take about ``expected_bytes`` of new files: it is a folder or can
    be created, a file can be written in it, and its file system has the room.  Returns the
    path; raises :class:`InputError` naming ``option`` otherwise.  Nothing is left behind."""
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise InputError(f"{option}: {p} is a file, not a folder")
    anchor = nearest_existing(p)
    if not anchor.is_dir():
        raise InputError(f"{option}: {p} cannot be created: {anchor} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".ecore-probe-", dir=anchor)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = {errno.EROFS: "read-only file system", errno.EACCES: "permission denied",
                  errno.EPERM: "permission denied", errno.ENOSPC: "no space left on device"}.get(
            exc.errno, exc.strerror or str(exc))
        what = "write in" if anchor == p else f"create {p} in"
        raise InputError(f"{option}: cannot {what} {anchor} ({reason})") from None
    free = shutil.disk_usage(anchor).free
    if free < expected_bytes:
        raise InputError(f"{option}: {anchor} has {_mb(free)} free; this run writes about "
                         f"{_mb(expected_bytes)}: free some space or choose another folder")
    return p


def check_input_file(path, option: str) -> Path:
    """An existing, readable file (not a folder), read into memory once (see :mod:`.input_files`)."""
    if not str(path).strip():
        raise InputError(f"{option}: an empty path; give a file name")
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(f"{option}: file not found: {p}")
    if p.is_dir():
        raise InputError(f"{option}: {p} is a folder, not a file")
    from .input_files import read_input

    try:
        # The whole file, kept for the loader: a pipe (``<(...)``) can be read only once.
        read_input(p)
    except OSError as exc:
        raise InputError(f"{option}: cannot read {p} ({exc.strerror or exc})") from None
    return p


def check_input_folder(path, option: str) -> Path:
    """An existing folder."""
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(f"{option}: folder not found: {p}")
    if not p.is_dir():
        raise InputError(f"{option}: {p} is a file, not a folder")
    return p


def has_room(folder, expected_bytes: int) -> bool:
    """Whether the file system of ``folder`` (or of its nearest existing ancestor) has room."""
    return shutil.disk_usage(nearest_existing(Path(folder))).free >= expected_bytes


def check_not_inside_data(out, data_dir, option: str = "--out") -> None:
    """The output folder ``out`` is not inside the data folder ``data_dir`` (None: the bundled
    set), nor the data folder inside it: outputs written there (``daily.csv``, ``trades.csv``)
    would be read back as data by every later run."""
    from ...data.market import BUNDLED_DIR

    data = Path(data_dir).expanduser() if data_dir is not None else BUNDLED_DIR
    o, d = Path(out).expanduser().resolve(), data.resolve()
    if o == d or d in o.parents:
        raise InputError(f"{option}: {out} is inside the data folder {data}: outputs written there would be "
                         "read as data by later runs; choose a folder outside it")
    if o in d.parents:
        raise InputError(f"{option}: {out} holds the data folder {data}: choose an output folder of its own")


#: Path options whose value must not be empty (``--out ''`` is not the current folder).
PATH_OPTIONS = ("--out", "--config", "--data")


def check_no_empty_paths(argv) -> None:
    """An empty value of a path option (``--out ''``, ``--out=``) is refused: ``Path('')`` is the
    current folder, which is not what an empty shell variable meant."""
    argv = list(argv)
    for i, token in enumerate(argv):
        for flag in PATH_OPTIONS:
            if token == flag and i + 1 < len(argv) and not argv[i + 1].strip():
                raise InputError(f"{flag}: an empty path; give a folder or file name")
            if token.startswith(flag + "=") and not token[len(flag) + 1:].strip():
                raise InputError(f"{flag}: an empty path; give a folder or file name")
