"""Run one backtest: data → price book → feeds → margin broker → strategy → results.

``run_backtest(config)`` is the one entry point the CLI, the sweeps and the tests share.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import backtrader as bt
import pandas as pd

from ...data.calendar import as_date, treasury_calendar
from ..errors import UserError
from .user_code import PASS_THROUGH, describe_failure, user_frame

# Settings a config file may hold at the top level, and their meaning.
TOP_LEVEL_KEYS = {
    "strategy": "EfficientCore, SixtyForty, CorePlus or package.module.Class of a backtrader Strategy",
    "instruments": "feeds of the strategy: symbols (SPY), roots (ZN) and contract codes (ZBM25)",
    "start": "first day (YYYY-MM-DD)",
    "end": "last day (YYYY-MM-DD)",
    "cash": "starting cash in dollars",
    "data": "data folder laid out like the bundled set (default: the bundled set)",
    "scenario": "stress scenario (table [scenario] or a name)",
    "benchmark": "the benchmark run beside the strategy: true (a 60/40 of the run's equity and AGG), false, "
                 "a SPEC (60/40:EFA, 70/30:EEM/IEF, SPY = buy and hold) or a table "
                 '{ strategy = "SixtyForty", equity = "EEM", ... }',
    "analyzers": "backtrader analyzers to add (TradeAnalyzer, SharpeRatio, package.module.Class); "
                 "their results go to analyzers.json",
    "accept_jumps": "run although a fund's close or a settlement the run needs jumps beyond its daily bound "
                    "(true/false)",
    "params": "table of strategy parameters",
    "broker": "table of broker and margin settings",
}

# Days of price history built before ``start`` so the volatility margin fallback (250 trading
# days) and the first contract's listing are covered.
HISTORY_BEFORE_START = dt.timedelta(days=400)


@dataclass(frozen=True)
class BacktestConfig:
    """Everything that defines one backtest.  Money in dollars, dates as ``datetime.date``."""

    strategy: str = "EfficientCore"  # ours by name, or "package.module.Class"
    instruments: tuple[str, ...] = ()  # "SPY", "ZN", "ZBM25" (ecore.engine.backtest.instruments)
    start: dt.date | None = None
    end: dt.date | None = None
    # $10M by default: one ultra-bond contract is ~$120k of notional, so a smaller account cannot
    # hold a duration-matched six-contract ladder without large rounding errors (reference 4.2).
    cash: float = 10_000_000.0
    data_dir: Path | None = None
    params: dict = field(default_factory=dict)
    broker: dict = field(default_factory=dict)
    scenario: dict | None = None
    benchmark: bool | str | dict = True  # see ecore.engine.backtest.benchmark
    analyzers: tuple[str, ...] = ()  # "TradeAnalyzer" (backtrader's) or "package.module.Class"
    accept_jumps: bool = False  # run although a close or settlement jumps beyond its daily bound

    def __post_init__(self):
        # "2018-08-02" as well as a date: a bare TypeError deep in the run helps nobody.
        for key in ("start", "end"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
                object.__setattr__(self, key, _date_or_none(value, key))

    def replace(self, **changes) -> "BacktestConfig":
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class BacktestRun:
    """A finished backtest: the strategy's result, the benchmark's, and metrics of both."""

    config: BacktestConfig
    result: object  # ecore.engine.report.results.BacktestResult
    benchmark: object | None
    metrics: dict
    benchmark_metrics: dict | None
    risk_free: object = None  # pandas Series of decimal annual short rates the metrics used
    strategy: object = None  # the strategy instance after the run (its analyzers, its attributes)
    analyses: dict = field(default_factory=dict)  # analyzer name -> get_analysis(), plain values

    @property
    def orders(self):
        """The strategy's orders (``ecore.engine.report.orders.order_table``): date decided,
        instrument, signed size, kind, status, reason."""
        from ..report.orders import order_table

        return order_table(self.strategy.broker.orders if self.strategy is not None else [])


def _strategy_class(name: str, key: str = "strategy", search: tuple = ()):
    from .instruments import PlanError, strategy_class

    try:
        return strategy_class(name, key, search)
    except PlanError as exc:
        raise UserError(str(exc)) from None


def _analyzer_class(name: str, key: str = "analyzers", search: tuple = ()):
    """backtrader's analyzer ``name`` ("SharpeRatio") or the class at ``package.module.Class``."""
    import importlib
    import inspect

    from .instruments import _extend_path
    from .user_code import PASS_THROUGH, describe_failure

    module_name, _, cls_name = name.rpartition(".")
    if module_name:
        _extend_path([Path.cwd(), *search])  # found where strategies are found
    try:
        cls = getattr(importlib.import_module(module_name) if module_name else bt.analyzers, cls_name, None)
    except ImportError as exc:
        raise UserError(f"{key}: cannot import module {module_name!r} of {name!r} ({exc})") from None
    except PASS_THROUGH:
        raise
    except BaseException as exc:  # a syntax error, a raise or sys.exit while importing
        raise UserError(f"{key}: {describe_failure(exc, f'importing {module_name!r}')}") from None
    if not (inspect.isclass(cls) and issubclass(cls, bt.Analyzer)):
        raise UserError(f"{key}: {name!r} is not a backtrader analyzer (e.g. TradeAnalyzer, SharpeRatio, "
                        "DrawDown, or package.module.Class)")
    return cls


