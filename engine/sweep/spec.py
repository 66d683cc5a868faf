"""A sweep file (TOML) read into a frozen :class:`SweepSpec`, with errors that name the key.

Layout of a sweep file::

    strategy = "EfficientCore"        # required: ours by name, or package.module.Class of any
                                      # backtrader Strategy (also found beside the sweep file)
    instruments = ["SPY", "ZN"]       # its feeds, as in `ecore backtest --instruments`
    start = 2020-01-01                # optional dates (TOML dates or ISO strings)
    end = 2021-12-31
    cash = 1_000_000                  # dollars; default: the runner's
    data = "market"                   # optional data folder, relative to the sweep file; default: bundled
    scenario = "taper-2013"           # optional stress scenario: a name or a table, as in `ecore backtest`
    benchmark = false                 # also run the benchmark per run (default false)
    rank_by = "sharpe"                # metric that ranks the results table
    ascending = false                 # false: the largest value ranks first
    top = 5                           # runs drawn as growth curves (and re-run after --fast)
    heatmap = ["equity_weight", "futures_notional"]   # default pair in sweep.html

    [params]                          # fixed strategy parameters for every run
    equity = "SPY"

    [broker]                          # fixed broker / margin settings for every run
    broker_multiplier = 1.0

    [grid]                            # explicit values; "broker.NAME" sets a broker setting
    equity_weight = [0.8, 0.9]

    [range]                           # start, stop (inclusive), step
    futures_notional = { start = 0.4, stop = 0.8, step = 0.2 }

    [random]                          # seeded random samples
    samples = 10
    seed = 7
    [random.params]
    target_duration = { low = 4.0, high = 8.0 }             # uniform
    roll_offset = { low = 3, high = 8 }                     # integers, both ends included
    drift_band = { low = 0.01, high = 0.2, log = true }     # log-uniform
    equity = { choices = ["SPY", "VOO"] }

Grid and range axes form a product; each point is combined with every random draw.

Out-of-sample checks (:mod:`.folds`), one of::

    validation = { in_sample = ["2004-01-02", "2015-12-31"], out_of_sample = ["2016-01-04", "2026-04-17"] }
    walk_forward = { train = "5y", test = "1y", anchored = false, warmup = "1y" }
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .folds import Validation, parse_day, parse_validation
from .space import Choice, ParameterSpace, Steps, Uniform, Value

BROKER_PREFIX = "broker."
TOP_LEVEL_KEYS = (
    "strategy", "instruments", "start", "end", "cash", "data", "scenario", "benchmark", "rank_by",
    "ascending", "top", "heatmap", "params", "broker", "grid", "range", "random", "accept_jumps",
    "validation", "walk_forward",
)


class SweepFileError(ValueError):
    """A mistake in a sweep file; the message names the offending key."""


@dataclass(frozen=True)
class SweepSpec:
    """Everything a sweep needs, read from a sweep file.

    ``cash`` is in dollars (None: the runner's default); ``start``/``end`` are dates or None
    (whole data set); ``data_dir`` is an absolute path or None (the bundled data set); ``params``
    and ``broker`` hold the settings shared by every run; ``space`` holds the swept axes;
    ``instruments`` the strategy's feeds (empty: its own); ``base_dir`` the sweep file's folder,
    where a strategy module may sit.
    """

    strategy: str
    space: ParameterSpace
    instruments: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    cash: float | None = None
    data_dir: Path | None = None
    scenario: str | dict | None = field(default=None, hash=False)
    benchmark: bool = False
    params: dict = field(default_factory=dict, hash=False)
    broker: dict = field(default_factory=dict, hash=False)
    rank_by: str | None = None
    ascending: bool = False
    top: int = 5
    heatmap: tuple[str, str] | None = None
    source: str = "<sweep>"
    base_dir: Path | None = field(default=None, hash=False)
    accept_jumps: bool = False
    #: holdout or walk-forward folds (:mod:`.folds`), None for a plain sweep
    validation: Validation | None = None

    @property
    def parameter_names(self) -> list[str]:
        """Swept parameter names in sweep-file order (broker settings keep their ``broker.``)."""
        return self.space.names

    def points(self) -> list[dict[str, Value]]:
        """Every swept parameter set, in a fixed order."""
        return self.space.points()

    def run_config(self, point: dict[str, Value]) -> dict[str, Any]:
        """The complete settings of one run: shared settings overlaid with ``point``.

        Keys are those of :class:`ecore.engine.backtest.runner.BacktestConfig`, plus
        ``score_from`` for a fold's window (keys ``@start``, ``@end``, ``@score_from`` of
        ``point``, see :mod:`.folds`).
        """
        params = dict(self.params)
        broker = dict(self.broker)
        fold = {}
        for name, value in point.items():
            if name.startswith("@"):
                fold[name] = value
            elif name.startswith(BROKER_PREFIX):
                broker[name[len(BROKER_PREFIX):]] = value
            else:
                params[name] = value
        return {
            "strategy": self.strategy,
            "instruments": list(self.instruments),
            "start": dt.date.fromisoformat(fold["@start"]) if "@start" in fold else self.start,
            "end": dt.date.fromisoformat(fold["@end"]) if "@end" in fold else self.end,
            "cash": self.cash,
            "data_dir": self.data_dir,
            "params": params,
            "broker": broker,
            "scenario": self.scenario,
            "benchmark": self.benchmark,
            # only when set, so that resume keys of earlier sweeps stay valid
            **({"accept_jumps": True} if self.accept_jumps else {}),
            **({"score_from": fold["@score_from"]} if "@score_from" in fold else {}),
        }


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file; a relative ``data`` folder is taken from the file's folder."""
    from ..validation.input_files import base_folder, read_toml

    path = Path(path)
    data = read_toml(path, "sweep file", SweepFileError, missing=FileNotFoundError)
    return parse_sweep(data, source=str(path), base_dir=base_folder(path))


