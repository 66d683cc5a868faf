"""``ecore sweep FILE``: run a parameter sweep and write the ranked table and ``sweep.html``."""

from __future__ import annotations

import dataclasses
import signal
import sys
from pathlib import Path

from .overrides import add_override_options

DEFAULT_OUT_ROOT = Path("ecore-out")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="run many backtests over a parameter space, ranked, with a heatmap and growth curves",
        description="Run every parameter set of a sweep file (TOML: strategy, data, dates, [grid], "
        "[range], [random]) on a local process pool or a Dask cluster. Results stream to "
        "OUT/runs.jsonl as runs finish; rerunning resumes where an interrupted sweep stopped. "
        "Writes OUT/results.parquet, OUT/results.csv (ranked) and OUT/sweep.html. With "
        "validation = {in_sample, out_of_sample} or walk_forward = {train, test} in the file, each "
        "fold ranks on its training window and reports its choice out of sample (a fold column).",
    )
    p.add_argument("file", metavar="FILE", help="sweep file (TOML)")
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="run on the Dask scheduler at ADDRESS (tcp://host:8786), or 'local' for a "
                   "Dask LocalCluster on this machine; default: a local process pool")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes for the local pool or --cluster local (default: one per CPU)")
    p.add_argument("--fast", action="store_true",
                   help="rank every parameter set with the vectorized 90/60 evaluation, then run only "
                   "the best --top N event-driven")
    p.add_argument("--top", type=int, metavar="N",
                   help="best runs drawn as growth curves, and re-run event-driven after --fast "
                   "(default: the file's 'top', else 5)")
    p.add_argument("--out", metavar="DIR",
                   help=f"output folder (default: {DEFAULT_OUT_ROOT}/sweep-<file name>)")
    p.add_argument("--retry-failed", action="store_true", help="run failed runs again on resume")
    p.add_argument("--max-runs", type=int, metavar="N", dest="max_runs",
                   help="refuse a sweep of more than N runs, counted before any is built (default 10,000)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_override_options(p)
    p.set_defaults(func=run_command)


def run_command(args) -> int:
    from ..errors import EXIT_INTERRUPTED, EXIT_TERMINATED, UserError
    from ..validation.options import check_sweep_folder
    from ..sweep.driver import DEFAULT_MAX_RUNS, SweepInterrupted, check_size, run_sweep
    from ..sweep.executors import DaskCluster, LocalPool
    from ..sweep.spec import load_sweep
    from ..sweep.lock import StoreBusy

    spec = load_sweep(args.file)
    if args.param or args.broker:
        from ..sweep.overrides import with_overrides

        spec = with_overrides(spec, args.param, args.broker)
    if args.top is not None:
        spec = dataclasses.replace(spec, top=args.top)
    max_runs = args.max_runs or DEFAULT_MAX_RUNS
    runs = check_size(spec, max_runs)
    points = None
    if spec.validation is not None and not args.fast:  # counted with their folds and windows
        from ..sweep.backtests import EventDrivenBacktester
        from ..sweep.walkforward import fold_run_points

        points = fold_run_points(spec, EventDrivenBacktester())
        runs = check_size(spec, max_runs, points)
    out = Path(args.out) if args.out else DEFAULT_OUT_ROOT / f"sweep-{Path(args.file).stem}"
    check_sweep_folder(out, runs)
    from ..report.staged_output import check_targets
    from ..sweep.report import REPORT_FILE
    from ..sweep.store import TABLE_CSV, TABLE_PARQUET
    from ..validation.output_location import check_not_inside_data

    check_not_inside_data(out, spec.data_dir)
    check_targets(out, [TABLE_PARQUET, TABLE_CSV, REPORT_FILE])
    executor = DaskCluster(args.cluster, args.workers) if args.cluster else LocalPool(args.workers)
    progress = not args.no_progress
    try:
        if args.fast:
            from ..sweep.fast_folds import run_fast as run_fast_sweep

            outcome, fast_table = run_fast_sweep(spec, out, executor=executor, progress=progress,
                                                 retry_failed=args.retry_failed)
            what = "set-and-window runs" if fast_table.attrs.get("walk_forward") else "parameter sets"
            print(f"fast path: {len(fast_table)} {what} ranked in "
                  f"{fast_table.attrs.get('seconds', float('nan')):.1f} s → {out / 'fast.csv'}")
        else:
            outcome = run_sweep(spec, out, executor=executor, retry_failed=args.retry_failed,
                                progress=progress, max_runs=max_runs, points=points)
    except SweepInterrupted as exc:
        terminated = exc.signum == signal.SIGTERM
        print(f"ecore sweep: {'terminated (SIGTERM)' if terminated else 'interrupted (Ctrl-C)'}: {exc}",
              file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    except StoreBusy as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        if args.cluster and exc.filename is None:
            # No scheduler at that address (or it went away): say so in one line.
            raise UserError(f"cannot reach the Dask cluster {args.cluster}: {exc}") from None
        raise
    print(summary(outcome, spec, executor.describe()))
    from .warnings_once import sweep_lines

    for line in sweep_lines(outcome.warnings or {}, outcome.executed):
        print(line, file=sys.stderr)
    t = outcome.table
    if len(t) and (t["status"] != "ok").all():
        first = t.iloc[0]["error"]
        print(f"ecore sweep: error: all {len(t)} runs failed; first error: {first}", file=sys.stderr)
        return 1
    return 0


def summary(outcome, spec, where: str) -> str:
    """A few lines: counts, the best run, where the files are."""
    from ..sweep.store import DEFAULT_RANK_METRIC

    from ..report.numbers import format_metric, format_param

    metric = spec.rank_by or DEFAULT_RANK_METRIC
    t = outcome.table
    lines = [f"sweep: {len(t)} runs ({outcome.executed} executed now, {outcome.skipped} already done, "
             f"{outcome.failed} failed) in {outcome.seconds:.1f} s on {where}"]
    if spec.validation is not None:
        lines += _fold_lines(outcome, spec)
    else:
        best = t[t["rank"].notna()].head(spec.top)
        for _, row in best.iterrows():
            params = ", ".join(f"{n}={format_param(row[n])}" for n in spec.parameter_names)
            lines.append(f"  #{row['rank']}: {metric} = {format_metric(metric, row[metric])}  ({params})")
    failed = t[t["status"] != "ok"]
    if len(failed):
        lines.append(f"  first failure: {failed.iloc[0]['error']}")
    lines.append(f"results: {outcome.parquet}, {outcome.csv}")
    if outcome.html:
        lines.append(f"report: {outcome.html}")
    return "\n".join(lines)


def _fold_lines(outcome, spec) -> list[str]:
    """Each fold's choice and its scores in and out of sample, and the degradation."""
    from ..sweep.store import read_nav
    from ..sweep.walkforward import degradation, describe, fold_summary, stitched_growth

    if not len(outcome.table):
        return []
    summary = fold_summary(outcome.table, spec, outcome.ranks)
    growth = stitched_growth(summary, lambda key: read_nav(outcome.folder / "navs" / f"{key}.npz"))
    return describe(summary, spec, degradation(summary, growth))
