"""Margin requirements of Treasury futures as data: a dated schedule plus a volatility fallback.

Facts and method from ``shared/reference/treasury-futures.md`` section 3:

* **Maintenance** (dollars per contract) comes from a dated schedule of exchange margins
  (:class:`MarginSchedule`; the bundled ``margin_schedule.csv`` holds the published points of
  section 3.2, each with its source; a user file can replace it).  A schedule row applies from its
  date until the next row for the same root, for at most ``max_age_days`` (365 by default).
* Where no schedule row applies, the **volatility fallback** of section 3.3:
  ``maintenance = k x q99(|daily settlement change| x multiplier)`` over the trailing
  ``window`` (250) trading days, using only data up to and including that day (no look-ahead),
  roll days excluded.  ``k`` is calibrated **per root** against the schedule's dated points
  (:meth:`MarginModel.fallback_k`: the geometric mean of published maintenance / q99 on the
  points' dates, over the root's own points, else its DV01 partner's, else every root's); a
  number passed as ``k`` replaces the calibration for every root.  Its price history is either a :class:`~ecore.data.price_book.FuturesPriceBook`
  (the front contract's *own* day-to-day change is used, so no roll jump ever enters) or a mapping
  ``root -> Series`` of daily settlement changes in points with roll days set to NaN
  (see :func:`continuous_changes` for a stitched continuous series).
* Roots without a schedule row and without history (TN, Z3N, TWE, UB before their data exist)
  are **scaled by DV01** from a reference root: TN and Z3N from ZN, TWE and UB from ZB, by the
  ratio of their contracts' DV01 that day (each contract's DV01 comes from its cheapest to
  deliver, the price book's ``dv01`` column; without a book, the 2026-04-17 figures of the
  reference notes section 2.4: TN = ZN x 89/64 ...).
* **DV01 order** where schedule rows and the fallback mix: a root on the fallback whose DV01
  partner (TN-ZN, Z3N-ZN, TWE-ZB, UB-ZB) has a published row in force is kept on the partner's
  side of that row scaled by their DV01 ratio (TN >= ZN x DV01_TN / DV01_ZN, UB >= ZB x ...,
  Z3N <= ZN x DV01_Z3N / DV01_ZN), so a published ZN margin never leaves TN below it.
* As a last resort an expired ("stale") schedule row is used; with nothing at all a
  :class:`MarginError` says what to supply.
* **Initial** = ratio x maintenance.  The ratio is dated: 1.35 before 2012 (CME "spec" initial,
  advisories 08-380 and 10-469) and 1.10 from 2016 (HRP initial, advisory 16-247).  Nothing was
  found for 2012-2015: the default keeps **1.35 through 2015-12-31**, the last documented value and
  the conservative choice (more margin).  Pass ``initial_ratio`` (a number, or ``(date, ratio)``
  steps) to change it.
* A **broker multiplier** (Interactive Brokers and others ask more than the exchange minimum)
  scales maintenance and initial alike; default 1.0.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ..data.calendar import as_date, in_force
from ..data.contracts import SPECS, Contract, spec

BUNDLED_SCHEDULE = "margin_schedule.csv"

# Initial / maintenance, dated steps: (first day, ratio).  See the module docstring.
DEFAULT_INITIAL_RATIO: tuple[tuple[dt.date, float], ...] = (
    (dt.date(1900, 1, 1), 1.35),
    (dt.date(2016, 1, 1), 1.10),
)

# DV01 per contract on the 2026-04-17 curve (reference section 0 / 2.4), and the reference root a
# root without data is scaled from (section 3.3: "scale ZN/ZB by DV01 ratio").
DV01_2026 = {"ZT": 36.0, "Z3N": 56.0, "ZF": 42.0, "ZN": 64.0, "TN": 89.0, "TWE": 145.0, "ZB": 127.0, "UB": 169.0}
DV01_SCALE_FROM = {"TN": "ZN", "Z3N": "ZN", "TWE": "ZB", "UB": "ZB"}


class MarginError(ValueError):
    """No margin can be determined, or margin input is malformed."""


class MarginScheduleError(MarginError):
    """A malformed margin schedule file; the message names the file and the row."""


@dataclass(frozen=True)
class SchedulePoint:
    date: dt.date
    root: str
    maintenance: float
    source: str = ""


@dataclass(frozen=True)
class MarginQuote:
    """One root's requirement on one day, with how it was obtained."""

    root: str
    day: dt.date
    maintenance: float  # dollars per contract, broker multiplier included
    initial: float
    ratio: float
    basis: str  # "schedule", "volatility", "dv01 from ZN", "schedule (stale)", "constant"
    source: str = ""


