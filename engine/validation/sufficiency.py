"""Data sufficiency: every series a run needs covers the run's window, with no long hole and no
unexplained jump, checked after the data are loaded and before any price is built.

The run's needs come as a list of :class:`SeriesRequirement` (which series, which file, from
when to when, the longest gap allowed); :func:`ecore.engine.backtest.requirements.run_requirements`
derives them from the pricing model and the run's feeds.  The checks here know nothing of the
model: a series that is missing, starts late, ends early or has a hole longer than its
``max_gap_days`` business days inside its window is an error naming the file and the dates.

Jumps: a fund's close that moves beyond the bound of its kind from one row to the next
(:mod:`ecore.data.fund_moves`: 25 % down for an equity fund, 15 % for a bond fund, the same
moves up in log terms; an unadjusted split), or a real futures settlement that moves by half or
more (:data:`ecore.data.loaders.MAX_DAILY_MOVE`), inside the window stops the run with the file,
line, day and likely cause, unless the user accepts jumps (``accept_jumps = true`` or
``--accept-jumps``): a 90 % error in one settlement would otherwise be traded on.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...data.loaders import DEFAULT_MAX_GAP_DAYS, MAX_DAILY_MOVE
from .schema import InputError


class DataInsufficient(InputError):
    """A series the run needs is missing, too short, has a hole, or jumps."""


@dataclass(frozen=True)
class SeriesRequirement:
    """One series a run needs: ``kind`` ("yields", "closes" or "rates"), its ``name`` (DGS10, IVV), the
    ``file`` it is read from, the first and last day it must cover (dates), the longest run of
    business days without a value allowed inside, and ``why`` it is needed (for the message)."""

    kind: str
    name: str
    file: str
    first: dt.date
    last: dt.date
    why: str
    max_gap_days: int = DEFAULT_MAX_GAP_DAYS


def _bdays(a: dt.date, b: dt.date) -> int:
    """Business days (Mon-Fri) strictly between ``a`` and ``b``."""
    return int(np.busday_count(np.datetime64(a, "D") + 1, np.datetime64(b, "D"))) if b > a else 0


def _table(market, kind: str) -> pd.DataFrame:
    """The frame a kind of series lives in: yields, closes, or overnight rates (the data folder's,
    else the bundled ones the model falls back to)."""
    if kind == "rates":
        from ...data.market import market_rates

        return market_rates(market)
    return market.yields if kind == "yields" else market.closes


def check_requirements(market, requirements: list[SeriesRequirement]) -> None:
    """Each requirement's series exists in ``market`` and has a value at most ``max_gap_days``
    business days from each end of its window and from every other value inside it."""
    for req in requirements:
        table = _table(market, req.kind)
        if req.name not in table.columns:
            raise DataInsufficient(f"{req.file}: missing: {req.why} need {req.name} from "
                                   f"{req.first.isoformat()} to {req.last.isoformat()}")
        s = table[req.name].dropna()
        near = s.index[(s.index >= pd.Timestamp(req.first) - pd.Timedelta(days=31))
                       & (s.index <= pd.Timestamp(req.last) + pd.Timedelta(days=31))]
        # Day arrays rather than a date per row: a 26-year window has some 70,000 values to walk.
        days = near.to_numpy().astype("datetime64[D]")
        first, last = np.datetime64(req.first, "D"), np.datetime64(req.last, "D")
        inside = days[(days >= first) & (days <= last)]
        if not len(inside):
            span = (f"it has values from {s.index[0].date().isoformat()} to {s.index[-1].date().isoformat()}"
                    if len(s) else "it has no values")
            raise DataInsufficient(f"{req.file}: {req.name} does not cover {req.first.isoformat()} to "
                                   f"{req.last.isoformat()}, which {req.why} need: {span}")
        before = days[days <= first]
        after = days[days >= last]
        day = lambda d: d.astype(dt.date)  # noqa: E731
        if not len(before) and _bdays(req.first, day(inside[0])) + 1 > req.max_gap_days:
            raise DataInsufficient(f"{req.file}: {req.name} starts on {day(inside[0]).isoformat()}, after "
                                   f"{req.first.isoformat()}: {req.why} need it from then")
        if not len(after) and _bdays(day(inside[-1]), req.last) + 1 > req.max_gap_days:
            raise DataInsufficient(f"{req.file}: {req.name} ends on {day(inside[-1]).isoformat()}, before "
                                   f"{req.last.isoformat()}: {req.why} need it until then (a curve "
                                   "would be interpolated across the hole)")
        points = np.concatenate([before[-1:], inside, after[:1]])
        a, b = points[:-1], points[1:]
        missing = np.where(b > a, np.busday_count(a + 1, np.maximum(b, a + 1)), 0)  # as _bdays
        holes = np.flatnonzero(missing > req.max_gap_days)
        if len(holes):
            i = holes[0]
            raise DataInsufficient(
                f"{req.file}: {req.name} has no value from {day(a[i]).isoformat()} to {day(b[i]).isoformat()} "
                f"({int(missing[i])} business days, more than {req.max_gap_days}) inside "
                f"{req.first.isoformat()} to {req.last.isoformat()}, which {req.why} need")


def check_close_jumps(market, symbols, first: dt.date, last: dt.date) -> None:
    """No close of ``symbols`` moves beyond its fund kind's bound inside the window
    (:mod:`ecore.data.fund_moves`; the loaders record each such move as an issue with its file,
    line and likely cause)."""
    wanted = {s.upper() for s in symbols}
    for issue in market.issues:
        if issue.kind != "jump":
            continue
        name = Path(issue.path).name.split(".")[0].upper()
        day = _day_in(issue.message)
        if name in wanted and day is not None and first <= day <= last:
            raise DataInsufficient(f"{issue.path}, line {issue.line}: {issue.message}; if it is real, "
                                   "run with --accept-jumps or accept_jumps = true")


def check_settlement_jumps(market, roots, first: dt.date, last: dt.date, folder: Path | None) -> None:
    """No real settlement of a contract of ``roots`` moves by :data:`MAX_DAILY_MOVE` or more
    from the contract's previous settlement inside the window."""
    real = market.real_futures
    if real is None or not len(real):
        return
    f = real.frame
    f = f[f["contract"].str[:-3].isin(set(roots))]  # "ZNH25" -> "ZN"
    f = f.sort_values(["contract", "date"])
    limit = math.log(1 + MAX_DAILY_MOVE)
    for code, rows in f.groupby("contract", sort=True):
        settle = rows["settle"].to_numpy(dtype=float)
        days = pd.DatetimeIndex(rows["date"])
        if len(settle) < 2:
            continue
        moves = np.abs(np.diff(np.log(settle)))
        for i in np.flatnonzero(moves > limit):
            day = days[i + 1].date()
            if first <= day <= last:
                where = _find_row(folder, day, code) if folder is not None else "real_futures"
                raise DataInsufficient(
                    f"{where}: {code} settlement moved from {settle[i]:g} to {settle[i + 1]:g} on "
                    f"{day.isoformat()} ({settle[i + 1] / settle[i] - 1:+.0%}; {_jump_hint()})")


