"""A sweep with out-of-sample folds (:mod:`.folds`): its runs, its table, each fold's choice.

:func:`fold_run_points` turns a sweep's parameter sets into one run per set, fold and window;
the driver runs them like any sweep's (pool or Dask, resumable: each run has its own resume key,
its window included).  :func:`walk_forward_table` ranks each fold's sets on the training window
and on the test window separately (``rank`` within the fold and window) and marks each fold's
choice (``chosen``: ranked first on the training window), on both its rows.
:func:`fold_summary` gives one row per fold: the choice, its in-sample and out-of-sample scores
and its rank among every set out of sample; :func:`stitched_growth` chains the choices' test
windows into one out-of-sample growth curve.
"""

from __future__ import annotations

import datetime as dt
import numpy as np
import pandas as pd

from .folds import TEST, TRAIN, Fold, fold_points, split_point
from .spec import SweepFileError, SweepSpec
from .store import DEFAULT_RANK_METRIC, _tidy, build_table

WINDOW_COLUMNS = ["fold", "window", "window_start", "window_end", "run_start"]
FOLDS_CSV = "folds.csv"          # one row per fold: its choice, in and out of sample
GROWTH_CSV = "oos_growth.csv"    # the stitched out-of-sample growth of $1, by date


def folds_of(spec: SweepSpec, backtester) -> tuple[list[Fold], dt.date]:
    """The sweep's folds and the first day of data a warm-up may reach back to.

    The data's span comes from ``backtester.span(spec)`` when it has one (the event-driven
    backtester reads it from the data); otherwise the sweep file must give ``start`` and ``end``.
    """
    span = getattr(backtester, "span", None)
    if span is not None:
        first, last = span(spec)
    elif spec.start is None or spec.end is None:
        raise SweepFileError(f"{spec.source}: key '{spec.validation.key}': needs the sweep's start and end "
                             "with this backtester (it cannot tell the data's days)")
    else:
        first, last = spec.start, spec.end
    lo = max(first, spec.start) if spec.start else first
    hi = min(last, spec.end) if spec.end else last
    try:
        folds = spec.validation.folds(lo, hi, fixed_start=spec.start is not None)
    except ValueError as exc:
        raise SweepFileError(f"{spec.source}: {_keyed(str(exc))}") from None
    return folds, first


def _keyed(message: str) -> str:
    key, _, rest = message.partition(": ")
    return f"key '{key}': {rest}"


def fold_run_points(spec: SweepSpec, backtester) -> list[dict]:
    """Every parameter set of ``spec`` on every fold's two windows (see :func:`.folds.fold_points`)."""
    folds, first = folds_of(spec, backtester)
    return fold_points(folds, list(spec.space.iter_points()), spec.validation.warmup, first)


def _identity(row, names) -> tuple:
    return tuple(repr(row[n]) for n in names)


def walk_forward_table(spec: SweepSpec, points: list[dict], keys: list[str], rows: dict[str, dict],
                       rank_by: str | None = None) -> pd.DataFrame:
    """One row per parameter set, fold and window: ``fold``, ``window`` (train/test),
    ``window_start``, ``window_end``, ``run_start`` (warm-up included), ``rank`` (within the
    fold's window), ``chosen``, the parameters and the columns of
    :func:`ecore.engine.sweep.store.build_table`.  Rows of points not finished are left out."""
    names = spec.parameter_names
    groups: dict[tuple[int, str], list[tuple[dict, dict]]] = {}
    for point, key in zip(points, keys):
        row = rows.get(key)
        if row is None:
            continue
        params, fold = split_point(point)
        groups.setdefault((int(fold["@fold"]), fold["@window"]), []).append(({**row, "params": params}, fold))
    parts = []
    for (number, window), items in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] != TRAIN)):
        part = build_table([r for r, _ in items], names, rank_by or spec.rank_by, spec.ascending)
        fold = items[0][1]
        for i, (col, value) in enumerate(zip(WINDOW_COLUMNS, (number, window, fold["@score_from"], fold["@end"],
                                                              fold["@start"]))):
            part.insert(i, col, value)
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*WINDOW_COLUMNS, "rank", "chosen", *names, "status", "error", "key"])
    table = pd.concat(parts, ignore_index=True)
    chosen = np.zeros(len(table), dtype=bool)
    for number, part in table.groupby("fold", sort=False):
        best = part[(part["window"] == TRAIN) & (part["rank"] == 1)]
        if best.empty:
            continue
        ident = _identity(best.iloc[0], names)
        for i in part.index:
            if _identity(table.loc[i], names) == ident:
                chosen[i] = True
    table.insert(len(WINDOW_COLUMNS) + 1, "chosen", chosen)
    return _tidy(table)