# ----------------------------------------------------------------------------------------------
class MarginSchedule:
    """Dated exchange maintenance margins per root (dollars per contract)."""

    def __init__(self, points: Iterable[SchedulePoint], max_age_days: int | None = 365, name: str = "<schedule>"):
        self.name = name
        self.max_age_days = max_age_days
        by_root: dict[str, list[SchedulePoint]] = {}
        for p in sorted(points, key=lambda p: (p.root, p.date)):
            by_root.setdefault(p.root, []).append(p)
        self._by_root = by_root
        self._days = {r: np.array([np.datetime64(p.date, "D") for p in ps]) for r, ps in by_root.items()}

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def bundled(cls, max_age_days: int | None = 365) -> "MarginSchedule":
        ref = resources.files("ecore.brokers").joinpath(BUNDLED_SCHEDULE)
        with resources.as_file(ref) as path:
            return cls.from_csv(path, max_age_days=max_age_days)

    @classmethod
    def from_csv(cls, path, max_age_days: int | None = 365) -> "MarginSchedule":
        """Read ``date,root,maintenance[,source]``; '#' lines are comments.  Fails loudly on a bad row."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise MarginScheduleError(f"cannot read margin schedule {path}: {exc}") from exc
        lines = [(i + 1, line) for i, line in enumerate(text.splitlines()) if line.strip() and not line.lstrip().startswith("#")]
        if not lines:
            raise MarginScheduleError(f"{path}: empty margin schedule (no header, no rows)")
        reader = csv.reader([line for _, line in lines])
        rows = list(reader)
        header = [h.strip().lower() for h in rows[0]]
        for col in ("date", "root", "maintenance"):
            if col not in header:
                raise MarginScheduleError(
                    f"{path}, line {lines[0][0]}: header lacks column {col!r} (need date, root, maintenance[, source])"
                )
        ix = {h: header.index(h) for h in header}
        points = []
        for (lineno, _), row in zip(lines[1:], rows[1:]):
            where = f"{path}, line {lineno}"
            cells = {h: (row[i].strip() if i < len(row) else "") for h, i in ix.items()}
            points.append(_parse_point(cells, where))
        return cls(points, max_age_days=max_age_days, name=str(path))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, max_age_days: int | None = 365, name: str = "<frame>") -> "MarginSchedule":
        points = []
        for i, rec in enumerate(frame.to_dict("records")):
            cells = {k: ("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)) for k, v in rec.items()}
            if "date" in rec and not isinstance(rec["date"], str) and rec["date"] is not None:
                cells["date"] = as_date(rec["date"]).isoformat()
            points.append(_parse_point(cells, f"{name}, row {i}"))
        return cls(points, max_age_days=max_age_days, name=name)

    # ---- look-up -----------------------------------------------------------------------------
    def roots(self) -> list[str]:
        return sorted(self._by_root)

    def points(self, root: str) -> list[SchedulePoint]:
        """The rows of ``root``, oldest first."""
        return list(self._by_root.get(root, []))

    def lookup(self, root: str, day, allow_stale: bool = False) -> tuple[SchedulePoint, bool] | None:
        """The row in force for ``root`` on ``day`` and whether it is stale (older than max age)."""
        pts = self._by_root.get(root)
        if not pts:
            return None
        d = as_date(day)
        i = int(np.searchsorted(self._days[root], np.datetime64(d, "D"), side="right")) - 1
        if i < 0:
            return None
        p = pts[i]
        stale = self.max_age_days is not None and (d - p.date).days > self.max_age_days
        if stale and not allow_stale:
            return None
        return p, stale

    def frame(self) -> pd.DataFrame:
        """All rows as a DataFrame ``date, root, maintenance, source``."""
        return pd.DataFrame(
            [{"date": p.date, "root": p.root, "maintenance": p.maintenance, "source": p.source}
             for ps in self._by_root.values() for p in ps],
            columns=["date", "root", "maintenance", "source"],
        )


def _parse_point(cells: Mapping[str, str], where: str) -> SchedulePoint:
    raw_date = cells.get("date", "")
    try:
        day = dt.date.fromisoformat(raw_date.strip())
    except ValueError:
        raise MarginScheduleError(f"{where}: unparseable date {raw_date!r} (expected YYYY-MM-DD)") from None
    root = cells.get("root", "").strip().upper()
    if root not in SPECS:
        raise MarginScheduleError(f"{where}: unknown root {cells.get('root', '')!r}; known roots: {', '.join(SPECS)}")
    raw = cells.get("maintenance", "").strip().replace(",", "").lstrip("$")
    if not raw:
        raise MarginScheduleError(f"{where}: missing maintenance amount for {root}")
    try:
        amount = float(raw)
    except ValueError:
        raise MarginScheduleError(f"{where}: maintenance {cells.get('maintenance')!r} is not a number") from None
    if not math.isfinite(amount) or amount <= 0:
        raise MarginScheduleError(f"{where}: maintenance must be a positive amount of dollars, got {raw!r}")
    return SchedulePoint(day, root, amount, cells.get("source", "").strip())


# ----------------------------------------------------------------------------------------------
def _front_columns(book, root: str, column: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(days, values) of ``root``'s front contract in a price book: the union of the contracts'
    days (datetime64[D], sorted) and, on each, the value of the nearest-expiring contract that has
    a finite one and is not yet in its delivery month (NaN where none has).  ``column=None``: the
    contract's own day-to-day settlement change (points)."""
    parts_day, parts_rank, parts_val = [], [], []
    for rank, c in enumerate(book.contracts(root)):  # expiry order
        days, values = book.arrays(c, "settle" if column is None else column)
        values = values.astype(float)
        if column is None:
            values = np.r_[np.nan, values[1:] - values[:-1]] if len(values) else values
        values = np.where(days >= np.datetime64(c.first_intention_day(), "D"), np.nan, values)
        parts_day.append(days)
        parts_rank.append(np.full(len(days), rank))
        parts_val.append(values)
    if not parts_day:
        return np.array([], dtype="datetime64[D]"), np.array([], dtype=float)
    day, rank, val = np.concatenate(parts_day), np.concatenate(parts_rank), np.concatenate(parts_val)
    all_days = np.unique(day)
    ok = ~np.isnan(val)
    day, rank, val = day[ok], rank[ok], val[ok]
    order = np.lexsort((rank, day))  # by day, then expiry: the first of each day is the front
    day, val = day[order], val[order]
    first = np.r_[True, day[1:] != day[:-1]] if len(day) else np.array([], dtype=bool)
    out = np.full(len(all_days), np.nan)
    out[np.searchsorted(all_days, day[first])] = val[first]
    return all_days, out


