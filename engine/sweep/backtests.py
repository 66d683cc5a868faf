"""The default backtester of a sweep: a thin adapter over :func:`ecore.engine.backtest.runner.run_backtest`.

Each worker loads the market data once (:func:`ecore.data.market.load_market`) and every run of
that worker reuses them.  A run's metrics are those of ``metrics.json`` (with ``benchmark = true``
the benchmark's metrics follow as ``benchmark.NAME``); its NAV path feeds the growth curves.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import metadata
from pathlib import Path
from typing import Any

from .keys import KEY_LENGTH, tree_fingerprint
from .runs import Backtester, RunOutput
from .spec import SweepSpec

CODE_PATTERNS = ("*.py", "*.csv")


def data_fingerprint(data_dir: Path | None) -> str:
    """Hash of every file of the data folder (None = the bundled data set)."""
    from ...data.market import BUNDLED_DIR

    return tree_fingerprint(Path(data_dir) if data_dir else BUNDLED_DIR)


def input_files_fingerprint(spec: SweepSpec) -> str | None:
    """Hash of the files the runs read besides the data folder (the ``[broker]``
    ``margin_schedule``), or None when there are none."""
    path = (spec.broker or {}).get("margin_schedule") if isinstance(spec.broker, dict) else None
    if not path:
        return None
    p = Path(path)
    if not p.is_absolute() and spec.base_dir is not None:
        p = Path(spec.base_dir) / p
    try:
        content = hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError:
        content = "missing"
    return hashlib.sha256(f"{p}\0{content}".encode()).hexdigest()[:KEY_LENGTH]


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The package version plus a hash of the source and tables that decide a backtest's result:
    ``ecore.engine`` (less the sweep package, which only schedules runs, but with this adapter),
    ``ecore.strategies``, ``ecore.brokers`` and ``ecore.data`` (less the bundled data).

    Computed once per process: the code a process imported does not change under it.
    """
    from ... import brokers, data, engine, strategies

    try:
        version = metadata.version("ecore")
    except metadata.PackageNotFoundError:
        version = "unknown"
    parts = [version]
    for package in (engine, strategies, brokers, data):
        root = Path(package.__file__).resolve().parent
        parts.append(tree_fingerprint(root, CODE_PATTERNS, exclude=("sweep", "bundled")))
    parts.append(tree_fingerprint(Path(__file__).resolve().parent, ("backtests.py", "runs.py")))
    return "-".join(parts)


def strategy_fingerprint(spec: SweepSpec) -> str | None:
    """Hash of the source files of the sweep's strategy when it is a user's (its module, or its
    top-level package, and every module of the user's they import, at any depth: a helper module
    edited between two runs of a sweep gives new keys), so that editing any gives new resume
    keys; None for ours (their source is in :func:`code_version`)."""
    from ..backtest.instruments import strategy_class, strategy_source_files

    from ..backtest.user_code import user_source_files

    cls = strategy_class(spec.strategy, f"{spec.source}: strategy", _search(spec))
    files = set(strategy_source_files(cls))
    if files:
        # and every module of the user's that the strategy's module imports, at any depth
        files.update(user_source_files([cls.__module__]))
    if not files:
        return None
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:KEY_LENGTH]


def _search(spec: SweepSpec) -> tuple:
    return (spec.base_dir,) if spec.base_dir else ()


def strategy_module(spec: SweepSpec) -> str | None:
    """The module a user strategy is imported from on the workers; None for ours."""
    from ...strategies import STRATEGIES

    return None if spec.strategy in STRATEGIES else spec.strategy.rpartition(".")[0]


def import_error(module: str, folders: list[str]) -> str | None:
    """On a worker: None when ``module`` imports (after adding ``folders`` to the path, as the
    command did), else the error as one line."""
    import importlib
    import sys

    for folder in folders:
        if folder not in sys.path:
            sys.path.append(folder)
    try:
        importlib.import_module(module)
    except (KeyboardInterrupt, GeneratorExit):
        raise
    except BaseException as exc:  # reported to the user by the executor (sys.exit included)
        return f"{type(exc).__name__}: {exc}"
    return None


def backtest_config(spec: SweepSpec, config: dict):
    """A :class:`ecore.engine.backtest.runner.BacktestConfig` from a run's settings (``spec.run_config``);
    unknown strategy parameters or broker settings raise an error naming them."""
    from ..backtest.runner import config_from_mapping

    mapping = {
        "strategy": config["strategy"],
        "params": config["params"],
        "broker": config["broker"],
        "benchmark": config["benchmark"],
    }
    if config.get("instruments"):
        mapping["instruments"] = list(config["instruments"])
    for key in ("start", "end", "scenario"):
        if config.get(key) is not None:
            mapping[key] = config[key]
    if config.get("cash") is not None:
        mapping["cash"] = config["cash"]
    if config.get("accept_jumps"):
        mapping["accept_jumps"] = True
    out = config_from_mapping(mapping, source=spec.source, base_dir=spec.base_dir)
    if config.get("data_dir") is not None:
        out = out.replace(data_dir=Path(config["data_dir"]))
    return out


