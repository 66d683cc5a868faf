"""``ecore sweep --fast`` with out-of-sample folds: the fast path ranks, the engine confirms.

Every parameter set is evaluated by the fast path on every fold's training and test windows
(``fast.parquet``/``fast.csv``: the walk-forward table of :mod:`.walkforward`, fast metrics);
each fold's choice (first on its training window by the fast path) then runs event-driven on
both windows, as a normal resumable sweep (``results.parquet``/``results.csv``).  The folds'
out-of-sample ranks are the fast path's (it scored every set there); their scores, the stitched
curve and the degradation are the event-driven runs'.
"""

from __future__ import annotations

import time
from pathlib import Path

FAST_FILES = ["fast.parquet", "fast.csv"]


def run_fast(spec, out_dir, executor=None, progress: bool = True, retry_failed: bool = False):
    """``ecore sweep --fast``: :func:`run_fast_walk_forward` for a sweep with folds, else
    :func:`ecore.engine.sweep.fast.run_fast_sweep`.  Returns (outcome, fast table)."""
    from .fast import run_fast_sweep

    if spec.validation is not None:
        from .backtests import check_axes

        check_axes(spec)  # every swept value in its range, before the fast path or any run
        return run_fast_walk_forward(spec, out_dir, executor, progress, retry_failed)
    return run_fast_sweep(spec, out_dir, executor=executor, progress=progress, retry_failed=retry_failed)


def run_fast_walk_forward(spec, out_dir, executor=None, progress: bool = True, retry_failed: bool = False):
    """Returns (the event-driven :class:`~.driver.SweepOutcome` of the choices, the fast table)."""
    from ..report.staged_output import StagedFolder
    from .backtests import EventDrivenBacktester
    from .driver import run_sweep
    from .fast import FAST_METRICS, FastPathError, fast_rows
    from .report import render_report
    from .spec import SweepFileError
    from .store import DEFAULT_RANK_METRIC, SWEEP_COMMAND, ResultStore
    from .walkforward import fold_files, fold_run_points, walk_forward_table

    started = time.perf_counter()
    rank_by = spec.rank_by or DEFAULT_RANK_METRIC
    if rank_by not in FAST_METRICS:
        raise SweepFileError(f"{spec.source}: key 'rank_by': the fast path computes "
                             f"{', '.join(FAST_METRICS)}, not {rank_by!r}")
    points = fold_run_points(spec, EventDrivenBacktester())
    rows = fast_rows(spec, None, points)
    table = walk_forward_table(spec, points, [r["key"] for r in rows], {r["key"]: r for r in rows}, rank_by)
    chosen = sorted(int(k.split("-")[1]) for k in table.loc[table["chosen"], "key"])
    if not chosen:
        raise FastPathError("no parameter set could be evaluated by the fast path; see fast.csv")
    out = Path(out_dir)
    shown = table.drop(columns=["seconds", "worker", "key"])
    with StagedFolder(out, SWEEP_COMMAND) as stage:
        shown.to_parquet(stage.path(FAST_FILES[0]), index=False)
        shown.to_csv(stage.path(FAST_FILES[1]), index=False)
        stage.commit(FAST_FILES)
    seconds = time.perf_counter() - started
    outcome = run_sweep(spec, out, executor=executor, progress=progress, retry_failed=retry_failed,
                        points=[points[i] for i in chosen], report=False, also_current=FAST_FILES)
    with ResultStore(out) as store, StagedFolder(out, SWEEP_COMMAND) as stage:
        # the folds' files again, their out-of-sample ranks now from the fast path's table
        names = []
        for name, frame in fold_files(outcome.table, spec, store.nav, table).items():
            frame.to_csv(stage.path(name), index=False)
            names.append(name)
        stage.path("sweep.html").write_text(render_report(outcome.table, spec, store, table), encoding="utf-8")
        stage.commit([*names, "sweep.html"], [*FAST_FILES, outcome.parquet.name, outcome.csv.name])
    outcome.html = out / "sweep.html"
    shown.attrs["seconds"] = seconds
    shown.attrs["walk_forward"] = True
    outcome.ranks = table
    return outcome, shown