def _front_series(book, root: str, column: str | None) -> pd.Series:
    days, values = _front_columns(book, root, column)
    if not len(days):
        return pd.Series(dtype=float, name=root)
    return pd.Series(values, index=pd.DatetimeIndex(days.astype("datetime64[ns]"), name="date"), name=root)


def front_settlement_changes(book, root: str) -> pd.Series:
    """Daily settlement change (points) of the front contract of ``root`` in a price book.

    The front contract on a day is the nearest-expiring one not yet in its delivery month (its
    first intention day is after the day) that has a price that day; its change is measured
    against its *own* previous price, so a roll never shows up as a jump.
    """
    return _front_series(book, root, None)


def front_values(book, root: str, column: str) -> pd.Series:
    """A column of ``root``'s front contract in a price book, by date (the front contract as in
    :func:`front_settlement_changes`)."""
    return _front_series(book, root, column)


def continuous_changes(close: pd.Series, volume: pd.Series | None = None, volume_jump: float = 10.0,
                       root: str | None = None) -> pd.Series:
    """Day-to-day changes of a stitched front-month series with roll days set to NaN.

    Roll days are detected as the days the front contract switches: volume changes more than
    ``volume_jump``-fold from the previous day (the stitched series moves from the expiring
    contract, whose volume collapses in the delivery month, to the next one).  Without volume,
    when ``root`` is given, the switch is taken as each quarterly contract's last trading day and
    the next trading day in the series (both excluded).
    """
    close = close.sort_index()
    d = close.diff()
    roll = pd.Series(False, index=close.index)
    if volume is not None:
        v = volume.reindex(close.index).astype(float)
        ratio = v / v.shift(1)
        roll |= (ratio > volume_jump) | (ratio < 1.0 / volume_jump)
    elif root is not None:
        idx = close.index
        for y in range(idx[0].year, idx[-1].year + 1):
            for m in spec(root).months:
                try:
                    ltd = pd.Timestamp(Contract(root, y, m).last_trading_day())
                except Exception:  # calendar range
                    continue
                j = idx.searchsorted(ltd)
                for k in (j, j + 1):
                    if 0 <= k < len(idx):
                        roll.iloc[k] = True
    d[roll] = np.nan
    return d


