"""Out-of-sample checks of a sweep: a holdout split or walk-forward folds.

In a sweep file, either::

    validation = { in_sample = ["2003-09-29", "2015-12-31"], out_of_sample = ["2016-01-04", "2026-04-17"] }

or::

    walk_forward = { train = "5y", test = "1y", anchored = false }

Both tables also take ``warmup`` (default ``"1y"``): every window's run starts that long before
the window's first day and is scored from that day on, so a strategy's indicators (a 252-day
lookback) are warm when the window opens, in training and in testing alike.  Only the window's
days count: the day before its first day is the base of its returns.  Durations are a whole
number and a unit: ``y`` (years), ``m`` (months), ``w`` (weeks), ``d`` (days).

Walk-forward folds: training windows of ``train`` (rolling: each starts ``test`` after the one
before; anchored: each starts on the first day), each followed by a test window of ``test``;
the first training window starts ``warmup`` after the data (or on the sweep's ``start``), and the
last test window ends on the last day of the data (or the sweep's ``end``), shorter than
``test`` when the data end sooner (at least :data:`MIN_TEST_DAYS` business days, else dropped).

Every parameter set runs on every fold's training and test windows; the set ranked first on a
training window is that fold's choice, and its test-window result is what the fold reports.
The per-run parameter sets carry the window in keys starting with ``@`` (never a Python
parameter name): :meth:`ecore.engine.sweep.spec.SweepSpec.run_config` turns them into the run's
``start``/``end`` and ``score_from``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: A last test window cut short by the end of the data is dropped when it has fewer business
#: days than this: its Sharpe ratio would be noise.
MIN_TEST_DAYS = 10
DEFAULT_WARMUP = "1y"
TRAIN, TEST = "train", "test"
FOLD_KEYS = ("@fold", "@window", "@start", "@end", "@score_from")
_DURATION = re.compile(r"^\s*(\d+)\s*([ymwd])\s*$")
_UNITS = {"y": "years", "m": "months", "w": "weeks", "d": "days"}


@dataclass(frozen=True)
class Duration:
    """A calendar length: ``count`` of ``unit`` (y, m, w, d)."""

    count: int
    unit: str

    @classmethod
    def parse(cls, text) -> "Duration":
        m = _DURATION.match(text) if isinstance(text, str) else None
        if not m or int(m.group(1)) < 0:
            raise ValueError(f"must be a length such as \"5y\", \"18m\", \"26w\" or \"90d\", got {text!r}")
        return cls(int(m.group(1)), m.group(2))

    def after(self, day: dt.date) -> dt.date:
        """``day`` moved forward by this length."""
        return (pd.Timestamp(day) + pd.DateOffset(**{_UNITS[self.unit]: self.count})).date()

    def before(self, day: dt.date) -> dt.date:
        """``day`` moved back by this length."""
        return (pd.Timestamp(day) - pd.DateOffset(**{_UNITS[self.unit]: self.count})).date()

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


@dataclass(frozen=True)
class Window:
    """Days ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Fold:
    """Fold ``index`` (from 1): rank on ``train``, report on ``test``."""

    index: int
    train: Window
    test: Window


@dataclass(frozen=True)
class Validation:
    """How a sweep checks its choice out of sample (from ``validation`` or ``walk_forward``).

    ``holdout`` is (in-sample window, out-of-sample window) or None; ``train``/``test`` the
    walk-forward lengths; ``warmup`` the history each window's run starts with.
    """

    key: str
    warmup: Duration
    holdout: tuple[Window, Window] | None = None
    train: Duration | None = None
    test: Duration | None = None
    anchored: bool = False

    def describe(self) -> str:
        if self.holdout:
            ins, oos = self.holdout
            return (f"holdout: in sample {ins.start} to {ins.end}, out of sample {oos.start} to {oos.end}, "
                    f"warm-up {self.warmup}")
        kind = "anchored" if self.anchored else "rolling"
        return f"walk-forward ({kind}): train {self.train}, test {self.test}, warm-up {self.warmup}"

    def folds(self, first: dt.date, last: dt.date, fixed_start: bool = False) -> list[Fold]:
        """The folds inside the data's usable days ``first``..``last``.  Walk-forward windows
        begin ``warmup`` after ``first`` unless ``fixed_start`` (the sweep file set ``start``).
        Raises ValueError (naming the key) when no fold fits."""
        from ...data.calendar import treasury_calendar

        cal = treasury_calendar()
        if self.holdout:
            ins, oos = self.holdout
            for name, w in (("in_sample", ins), ("out_of_sample", oos)):
                if w.start < first or w.end > last:
                    raise ValueError(f"{self.key}.{name}: {w.start} to {w.end} is outside the data "
                                     f"({first} to {last})")
            return [Fold(1, ins, oos)]
        begin = first if fixed_start else max(first, self.warmup.after(first))
        first_test = self.train.after(begin)
        folds: list[Fold] = []
        while True:
            k = len(folds)
            test_start = Duration(self.test.count * k, self.test.unit).after(first_test)
            full_end = self.test.after(test_start) - dt.timedelta(days=1)
            test_end = min(full_end, last)
            if test_start > last:
                break
            days = len(cal.business_days_between(test_start, test_end))
            if days < 2 or (test_end < full_end and days < MIN_TEST_DAYS):
                break
            train_start = begin if self.anchored else self.train.before(test_start)
            folds.append(Fold(k + 1, Window(train_start, test_start - dt.timedelta(days=1)),
                              Window(test_start, test_end)))
            if test_end >= last:
                break
        if not folds:
            raise ValueError(f"{self.key}: train {self.train} then test {self.test} do not fit in the "
                             f"data from {begin} to {last}")
        return folds


