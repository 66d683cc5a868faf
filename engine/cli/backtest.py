"""`ecore backtest`: run a strategy and its 60/40 benchmark, print a summary, write the outputs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..errors import UserError
from .overrides import add_override_options


def add_parser(sub) -> None:
    p = sub.add_parser(
        "backtest",
        help="backtest a strategy against the 60/40 benchmark (bundled data by default)",
        description="Backtest a strategy (EfficientCore by default) and the 60/40 benchmark, print a "
        "summary table and write report.html, metrics.json, daily.csv, trades.csv and journal.csv.",
    )
    p.add_argument("--strategy", help="EfficientCore (default), SixtyForty, CorePlus, or package.module.Class "
                   "of any backtrader Strategy (imported from PYTHONPATH or the current folder)")
    p.add_argument("--instruments", metavar="LIST",
                   help="the strategy's feeds, comma-separated: symbols (SPY), roots (ZN: the contract held "
                   "under the roll rule) and contract codes (ZBM25: one fixed contract)")
    p.add_argument("--analyzers", metavar="LIST",
                   help="backtrader analyzers to add, comma-separated (TradeAnalyzer, SharpeRatio, DrawDown, "
                   "package.module.Class); results in analyzers.json")
    p.add_argument("--start", help="first day, YYYY-MM-DD (default: first day with all data)")
    p.add_argument("--end", help="last day, YYYY-MM-DD (default: last day of the data)")
    p.add_argument("--cash", type=float, help="starting cash in dollars (default 10,000,000)")
    p.add_argument("--config", type=Path, help="TOML file with any of these settings and [params]/[broker] tables")
    p.add_argument("--data", type=Path, help="data folder laid out like the bundled set (default: bundled)")
    p.add_argument("--out", type=Path, default=Path("ecore-out"), help="output folder (default ./ecore-out)")
    p.add_argument("--scenario", help="stress scenario: rate_shock or margin_hike")
    p.add_argument("--benchmark", metavar="SPEC",
                   help="the benchmark: 60/40 (default: the run's equity fund and AGG), W/B[:EQUITY[/BONDS]] "
                   "(60/40:EFA, 70/30:EEM/IEF), a fund symbol to buy and hold (SPY), or none")
    p.add_argument("--no-benchmark", action="store_true", help="skip the benchmark run (= --benchmark none)")
    p.add_argument("--accept-jumps", action="store_true",
                   help="run although a fund's close moves beyond its kind's daily bound (equity 25%% down, "
                   "bond 15%%: an unadjusted split) or a futures settlement by half or more in a day "
                   "(otherwise such a jump stops the run, naming the file, the day and the likely cause)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_override_options(p)
    p.set_defaults(func=run_command)


def _one_line_warnings(message, category, filename, lineno, line=None) -> str:
    return f"ecore backtest: warning: {message}\n"


def run_command(args) -> int:
    import logging
    import warnings

    # Data warnings (gaps) and margin calls are worth a line each, not a source excerpt.
    warnings.formatwarning = _one_line_warnings
    logging.basicConfig(level=logging.WARNING, format="ecore backtest: %(message)s")

    from ..report.outputs import write_outputs
    from ..report.html import command_summary
    from ..backtest.runner import config_from_mapping, read_config_file, run_backtest
    from ..validation.toml_position import locator

    # The command line overrides the file, key by key; parameters are checked against the
    # strategy finally chosen.
    mapping = read_config_file(args.config) if args.config else {}
    if args.strategy:
        mapping["strategy"] = args.strategy
    if args.instruments is not None:
        mapping["instruments"] = args.instruments
    if args.analyzers is not None:
        mapping["analyzers"] = args.analyzers
    if args.start:
        mapping["start"] = args.start
    if args.end:
        mapping["end"] = args.end
    if args.cash is not None:
        mapping["cash"] = args.cash
    if args.data:
        mapping["data"] = str(args.data.expanduser())
    if args.scenario:
        mapping["scenario"] = args.scenario
    if getattr(args, "benchmark", None) is not None:
        mapping["benchmark"] = args.benchmark
    if args.no_benchmark:
        mapping["benchmark"] = False
    if args.accept_jumps:
        mapping["accept_jumps"] = True
    source = str(args.config) if args.config else "command line"
    from ..validation.input_files import base_folder

    base_dir = base_folder(args.config) if args.config else None
    if args.param or args.broker:
        apply_overrides(mapping, args.param, args.broker, base_dir)
    locate = locator(args.config.expanduser()) if args.config else None
    config = config_from_mapping(mapping, source=source, base_dir=base_dir, locate=locate)
    from ..report.outputs import output_names
    from ..report.staged_output import check_targets
    from ..validation.output_location import check_not_inside_data

    # Before the run: outputs go where nothing of the user's (a folder, a file no ecore run
    # wrote, a data folder) would be replaced or read back as data.
    check_not_inside_data(args.out, config.data_dir)
    check_targets(args.out, output_names(config.benchmark, bool(config.analyzers)))
    run = run_backtest(config, progress=not args.quiet)
    # The command needs only the results from here on: letting go of the finished strategy (its
    # cerebro, feeds, broker and price book) before the report is built keeps the peak down.
    run = dataclasses.replace(run, strategy=None)
    _let_go()
    results = [run.result] + ([run.benchmark] if run.benchmark is not None else [])
    # Files first: a closed pipe on stdout (``| head``) must not lose the backtest.
    metrics = (run.metrics, run.benchmark_metrics)  # computed once by the run, with its risk-free rate
    written = write_outputs(args.out, run.result, run.benchmark, risk_free=run.risk_free, analyses=run.analyses,
                            metrics=metrics)
    print(command_summary(results, risk_free=run.risk_free, metrics=[m for m in metrics if m is not None]))
    print(f"\nwrote {len(written)} files to {args.out}/: {', '.join(p.name for p in written)}")
    return 0


def apply_overrides(mapping: dict, params, broker, base_dir=None) -> None:
    """Lay ``--param``/``--broker`` assignments over a config mapping, typed and checked for the
    strategy it names (see :mod:`ecore.engine.validation.overrides`)."""
    from ..backtest.instruments import PlanError, is_ours, strategy_class
    from ..validation.overrides import broker_overrides, strategy_overrides

    try:
        cls = strategy_class(str(mapping.get("strategy", "EfficientCore")), "strategy",
                             (base_dir,) if base_dir else ())
    except PlanError as exc:
        raise UserError(str(exc)) from None
    if params:
        table = mapping.get("params")
        mapping["params"] = {**(table if isinstance(table, dict) else {}),
                             **strategy_overrides(params, cls, is_ours(cls))}
    if broker:
        table = dict(mapping.get("broker") or {}) if isinstance(mapping.get("broker"), dict) else {}
        for key, value in broker_overrides(broker, base_dir).items():
            if key == "costs" and isinstance(table.get("costs"), dict):
                value = {**table["costs"], **value}
            table[key] = value
        mapping["broker"] = table


def _let_go() -> None:
    """Collect the run's object graph and hand its freed memory back to the system."""
    import gc

    from ...data.synthetic_futures import release_freed_memory

    gc.collect()
    release_freed_memory()
