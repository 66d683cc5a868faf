"""Where a key sits in a TOML file, for error messages ("line 7, column 1").

``tomllib`` gives values but not their positions, so the text is scanned: table headers
(``[params]``, ``[broker.costs]``), ``key = value`` lines (bare, quoted or dotted keys), and
keys inside an inline table on the line of its parent (``ladder = { ZN = 0.5 }``).  The scan is
for messages only: when it cannot tell, the message names the key without a line.
"""

from __future__ import annotations

import re
from pathlib import Path

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r'^(\s*)((?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\'))*)\s*=')


def _split_key(text: str) -> tuple[str, ...]:
    parts = re.findall(r'[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\'', text)
    return tuple(p.strip("\"'") for p in parts)


def locate(text: str, path: tuple[str, ...]) -> tuple[int, int] | None:
    """(line, column), both from 1, of the key at ``path`` (e.g. ("params", "expense_ratio")),
    or of its nearest enclosing key or table header found; None if not found."""
    path = tuple(p.split("[")[0] for p in path)  # list items are named by their key
    best: tuple[int, int, int] | None = None  # (depth matched, line, column)
    table: tuple[str, ...] = ()
    for n, line in enumerate(text.splitlines(), start=1):
        m = _HEADER.match(line)
        if m and not line.lstrip().startswith("#"):
            table = _split_key(m.group(1))
            if path[: len(table)] == table and (best is None or len(table) > best[0]):
                best = (len(table), n, line.index("[") + 1)
            continue
        m = _KEY.match(line)
        if not m:
            continue
        full = table + _split_key(m.group(2))
        if path[: len(full)] != full:
            continue
        depth, col = len(full), len(m.group(1)) + 1
        # the rest of the path inside an inline table on this line
        rest = line[m.end():]
        offset = m.end()
        for part in path[len(full):]:
            k = re.search(r'(?:^|[{,\s])(' + re.escape(part) + r'|"' + re.escape(part) + r'")\s*=', rest)
            if not k:
                break
            depth += 1
            col = offset + k.start(1) + 1
            offset += k.end()
            rest = rest[k.end():]
        if best is None or depth > best[0]:
            best = (depth, n, col)
        if depth == len(path):
            break
    return None if best is None else (best[1], best[2])


def locator(path: Path, text: str | None = None):
    """A function ``key path -> "line N, column C"`` (or None) for the TOML file at ``path``."""
    if text is None:
        from .input_files import read_input

        try:
            text = read_input(path).decode("utf-8", errors="replace")
        except (OSError, ValueError):
            text = ""

    def at(keys: tuple[str, ...]) -> str | None:
        pos = locate(text, tuple(keys))
        return None if pos is None else f"line {pos[0]}, column {pos[1]}"

    return at
