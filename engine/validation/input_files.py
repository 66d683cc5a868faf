"""Input files (backtest configs, sweep files, paper configs) are read once, into memory.

A pipe, a FIFO or a shell's process substitution (``--config <(...)``, a ``/dev/fd/63`` path)
can be read only once: a check that peeks at the file and a loader that reads it again would see
an empty second read and run on defaults.  So the check that validates the option reads the whole
file (:func:`read_input`) and keeps its bytes for the rest of the command; every loader asks
:func:`read_input` again and gets the same bytes.  The memory lives for one command
(:func:`forget_inputs`, called by ``ecore`` before each), and a regular file is re-read when it
changed on disk since (same path, other size, time or inode), so a long-lived process that edits
its file between runs sees the edit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: A config bigger than this is not a config (a data file or a disk image given by mistake).
MAX_INPUT_BYTES = 16 * 1024 * 1024

_READ: dict[str, tuple[tuple | None, bytes]] = {}


def _key(path) -> str:
    p = Path(path).expanduser()
    return os.path.abspath(os.fspath(p))


def _identity(st: os.stat_result) -> tuple | None:
    """What tells a regular file's content changed; None for pipes and devices (read once)."""
    if stat.S_ISREG(st.st_mode):
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    return None


def is_stream(path) -> bool:
    """Whether ``path`` is a pipe, FIFO, socket or character device (readable once), not a file."""
    try:
        return not stat.S_ISREG(os.stat(Path(path).expanduser()).st_mode) and not Path(path).expanduser().is_dir()
    except OSError:
        return False


def read_input(path) -> bytes:
    """The bytes of the input file at ``path``, read from disk (or the pipe) once per command.

    Raises ``FileNotFoundError``, ``IsADirectoryError``, ``PermissionError`` or other
    ``OSError`` as ``open`` does, and ``ValueError`` for a file over :data:`MAX_INPUT_BYTES`."""
    key = _key(path)
    p = Path(path).expanduser()
    known = _READ.get(key)
    if known is not None:
        ident, data = known
        if ident is None:  # a stream: what was read is all there is
            return data
        try:
            if _identity(os.stat(p)) == ident:
                return data
        except OSError:
            pass
    with open(p, "rb") as fh:
        ident = _identity(os.fstat(fh.fileno()))
        data = fh.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise ValueError(f"{p}: more than {MAX_INPUT_BYTES // (1024 * 1024)} MB: not a config file")
    _READ[key] = (ident, data)
    return data


def read_input_text(path) -> str:
    """:func:`read_input` decoded as UTF-8 (``UnicodeDecodeError`` when it is not text)."""
    return read_input(path).decode("utf-8")


def read_toml(path, noun: str, error: type[Exception], missing: type[Exception] | None = None) -> dict:
    """The TOML table of the input file at ``path`` (a ``noun`` such as "config file"), read once
    (:func:`read_input`); each way it cannot be read is one ``error`` naming the file (a missing
    file ``missing``, by default ``error`` too)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    try:
        return tomllib.loads(read_input(path).decode("utf-8"))
    except FileNotFoundError:
        raise (missing or error)(f"{noun} not found: {path}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a {noun} (TOML)") from None
    except PermissionError:
        raise error(f"{path}: cannot be read (permission denied)") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not a text file (byte {exc.start} is not UTF-8)") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None


def base_folder(path) -> Path:
    """The folder relative paths inside the input at ``path`` are taken from: the file's own
    folder, or the current folder for a pipe (``/dev/fd/63`` has no folder of the user's)."""
    p = Path(path).expanduser()
    if is_stream(p):
        return Path.cwd()
    return p.resolve().parent


def forget_inputs() -> None:
    """Forget every input read (the start of a new command)."""
    _READ.clear()
