"""Run a sweep: plan its runs, skip finished ones, execute the rest, stream results, rank them.

>>> from ecore.engine.sweep import load_sweep, run_sweep
>>> outcome = run_sweep(load_sweep("sweep.toml"), "ecore-out/sweep")      # doctest: +SKIP
>>> outcome.table.head()                                                  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .executors import Executor, LocalPool
from .keys import digest, run_key
from .runs import Backtester, RunTask
from .spec import SweepSpec
from .store import ResultStore, build_table


class SweepInterrupted(KeyboardInterrupt):
    """The sweep was stopped by Ctrl-C or SIGTERM; what finished is on disk and a rerun resumes."""

    def __init__(self, done: int, remaining: int, signum: int = signal.SIGINT):
        super().__init__(f"{done} run(s) finished this time, {remaining} left; "
                         "run the same command again to resume")
        self.done = done
        self.remaining = remaining
        self.signum = signum


@dataclass
class SweepPlan:
    """The runs of a sweep: ``tasks`` in sweep-file order (one per distinct key), ``token``
    identifying the sweep's shared settings, data and code (for the per-worker data cache)."""

    tasks: list[RunTask]
    token: str
    identity: dict


@dataclass
class SweepOutcome:
    """A finished sweep: the ranked ``table`` and where things were written.

    ``executed`` runs ran in this call, ``skipped`` were already finished, ``failed`` is the
    number of failed rows in the table, ``seconds`` the wall time of this call.
    """

    folder: Path
    table: pd.DataFrame
    executed: int
    skipped: int
    failed: int
    seconds: float
    parquet: Path
    csv: Path
    html: Path | None
    #: with --fast and folds: the fast path's table the folds' ranks come from (.fast_folds)
    ranks: pd.DataFrame | None = None
    warnings: dict | None = None  # distinct warning text -> runs (executed now) that gave it


#: Runs a sweep may have without ``--max-runs``: a typo in a range step must not start a
#: hundred million backtests (or fill the memory with their parameter sets).
DEFAULT_MAX_RUNS = 10_000


class SweepTooLarge(ValueError):
    """A sweep with more runs than allowed; the message gives the count and how it arises."""


class AllRunsFailed(RuntimeError):
    """Every run of the sweep failed: the message says how many and the first error."""


def check_size(spec: SweepSpec, max_runs: int = DEFAULT_MAX_RUNS, points: list[dict] | None = None) -> int:
    """The number of runs of ``spec`` (or of ``points``), counted without building them;
    :class:`SweepTooLarge` above ``max_runs``."""
    count = spec.space.count() if points is None else len(points)
    if count > max_runs:
        raise SweepTooLarge(
            f"{spec.source}: the sweep has {count:,} runs ({spec.space.shape()}), more than the "
            f"limit of {max_runs:,}; narrow the axes or raise the limit with --max-runs {count}")
    return count


def _points(spec: SweepSpec, points: list[dict] | None):
    return spec.space.iter_points() if points is None else iter(points)


def plan_sweep(spec: SweepSpec, backtester: Backtester, points: list[dict] | None = None) -> SweepPlan:
    """Resume keys of every parameter set of ``spec`` (or of ``points``), duplicates dropped."""
    identity = backtester.identity(spec)
    token = digest({"shared": spec.run_config({}), "identity": identity})
    tasks, seen = [], set()
    for point in _points(spec, points):
        key = run_key(spec.run_config(point), identity)
        if key not in seen:
            seen.add(key)
            tasks.append(RunTask(key, point))
    return SweepPlan(tasks, token, identity)


def default_backtester() -> Backtester:
    from .backtests import EventDrivenBacktester

    return EventDrivenBacktester()