def _analysis(strategy, name: str):
    """The JSON-ready ``get_analysis()`` of analyzer ``name``; its error names it."""
    from .user_code import PASS_THROUGH, describe_failure

    analyzer = strategy.analyzers.getbyname(name.rpartition(".")[2].lower())
    try:
        return _plain_analysis(analyzer.get_analysis())
    except PASS_THROUGH:
        raise
    except BaseException as exc:
        raise StrategyError(describe_failure(exc, f"analyzer {name} (get_analysis)")) from exc


def _plain_analysis(value):
    """An analyzer's result as JSON-ready values (dates as ISO text, NaN as None)."""
    import math

    if isinstance(value, dict):
        return {str(k.isoformat() if hasattr(k, "isoformat") else k): _plain_analysis(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_analysis(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) or hasattr(value, "__float__"):
        f = float(value)
        if not math.isfinite(f):
            return None
        return int(f) if isinstance(value, int) else f
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _plan(cls, instruments, params: dict, source: str):
    """The run's feeds (ecore.engine.backtest.instruments); errors name the source and the key."""
    from .instruments import PlanError, plan_feeds

    try:
        return plan_feeds(cls, instruments, params)
    except PlanError as exc:
        raise UserError(f"{source}: {exc}") from None


def _date_or_none(value, key: str) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return as_date(value)
    except (TypeError, ValueError):
        raise UserError(f"{key}: not a date (YYYY-MM-DD): {value!r}") from None


def config_from_mapping(mapping: dict, source: str = "config", base_dir: Path | None = None,
                        locate=None) -> BacktestConfig:
    """Build a config from a dict (a parsed TOML file), checked against the schema of
    :mod:`ecore.engine.validation.backtest_config`: unknown keys and values outside their range
    are one-line errors naming the key (and its line and column when ``locate`` can tell, see
    :func:`ecore.engine.validation.toml_position.locator`).  A strategy given as
    ``package.module.Class`` is also looked for in ``base_dir`` (the file's folder)."""
    from .instruments import PlanError, is_ours, split_instruments
    from ..validation.backtest_config import validate_config
    from ..validation.schema import Place, Text

    place = Place(source, locate)
    unknown = [k for k in mapping if k not in TOP_LEVEL_KEYS]
    if unknown:
        raise UserError(f"{place.describe((unknown[0],))}: unknown key {unknown[0]!r}; known keys: "
                        f"{', '.join(TOP_LEVEL_KEYS)}")
    strategy = Text("a strategy name or package.module.Class").check(
        mapping.get("strategy", "EfficientCore"), place, ("strategy",))
    cls = _strategy_class(strategy, f"{place.describe(('strategy',))}: strategy", (base_dir,) if base_dir else ())
    checked = validate_config(mapping, cls, is_ours(cls), place, base_dir)
    params = dict(checked.get("params", {}))
    _check_params(cls, params, source)
    try:
        instruments = split_instruments(checked.get("instruments"), f"{source}: instruments")
    except PlanError as exc:
        raise UserError(str(exc)) from None
    _plan(cls, instruments, params, source)
    broker = dict(checked.get("broker", {}))
    data = checked.get("data")
    if data is not None and not Path(data).expanduser().is_dir():
        what = "is a file, not a folder" if Path(data).expanduser().exists() else "folder not found"
        raise place.error(("data",), f"{what}: {Path(data).expanduser()}")
    analyzers = checked.get("analyzers") or ()
    names = [n.rpartition(".")[2].lower() for n in analyzers]
    twice = next((n for n in analyzers if names.count(n.rpartition(".")[2].lower()) > 1), None)
    if twice is not None:  # one result per name in analyzers.json: the second would hide the first
        raise place.error(("analyzers",), f"{twice!r} is listed twice (or two analyzers share its class name)")
    for name in analyzers:
        _analyzer_class(name, f"{place.describe(('analyzers',))}: analyzers", (base_dir,) if base_dir else ())
    return BacktestConfig(
        strategy=strategy,
        instruments=instruments,
        start=checked.get("start"),
        end=checked.get("end"),
        cash=float(checked.get("cash", 10_000_000.0)),
        data_dir=Path(data).expanduser() if data else None,
        params=params,
        broker=broker,
        scenario=checked.get("scenario"),
        benchmark=checked.get("benchmark", True),
        analyzers=tuple(analyzers),
        accept_jumps=checked.get("accept_jumps", False),
    )


def read_config_file(path) -> dict:
    """The raw settings of a TOML config file, with a relative ``data`` folder made relative to
    the file (and ``~`` expanded); errors name the file."""
    from ..validation.input_files import base_folder, read_toml

    p = Path(path).expanduser()
    mapping = read_toml(p, "config file", UserError)
    data = mapping.get("data")
    if isinstance(data, str) and data:
        d = Path(data).expanduser()
        mapping["data"] = str(d if d.is_absolute() else base_folder(p) / d)
    return mapping


def load_config(path) -> BacktestConfig:
    """Read a TOML config file; errors name the file, the line and the key."""
    from ..validation.toml_position import locator

    from ..validation.input_files import base_folder

    p = Path(path).expanduser()
    mapping = read_config_file(p)
    return config_from_mapping(mapping, source=str(p), base_dir=base_folder(p), locate=locator(p))


def _check_params(cls, params: dict, source: str) -> None:
    known = set(cls.params._getkeys()) - {"price_book"}
    for key in params:
        if key not in known:
            raise UserError(
                f"{source}: unknown parameter {key!r} for {cls.__name__}; known: {', '.join(sorted(known))}"
            )
    check = getattr(cls, "check_params", None)
    if check is not None:
        try:
            check(params)
        except ValueError as exc:
            raise UserError(f"{source}: {exc}") from None


def _check_broker(settings: dict, source: str) -> None:
    from ...brokers.simulated import MarginBroker

    # The runner sets these itself, from the config's cash, the data and the margin keys.
    known = (set(MarginBroker.params._getkeys())
             - {"cash", "price_book", "short_rate", "margin_model", "commission", "short_sale_rules", "coo",
                "fundmode", "fundstartval"}) | BROKER_MODEL_KEYS
    for key in settings:
        if key not in known:
            raise UserError(f"{source}: unknown broker setting {key!r}; known: {', '.join(sorted(known))}")


# Broker-table keys that configure the margin model rather than the broker object.
BROKER_MODEL_KEYS = {"margin_schedule", "initial_ratio", "margin_multiplier", "fallback_k"}


def _effective_params(cls, params: dict) -> dict:
    """A strategy's parameter defaults with ``params`` laid over them."""
    return {**dict(cls.params._getitems()), **params}


def _spans(plan, market) -> tuple[dict, dict]:
    """(hard, soft) first and last days of every series the run's feeds need, by name.

    Hard spans bound any window: yields, a fund's closes, a contract's life.  Soft spans only
    move the default start: a root's product launch (its feed starts then), for strategies that
    take their instruments from the run (ours choose the roots they trade themselves)."""
    from ...data.contracts import Contract, spec
    from .instruments import CONTRACT, ROOT

    yields = (market.yields["DGS3MO"].first_valid_index().date(), market.yields.index[-1].date())
    hard = {"yields (DGS3MO)": yields}
    soft = {}
    for f in plan.feeds:
        if f.kind == CONTRACT:
            c = Contract.parse(f.instrument)
            hard[f.instrument] = (c.listing_day(), c.last_trading_day())
        elif f.kind == ROOT:
            if not plan.from_params:
                soft[f"{f.instrument} (launched)"] = (spec(f.instrument).launched, yields[1])
        else:
            col = market.closes[f.instrument].dropna()
            if col.empty:
                from .requirements import data_folder_of, series_file

                raise UserError(f"{series_file(data_folder_of(market), 'closes', f.instrument)}: "
                                f"no closes for {f.instrument} ({market.source}): the file has no rows "
                                "with a value")
            hard[f.instrument] = (col.index[0].date(), col.index[-1].date())
    return hard, soft


def _window(config: BacktestConfig, market, plans) -> tuple[dt.date, dt.date]:
    """The backtest's first and last day: inside the data for every series the runs' feeds need
    (``plans``), with at least two trading days between them."""
    hard, soft = {}, {}
    for plan in plans:
        h, s = _spans(plan, market)
        hard.update(h)
        soft.update(s)
    first_name = max(hard, key=lambda k: hard[k][0])
    last_name = min(hard, key=lambda k: hard[k][1])
    lo, hi = hard[first_name][0], hard[last_name][1]
    where = (f"the data start {lo.isoformat()} ({first_name}) and end {hi.isoformat()} "
             f"({last_name})")
    start = config.start or max([lo] + [s[0] for s in soft.values()])
    end = config.end or hi
    if start < lo or start > hi:
        raise UserError(f"start {start.isoformat()} is outside the data: {where}")
    if end > hi or end < lo:
        raise UserError(f"end {end.isoformat()} is outside the data: {where}")
    if end <= start:
        raise UserError(f"end {end.isoformat()} is not after start {start.isoformat()}")
    for name, (first, _) in soft.items():
        if start < first:
            warnings.warn(f"{name.split()[0]} was launched on {first.isoformat()}: its feed starts "
                          "then (backtrader calls prenext, not next, until every feed has a bar)",
                          stacklevel=2)
    days = treasury_calendar().business_days_between(start, end)
    if len(days) < 2:
        raise UserError(f"there are fewer than two trading days from {start.isoformat()} to {end.isoformat()}")
    return start, end


def _series_label(name: str) -> str:
    """"AGG closes", "yields (DGS3MO)", "ZN (launched)", "ZBM25 (contract)"."""
    from ...data.contracts import ContractError, Contract

    if "(" in name:
        return name
    try:
        Contract.parse(name)
        return f"{name} (contract)"
    except ContractError:
        return f"{name} closes"


def _day_setter(config, market, plans, which: int) -> str | None:
    """The series whose first (``which`` 0) or last (1) day bounds the default window of
    ``plans``; None when the user gave that day."""
    if (config.start, config.end)[which] is not None:
        return None
    hard, soft = {}, {}
    for plan in plans:
        h, s = _spans(plan, market)
        hard.update(h)
        soft.update(s)
    if which == 1:
        return _series_label(min(hard, key=lambda k: hard[k][1]))
    spans = {**hard, **soft}
    return _series_label(max(spans, key=lambda k: (spans[k][0], k in hard)))


def run_window(config: BacktestConfig, market, plan, bench_plan=None, bench_name: str = "the benchmark"):
    """(start, end, sources) of a run: the days every series of the strategy and its benchmark
    cover, so both are measured over the same days.  ``sources`` names the series that set each
    day ({"start": "AGG closes (benchmark)", "end": "yields (DGS3MO)"}; a key is missing when the
    user gave the day).  When the benchmark's data narrow the strategy's own window, one warning
    line says so and how to avoid it; a given start or end outside the benchmark's data is an
    error naming the benchmark's series."""
    own_start, own_end = _window(config, market, [plan])
    sources = {}
    for which, key in ((0, "start"), (1, "end")):
        name = _day_setter(config, market, [plan], which)
        if name is not None:
            sources[key] = name
    if bench_plan is None:
        return own_start, own_end, sources
    try:
        start, end = _window(config, market, [plan, bench_plan])
    except UserError as exc:
        raise UserError(f"benchmark {bench_name}: {exc}; run --benchmark none, or a benchmark whose data "
                        "cover the window (e.g. --benchmark SPY)") from None
    for which, key, own, both in ((0, "start", own_start, start), (1, "end", own_end, end)):
        if own != both:
            name = _day_setter(config, market, [plan, bench_plan], which)
            sources[key] = f"{name}, for the benchmark"
            warnings.warn(f"the run {'starts' if which == 0 else 'ends'} {both.isoformat()} because the benchmark "
                          f"{bench_name} needs {name}; the strategy's own data would allow {own.isoformat()} "
                          f"({_day_setter(config, market, [plan], which)}): "
                          "--benchmark none or a benchmark with that history uses it", stacklevel=2)
    return start, end, sources


class _Progress(bt.Analyzer):
    """A tqdm bar over the backtest's days (an analyzer, so it works with any strategy)."""

    params = dict(total=0, desc="backtest")

    def start(self):
        from tqdm import tqdm

        # Added to every strategy of the run (the roll keeper too): one bar, on the first.
        self.bar = None
        if self.strategy is self.strategy.env.runningstrats[0]:
            self.bar = tqdm(total=self.p.total, desc=self.p.desc, unit="day", file=sys.stderr, leave=False)

    def next(self):
        if self.bar is not None:
            self.bar.update(1)

    def stop(self):
        if self.bar is not None:
            self.bar.close()


def _margin_model(settings: dict, book, scenario):
    from ...brokers.margin import MarginModel

    kwargs = {}
    if "margin_schedule" in settings:
        kwargs["schedule"] = settings["margin_schedule"]
    if "initial_ratio" in settings:
        kwargs["initial_ratio"] = settings["initial_ratio"]
    if "margin_multiplier" in settings:
        kwargs["broker_multiplier"] = settings["margin_multiplier"]
    if "fallback_k" in settings:
        kwargs["k"] = settings["fallback_k"]
    if scenario is not None and scenario.kind == "margin_hike":
        from .scenarios import hiked_margin_model

        return hiked_margin_model(scenario.date, scenario.factor, history=book, **kwargs)
    return MarginModel(history=book, **kwargs)


def broker_settings(config: BacktestConfig, cls, params: dict, book, scenario=None,
                    expense_ratio: float | None = None) -> dict:
    """The money settings of the run's ``MarginBroker`` besides cash, price book and short
    rate: the config's broker table (costs as a ``CostModel``), the margin model, and the
    fund's expense ratio (a strategy parameter set in the config wins, then the broker table's,
    then the strategy's default; ``expense_ratio`` overrides all, as the benchmark's).  Paper
    replays keep the simulated IB account with the same settings."""
    all_params = _effective_params(cls, params)
    settings = {k: v for k, v in config.broker.items() if k not in BROKER_MODEL_KEYS}
    if "costs" in settings:
        settings["costs"] = _cost_model(settings["costs"], "config")
    if expense_ratio is None and "expense_ratio" in all_params:
        if "expense_ratio" in params or "expense_ratio" not in settings:
            expense_ratio = all_params["expense_ratio"]
    if expense_ratio is not None:
        settings["expense_ratio"] = expense_ratio
    settings["margin_model"] = _margin_model(config.broker, book, scenario)
    return settings


def _run_one(cls, plan, params: dict, config: BacktestConfig, market, book, start, end,
             scenario, progress: bool, expense_ratio: float | None = None, analyzers=(), result_name: str | None = None):
    """One strategy on the margin broker over ``plan``'s feeds: (its BacktestResult, the
    strategy instance)."""
    from ...brokers.simulated import MarginBroker
    from ...data.feeds import build_feeds
    from ...data.price_book import FuturesPriceBook
    from ...strategies.roll_keeper import RollKeeper
    from .recording import FillRecorder, FillRecords
    from ..report.results import COUNTED_EVENTS, TRADE_COLUMNS, BacktestResult

    all_params = _effective_params(cls, params)
    book = book if book is not None else FuturesPriceBook.empty()
    feeds = build_feeds(market, book, [(f.name, f.instrument, f.kind) for f in plan.feeds], start=start,
                        end=end, roll_rule=plan.roll_rule, from_launch=not plan.from_params)
    cerebro = bt.Cerebro(stdstats=False, preload=True, runonce=False, quicknotify=True)
    for name, feed in feeds.items():
        cerebro.adddata(feed, name=name)
    settings = broker_settings(config, cls, params, book, scenario, expense_ratio)
    # ecore checks cash and margin when an order fills (risk-reducing orders first); a strategy
    # may still ask for backtrader's check at submission with broker.set_checksubmit(True).
    settings.setdefault("checksubmit", False)
    broker = MarginBroker(cash=config.cash, price_book=book, short_rate=market.short_rate(), **settings)
    cerebro.setbroker(broker)
    if plan.price_book_roots:
        params = {**params, "price_book": book}
    cerebro.addstrategy(cls, **params)
    records = FillRecords()
    cerebro.addanalyzer(FillRecorder, records=records)
    from .activity import WATCH_NAME, ActivityWatch, StrategyActivity, activity_message

    cerebro.addanalyzer(ActivityWatch, _name=WATCH_NAME)
    for name in analyzers:
        cerebro.addanalyzer(_analyzer_class(name), _name=name.rpartition(".")[2].lower())
    if progress:
        n = len(next(iter(feeds.values())).p.dataname)
        cerebro.addanalyzer(_Progress, total=n, desc=cls.__name__)
    if plan.engine_rolls:
        cerebro.addstrategy(RollKeeper, roots=plan.rolling_roots, fixed=plan.fixed_contracts,
                            roll_rule=plan.roll_rule)
    try:
        strategies = cerebro.run()
    except PASS_THROUGH:
        raise
    except BaseException as exc:  # sys.exit in the user's code too: never a silent exit 0
        if cls.__module__.split(".")[0] == "ecore" and user_frame(exc) is None \
                and not isinstance(exc, SystemExit):
            raise
        raise StrategyError(describe_failure(exc, f"strategy {cls.__name__}")) from exc
    strat = strategies[0]
    idle = activity_message(strat, len(records.trades))
    if idle is not None:
        warnings.warn(idle, StrategyActivity, stacklevel=2)
    keeper_events = strategies[1].events if plan.engine_rolls else []
    daily = broker.daily_state()
    own = getattr(getattr(strat, "record", None), "days", None)
    rec = pd.DataFrame(own if isinstance(own, list) else [])
    if len(rec) and "date" in rec.columns:
        rec["date"] = pd.to_datetime(rec["date"])
        daily["date"] = pd.to_datetime(daily["date"])
        daily = daily.merge(rec, on="date", how="left")
    if "ladder_duration" not in daily.columns:
        daily["ladder_duration"] = float("nan")
    own_events = getattr(getattr(strat, "record", None), "events", None)
    events = pd.DataFrame((own_events if isinstance(own_events, list) else []) + keeper_events + records.events,
                          columns=["date", "kind", "detail", "reason"])
    events = pd.concat([events, _broker_events(broker)], ignore_index=True)
    # Slippage (dollars paid over the settlement or close, per fill) is a cost like commissions:
    # trades.csv and the metrics' total_costs carry it.
    trades = pd.DataFrame(records.trades, columns=[*TRADE_COLUMNS, "slippage"])
    name = result_name or cls.__name__
    name = name if scenario is None else f"{name} [{scenario.kind}]"
    recorded = {"margin_call", "forced_liquidation", "rejection", *getattr(cls, "recorded_events", ())}
    if plan.engine_rolls or not plan.rolling_roots:
        recorded.add("roll")  # the keeper records every roll; without root feeds nothing rolls
    result = BacktestResult(
        name=name, daily=daily, trades=trades, journal=broker.journal(), events=events,
        params={k: _plain(v) for k, v in all_params.items() if k != "price_book"},
        assumptions=_assumptions(config, market, book, scenario, broker, plan),
        recorded_events=frozenset(recorded) & frozenset(COUNTED_EVENTS),
    )
    return result, strat


def _scenario_baselines(cls, plan, params, bench, bench_plan, config, market, book, start, end):
    """The strategy's and the benchmark's results (or None) on ``market`` without the scenario,
    same window and settings: what a scenario's numbers are measured against.  Run before the
    stressed runs, so that only their results are kept (not two price books at once)."""
    baseline, _ = _run_one(cls, plan, params, config, market, book, start, end, None, False)
    bench_baseline = None
    if bench is not None:
        bench_baseline = _run_benchmark(bench, bench_plan, config, market, start, end, None, False)
    # Only their days, fills and events are compared; their cash journals and the runs' object
    # graphs (cerebro, broker, feeds hold cycles) go now, before the stressed runs start.
    baseline = dataclasses.replace(baseline, journal=None)
    bench_baseline = dataclasses.replace(bench_baseline, journal=None) if bench_baseline is not None else None
    import gc

    from ...data.synthetic_futures import release_freed_memory

    gc.collect()
    release_freed_memory()
    return baseline, bench_baseline


def check_scenario_date(scenario, start: dt.date, end: dt.date) -> None:
    """A stress scenario happens inside the run: one dated outside it would be labelled and
    described as applied while changing nothing."""
    if not start <= scenario.date <= end:
        raise UserError(f"scenario.date: {scenario.date.isoformat()} is outside the run "
                        f"({start.isoformat()} to {end.isoformat()}): the {scenario.kind} would never happen")


class StrategyError(UserError):
    """A user's strategy raised during the run: one line naming the strategy and the error
    (``ECORE_DEBUG=1`` shows the traceback)."""


def _broker_events(broker) -> pd.DataFrame:
    rows = []
    for call in broker.margin_calls():
        rows.append({"date": call.day, "kind": "margin_call", "detail": str(call)})
    return pd.DataFrame(rows, columns=["date", "kind", "detail"])


def _describe_costs(costs) -> str:
    from ...brokers.costs import CostModel

    c = costs or CostModel()
    return (
        f"futures ${c.futures_commission:.2f} per contract per side plus {c.futures_slippage_ticks:g} tick "
        f"slippage; shares ${c.share_commission:.3f} per share (min ${c.share_min_commission:.2f}) plus "
        f"{c.share_slippage_bps:g} bp slippage"
    )


def _cost_model(settings, source: str):
    from ...brokers.costs import CostModel

    if settings is None or isinstance(settings, CostModel):
        return settings
    if not isinstance(settings, dict):
        raise UserError(f"{source}: broker.costs must be a table of cost settings")
    known = {f.name for f in dataclasses.fields(CostModel)}
    for key in settings:
        if key not in known:
            raise UserError(f"{source}: unknown broker.costs setting {key!r}; known: {', '.join(sorted(known))}")
    try:
        return CostModel(**settings)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{source}: broker.costs: {exc}") from None


def _plain(value):
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def _assumptions(config, market, book, scenario, broker, plan) -> dict:
    out = {
        "Data": market.source or "bundled data set",
        "Equity prices": "dividend-adjusted closes (total return)",
        "Short rate": "3-month Treasury bill (FRED DGS3MO), act/360 on all cash, margin collateral included",
        "Costs": _describe_costs(broker.p.costs),
        "Margin": "exchange maintenance margin from the dated schedule, volatility fallback "
        "(99th percentile of daily moves over 250 days) where the schedule has no point; initial = ratio x maintenance",
        "Fills": "orders decided on a day's close fill at the next trading day's settlement / close",
    }
    if book is not None and len(book):
        f = book.frame
        real = int((f.get("source") == "real").sum()) if "source" in f.columns else 0
        out["Futures prices"] = (
            f"synthesized from each contract's deliverable basket of real notes and bonds, priced on a "
            f"curve fitted to the Treasury yields, carried to delivery at overnight repo plus a dated "
            f"implied-repo spread and divided by the CME conversion factor; the cheapest to deliver sets "
            f"the price, its duration the contract's (see docs/synthetic-futures.md): "
            f"{len(f) - real:,} synthetic and {real:,} real contract-days"
        )
    if not plan.from_params:
        out["Instruments"] = ", ".join(
            f.name if f.name == f.instrument else f"{f.name} (= {f.instrument})" for f in plan.feeds) + (
            ": roots are feeds of the contract held under the roll rule, contract codes one fixed contract")
    if plan.engine_rolls:
        rule = plan.roll_rule
        out["Rolls"] = (
            f"positions taken through root feeds ({', '.join(plan.rolling_roots)}) are moved by the engine to "
            f"the next contract {rule.offset} business days before first notice day"
            + (f", over {rule.spread_days} days" if rule.spread_days > 1 else "")
            + ": two trades at the settlement with their costs, the spread never booked as profit")
    if scenario is not None:
        out["Stress scenario"] = scenario.describe()
    return out


def _check_instruments(plan, market, source: str) -> None:
    """Every symbol has closes in the data; every contract code is of a launched product."""
    from ...data.contracts import SPECS, Contract
    from .instruments import CONTRACT, SYMBOL

    have = ", ".join(market.closes.columns)
    for f in plan.feeds:
        if f.kind == SYMBOL and f.instrument not in market.closes.columns:
            if plan.from_params:
                raise UserError(f"unknown symbol {f.instrument!r}: the data ({market.source}) has {have}")
            raise UserError(f"{source}: instruments: unknown instrument {f.instrument!r}: not a futures root "
                            f"({', '.join(SPECS)}), not a contract code (ZNM25), and the data "
                            f"({market.source}) have no closes for it (they have {have})")
        if f.kind == CONTRACT:
            c = Contract.parse(f.instrument)
            if not c.is_launched(c.last_trading_day()):
                raise UserError(f"{source}: instruments: {f.instrument}: {c.root} was launched on "
                                f"{c.spec.launched.isoformat()}, after this contract's last trading day")
            first, last = market.yields.index[0].date(), market.yields.index[-1].date()
            if c.last_trading_day() < first or c.listing_day() > last:
                raise UserError(f"{source}: instruments: {f.instrument} trades from {c.listing_day().isoformat()} "
                                f"to {c.last_trading_day().isoformat()}, outside the data ({market.source}: "
                                f"{first.isoformat()} to {last.isoformat()})")


def check_against_data(config: BacktestConfig, market) -> None:
    """Before a run (a sweep checks its first run so): the config's instruments exist in
    ``market``, its window lies inside the data and every series it needs covers the window
    (:func:`check_data_sufficiency`); errors name what is wrong."""
    cls = _strategy_class(config.strategy)
    plan = _plan(cls, config.instruments, config.params, "config")
    _check_instruments(plan, market, "config")
    bench = _benchmark(config, cls, plan)
    bench_plan = _plan(bench.cls, (), bench.params, "benchmark") if bench else None
    if bench_plan is not None:
        _check_instruments(bench_plan, market, "benchmark")
    plans = [plan] + ([bench_plan] if bench_plan else [])
    start, end, _ = run_window(config, market, plan, bench_plan, bench.name if bench else "")
    check_data_sufficiency(config, cls, plans, market, start, end)


def full_window(config: BacktestConfig, market) -> tuple[dt.date, dt.date]:
    """The first and last day ``config`` would run over on ``market``, as :func:`run_backtest`
    chooses them: its own ``start``/``end`` or, where None, the days every series of its feeds
    and its benchmark's cover."""
    cls = _strategy_class(config.strategy)
    plan = _plan(cls, config.instruments, config.params, "config")
    bench = _benchmark(config, cls, plan)
    bench_plan = _plan(bench.cls, (), bench.params, "benchmark") if bench else None
    start, end, _ = run_window(config, market, plan, bench_plan, bench.name if bench else "")
    return start, end


def _run_benchmark(bench, bench_plan, config: BacktestConfig, market, start, end, scenario, progress: bool):
    """The benchmark's BacktestResult over the run's window, at its own expense ratio (a fund's
    closes are net of fees: 0 for buy-and-hold), never the strategy's broker setting."""
    expense = _effective_params(bench.cls, bench.params).get("expense_ratio", 0.0)
    result, _ = _run_one(bench.cls, bench_plan, bench.params, config, market, None, start, end, scenario,
                         progress, expense_ratio=expense, result_name=bench.name)
    return result


def _benchmark(config: BacktestConfig, cls, plan):
    """The run's benchmark (``ecore.engine.backtest.benchmark.Benchmark``) or None; errors name
    the ``benchmark`` setting."""
    from .benchmark import BenchmarkError, parse_benchmark, resolve

    try:
        return resolve(parse_benchmark(config.benchmark), _effective_params(cls, config.params), plan.symbols)
    except BenchmarkError as exc:
        raise UserError(f"benchmark: {exc}") from None


def check_data_sufficiency(config: BacktestConfig, cls, plans, market, start, end) -> None:
    """Every series the runs of ``plans`` need covers ``start``..``end`` without a long hole
    (:func:`ecore.engine.backtest.requirements.run_requirements`), and no close or real settlement
    they use jumps by half or more in a day unless ``config.accept_jumps``."""
    from .requirements import run_requirements
    from ..validation.sufficiency import check_close_jumps, check_requirements, check_settlement_jumps

    requirements = run_requirements(plans, market, start, end, config.data_dir,
                                    _effective_params(cls, config.params))
    check_requirements(market, requirements)
    if not config.accept_jumps:
        check_close_jumps(market, {s for p in plans for s in p.symbols}, start, end)
        folder = Path(config.data_dir) / "real_futures" if config.data_dir else None
        check_settlement_jumps(market, {r for p in plans for r in p.futures_roots}, start, end, folder)


def run_backtest(config: BacktestConfig, market=None, progress: bool = False) -> BacktestRun:
    """Run ``config``'s strategy (and the 60/40 benchmark unless switched off)."""
    from ...data.market import load_market
    from ...data.synthetic_futures import build_price_book
    from ..report.metrics import compute_metrics
    from .scenarios import ScenarioError, parse_scenario, shock_market, with_date

    cls = _strategy_class(config.strategy)
    _check_params(cls, config.params, "config")
    _check_broker(config.broker, "config")
    plan = _plan(cls, config.instruments, config.params, "config")
    bench = _benchmark(config, cls, plan)
    bench_plan = _plan(bench.cls, (), bench.params, "benchmark") if bench else None
    if market is None:
        from ..validation.sufficiency import check_yield_headers

        check_yield_headers(config.data_dir)
        try:
            market = load_market(config.data_dir)
        except (FileNotFoundError, KeyError) as exc:
            raise UserError(str(exc).strip("'\"")) from None
    if "DGS3MO" not in market.yields.columns:
        raise UserError(f"{market.source}: no yields/DGS3MO.csv: the 3-month bill rate is the short "
                        "rate for cash and futures carry")
    _check_instruments(plan, market, "config")
    if bench_plan is not None:
        _check_instruments(bench_plan, market, "benchmark")
    plans = [plan] + ([bench_plan] if bench_plan else [])
    start, end, window_sources = run_window(config, market, plan, bench_plan, bench.name if bench else "")
    check_data_sufficiency(config, cls, plans, market, start, end)
    try:
        scenario = parse_scenario(config.scenario)
    except ScenarioError as exc:
        raise UserError(str(exc)) from None
    plain_market = market  # the scenario's numbers are against the same run without it
    if scenario is not None:
        scenario = with_date(scenario, start, end)
        check_scenario_date(scenario, start, end)
        from .scenarios import check_shocked_yields

        check_shocked_yields(scenario, market, end)
        market = shock_market(market, scenario)
    roots = list(plan.futures_roots)
    plain_book = None
    if roots:
        plain_book = build_price_book(plain_market, roots=roots, start=start - HISTORY_BEFORE_START, end=end)
        from ..validation.plausibility import check_ladder_plausible

        # The parameters are checked against the market as it was: a rate shock moves the
        # ladder's reach on purpose (at +500 bp the longest bonds become cheapest to deliver).
        check_ladder_plausible(cls, config, plain_book, start, end)
    params = dict(config.params)
    if scenario is not None and "meet_margin_calls" in _effective_params(cls, {}):
        # A stress scenario is there to show forced liquidation and its cost, unless the user
        # asked the strategy to meet calls.
        params.setdefault("meet_margin_calls", False)
    book = plain_book
    if roots and market is not plain_market:
        # Built before any run, while little else is held (building a book is the largest
        # passing need of memory).
        book = build_price_book(market, roots=roots, start=start - HISTORY_BEFORE_START, end=end)
    baselines = None
    if scenario is not None:
        baselines = _scenario_baselines(cls, plan, params, bench, bench_plan, config, plain_market, plain_book,
                                        start, end)
    plain_book = None  # the unshocked book is let go before the stressed runs
    result, strategy = _run_one(cls, plan, params, config, market, book, start, end, scenario, progress,
                                analyzers=config.analyzers)
    result = dataclasses.replace(result, window_sources=window_sources)
    benchmark = None
    if bench is not None:
        benchmark = _run_benchmark(bench, bench_plan, config, market, start, end, scenario, progress)
        benchmark = dataclasses.replace(benchmark, window_sources=window_sources)
    risk_free = market.short_rate()
    metrics = compute_metrics(result, risk_free=risk_free, benchmark=benchmark)
    bench_metrics = compute_metrics(benchmark, risk_free=risk_free) if benchmark is not None else None
    if scenario is not None:
        from ..report.scenario_impact import scenario_impact

        metrics = {**metrics, "scenario": scenario_impact(result, baselines[0], scenario.date, scenario.describe())}
        if benchmark is not None:
            bench_metrics = {**bench_metrics, "scenario": scenario_impact(benchmark, baselines[1], scenario.date,
                                                                          scenario.describe())}
    analyses = {name: _analysis(strategy, name) for name in config.analyzers}
    return BacktestRun(config, result, benchmark, metrics, bench_metrics, risk_free, strategy, analyses)
