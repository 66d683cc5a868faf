"""`ecore backtest`: run a strategy and its 60/40 benchmark, print a summary, write the outputs."""

from __future__ import annotations

from pathlib import Path

from .cli import UserError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "backtest",
        help="backtest a strategy against the 60/40 benchmark (bundled data by default)",
        description="Backtest a strategy (EfficientCore by default) and the 60/40 benchmark, print a "
        "summary table and write report.html, metrics.json, daily.csv, trades.csv and journal.csv.",
    )
    p.add_argument("--strategy", help="EfficientCore (default), SixtyForty or CorePlus")
    p.add_argument("--start", help="first day, YYYY-MM-DD (default: first day with all data)")
    p.add_argument("--end", help="last day, YYYY-MM-DD (default: last day of the data)")
    p.add_argument("--cash", type=float, help="starting cash in dollars (default 10,000,000)")
    p.add_argument("--config", type=Path, help="TOML file with any of these settings and [params]/[broker] tables")
    p.add_argument("--data", type=Path, help="data folder laid out like the bundled set (default: bundled)")
    p.add_argument("--out", type=Path, default=Path("ecore-out"), help="output folder (default ./ecore-out)")
    p.add_argument("--scenario", help="stress scenario: rate_shock or margin_hike")
    p.add_argument("--no-benchmark", action="store_true", help="skip the 60/40 benchmark run")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_command)


def _one_line_warnings(message, category, filename, lineno, line=None) -> str:
    return f"ecore backtest: warning: {message}\n"


def run_command(args) -> int:
    import logging
    import warnings

    # Data warnings (gaps) and margin calls are worth a line each, not a source excerpt.
    warnings.formatwarning = _one_line_warnings
    logging.basicConfig(level=logging.WARNING, format="ecore backtest: %(message)s")

    from .outputs import write_outputs
    from .report import summary_table
    from .runner import BacktestConfig, config_from_mapping, load_config, run_backtest

    config = load_config(args.config) if args.config else BacktestConfig()
    overrides = {}
    if args.strategy:
        overrides["strategy"] = args.strategy
    if args.start:
        overrides["start"] = args.start
    if args.end:
        overrides["end"] = args.end
    if args.cash is not None:
        overrides["cash"] = args.cash
    if args.data:
        overrides["data"] = str(args.data)
    if args.scenario:
        overrides["scenario"] = args.scenario
    if args.no_benchmark:
        overrides["benchmark"] = False
    if overrides:
        merged = {
            "strategy": config.strategy, "cash": config.cash, "benchmark": config.benchmark,
            "params": config.params, "broker": config.broker,
        }
        if config.start:
            merged["start"] = config.start.isoformat()
        if config.end:
            merged["end"] = config.end.isoformat()
        if config.data_dir:
            merged["data"] = str(config.data_dir)
        if config.scenario:
            merged["scenario"] = config.scenario
        if "strategy" in overrides and overrides["strategy"] != config.strategy and not args.config:
            merged["params"] = {}
        merged.update(overrides)
        config = config_from_mapping(merged, source="command line")
    run = run_backtest(config, progress=not args.quiet)
    results = [run.result] + ([run.benchmark] if run.benchmark is not None else [])
    print(summary_table(results, risk_free=run.risk_free))
    written = write_outputs(args.out, run.result, run.benchmark, risk_free=run.risk_free)
    print(f"\nwrote {len(written)} files to {args.out}/: {', '.join(p.name for p in written)}")
    return 0
