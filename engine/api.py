"""The Python interface: ``from ecore.engine.api import backtest, sweep``.

>>> from ecore.engine.api import backtest
>>> run = backtest(strategy="EfficientCore", start="2018-08-02", params={"equity_weight": 0.9})  # doctest: +SKIP
>>> run.metrics["sharpe"], run.returns.tail()                                                   # doctest: +SKIP
>>> run.write("ecore-out")        # report.html, metrics.json, daily.csv... as `ecore backtest`  # doctest: +SKIP

Both functions take the settings of ``ecore backtest`` / ``ecore sweep`` as keyword arguments,
check them as the command line does (before any work) and raise :class:`ecore.engine.errors.UserError`
(a mistake in the input) with the one-line message the command prints after ``error:``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from .errors import UserError

#: How errors name the settings given to :func:`backtest` (the command line says ``command line``).
SOURCE = "backtest()"


@dataclasses.dataclass(frozen=True)
class Backtest:
    """A finished backtest (what :func:`backtest` returns).

    ``daily``, ``trades``, ``journal``, ``events``: pandas tables as in daily.csv, trades.csv,
    journal.csv (``daily`` indexed by date); ``nav`` (dollars) and ``returns`` (daily, decimals)
    are Series named for the strategy, ``benchmark`` the 60/40 benchmark's daily returns named
    for it (None without a benchmark), so that quantstats and pandas plots label them right;
    ``metrics`` / ``benchmark_metrics``: dicts as in metrics.json (rates as decimals).
    """

    run: object  # ecore.engine.backtest.runner.BacktestRun

    @property
    def name(self) -> str:
        return self.run.result.name

    @property
    def config(self):
        """The checked :class:`ecore.engine.backtest.runner.BacktestConfig`."""
        return self.run.config

    @property
    def daily(self) -> pd.DataFrame:
        return self.run.result.daily.set_index("date")

    @property
    def nav(self) -> pd.Series:
        return self.daily["nav"].rename(self.name)

    @property
    def returns(self) -> pd.Series:
        return _returns(self.run.result)

    @property
    def benchmark(self) -> pd.Series | None:
        return None if self.run.benchmark is None else _returns(self.run.benchmark)

    @property
    def benchmark_daily(self) -> pd.DataFrame | None:
        return None if self.run.benchmark is None else self.run.benchmark.daily.set_index("date")

    @property
    def trades(self) -> pd.DataFrame:
        return self.run.result.trades

    @property
    def journal(self) -> pd.DataFrame:
        return self.run.result.journal

    @property
    def events(self) -> pd.DataFrame:
        return self.run.result.events

    @property
    def metrics(self) -> dict:
        return dict(self.run.metrics)

    @property
    def benchmark_metrics(self) -> dict | None:
        return None if self.run.benchmark_metrics is None else dict(self.run.benchmark_metrics)

    def summary(self) -> str:
        """What ``ecore backtest`` prints: the table (strategy and benchmark side by side) and a
        line per run whose orders were refused."""
        from .report.html import command_summary

        results = [self.run.result] + ([self.run.benchmark] if self.run.benchmark is not None else [])
        metrics = [m for m in (self.run.metrics, self.run.benchmark_metrics) if m is not None]
        return command_summary(results, risk_free=self.run.risk_free, metrics=metrics)

    def write(self, out: str | Path = "ecore-out") -> list[Path]:
        """Write what ``ecore backtest --out OUT`` writes (report.html, metrics.json, daily.csv,
        trades.csv, journal.csv, benchmark_daily.csv...); returns the paths."""
        from .report.outputs import write_outputs
        from .validation.options import BACKTEST_BYTES
        from .validation.output_location import check_output_folder

        check_output_folder(Path(out), BACKTEST_BYTES, "out")
        return write_outputs(out, self.run.result, self.run.benchmark, risk_free=self.run.risk_free,
                             analyses=self.run.analyses, metrics=(self.run.metrics, self.run.benchmark_metrics))

    def report(self, path: str | Path = "report.html") -> Path:
        """Write report.html alone to ``path``; returns it."""
        from .report.html import write_report_html

        return write_report_html(Path(path), self.run.result, self.run.benchmark, risk_free=self.run.risk_free,
                                 metrics=(self.run.metrics, self.run.benchmark_metrics))

    def __repr__(self) -> str:
        m = self.run.metrics
        first, last = self.daily.index[0].date(), self.daily.index[-1].date()
        return (f"<Backtest {self.name} {first}..{last}: final NAV ${m.get('final_nav', float('nan')):,.2f}, "
                f"CAGR {_pct(m.get('cagr'))}, Sharpe {_num(m.get('sharpe'))}>")


def _pct(value) -> str:
    from .report.numbers import format_metric

    return format_metric("cagr", value)


def _num(value) -> str:
    from .report.numbers import format_metric

    return format_metric("sharpe", value)


def _returns(result) -> pd.Series:
    nav = result.daily.set_index("date")["nav"].astype(float)
    return nav.pct_change().iloc[1:].rename(result.name)


def backtest(strategy: str | type | None = None, instruments=None, start=None, end=None, cash=None,
             params: dict | None = None, broker: dict | None = None, data=None, scenario=None,
             benchmark: bool = True, analyzers=None, accept_jumps: bool = False, config=None,
             progress: bool = False) -> Backtest:
    """Run one backtest, as ``ecore backtest`` does, and return a :class:`Backtest`.

    ``strategy``: "EfficientCore", "SixtyForty", "CorePlus", "package.module.Class" or a
    backtrader Strategy class; ``instruments``: its feeds (a list or "SPY,ZN"); ``start``/``end``:
    dates or "YYYY-MM-DD"; ``cash`` dollars; ``params``/``broker``: tables as in a config file;
    ``data``: a data folder (None: bundled); ``scenario``: "rate_shock", "margin_hike" or a
    table; ``config``: a TOML config file whose settings the arguments override.
    Raises :class:`ecore.engine.errors.UserError` with the command's one-line message.
    """
    from .backtest.runner import config_from_mapping, read_config_file, run_backtest
    from .validation.toml_position import locator

    mapping = read_config_file(config) if config is not None else {}
    if isinstance(strategy, type):
        strategy = f"{strategy.__module__}.{strategy.__qualname__}"
    if strategy is not None:  # default: the config file's, else EfficientCore
        mapping["strategy"] = strategy
    given = {"instruments": instruments, "start": start, "end": end, "cash": cash, "data": data,
             "scenario": scenario, "analyzers": analyzers}
    for key, value in given.items():
        if value is not None:
            mapping[key] = _plain(value) if key != "data" else str(Path(value).expanduser())
    if params:
        mapping["params"] = {**(mapping.get("params") or {}), **params}
    if broker:
        mapping["broker"] = {**(mapping.get("broker") or {}), **broker}
    if not benchmark:
        mapping["benchmark"] = False
    if accept_jumps:
        mapping["accept_jumps"] = True
    source = str(config) if config is not None else SOURCE
    base_dir = Path(config).expanduser().resolve().parent if config is not None else None
    locate = locator(Path(config).expanduser()) if config is not None else None
    checked = config_from_mapping(mapping, source=source, base_dir=base_dir, locate=locate)
    return Backtest(run_backtest(checked, progress=progress))


def _plain(value):
    """Dates, timestamps and tuples as the config file would hold them."""
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, tuple):
        return list(value)
    return value


def sweep(file=None, *, out=None, workers: int | None = None, cluster: str | None = None, fast: bool = False,
          params: dict | None = None, broker: dict | None = None, retry_failed: bool = False,
          max_runs: int | None = None, progress: bool = False, **settings) -> pd.DataFrame:
    """Run a sweep, as ``ecore sweep`` does, and return its ranked table (a DataFrame; with
    walk-forward folds, one row per set, fold and window, see :mod:`ecore.engine.sweep.walkforward`).

    ``file``: a sweep file (TOML); or give its keys as keyword arguments
    (``strategy="EfficientCore", grid={"equity_weight": [0.8, 0.9]}, walk_forward={...}``),
    which also override the file's.  ``params``/``broker``: fixed settings laid over the file's.
    ``out``: the sweep's folder (default ``ecore-out/sweep-<file name>`` or ``ecore-out/sweep``);
    rerunning into it resumes.  ``workers``/``cluster``: as ``--workers``/``--cluster``;
    ``fast``: as ``--fast`` (EfficientCore).  The table's ``attrs["folder"]`` is the folder.
    """
    from .sweep.driver import DEFAULT_MAX_RUNS, check_size, run_sweep
    from .sweep.executors import DaskCluster, LocalPool
    from .sweep.spec import load_sweep, parse_sweep
    from .validation.options import check_sweep_folder

    if file is not None:
        spec = load_sweep(file)
        if settings:
            from .backtest.runner import read_config_file

            raw = read_config_file(file)
            raw.pop("data", None)
            spec = parse_sweep({**raw, **settings, **({"data": str(spec.data_dir)} if spec.data_dir else {})},
                               source=str(file), base_dir=Path(file).resolve().parent)
    else:
        spec = parse_sweep({k: _plain(v) for k, v in settings.items()}, source="sweep()", base_dir=Path.cwd())
    if params or broker:
        spec = dataclasses.replace(spec, params={**spec.params, **(params or {})},
                                   broker={**spec.broker, **(broker or {})})
    limit = max_runs or DEFAULT_MAX_RUNS
    runs = check_size(spec, limit)
    points = None
    if spec.validation is not None and not fast:  # counted with their folds and windows
        from .sweep.backtests import EventDrivenBacktester
        from .sweep.walkforward import fold_run_points

        points = fold_run_points(spec, EventDrivenBacktester())
        runs = check_size(spec, limit, points)
    folder = Path(out) if out is not None else Path("ecore-out") / (f"sweep-{Path(file).stem}" if file else "sweep")
    check_sweep_folder(folder, runs, "out")
    executor = DaskCluster(cluster, workers) if cluster else LocalPool(workers)
    if fast:
        from .sweep.fast_folds import run_fast as run_fast_sweep

        outcome, _ = run_fast_sweep(spec, folder, executor=executor, progress=progress, retry_failed=retry_failed)
    else:
        outcome = run_sweep(spec, folder, executor=executor, retry_failed=retry_failed, progress=progress,
                            max_runs=limit, points=points)
    table = outcome.table
    table.attrs["folder"] = str(outcome.folder)
    return table


__all__ = ["Backtest", "UserError", "backtest", "sweep"]
