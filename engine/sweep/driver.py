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
from .store import ResultStore, build_table, write_table


class SweepInterrupted(KeyboardInterrupt):
    """The sweep was stopped by Ctrl-C or SIGTERM; what finished is on disk and a rerun resumes."""

    def __init__(self, done: int, remaining: int):
        super().__init__(f"interrupted: {done} run(s) finished this time, {remaining} left; "
                         "run the same command again to resume")
        self.done = done
        self.remaining = remaining


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


def plan_sweep(spec: SweepSpec, backtester: Backtester, points: list[dict] | None = None) -> SweepPlan:
    """Resume keys of every parameter set of ``spec`` (or of ``points``), duplicates dropped."""
    identity = backtester.identity(spec)
    token = digest({"shared": spec.run_config({}), "identity": identity})
    tasks, seen = [], set()
    for point in spec.points() if points is None else points:
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
              report: bool = True, points: list[dict] | None = None) -> SweepOutcome:
    """Run every parameter set of ``spec`` (or only ``points``) not already finished in ``out_dir``.

    Each finished run is appended to ``out_dir/runs.jsonl`` at once; a run that raises is
    recorded as failed with its error and the sweep goes on (``retry_failed`` runs those again).
    At the end the ranked table is written (``results.parquet``, ``results.csv``) and, with
    ``report``, ``sweep.html``.  Ctrl-C or SIGTERM stops the workers and raises
    :class:`SweepInterrupted`; finished runs stay on disk.
    """
    started = time.perf_counter()
    backtester = backtester or default_backtester()
    executor = executor or LocalPool()
    validate = getattr(backtester, "validate", None)
    if validate is not None:
        validate(spec)
    plan = plan_sweep(spec, backtester, points)
    with ResultStore(out_dir) as store:
        finished = store.rows()
        todo = [t for t in plan.tasks if t.key not in finished
                or (retry_failed and finished[t.key]["status"] != "ok")]
        skipped = len(plan.tasks) - len(todo)
        executed = _execute(todo, skipped, plan, spec, backtester, executor, store, progress)
        rows = store.rows()
        table = build_table([rows[t.key] for t in plan.tasks if t.key in rows], spec.parameter_names,
                            spec.rank_by, spec.ascending)
        parquet, csv = write_table(table, store.folder)
        html = None
        if report:
            from .report import write_report

            html = write_report(table, spec, store, store.folder / "sweep.html")
    failed = int((table["status"] != "ok").sum())
    return SweepOutcome(Path(out_dir), table, executed, skipped, failed, time.perf_counter() - started,
                        parquet, csv, html)


def _execute(todo, skipped, plan, spec, backtester, executor, store, progress) -> int:
    """Run ``todo`` on ``executor``, appending each record to ``store``; returns runs done."""
    from tqdm import tqdm

    done = failed = 0
    bar = tqdm(total=len(todo), desc="sweep", unit="run", file=sys.stderr, disable=not progress,
               dynamic_ncols=True, mininterval=0.5)
    bar.set_postfix_str(f"failed=0, resumed={skipped}, {executor.describe()}", refresh=False)
    with _sigterm_as_interrupt(), bar:
        try:
            with contextlib.closing(executor.run(todo, plan.token, backtester, spec)) as records:
                for record in records:
                    store.append(record)
                    done += 1
                    if not record.ok:
                        failed += 1
                        bar.set_postfix_str(f"failed={failed}, resumed={skipped}, {executor.describe()}",
                                            refresh=False)
                    bar.update(1)
        except KeyboardInterrupt:
            raise SweepInterrupted(done, len(todo) - done) from None
    return done


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Within the block, SIGTERM raises KeyboardInterrupt (main thread only), like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