def parse_sweep(data: dict, source: str = "<sweep>", base_dir: Path | None = None) -> SweepSpec:
    """Validate a parsed sweep file (a dict as from ``tomllib``) into a :class:`SweepSpec`."""

    from ..validation.toml_position import locator

    locate = locator(Path(source)) if Path(source).is_file() else None

    def fail(key: str, message: str) -> SweepFileError:
        at = locate(tuple(key.split("."))) if locate is not None else None
        return SweepFileError(f"{source}{', ' + at if at else ''}: key '{key}': {message}")

    unknown = [k for k in data if k not in TOP_LEVEL_KEYS]
    if unknown:
        raise fail(unknown[0], f"unknown key (known keys: {', '.join(TOP_LEVEL_KEYS)})")

    strategy = data.get("strategy")
    if not isinstance(strategy, str) or not strategy.strip():
        raise fail("strategy", "required: the name of a strategy, e.g. \"EfficientCore\", or "
                   "package.module.Class of a backtrader Strategy")
    from ..backtest.instruments import PlanError, split_instruments

    try:
        instruments = split_instruments(data.get("instruments"), "instruments")
    except PlanError as exc:
        raise fail("instruments", str(exc).partition(": ")[2]) from None

    start = _date(data, "start", fail)
    end = _date(data, "end", fail)
    if start and end and end <= start:
        raise fail("end", f"{end} is not after start {start}")

    cash = data.get("cash")
    if cash is not None and (isinstance(cash, bool) or not isinstance(cash, (int, float)) or cash <= 0):
        raise fail("cash", f"must be a positive number of dollars, got {cash!r}")

    data_dir = data.get("data")
    if data_dir is not None:
        if not isinstance(data_dir, str) or not data_dir:
            raise fail("data", f"must be a folder path, got {data_dir!r}")
        data_dir = Path(data_dir)
        if not data_dir.is_absolute():
            data_dir = (base_dir or Path.cwd()) / data_dir
        if not data_dir.is_dir():
            raise fail("data", f"folder not found: {data_dir}")

    scenario = data.get("scenario")
    if scenario is not None and not isinstance(scenario, (str, dict)):
        raise fail("scenario", f"must be a scenario name or table, got {scenario!r}")
    benchmark = _bool(data, "benchmark", False, fail)
    accept_jumps = _bool(data, "accept_jumps", False, fail)
    ascending = _bool(data, "ascending", False, fail)

    rank_by = data.get("rank_by")
    if rank_by is not None and (not isinstance(rank_by, str) or not rank_by):
        raise fail("rank_by", f"must be a metric name, got {rank_by!r}")
    if rank_by is not None:
        from ..report.metrics import RANKABLE_METRICS

        if rank_by not in RANKABLE_METRICS:
            # Checked before any run: a typo found after hours of backtests helps nobody.
            raise fail("rank_by", f"unknown metric {rank_by!r}; choose one of {', '.join(sorted(RANKABLE_METRICS))}")

    top = data.get("top", 5)
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise fail("top", f"must be a whole number of runs >= 1, got {top!r}")

    params = _table(data, "params", fail)
    broker = _table(data, "broker", fail)
    for table_name, table in (("params", params), ("broker", broker)):
        for key, value in table.items():
            if isinstance(value, dt.datetime | dt.date | dt.time):
                table[key] = value.isoformat()

    grid: dict[str, tuple[Value, ...]] = {}
    for name, values in _flatten_broker(_table(data, "grid", fail), "grid", fail).items():
        if not isinstance(values, list) or not values:
            raise fail(f"grid.{name}", f"must be a non-empty list of values, got {values!r}")
        for v in values:
            _check_scalar(v, f"grid.{name}", fail)
        idents = [(type(v).__name__, v) for v in values]
        for i, ident in enumerate(idents):
            if ident in idents[:i]:
                raise fail(f"grid.{name}", f"value {values[i]!r} is listed twice")
        grid[name] = tuple(values)

    for name, rng in _flatten_broker(_table(data, "range", fail), "range", fail).items():
        key = f"range.{name}"
        if name in grid:
            raise fail(key, "parameter is already swept in [grid]")
        if not isinstance(rng, dict) or set(rng) != {"start", "stop", "step"}:
            raise fail(key, "must be a table with exactly start, stop and step")
        for part in ("start", "stop", "step"):
            v = rng[part]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise fail(f"{key}.{part}", f"must be a finite number, got {v!r}")
        try:
            grid[name] = Steps(rng["start"], rng["stop"], rng["step"])  # lazy: counted, not built
        except ValueError as exc:
            raise fail(key, str(exc)) from None

    random, samples, seed = _random(data, grid, fail)

    for name in list(grid) + [n for n, _ in random]:
        shared = broker if name.startswith(BROKER_PREFIX) else params
        bare = name[len(BROKER_PREFIX):] if name.startswith(BROKER_PREFIX) else name
        if bare in shared:
            where = "broker" if shared is broker else "params"
            raise fail(f"{where}.{bare}", f"is both fixed in [{where}] and swept")

    space = ParameterSpace(grid=tuple(grid.items()), random=tuple(random), samples=samples, seed=seed)
    if not space.names:
        raise fail("grid", "the sweep has no parameter to vary: add [grid], [range] or [random]")

    heatmap = data.get("heatmap")
    if heatmap is not None:
        if (not isinstance(heatmap, list) or len(heatmap) != 2 or len(set(heatmap)) != 2
                or any(h not in space.names for h in heatmap)):
            raise fail("heatmap", f"must name two different swept parameters of {space.names}, "
                       f"got {heatmap!r}")
        heatmap = (heatmap[0], heatmap[1])

    validation = parse_validation(data, fail)
    if validation is not None and validation.holdout:
        ins, oos = validation.holdout
        if start and ins.start < start:
            raise fail("validation.in_sample", f"starts {ins.start}, before the sweep's start {start}")
        if end and oos.end > end:
            raise fail("validation.out_of_sample", f"ends {oos.end}, after the sweep's end {end}")

    return SweepSpec(
        strategy=strategy.strip(), validation=validation, instruments=instruments, space=space, start=start, end=end,
        cash=None if cash is None else float(cash),
        data_dir=data_dir, scenario=scenario, benchmark=benchmark, params=params, broker=broker,
        rank_by=rank_by, ascending=ascending, top=top, heatmap=heatmap, source=source,
        base_dir=base_dir, accept_jumps=accept_jumps,
    )