def parse_validation(data: dict, fail) -> Validation | None:
    """``validation`` or ``walk_forward`` of a parsed sweep file (at most one), or None.
    ``fail(key, message)`` makes the error naming the key."""
    present = [k for k in ("validation", "walk_forward") if k in data]
    if not present:
        return None
    if len(present) == 2:
        raise fail("walk_forward", "give either validation (a holdout) or walk_forward, not both")
    key = present[0]
    table = data[key]
    if not isinstance(table, dict):
        raise fail(key, f"must be a table, got {table!r}")
    known = ("in_sample", "out_of_sample", "warmup") if key == "validation" else (
        "train", "test", "anchored", "warmup")
    unknown = [k for k in table if k not in known]
    if unknown:
        raise fail(f"{key}.{unknown[0]}", f"unknown key (known: {', '.join(known)})")

    def duration(name: str, default=None) -> Duration:
        value = table.get(name, default)
        if value is None:
            raise fail(f"{key}.{name}", "required: a length such as \"5y\"")
        try:
            d = Duration.parse(value)
        except ValueError as exc:
            raise fail(f"{key}.{name}", str(exc)) from None
        if d.count == 0 and name != "warmup":
            raise fail(f"{key}.{name}", f"must be longer than zero, got {value!r}")
        return d

    warmup = duration("warmup", DEFAULT_WARMUP)
    if key == "walk_forward":
        anchored = table.get("anchored", False)
        if not isinstance(anchored, bool):
            raise fail(f"{key}.anchored", f"must be true or false, got {anchored!r}")
        return Validation(key, warmup, train=duration("train"), test=duration("test"), anchored=anchored)

    windows = []
    for name in ("in_sample", "out_of_sample"):
        value = table.get(name)
        if not isinstance(value, list) or len(value) != 2:
            raise fail(f"{key}.{name}", f"must be [first day, last day], got {value!r}")
        days = []
        for v in value:
            day = parse_day(v)
            if day is None:
                raise fail(f"{key}.{name}", f"must hold dates such as 2015-12-31, got {v!r}")
            days.append(day)
        if days[1] <= days[0]:
            raise fail(f"{key}.{name}", f"{days[1]} is not after {days[0]}")
        windows.append(Window(*days))
    if windows[1].start <= windows[0].end:
        raise fail(f"{key}.out_of_sample", f"must start after the in-sample window ends ({windows[0].end}), "
                   f"got {windows[1].start}")
    return Validation(key, warmup, holdout=(windows[0], windows[1]))


def parse_day(value) -> dt.date | None:
    """A sweep file's day (a TOML date or datetime, or "YYYY-MM-DD"), or None when it is none."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def fold_points(folds: list[Fold], points: list[dict], warmup: Duration, first: dt.date) -> list[dict]:
    """Every parameter set on every fold's training and test windows, as run points: the set's
    values plus ``@fold``, ``@window``, ``@start`` (run start: ``warmup`` before the window, not
    before ``first``), ``@end`` and ``@score_from`` (the window's first day), dates as ISO text."""
    out = []
    for fold in folds:
        for name, window in ((TRAIN, fold.train), (TEST, fold.test)):
            run_start = max(first, warmup.before(window.start))
            for point in points:
                out.append({**point, "@fold": fold.index, "@window": name, "@start": run_start.isoformat(),
                            "@end": window.end.isoformat(), "@score_from": window.start.isoformat()})
    return out


def split_point(point: dict) -> tuple[dict, dict]:
    """(the parameter set, its fold keys) of a run point."""
    params = {k: v for k, v in point.items() if not k.startswith("@")}
    return params, {k: v for k, v in point.items() if k.startswith("@")}


def scored_window(daily: pd.DataFrame, score_from) -> pd.DataFrame:
    """The rows of ``daily`` a window is scored on: from the last day before ``score_from`` (the
    base of the first day's return) to the end.  Raises ValueError when the window has no day."""
    dates = pd.to_datetime(daily["date"])
    first = pd.Timestamp(score_from)
    inside = dates >= first
    if not inside.any():
        raise ValueError(f"the run has no day on or after {first.date()}")
    before = np.flatnonzero(~inside.to_numpy())
    start = before[-1] if len(before) else int(np.flatnonzero(inside.to_numpy())[0])
    return daily.iloc[start:].reset_index(drop=True)


def scored_result(result, score_from):
    """A :class:`~ecore.engine.report.results.BacktestResult` cut to a window: daily rows from
    the base day (:func:`scored_window`), trades, journal and events from ``score_from`` on."""
    import dataclasses

    first = pd.Timestamp(score_from)
    daily = scored_window(result.daily, score_from)

    def since(frame):
        if frame is None or frame.empty:
            return frame
        return frame[pd.to_datetime(frame["date"]) >= first].reset_index(drop=True)

    return dataclasses.replace(result, daily=daily, trades=since(result.trades), journal=since(result.journal),
                               events=since(result.events))