def _jump_hint() -> str:
    return (f"a move of {MAX_DAILY_MOVE:.0%} or more in a day is far more often a data error than a "
            "market move; if it is real, run with --accept-jumps or accept_jumps = true")


def _day_in(text: str) -> dt.date | None:
    import re

    m = re.search(r"on (\d{4}-\d{2}-\d{2})", text)
    return dt.date.fromisoformat(m.group(1)) if m else None


def _find_row(folder: Path, day: dt.date, code: str) -> str:
    """"FILE, line N" of the settlement row of ``code`` on ``day`` in the real_futures folder."""
    from ...data.loaders import data_files

    try:
        files = data_files(folder)
    except OSError:
        return str(folder)
    for path in files:
        try:
            import gzip

            opener = gzip.open if path.name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
                for n, line in enumerate(fh, start=1):
                    if line.startswith(day.isoformat()) and code[:2] in line:
                        return f"{path}, line {n}"
        except OSError:
            continue
    return str(folder)


def check_yield_headers(data_dir: Path | None) -> None:
    """Each yields file of a data folder holds the series its name says: ``yields/DGS10.csv``
    whose header names DGS7 would price the 10-year point with 7-year yields."""
    if data_dir is None:
        return
    from ...data.loaders import data_files

    folder = Path(data_dir) / "yields"
    if not folder.is_dir():
        return
    for path in data_files(folder):
        stem = path.name.split(".")[0]
        header = _first_line(path)
        if header is None:
            continue
        cells = [c.strip().strip('"') for c in header.split(",")]
        if len(cells) == 2 and cells[1] and cells[1].upper() != stem.upper():
            raise DataInsufficient(f"{path}, line 1, column 2: the header names the series {cells[1]!r}, "
                                   f"not {stem!r} (the file's name): rename the file or fix the header")


def _first_line(path: Path) -> str | None:
    import gzip

    try:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            return fh.readline().strip()
    except (OSError, EOFError):
        return None
