"""The implied-repo spread: how far each contract's carry rate sits above overnight repo, by date.

A futures price fixes an *implied repo rate*: the financing rate at which buying the cheapest to
deliver and delivering it into the contract breaks even.  At fair value it equals the repo rate;
in practice it does not.  When asset managers buy duration through futures and leveraged funds
take the other side (the cash-futures basis trade), futures trade rich: their implied repo sits
above general-collateral repo and they lose that premium as they converge to the bond at
delivery.  The short's delivery options (switching the bond, the timing of delivery) work the
other way: they make futures cheaper than the bond's forward, and their value also runs off by
delivery.  The spread here is the net of both, measured: a dated table per root
(``implied_repo_spread.csv``: ``date, root, spread_bp, source``; a row applies from its date
until the next row of the same root), added to the repo rate that finances every deliverable
security of that root's contracts.

The bundled table is measured by :mod:`ecore.data.implied_repo_fit` from the real front-month
futures in ``shared/data/futures`` (ZT, ZF, ZN, ZB); the other roots take the value of the
measured root nearest in duration.  A user table (same columns) replaces it:
``build_price_book(market, spread=ImpliedRepoSpread.from_csv("my.csv"))``.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .bond_dates import to_days
from .contracts import SPECS, spec

BUNDLED_TABLE = "implied_repo_spread.csv"
COLUMNS = ("date", "root", "spread_bp", "source")


class SpreadTableError(ValueError):
    """A malformed implied-repo spread table; the message names the file and line."""


@dataclass(frozen=True)
class SpreadPoint:
    date: dt.date
    root: str
    spread_bp: float
    source: str = ""


class ImpliedRepoSpread:
    """Dated implied-repo spreads per root, in basis points over the overnight repo rate."""

    def __init__(self, points, name: str = "<table>"):
        self.name = name
        self.points = tuple(sorted(points, key=lambda p: (p.root, p.date)))
        self._by_root: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for root in {p.root for p in self.points}:
            pts = [p for p in self.points if p.root == root]
            self._by_root[root] = (to_days([p.date for p in pts]), np.array([p.spread_bp for p in pts]))

    @classmethod
    def bundled(cls) -> "ImpliedRepoSpread":
        ref = resources.files("ecore.data").joinpath(BUNDLED_TABLE)
        with resources.as_file(ref) as path:
            return cls.from_csv(path)

    @classmethod
    def none(cls) -> "ImpliedRepoSpread":
        """No spread: every root financed at repo."""
        return cls([], "<none>")

    @classmethod
    def from_csv(cls, path) -> "ImpliedRepoSpread":
        """Read ``date,root,spread_bp[,source]``; '#' lines are comments.  One clear error for a
        bad row."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpreadTableError(f"cannot read implied-repo spread table {path}: {exc}") from None
        lines = [(i + 1, line) for i, line in enumerate(text.splitlines())
                 if line.strip() and not line.lstrip().startswith("#")]
        if not lines:
            raise SpreadTableError(f"{path}: empty table (need a header date,root,spread_bp[,source])")
        rows = list(csv.reader([line for _, line in lines]))
        header = [h.strip().lower() for h in rows[0]]
        for col in COLUMNS[:3]:
            if col not in header:
                raise SpreadTableError(f"{path}, line {lines[0][0]}: header lacks column {col!r} "
                                       f"(need {','.join(COLUMNS)})")
        ix = {h: header.index(h) for h in header}
        points = []
        for (lineno, _), row in zip(lines[1:], rows[1:]):
            cell = lambda c: row[ix[c]].strip() if c in ix and ix[c] < len(row) else ""
            where = f"{path}, line {lineno}"
            try:
                day = dt.date.fromisoformat(cell("date"))
            except ValueError:
                raise SpreadTableError(f"{where}: unparseable date {cell('date')!r} (expected YYYY-MM-DD)") from None
            root = cell("root").upper()
            if root not in SPECS:
                raise SpreadTableError(f"{where}: unknown root {cell('root')!r}; known roots: {', '.join(SPECS)}")
            try:
                bp = float(cell("spread_bp"))
            except ValueError:
                raise SpreadTableError(f"{where}: spread_bp {cell('spread_bp')!r} is not a number") from None
            if not np.isfinite(bp) or abs(bp) > 500:
                raise SpreadTableError(f"{where}: spread_bp {bp!r} is outside -500..500 basis points")
            points.append(SpreadPoint(day, root, bp, cell("source")))
        return cls(points, str(path))

    def on(self, root: str, days) -> np.ndarray:
        """The spread (decimal) of ``root`` on each day number in ``days``; 0 before its first row."""
        root = spec(root).root
        days = np.asarray(days, dtype=np.int64)
        hit = self._by_root.get(root)
        if hit is None:
            return np.zeros(len(days))
        starts, bp = hit
        i = np.searchsorted(starts, days, side="right") - 1
        return np.where(i >= 0, bp[np.maximum(i, 0)], 0.0) / 1e4

    def to_csv(self) -> str:
        """The table as CSV text (oldest first within each root)."""
        out = ["date,root,spread_bp,source"]
        for p in self.points:
            src = p.source.replace('"', "'")
            out.append(f'{p.date.isoformat()},{p.root},{p.spread_bp:g},"{src}"')
        return "\n".join(out) + "\n"
