"""Warnings are collected while a command runs and printed once each when it ends, one line
each, without Python's ``file.py:655: Category`` source line.

``ecore`` runs every command under :func:`collecting`; a warning raised ten times (a margin call
warning per day, a data warning per file read twice) is one line with its count.  A command that
stops with an error prints only the error: the warnings of a run that wrote nothing would bury
the one line that matters.  A sweep's runs warn in their workers; the sweep counts each distinct
warning over its runs and prints it once with that count (:func:`sweep_lines`).
"""

from __future__ import annotations

import contextlib
import sys
import warnings


def one_line(text) -> str:
    """``text`` with its newlines and runs of spaces folded into single spaces."""
    return " ".join(str(text).split())


class WarningCollector:
    """Counts each distinct warning text (``showwarning`` compatible); ``live`` (a paper run,
    which may run for days) prints each the first time it is seen instead of at the end."""

    def __init__(self, live_name: str | None = None):
        self.counts: dict[str, int] = {}
        self.live_name = live_name

    def show(self, message, category, filename, lineno, file=None, line=None) -> None:
        text = one_line(message)
        if self.live_name is not None and text not in self.counts:
            print(f"{self.live_name}: warning: {text}", file=sys.stderr, flush=True)
        self.counts[text] = self.counts.get(text, 0) + 1

    def lines(self, name: str) -> list[str]:
        """``"ecore backtest: warning: TEXT"`` per distinct warning, ``(N times)`` when repeated."""
        return [f"{name}: warning: {text}" + (f" ({n} times)" if n > 1 else "")
                for text, n in self.counts.items()]


@contextlib.contextmanager
def collecting(name: str, live: bool = False):
    """Collect the block's warnings; print them to stderr if the block ends without an error
    (``live``: each as it first comes, for commands that run on)."""
    collector = WarningCollector(name if live else None)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = collector.show
        yield collector
    if not live:
        for line in collector.lines(name):
            print(line, file=sys.stderr)


def sweep_lines(counts: dict[str, int], runs: int, name: str = "ecore sweep") -> list[str]:
    """One line per distinct warning of a sweep's runs, with the number of runs that gave it."""
    return [f"{name}: warning: {text} (in {n} of {runs} run{'s' if runs != 1 else ''})"
            for text, n in counts.items()]