def check_axes(spec: SweepSpec) -> None:
    """Every value a swept axis can take is inside the parameter's (or broker setting's) range,
    before any run: the ends of a range or of a random draw, every grid value and choice.  Errors
    name the sweep file, the line and the axis."""
    from ..backtest.instruments import is_ours, strategy_class
    from ..validation.backtest_config import broker_rules, params_rules
    from ..validation.schema import Place
    from ..validation.toml_position import locator
    from .space import Choice, Steps

    cls = strategy_class(spec.strategy, f"{spec.source}: strategy", _search(spec))
    params = params_rules(cls, is_ours(cls)).fields
    broker = broker_rules(spec.base_dir).fields
    place = Place(spec.source, locator(Path(spec.source)) if Path(spec.source).exists() else None)

    def rule_of(name):
        if name.startswith("broker."):
            return broker.get(name[len("broker."):])
        return params.get(name)

    for name, values in spec.space.grid:
        rule = rule_of(name)
        if rule is None:
            continue
        if isinstance(values, Steps):
            key, probes = f"range.{name}", [values[0], values[-1]] + ([values[1]] if len(values) > 1 else [])
        else:
            key, probes = f"grid.{name}", list(values)
        for v in probes:
            rule.check(v, place, tuple(key.split(".")))
    for name, dist in spec.space.random:
        rule = rule_of(name)
        if rule is None:
            continue
        key = f"random.params.{name}"
        if isinstance(dist, Choice):
            for v in dist.values:
                rule.check(v, place, tuple(key.split(".")))
        else:
            for v in (dist.low, dist.high):
                rule.check(int(v) if dist.integer else v, place, tuple(key.split(".")))


class EventDrivenBacktester(Backtester):
    """Runs each parameter set through the event-driven engine (backtrader + margin broker)."""

    def identity(self, spec: SweepSpec) -> dict:
        identity = {"data": data_fingerprint(spec.data_dir), "code": code_version()}
        inputs = input_files_fingerprint(spec)
        if inputs is not None:
            identity["inputs"] = inputs
        source = strategy_fingerprint(spec)
        if source is not None:
            identity["strategy"] = source
        return identity

    def worker_check(self, spec: SweepSpec):
        """``(function, args)`` a remote worker runs to tell whether it can import the user's
        strategy module (None for ours): the executor reports a worker that cannot."""
        module = strategy_module(spec)
        if module is None:
            return None
        import os

        folders = [os.fspath(Path.cwd().resolve())] + ([os.fspath(spec.base_dir)] if spec.base_dir else [])
        return import_error, (module, folders)

    def validate(self, spec: SweepSpec) -> None:
        """Before any run: the strategy exists, every parameter and setting name is known, and
        the first run's instruments and dates are in the data."""
        import warnings

        from ...data.market import load_market
        from ..backtest.runner import check_against_data

        check_axes(spec)
        first = next(spec.space.iter_points(), {})
        config = backtest_config(spec, spec.run_config(first))
        from ...data.loaders import DataWarning

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_against_data(config, load_market(spec.data_dir))
        # The data folder's own findings (gaps) are said once, here: workers load the data
        # outside any run and say nothing; the runs report what they meet themselves.
        for w in caught:
            if issubclass(w.category, DataWarning):
                warnings.warn(w.message, w.category, stacklevel=2)

    def span(self, spec: SweepSpec):
        """(first, last) day the data hold for every series a run of ``spec`` needs, whatever
        the sweep's own start and end: the days walk-forward folds and warm-ups may use."""
        import dataclasses
        import warnings

        from ...data.market import load_market
        from ..backtest.runner import full_window

        config = backtest_config(spec, spec.run_config(next(spec.space.iter_points(), {})))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return full_window(dataclasses.replace(config, start=None, end=None), load_market(spec.data_dir))

    def load(self, spec: SweepSpec) -> Any:
        """The market data; the runner and strategies are imported here too, so that a worker's
        first run costs what the others cost."""
        from ...data.market import load_market
        from ...strategies import STRATEGIES  # noqa: F401
        from ..backtest import runner  # noqa: F401

        return load_market(spec.data_dir)

    def run(self, spec: SweepSpec, config: dict, market: Any) -> RunOutput:
        from ..backtest.runner import run_backtest

        run = run_backtest(backtest_config(spec, config), market=market)
        metrics = dict(run.metrics)
        if run.benchmark_metrics:
            metrics["benchmark"] = dict(run.benchmark_metrics)
        if config.get("score_from"):  # a fold's window: only its days are scored (see .folds)
            import pandas as pd

            from ..report.metrics import compute_metrics
            from .folds import scored_result

            metrics = compute_metrics(scored_result(run.result, config["score_from"]), risk_free=run.risk_free)
            # Bars the strategy's indicators still lacked when the window opened (backtrader's
            # minimum period against the warm-up's days): > 0 means the warm-up was too short.
            warm = int((run.result.daily["date"] < pd.Timestamp(config["score_from"])).sum())
            metrics["warmup_short_days"] = max(0, int(getattr(run.strategy, "_minperiod", 1)) - 1 - warm)
            if run.benchmark is not None:
                metrics["benchmark"] = compute_metrics(scored_result(run.benchmark, config["score_from"]),
                                                       risk_free=run.risk_free)
        daily = run.result.daily
        nav = daily.set_index("date")["nav"].astype(float)
        return RunOutput(metrics, nav)