# ----------------------------------------------------------------------------------------------
class MarginModel:
    """Maintenance and initial margin per contract of a root on a day (dollars).

    ``schedule``: a :class:`MarginSchedule`, a path to a CSV, ``None`` for the bundled schedule or
    ``False`` for none.  ``history``: a FuturesPriceBook, or ``{root: Series of daily settlement
    changes in points, NaN on roll days}``, for the volatility fallback.  ``constant``:
    ``{root: maintenance}`` taking precedence over everything (tests, what-if runs).
    """

    def __init__(self, schedule=None, history=None, initial_ratio=None, broker_multiplier: float = 1.0,
                 k: float | None = None, window: int = 250, quantile: float = 0.99, min_observations: int = 60,
                 max_age_days: int | None = 365, constant: Mapping[str, float] | None = None,
                 dv01: Mapping[str, float] | None = None, scale_from: Mapping[str, str] | None = None):
        if schedule is None:
            schedule = MarginSchedule.bundled(max_age_days=max_age_days)
        elif schedule is False:
            schedule = MarginSchedule([], name="<none>")
        elif not isinstance(schedule, MarginSchedule):
            schedule = MarginSchedule.from_csv(schedule, max_age_days=max_age_days)
        self.schedule = schedule
        if broker_multiplier <= 0 or (k is not None and k <= 0):
            raise MarginError("broker_multiplier and k must be positive")
        self.broker_multiplier = float(broker_multiplier)
        self.k = None if k is None else float(k)  # None: calibrated per root (fallback_k)
        self._k: dict[str, tuple[float, str]] = {}
        self.window = int(window)
        self.quantile = float(quantile)
        self.min_observations = int(min_observations)
        if initial_ratio is None:
            steps = DEFAULT_INITIAL_RATIO
        elif isinstance(initial_ratio, (int, float)):
            steps = ((dt.date(1900, 1, 1), float(initial_ratio)),)
        else:
            steps = tuple(sorted((as_date(d), float(r)) for d, r in initial_ratio))
        if any(r < 1.0 for _, r in steps):
            raise MarginError("initial margin ratio must be at least 1.0 (initial >= maintenance)")
        self._ratio_steps = steps
        self._history_source = history
        self._q: dict[str, pd.Series] = {}
        self._q_arrays: dict[str, tuple] = {}
        self.constant = {spec(r).root: float(v) for r, v in (constant or {}).items()}
        self._dv01_given = dv01 is not None
        self.dv01 = dict(DV01_2026 if dv01 is None else dv01)
        self.scale_from = dict(DV01_SCALE_FROM if scale_from is None else scale_from)
        self._dv01_series: dict[str, tuple | None] = {}
        self._windows: dict[str, list] = {}
        self._cache: dict[tuple[str, dt.date], MarginQuote] = {}
        # requirement(): (maintenance, initial) per root on every calendar day of one span
        self._dense: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._dense_first, self._dense_len = 0, 0

    @classmethod
    def fixed(cls, maintenance: Mapping[str, float], initial_ratio: float = 1.10,
              broker_multiplier: float = 1.0) -> "MarginModel":
        """Constant maintenance per root (e.g. ``{"ZN": 3200}``) and one initial ratio."""
        return cls(schedule=False, constant=maintenance, initial_ratio=initial_ratio,
                   broker_multiplier=broker_multiplier)

    # ---- pieces ------------------------------------------------------------------------------
    def initial_ratio(self, day) -> float:
        """Initial / maintenance ratio in force on ``day``."""
        return in_force(self._ratio_steps, day)

    def _quantile_series(self, root: str) -> pd.Series | None:
        if root in self._q:
            return self._q[root]
        src = self._history_source
        changes = None
        if src is None:
            changes = None
        elif isinstance(src, Mapping):
            changes = src.get(root)
        elif hasattr(src, "contracts") and hasattr(src, "series"):
            changes = front_settlement_changes(src, root)
            if changes.dropna().empty:
                changes = None
        q = None
        if changes is not None and len(changes):
            s = pd.Series(changes, dtype=float).sort_index().abs() * spec(root).multiplier
            s.index = pd.DatetimeIndex(s.index).normalize()
            q = s.rolling(self.window, min_periods=self.min_observations).quantile(self.quantile).dropna()
            if q.empty:
                q = None
        self._q[root] = q
        return q

    def _quantile_arrays(self, root: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        arrays = self._q_arrays.get(root)
        if arrays is None:
            q = self._quantile_series(root)
            # Asked once per root and day of a backtest: search numpy arrays, not the Series.
            arrays = (None, None) if q is None else (
                q.index.to_numpy().astype("datetime64[D]"), q.to_numpy(dtype=float))
            self._q_arrays[root] = arrays
        return arrays

    def _raw_quantile(self, root: str, day, max_stale_days: int | None = None) -> float | None:
        """q99 of |daily change| x multiplier over the trailing window up to ``day`` (k = 1);
        None when the history's last value before ``day`` is older than ``max_stale_days``."""
        days, values = self._quantile_arrays(root)
        if days is None:
            return None
        d = np.datetime64(as_date(day), "D")
        i = int(np.searchsorted(days, d, side="right")) - 1
        if i < 0 or (max_stale_days is not None and (d - days[i]).astype(int) > max_stale_days):
            return None
        return float(values[i])

    def fallback_k(self, root: str) -> tuple[float, str]:
        """(k, how it was set) of ``root``'s volatility fallback: the ``k`` passed, else the
        geometric mean of published maintenance / q99 on the schedule points' dates, over the
        root's own points, else its DV01 partner's (TN: ZN), else every root's, else 1."""
        root = spec(root).root
        if self.k is not None:
            return self.k, "given"
        hit = self._k.get(root)
        if hit is None:
            ratios: dict[str, list[float]] = {}
            for r in self.schedule.roots():
                for p in self.schedule.points(r):
                    q = self._raw_quantile(r, p.date, max_stale_days=10)  # only points the history covers
                    if q:
                        ratios.setdefault(r, []).append(p.maintenance / q)
            own = ratios.get(root)
            ref = self.scale_from.get(root)
            pooled = [x for xs in ratios.values() for x in xs]
            if own:
                hit = (float(np.exp(np.mean(np.log(own)))), f"calibrated on {len(own)} {root} point(s)")
            elif ratios.get(ref):
                # a root without points of its own takes its DV01 partner's k (TN: ZN's), which
                # keeps the two in DV01 order when both are on the fallback
                hit = (self.fallback_k(ref)[0], f"{ref}'s, calibrated on {len(ratios[ref])} {ref} point(s)")
            elif pooled:
                hit = (float(np.exp(np.mean(np.log(pooled)))), f"calibrated on {len(pooled)} point(s) of all roots")
            else:
                hit = (1.0, "no schedule point to calibrate on")
            self._k[root] = hit
        return hit

    def volatility_maintenance(self, root: str, day) -> float | None:
        """k x q99 of |daily change| x multiplier over the trailing window up to ``day`` (exchange level)."""
        root = spec(root).root
        q = self._raw_quantile(root, day)
        return None if q is None else self.fallback_k(root)[0] * q

    def contract_dv01(self, root: str, day) -> float:
        """Dollars per basis point of ``root``'s front contract on ``day``: the price book's
        ``dv01`` (from the cheapest to deliver) when the history is a book, else the fixed table."""
        root = spec(root).root
        if self._dv01_given:
            return self.dv01[root]
        arrays = self._dv01_arrays(root)
        if arrays is not None:
            days, values = arrays
            i = int(np.searchsorted(days, np.datetime64(as_date(day), "D"), side="right")) - 1
            if i >= 0:
                return float(values[i])
        return self.dv01[root]

    def _dv01_arrays(self, root: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(days, dv01) of ``root``'s front contract in the history book, or None without one."""
        arrays = self._dv01_series.get(root, False)
        if arrays is False:
            arrays = None
            src = self._history_source
            if hasattr(src, "contracts") and hasattr(src, "series") and "dv01" in getattr(src, "frame", {}):
                days, values = _front_columns(src, root, "dv01")
                ok = ~np.isnan(values)
                if ok.any():
                    arrays = (days[ok], values[ok])
            self._dv01_series[root] = arrays
        return arrays

    def _dv01_partners(self, root: str) -> list[str]:
        """Roots whose margin this root's is kept in DV01 order with (TN-ZN, UB-ZB, ...)."""
        out = [self.scale_from[root]] if root in self.scale_from else []
        return out + [r for r, ref in self.scale_from.items() if ref == root]

    def _partner_windows(self, root: str) -> list[tuple[dt.date, dt.date, str]]:
        """(first day, last day, partner) of every partner row's time in force: asked on every
        day of a backtest, so the few windows are listed once."""
        hit = self._windows.get(root)
        if hit is None:
            hit = []
            for partner in self._dv01_partners(root):
                pts = self.schedule.points(partner)
                for p, nxt in zip(pts, pts[1:] + [None]):
                    end = dt.date.max if self.schedule.max_age_days is None else \
                        p.date + dt.timedelta(days=self.schedule.max_age_days)
                    if nxt is not None:
                        end = min(end, nxt.date - dt.timedelta(days=1))
                    hit.append((p.date, end, partner))
            self._windows[root] = hit
        return hit

    def _dv01_order(self, root: str, day: dt.date, m: float, source: str) -> tuple[float, str, str]:
        """A fallback requirement kept on the right side of a partner's published row."""
        basis = "volatility"
        for first, last, partner in self._partner_windows(root):
            if not first <= day <= last:
                continue
            hit = self.schedule.lookup(partner, day)
            if hit is None:
                continue
            mine, theirs = self.contract_dv01(root, day), self.contract_dv01(partner, day)
            bound = hit[0].maintenance * mine / theirs
            if (mine >= theirs and m < bound) or (mine < theirs and m > bound):
                m = bound
                basis = f"volatility, dv01 order with {partner}"
                source += f"; kept at {partner} schedule x {mine:.0f}/{theirs:.0f} (DV01)"
        return m, basis, source

    def _exchange(self, root: str, day: dt.date, depth: int = 0) -> tuple[float, str, str]:
        if root in self.constant:
            return self.constant[root], "constant", ""
        hit = self.schedule.lookup(root, day)
        if hit is not None:
            p, _ = hit
            return p.maintenance, "schedule", p.source
        v = self.volatility_maintenance(root, day)
        if v is not None:
            k, how = self.fallback_k(root)
            return self._dv01_order(root, day, v, f"k={k:.3g} ({how}) x q{self.quantile:g} over {self.window} days")
        ref = self.scale_from.get(root)
        if ref is not None and depth == 0:
            try:
                m, basis, _ = self._exchange(ref, day, depth + 1)
            except MarginError:
                m = None
            if m is not None:
                mine, theirs = self.contract_dv01(root, day), self.contract_dv01(ref, day)
                return m * mine / theirs, f"dv01 from {ref}", f"{ref} {basis} x {mine:.0f}/{theirs:.0f}"
        hit = self.schedule.lookup(root, day, allow_stale=True)
        if hit is not None:
            p, _ = hit
            return p.maintenance, "schedule (stale)", p.source
        raise MarginError(
            f"no margin for {root} on {day.isoformat()}: no schedule row in force, no price history "
            "for the volatility fallback; pass MarginModel(history=price_book) or a schedule file"
        )

    def quote(self, root, day) -> MarginQuote:
        root = spec(root).root if not isinstance(root, Contract) else root.root
        d = as_date(day)
        key = (root, d)
        q = self._cache.get(key)
        if q is None:
            m, basis, source = self._exchange(root, d)
            m *= self.broker_multiplier
            ratio = self.initial_ratio(d)
            q = MarginQuote(root, d, m, m * ratio, ratio, basis, source)
            self._cache[key] = q
        return q

    def maintenance(self, root, day) -> float:
        """Maintenance margin, dollars per contract (broker multiplier included)."""
        return self.requirement(root, day)[0]

    def initial(self, root, day) -> float:
        """Initial margin, dollars per contract (ratio x maintenance)."""
        return self.requirement(root, day)[1]

    # ---- the same numbers for many days at once ------------------------------------------------
    def requirement(self, root, day) -> tuple[float, float]:
        """(maintenance, initial) in dollars per contract of ``root`` on ``day``: the numbers of
        :meth:`quote` without its description, read from arrays made once per root over the
        history's days (a backtest asks for every held root on every day).  A subclass that
        overrides :meth:`quote` is asked through it."""
        if type(self).quote is not MarginModel.quote:
            q = self.quote(root, day)
            return q.maintenance, q.initial
        r = root.root if isinstance(root, Contract) else spec(root).root
        d = day if type(day) is dt.date else as_date(day)
        k = d.toordinal() - self._dense_first
        if not 0 <= k < self._dense_len:
            self._dense_extend(d)
            k = d.toordinal() - self._dense_first
        arrays = self._dense.get(r)
        if arrays is None:
            first = np.datetime64(dt.date.fromordinal(self._dense_first), "D")
            arrays = self._dense[r] = self.requirement_arrays(r, first + np.arange(self._dense_len))
        m = arrays[0][k]
        if m != m:  # NaN: no margin that day; quote says why
            q = self.quote(r, d)
            return q.maintenance, q.initial
        return float(m), float(arrays[1][k])

    def _dense_extend(self, day: dt.date) -> None:
        """Widen the span of the per-day arrays to cover ``day`` (the history book's days, or a year
        either side of the days asked)."""
        lo, hi = day.toordinal() - 366, day.toordinal() + 366
        if self._dense_len:
            lo, hi = min(lo, self._dense_first), max(hi, self._dense_first + self._dense_len - 1)
        else:
            span = getattr(self._history_source, "span", None)
            first, last = span() if callable(span) else (None, None)
            if first is not None and first.toordinal() <= day.toordinal() <= last.toordinal():
                lo, hi = first.toordinal(), last.toordinal()
        self._dense_first, self._dense_len = lo, hi - lo + 1
        self._dense = {}

    def requirement_arrays(self, root, days) -> tuple[np.ndarray, np.ndarray]:
        """(maintenance, initial) in dollars per contract of ``root`` on each of ``days`` (an array
        of ``datetime64[D]``, or anything numpy turns into one), broker multiplier included: the
        numbers :meth:`quote` gives day by day, computed for all days at once.  NaN on a day for
        which no margin can be determined (where :meth:`quote` raises :class:`MarginError`).
        A subclass's :meth:`quote` override is not applied."""
        root = root.root if isinstance(root, Contract) else spec(root).root
        d = np.asarray(days, dtype="datetime64[D]")
        m = self._exchange_array(root, d) * self.broker_multiplier
        ratio = np.full(len(d), self._ratio_steps[0][1])
        for start, value in self._ratio_steps:
            ratio[d >= np.datetime64(start, "D")] = value
        return m, m * ratio

    def _schedule_array(self, root: str, d: np.ndarray, allow_stale: bool = False) -> np.ndarray:
        """:meth:`MarginSchedule.lookup`'s maintenance on each day (NaN where none)."""
        out = np.full(len(d), np.nan)
        pts = self.schedule.points(root)
        if not pts or not len(d):
            return out
        pdays = self.schedule._days[root]
        i = np.searchsorted(pdays, d, side="right") - 1
        ok = i >= 0
        max_age = self.schedule.max_age_days
        if not allow_stale and max_age is not None:
            ok &= (d - pdays[np.maximum(i, 0)]).astype(np.int64) <= max_age
        out[ok] = np.array([p.maintenance for p in pts])[i[ok]]
        return out

    def _dv01_array(self, root: str, d: np.ndarray) -> np.ndarray:
        """:meth:`contract_dv01` on each day."""
        out = np.full(len(d), float(self.dv01[root]))
        arrays = None if self._dv01_given else self._dv01_arrays(root)
        if arrays is not None and len(d):
            days, values = arrays
            i = np.searchsorted(days, d, side="right") - 1
            out[i >= 0] = values[i[i >= 0]]
        return out

    def _exchange_array(self, root: str, d: np.ndarray, depth: int = 0) -> np.ndarray:
        """:meth:`_exchange`'s maintenance on each day, in the same order of rules (NaN where it
        raises)."""
        if root in self.constant:
            return np.full(len(d), self.constant[root])
        m = self._schedule_array(root, d)
        todo = np.flatnonzero(np.isnan(m))
        if len(todo):
            days, values = self._quantile_arrays(root)
            if days is not None:
                i = np.searchsorted(days, d[todo], side="right") - 1
                todo = todo[i >= 0]
                if len(todo):
                    m[todo] = self._dv01_order_array(root, d[todo], self.fallback_k(root)[0] * values[i[i >= 0]])
            todo = np.flatnonzero(np.isnan(m))
        ref = self.scale_from.get(root)
        if len(todo) and ref is not None and depth == 0:
            mr = self._exchange_array(ref, d[todo], depth + 1)
            todo = todo[~np.isnan(mr)]
            if len(todo):
                mine, theirs = self._dv01_array(root, d[todo]), self._dv01_array(ref, d[todo])
                m[todo] = mr[~np.isnan(mr)] * mine / theirs
            todo = np.flatnonzero(np.isnan(m))
        if len(todo):
            m[todo] = self._schedule_array(root, d[todo], allow_stale=True)
        return m

    def _dv01_order_array(self, root: str, d: np.ndarray, m: np.ndarray) -> np.ndarray:
        """:meth:`_dv01_order`'s requirement on each day."""
        m = m.copy()
        for first, last, partner in self._partner_windows(root):
            inside = np.flatnonzero((d >= np.datetime64(first, "D")) & (d <= np.datetime64(last, "D")))
            if not len(inside):
                continue
            theirs_m = self._schedule_array(partner, d[inside])
            inside = inside[~np.isnan(theirs_m)]
            theirs_m = theirs_m[~np.isnan(theirs_m)]
            if not len(inside):
                continue
            mine, theirs = self._dv01_array(root, d[inside]), self._dv01_array(partner, d[inside])
            bound = theirs_m * mine / theirs
            cur = m[inside]
            move = ((mine >= theirs) & (cur < bound)) | ((mine < theirs) & (cur > bound))
            m[inside[move]] = bound[move]
        return m


__all__ = [
    "MarginError", "MarginScheduleError", "SchedulePoint", "MarginQuote", "MarginSchedule", "MarginModel",
    "front_settlement_changes", "front_values", "continuous_changes", "DEFAULT_INITIAL_RATIO", "DV01_2026",
    "DV01_SCALE_FROM",
]
