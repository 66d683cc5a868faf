"""Resume keys: a run is identified by a hash of its settings, its data and the code version.

Two runs with the same key give the same results, so a resumed sweep skips every key already in
its results file.  Changing a parameter, a shared setting (dates, cash, broker), a data file or
any source file of the package gives new keys, and those runs execute again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

KEY_LENGTH = 20  # hex digits of SHA-256 kept in a key (80 bits)


def canonical_json(value) -> str:
    """JSON with sorted keys and no spaces; dates and paths as text, so equal settings hash equal."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_default)


def _default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot put {type(value).__name__} into a resume key")


def digest(value) -> str:
    """Hex SHA-256 of ``canonical_json(value)``, cut to :data:`KEY_LENGTH` digits."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:KEY_LENGTH]


def run_key(config: dict, identity: dict) -> str:
    """The resume key of one run: its complete settings plus the data and code fingerprints."""
    return digest({"config": config, "identity": identity})


def tree_fingerprint(root: Path, patterns: tuple[str, ...] = ("*",), exclude: tuple[str, ...] = ()) -> str:
    """Hash of the relative names and contents of the files under ``root`` matching ``patterns``.

    Folders named in ``exclude`` (and ``__pycache__``) are skipped.
    """
    root = Path(root)
    h = hashlib.sha256()
    files = sorted({p for pat in patterns for p in root.rglob(pat) if p.is_file()})
    for path in files:
        rel = path.relative_to(root)
        if "__pycache__" in rel.parts or any(part in exclude for part in rel.parts):
            continue
        h.update(str(rel.as_posix()).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:KEY_LENGTH]