def run_sweep(spec: SweepSpec, out_dir: str | Path, backtester: Backtester | None = None,
              executor: Executor | None = None, retry_failed: bool = False, progress: bool = True,
              report: bool = True, points: list[dict] | None = None, also_current=(),
              max_runs: int = DEFAULT_MAX_RUNS) -> SweepOutcome:
    """Run every parameter set of ``spec`` (or only ``points``) not already finished in ``out_dir``.

    The runs are counted first (:class:`SweepTooLarge` above ``max_runs``), then streamed:
    parameter sets are made one at a time and handed to the executor a few at a time, so
    memory holds the runs' keys, not their settings.  Each finished run is appended to
    ``out_dir/runs.jsonl`` at once; a run that raises is recorded as failed with its error and
    the sweep goes on (``retry_failed`` runs those again).  At the end the ranked table is
    written (``results.parquet``, ``results.csv``) and, with ``report``, ``sweep.html``, each
    whole or not at all.  Ctrl-C or SIGTERM stops the workers and raises
    :class:`SweepInterrupted`; finished runs stay on disk.
    """
    started = time.perf_counter()
    backtester = backtester or default_backtester()
    if spec.validation is not None and points is None:
        from .walkforward import fold_run_points

        check_size(spec, max_runs)  # before the folds multiply the parameter sets
        points = fold_run_points(spec, backtester)
    check_size(spec, max_runs, points)
    executor = executor or LocalPool()
    validate = getattr(backtester, "validate", None)
    if validate is not None:
        validate(spec)
    identity = backtester.identity(spec)
    token = digest({"shared": spec.run_config({}), "identity": identity})
    with ResultStore(out_dir) as store:
        finished = {k: row["status"] for k, row in store.rows().items()}
        # First pass: the keys only (the plan), to count what is left and keep the table's order.
        keys: list[str] = []
        seen: set[str] = set()
        todo = 0
        for point in _points(spec, points):
            key = run_key(spec.run_config(point), identity)
            if key in seen:
                continue
            seen.add(key)
            keys.append(key)
            if key not in finished or (retry_failed and finished[key] != "ok"):
                todo += 1
        del seen

        def tasks():  # second pass: each parameter set made again as its run is handed out
            emitted = set()
            for point in _points(spec, points):
                key = run_key(spec.run_config(point), identity)
                if key in emitted:
                    continue
                emitted.add(key)
                status = finished.get(key)
                if status is None or (retry_failed and status != "ok"):
                    yield RunTask(key, point)

        plan = SweepPlan([], token, identity)
        skipped = len(keys) - todo
        warned: dict[str, int] = {}
        executed = _execute(tasks(), todo, skipped, plan, spec, backtester, executor, store, progress, warned)
        rows = store.rows()
        if spec.validation is not None:  # ranked within each fold's window (.walkforward)
            from .walkforward import walk_forward_table

            table = walk_forward_table(spec, points, [run_key(spec.run_config(p), identity) for p in points], rows)
        else:
            table = build_table([rows[k] for k in keys if k in rows], spec.parameter_names,
                                spec.rank_by, spec.ascending)
        del rows
        parquet, csv, html = _write_results(table, spec, store, report, also_current)
    failed = int((table["status"] != "ok").sum())
    return SweepOutcome(Path(out_dir), table, executed, skipped, failed, time.perf_counter() - started,
                        parquet, csv, html, warnings=warned)


def _write_results(table, spec, store, report: bool, also_current):
    """The ranked tables and ``sweep.html`` moved into the folder together, or none of them (a
    full disk while writing the page keeps the earlier run's tables and page, whole)."""
    from ..report.staged_output import StagedFolder
    from .report import REPORT_FILE, render_report
    from .store import SWEEP_COMMAND, TABLE_CSV, TABLE_PARQUET

    with StagedFolder(store.folder, SWEEP_COMMAND) as stage:
        table.to_parquet(stage.path(TABLE_PARQUET), index=False)
        table.to_csv(stage.path(TABLE_CSV), index=False)
        names = [TABLE_PARQUET, TABLE_CSV]
        if spec.validation is not None:  # folds.csv, oos_growth.csv (.walkforward)
            from .walkforward import fold_files

            for name, frame in fold_files(table, spec, store.nav).items():
                frame.to_csv(stage.path(name), index=False)
                names.append(name)
        if report:
            stage.path(REPORT_FILE).write_text(render_report(table, spec, store), encoding="utf-8")
            names.append(REPORT_FILE)
        stage.commit(names, also_current)
    folder = store.folder
    return folder / TABLE_PARQUET, folder / TABLE_CSV, (folder / REPORT_FILE if report else None)


def _execute(todo, total, skipped, plan, spec, backtester, executor, store, progress, warned=None) -> int:
    """Run the tasks of the iterator ``todo`` (``total`` of them) on ``executor``, appending each
    record to ``store``; returns runs done."""
    from tqdm import tqdm

    done = failed = 0
    bar = tqdm(total=total, desc="sweep", unit="run", file=sys.stderr, disable=not progress,
               dynamic_ncols=True, mininterval=0.5)
    bar.set_postfix_str(f"failed=0, resumed={skipped}, {executor.describe()}", refresh=False)
    with _sigterm_as_interrupt(), bar:
        try:
            if total == 0:
                return 0
            with contextlib.closing(executor.run(todo, plan.token, backtester, spec, total=total)) as records:
                for record in records:
                    store.append(record)
                    done += 1
                    if warned is not None:
                        for text in getattr(record, "warnings", ()):
                            warned[text] = warned.get(text, 0) + 1
                    if not record.ok:
                        failed += 1
                        bar.set_postfix_str(f"failed={failed}, resumed={skipped}, {executor.describe()}",
                                            refresh=False)
                    bar.update(1)
        except KeyboardInterrupt as exc:
            raise SweepInterrupted(done, total - done, getattr(exc, "signum", signal.SIGINT)) from None
    return done


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Within the block, SIGTERM raises KeyboardInterrupt (main thread only), like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        from ..errors import Terminated

        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