def fold_summary(table: pd.DataFrame, spec: SweepSpec, ranks: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per fold: its windows, the chosen parameters, ``<metric>_in`` and
    ``<metric>_out`` (the ranking metric on the training and test windows), ``sharpe_in`` and
    ``sharpe_out``, ``oos_rank`` (the choice's rank among the ``sets`` ranked on the test
    window; 1 = the choice was also the best out of sample) and the test run's ``key``.
    ``ranks``: the table the ranks come from when ``table`` holds only the choices (``--fast``)."""
    metric = spec.rank_by or DEFAULT_RANK_METRIC
    names = spec.parameter_names
    out = []
    for number, part in table.groupby("fold", sort=True):
        train, test = part[part["window"] == TRAIN], part[part["window"] == TEST]
        row = {"fold": int(number),
               "train_start": train["window_start"].iloc[0] if len(train) else None,
               "train_end": train["window_end"].iloc[0] if len(train) else None,
               "test_start": test["window_start"].iloc[0] if len(test) else None,
               "test_end": test["window_end"].iloc[0] if len(test) else None}
        pick_in, pick_out = train[train["chosen"]], test[test["chosen"]]
        for n in names:
            row[n] = pick_in[n].iloc[0] if len(pick_in) else None
        for label, frame in (("in", pick_in), ("out", pick_out)):
            for m in dict.fromkeys([metric, "sharpe"]):
                value = frame[m].iloc[0] if len(frame) and m in frame else None
                row[f"{m}_{label}"] = None if value is None or pd.isna(value) else float(value)
        ranked = test
        if ranks is not None:
            mine = ranks[ranks["fold"] == number]
            ranked = mine[mine["window"] == TEST]
            pick_out = pick_out.assign(rank=ranked.loc[ranked["chosen"], "rank"].iloc[0]
                                       if ranked["chosen"].any() else None) if len(pick_out) else pick_out
        rank = pick_out["rank"].iloc[0] if len(pick_out) else None
        row["oos_rank"] = None if rank is None or pd.isna(rank) else int(rank)
        row["sets"] = int(ranked["rank"].notna().sum())
        row["key"] = pick_out["key"].iloc[0] if len(pick_out) else None
        out.append(row)
    summary = pd.DataFrame(out)
    summary.attrs["table"] = table
    return summary


def table_short_warmups(table: pd.DataFrame | None) -> tuple[int, int] | None:
    """(runs whose warm-up was shorter than the strategy's lookback, the most days missing), or
    None when every run was warm (see ``warmup_short_days``)."""
    if table is None or "warmup_short_days" not in table:
        return None
    short = pd.to_numeric(table["warmup_short_days"], errors="coerce").fillna(0)
    return (int((short > 0).sum()), int(short.max())) if (short > 0).any() else None


def stitched_growth(summary: pd.DataFrame, nav_of) -> pd.Series:
    """Growth of $1 over the folds' test windows in turn, each the chosen set's run from its
    window's base day (``nav_of(key)``: the run's NAV Series).  Empty when no test run finished."""
    pieces = []
    level = 1.0
    for _, row in summary.iterrows():
        nav = nav_of(row["key"]) if row["key"] else None
        if nav is None or nav.empty:
            continue
        start = pd.Timestamp(row["test_start"])
        before = nav[nav.index < start]
        window = nav[nav.index >= start]
        if window.empty:
            continue
        base = before.iloc[-1] if len(before) else window.iloc[0]
        growth = level * window / base
        if not pieces:
            pieces.append(pd.Series([level], index=[before.index[-1] if len(before) else window.index[0]]))
        pieces.append(growth)
        level = float(growth.iloc[-1])
    if not pieces:
        return pd.Series(dtype=float, name="growth")
    out = pd.concat(pieces)
    out = out[~out.index.duplicated(keep="last")]
    out.name = "growth"
    return out


def fold_files(table: pd.DataFrame, spec: SweepSpec, nav_of, ranks: pd.DataFrame | None = None) -> dict:
    """The files a sweep with folds writes beside its results: ``folds.csv`` (:func:`fold_summary`)
    and ``oos_growth.csv`` (:func:`stitched_growth`: date, growth), by file name."""
    if not len(table):
        return {}
    summary = fold_summary(table, spec, ranks)
    growth = stitched_growth(summary, nav_of)
    return {FOLDS_CSV: summary.drop(columns=["key"]),
            GROWTH_CSV: growth.rename_axis("date").reset_index()}


def degradation(summary: pd.DataFrame, growth: pd.Series) -> dict:
    """The choices' mean Sharpe ratio in sample and out of sample, their difference, the share of
    folds whose choice ranked in the better half out of sample, and the stitched curve's
    compound annual growth and maximum drawdown (decimals)."""
    def mean(col):
        values = pd.to_numeric(summary.get(col), errors="coerce").dropna() if col in summary else pd.Series([], dtype=float)
        return float(values.mean()) if len(values) else None

    sharpe_in, sharpe_out = mean("sharpe_in"), mean("sharpe_out")
    ranked = summary.dropna(subset=["oos_rank"]) if "oos_rank" in summary else summary.iloc[0:0]
    better_half = (float((ranked["oos_rank"] <= (ranked["sets"] + 1) / 2).mean()) if len(ranked) else None)
    cagr = drawdown = None
    if len(growth) > 1:
        years = (growth.index[-1] - growth.index[0]).days / 365.25
        cagr = float(growth.iloc[-1] ** (1 / years) - 1) if years > 0 else None
        drawdown = float((growth / growth.cummax() - 1).min())
    return {"sharpe_in": sharpe_in, "sharpe_out": sharpe_out,
            "sharpe_drop": None if sharpe_in is None or sharpe_out is None else sharpe_in - sharpe_out,
            "better_half": better_half, "oos_cagr": cagr, "oos_max_drawdown": drawdown,
            "folds": int(len(summary))}


def describe(summary: pd.DataFrame, spec: SweepSpec, figures: dict) -> list[str]:
    """Lines for the terminal: each fold's choice and scores, then the degradation."""
    from ..report.numbers import format_metric, format_param

    metric = spec.rank_by or DEFAULT_RANK_METRIC
    lines = [f"{spec.validation.describe()}: {len(summary)} fold(s), each ranked by {metric} in sample"]
    for _, row in summary.iterrows():
        params = ", ".join(f"{n}={format_param(row[n])}" for n in spec.parameter_names)
        rank = "-" if row["oos_rank"] is None or pd.isna(row["oos_rank"]) else f"{int(row['oos_rank'])} of {row['sets']}"
        lines.append(f"  fold {row['fold']}: train {row['train_start']}..{row['train_end']} chose {params}; "
                     f"{metric} {format_metric(metric, row[f'{metric}_in'])} in, "
                     f"{format_metric(metric, row[f'{metric}_out'])} out "
                     f"(test {row['test_start']}..{row['test_end']}, rank {rank} out of sample)")
    short = table_short_warmups(summary.attrs.get("table"))
    if short:
        lines.append(f"  warning: {short[0]} run(s) opened their window before the strategy's indicators were "
                     f"warm (up to {short[1]} day(s) short); lengthen warmup in {spec.validation.key}")
    f = figures
    lines.append(f"  out of sample: Sharpe {format_metric('sharpe', f['sharpe_in'])} in sample vs "
                 f"{format_metric('sharpe', f['sharpe_out'])} out (mean of the folds' choices); stitched "
                 f"test windows: CAGR {format_metric('cagr', f['oos_cagr'])}, max drawdown "
                 f"{format_metric('max_drawdown', f['oos_max_drawdown'])}")
    return lines