def _date(data: dict, key: str, fail) -> dt.date | None:
    value = data.get(key)
    if value is None:
        return None
    day = parse_day(value)
    if day is None:
        raise fail(key, f"must be a date such as 2020-01-31, got {value!r}")
    return day


def _bool(data: dict, key: str, default: bool, fail) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise fail(key, f"must be true or false, got {value!r}")
    return value


def _table(data: dict, key: str, fail) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise fail(key, f"must be a table, got {value!r}")
    return dict(value)


def _flatten_broker(table: dict, section: str, fail) -> dict:
    """``[grid.broker] x = [...]`` and ``"broker.x" = [...]`` both become ``broker.x``."""
    out = {}
    for name, value in table.items():
        if name == "broker" and isinstance(value, dict):
            for sub, v in value.items():
                out[BROKER_PREFIX + sub] = v
        else:
            if name.startswith(BROKER_PREFIX) and len(name) == len(BROKER_PREFIX):
                raise fail(f"{section}.{name}", "broker setting name is empty")
            out[name] = value
    return out


def _check_scalar(value, key: str, fail) -> None:
    if not isinstance(value, (bool, int, float, str)):
        raise fail(key, f"values must be numbers, strings or booleans, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(key, f"values must be finite numbers, got {value!r}")


def _random(data: dict, grid: dict, fail) -> tuple[list, int, int]:
    section = _table(data, "random", fail)
    if not section:
        return [], 0, 0
    unknown = [k for k in section if k not in ("samples", "seed", "params")]
    if unknown:
        raise fail(f"random.{unknown[0]}", "unknown key (known: samples, seed, params)")
    samples = section.get("samples")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise fail("random.samples", f"must be a whole number >= 1, got {samples!r}")
    seed = section.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise fail("random.seed", f"must be a whole number >= 0 (for reproducible draws), got {seed!r}")
    dists = _flatten_broker(_table(section, "params", lambda k, m: fail(f"random.{k}", m)),
                            "random.params", fail)
    if not dists:
        raise fail("random.params", "must give at least one parameter distribution")
    out = []
    for name, d in dists.items():
        key = f"random.params.{name}"
        if name in grid:
            raise fail(key, "parameter is already swept in [grid] or [range]")
        if not isinstance(d, dict):
            raise fail(key, "must be a table: {low, high} or {choices = [...]}")
        if "choices" in d:
            if set(d) != {"choices"}:
                raise fail(key, "a table with choices takes no other key")
            choices = d["choices"]
            if not isinstance(choices, list) or not choices:
                raise fail(f"{key}.choices", f"must be a non-empty list, got {choices!r}")
            for v in choices:
                _check_scalar(v, f"{key}.choices", fail)
            out.append((name, Choice(tuple(choices))))
            continue
        extra = set(d) - {"low", "high", "integer", "log"}
        if extra:
            raise fail(f"{key}.{sorted(extra)[0]}", "unknown key (known: low, high, integer, log, choices)")
        for part in ("low", "high"):
            v = d.get(part)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise fail(f"{key}.{part}", f"must be a finite number, got {v!r}")
        low, high = d["low"], d["high"]
        if high <= low:
            raise fail(f"{key}.high", f"must be above low ({low}), got {high}")
        integer = d.get("integer", isinstance(low, int) and isinstance(high, int))
        log = d.get("log", False)
        if not isinstance(integer, bool):
            raise fail(f"{key}.integer", f"must be true or false, got {integer!r}")
        if not isinstance(log, bool):
            raise fail(f"{key}.log", f"must be true or false, got {log!r}")
        if log and low <= 0:
            raise fail(f"{key}.low", f"must be positive for a log-uniform draw, got {low}")
        if integer and log:
            raise fail(f"{key}.log", "cannot be combined with integer draws")
        out.append((name, Uniform(float(low), float(high), integer=integer, log=log)))
    return out, samples, seed
