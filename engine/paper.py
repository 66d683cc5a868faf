"""`ecore paper`: run a backtrader strategy against an Interactive Brokers *paper* account.

Configuration is a TOML file (flags override the connection settings)::

    [ib]
    host = "127.0.0.1"
    port = 7497                 # TWS paper; IB Gateway paper is 4002
    client_id = 17
    account = ""                # optional; must start with DU (paper)
    client = ""                 # optional: "ib_async" or "ib_insync" (default: ib_async if installed)
    futures_exchange = "CBOT"   # "ECBOT" accepted
    journal = "paper-journal.sqlite"
    kill_file = "STOP"          # create this file to cancel open orders and stop

    [limits]                    # all optional
    max_order_quantity = 50
    max_order_notional = 5000000
    max_daily_quantity = 200
    max_daily_notional = 20000000

    [strategy]
    class = "package.module.StrategyClass"   # or one of ours by name: "EfficientCore"
    instruments = ["SPY", "ZN", "ZNM25"]  # as in a backtest (ecore.engine.instruments): a symbol
                                     # is a close feed, a root a feed of the contract held under
                                     # the roll rule, a contract code one contract; { ZN = "ZNM25" }
                                     # names a contract's feed by its root. Not for our
                                     # strategies: they name their feeds through their params
    params = { }                      # keyword arguments for the strategy
    primary_exchanges = { SPY = "ARCA" }
    data = "~/ecore-data"             # optional: yields for futures durations (default bundled)

    [schedule]
    time = "17:00"              # daily check in long-running mode
    timezone = "America/New_York"
    history_days = 30

Instead of the ``[strategy]`` table, the top level may hold ``strategy = "package.module.Class"``,
``instruments``, ``[params]``, ``data`` and ``primary_exchanges``, as a backtest config does; and
``--strategy`` / ``--instruments`` on the command line override either.  Positions taken through
a root feed are rolled on the roll day by the engine's roll keeper unless the strategy class sets
``rolls_itself = True`` (EfficientCore does).

There is no flag to trade a live account: a non-``DU`` account stops the command.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from .instruments import plan_feeds, split_instruments, strategy_class

log = logging.getLogger(__name__)

STRATEGY_KEYS = {"class", "instruments", "params", "primary_exchanges", "data"}
# The same settings at the top level of the file, as in a backtest config ("class" is "strategy").
TOP_LEVEL_STRATEGY_KEYS = {"strategy", "instruments", "params", "primary_exchanges", "data"}


@dataclasses.dataclass(frozen=True)
class PaperConfig:
    """Everything ``ecore paper`` needs; built by ``load_config`` or directly in tests."""

    strategy: str  # "EfficientCore" (ours, by name) or "package.module.Class"
    instruments: tuple[str, ...] = ()  # "SPY", "ZNM25", "ZN" (root), "ZN=ZNM25" (feed "ZN")
    host: str = "127.0.0.1"
    port: int = 7497
    client_id: int = 1
    account: str = ""
    client: str | None = None
    futures_exchange: str = "CBOT"
    journal: Path = Path("paper-journal.sqlite")
    kill_file: Path | None = None
    limits: dict = dataclasses.field(default_factory=dict)
    strategy_params: dict = dataclasses.field(default_factory=dict)
    primary_exchanges: dict = dataclasses.field(default_factory=dict)
    schedule: dt.time = dt.time(17, 0)
    timezone: str = "America/New_York"
    history_days: int = 30
    data_dir: Path | None = None  # yields for the price book's durations; None = bundled set
    keys: str = "strategy."  # how the file named the strategy's settings, for errors ("" at top level)
    base_dir: Path | None = None  # the config file's folder: a strategy module may sit there

    def __post_init__(self):
        if not isinstance(self.history_days, int) or self.history_days < 1:
            raise ValueError(f"schedule.history_days: {self.history_days!r} must be >= 1")


def _get(table: dict, key: str, types_, where: str, default=None):
    value = table.get(key, default)
    if value is not None and not isinstance(value, types_):
        raise ValueError(f"{where}.{key}: {value!r} has the wrong type")
    return value


def load_config(path: str | Path, strategy: str | None = None, instruments=None) -> PaperConfig:
    """Read the TOML configuration; errors name the offending field.  ``strategy`` and
    ``instruments`` (``--strategy``, ``--instruments``) override the file's."""
    path = Path(path)
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    known = {"ib", "limits", "strategy", "schedule"}
    top = isinstance(raw.get("strategy"), str) or bool(set(raw) & (TOP_LEVEL_STRATEGY_KEYS - {"strategy"}))
    unknown = set(raw) - known - (TOP_LEVEL_STRATEGY_KEYS if top else set())
    if unknown:
        raise ValueError(f"{path}: unknown section(s) {sorted(unknown)}; expected {sorted(known)}")
    ib = raw.get("ib", {})
    sched = raw.get("schedule", {})
    if top:
        if isinstance(raw.get("strategy"), dict):
            raise ValueError("strategy: give either strategy = \"package.module.Class\" with top-level "
                             "instruments and params, or a [strategy] table, not both")
        strat = {("class" if k == "strategy" else k): v for k, v in raw.items() if k in TOP_LEVEL_STRATEGY_KEYS}
    else:
        strat = raw.get("strategy", {})
    prefix = "" if top else "strategy."
    where = "strategy" if not top else "config"  # names a wrongly typed key's table in errors
    if strategy:
        strat["class"] = strategy
    if instruments is not None:
        strat["instruments"] = split_instruments(instruments, "--instruments")
    if "class" not in strat:
        raise ValueError(f"{'strategy' if top else 'strategy.class'}: missing (EfficientCore, or the "
                         "dotted path of a backtrader Strategy; or --strategy)")
    unknown = set(strat) - STRATEGY_KEYS
    if unknown:
        raise ValueError(f"strategy.{sorted(unknown)[0]}: unknown key; expected one of "
                         f"{sorted(STRATEGY_KEYS)}")
    at = _get(sched, "time", str, "schedule", "17:00")
    try:
        schedule = dt.time.fromisoformat(at)
    except ValueError:
        raise ValueError(f"schedule.time: {at!r} is not HH:MM") from None
    base = path.parent
    journal = Path(_get(ib, "journal", str, "ib", "paper-journal.sqlite"))
    kill = _get(ib, "kill_file", str, "ib")
    data = _get(strat, "data", str, where)
    data_dir = None if not data else Path(data).expanduser()
    return PaperConfig(
        strategy=_get(strat, "class", str, prefix + "class" if prefix else "strategy"),
        instruments=split_instruments(_get(strat, "instruments", (list, dict, tuple, str), where, []),
                                      prefix + "instruments"),
        host=_get(ib, "host", str, "ib", "127.0.0.1"),
        port=_get(ib, "port", int, "ib", 7497),
        client_id=_get(ib, "client_id", int, "ib", 1),
        account=_get(ib, "account", str, "ib", ""),
        client=_get(ib, "client", str, "ib") or None,
        futures_exchange=_get(ib, "futures_exchange", str, "ib", "CBOT"),
        journal=journal if journal.is_absolute() else base / journal,
        kill_file=None if not kill else (Path(kill) if Path(kill).is_absolute() else base / kill),
        limits=dict(raw.get("limits", {})),
        strategy_params=dict(_get(strat, "params", dict, where, {})),
        primary_exchanges=dict(_get(strat, "primary_exchanges", dict, where, {})),
        schedule=schedule,
        timezone=_get(sched, "timezone", str, "schedule", "America/New_York"),
        history_days=_get(sched, "history_days", int, "schedule", 30),
        data_dir=None if data_dir is None else (data_dir if data_dir.is_absolute() else base / data_dir),
        keys=prefix,
        base_dir=base.resolve(),
    )


@dataclasses.dataclass(frozen=True)
class PaperRun:
    """What a run did: the broker (orders, dry-run intents), the strategy, the session, and
    IB's positions (``{instrument: size}``) and account values as the run ended."""

    broker: object
    strategy: object
    session: object
    positions: dict
    account: object


def run_paper(config: PaperConfig, *, dry_run: bool = False, once: bool = True,
              kill_switch=None, once_timeout: float = 60.0, clock=None) -> PaperRun:
    """Connect, replay recent bars, let the strategy trade the live bar; see module docstring.

    ``clock(tz)`` replaces the wall clock of the daily schedule and of the root feeds' choice
    of the held contract (tests).
    """
    import backtrader as bt

    from ..brokers.ib.broker import IBBroker
    from ..brokers.ib.client import client_library
    from ..brokers.ib.contracts import ContractBook
    from ..brokers.ib.feed import IBDailyFeed
    from ..brokers.ib.journal import Journal
    from ..brokers.ib.root_feed import IBRootFeed
    from ..brokers.ib.safety import KillSwitch, SafetyLimits
    from ..brokers.ib.session import ConnectionSettings, IBSession
    from ..brokers.orders import FuturesCommInfo
    from ..data.contracts import spec
    from ..strategies.roll_keeper import RollKeeper

    known_limits = {f.name for f in dataclasses.fields(SafetyLimits)}
    for key in config.limits:
        if key not in known_limits:
            raise ValueError(f"limits.{key}: unknown limit; expected one of {sorted(known_limits)}")
    limits = SafetyLimits(**config.limits)
    keys = config.keys
    cls = strategy_class(config.strategy, keys + "class" if keys else "strategy",
                         (config.base_dir,) if config.base_dir else ())
    plan = plan_feeds(cls, config.instruments, config.strategy_params, key=keys + "instruments",
                      params_key=keys + "params")
    params = dict(config.strategy_params)
    book = None
    if plan.price_book_roots:
        book = params["price_book"] = _price_book(config, plan.price_book_roots, clock)
    lib = client_library(config.client)
    settings = ConnectionSettings(config.host, config.port, config.client_id, config.account,
                                  readonly=dry_run)
    # A dry run writes nothing: without a journal yet, it reconciles against an empty one held
    # in memory rather than creating the file.
    journal = Journal(config.journal if not dry_run or Path(config.journal).exists() else ":memory:")
    session = IBSession(settings, journal, lib,
                        ContractBook(lib, config.primary_exchanges, config.futures_exchange),
                        limits)
    if kill_switch is None:
        kill_switch = KillSwitch(config.kill_file)
    try:
        session.connect()
        broker = IBBroker(session, dry_run=dry_run, kill_switch=kill_switch)
        cerebro = bt.Cerebro(stdstats=False, quicknotify=True)
        cerebro.setbroker(broker)

        def should_stop() -> bool:
            # Wait for the notifications too: cerebro delivers them only while feeds run.
            return broker.stopped or (once and broker.idle() and not broker.notifs)

        common = dict(session=session, history_days=config.history_days, once=once,
                      once_timeout=once_timeout, should_stop=should_stop,
                      schedule=config.schedule, timezone=config.timezone, clock=clock)
        for f in plan.feeds:
            if f.root:
                feed = IBRootFeed(instrument=f.instrument, roll_rule=plan.roll_rule,
                                  price_book=book, **common)
            else:
                feed = IBDailyFeed(instrument=f.instrument, **common)
            cerebro.adddata(feed, name=f.name)
            if f.futures_root:
                # order_target_value/percent on a futures feed size by one contract's notional,
                # as on the simulated broker.
                broker.addcommissioninfo(FuturesCommInfo(mult=spec(f.futures_root).multiplier), name=f.name)
        cerebro.addstrategy(cls, **params)
        if plan.engine_rolls:
            cerebro.addstrategy(RollKeeper, roots=plan.rolling_roots, fixed=plan.fixed_contracts,
                                roll_rule=plan.roll_rule)
        strategies = cerebro.run()
        session.pump(0.05)
        positions = {k: v[0] for k, v in session.positions().items()}
        return PaperRun(broker, strategies[0], session, positions, session.account_state())
    finally:
        session.disconnect()
        journal.close()


def _price_book(config: PaperConfig, roots, clock):
    """The PaperPriceBook of ``roots``: the synthetic model over the history window and today,
    from the configured data folder's yields (bundled set by default)."""
    from ..data.market import load_market
    from ..data.paper_book import PaperPriceBook

    tz = ZoneInfo(config.timezone)
    today = (clock(tz) if clock is not None else dt.datetime.now(tz)).date()
    market = load_market(config.data_dir)
    # IB's "N D" history counts trading days; twice as many calendar days cover it.
    return PaperPriceBook(market, roots, start=today - dt.timedelta(days=2 * config.history_days),
                          end=today)


def _run(args) -> int:
    from .cli import UserError

    config = load_config(args.config, strategy=args.strategy, instruments=args.instruments)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port),
                                   ("client_id", args.client_id), ("client", args.client))
                 if v is not None}
    config = dataclasses.replace(config, **overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from ..brokers.ib.contracts import ContractMismatch, UnknownContract
    from ..brokers.ib.safety import KillSwitch
    from ..brokers.ib.session import PaperAccountRequired

    kill = KillSwitch(config.kill_file)
    kill.install()
    try:
        result = run_paper(config, dry_run=args.dry_run, once=args.once or args.dry_run,
                           kill_switch=kill)
    except (PaperAccountRequired, ContractMismatch, UnknownContract, FileNotFoundError) as exc:
        raise UserError(str(exc)) from None
    except (ConnectionError, OSError, TimeoutError) as exc:
        raise UserError(f"cannot reach TWS/IB Gateway at {config.host}:{config.port} ({exc!r})") from None
    if args.dry_run:
        intents = result.broker.dry_run_intents
        print(f"dry run: {len(intents)} order(s) computed, none sent")
        for i in intents:
            price = f" @ {i.limit_price:g}" if i.limit_price is not None else ""
            print(f"  {i.action} {i.quantity:g} {i.instrument} {i.order_type}{price}"
                  f"  notional ${i.notional:,.0f}  ref {i.order_ref}")
    for reason in result.broker.refused:
        print(f"refused: {reason}", file=sys.stderr)
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser(
        "paper", help="trade a strategy on an Interactive Brokers paper account (DU...)",
        description="Run a backtrader strategy against TWS / IB Gateway on a paper account. "
        "Refuses live accounts.")
    p.add_argument("--config", required=True, help="TOML configuration file")
    p.add_argument("--host", help="TWS/Gateway host (default from config, else 127.0.0.1)")
    p.add_argument("--port", type=int, help="7497 = TWS paper, 4002 = IB Gateway paper")
    p.add_argument("--client-id", type=int, dest="client_id", help="API client id")
    p.add_argument("--client", choices=["ib_async", "ib_insync"], help="client library")
    p.add_argument("--strategy", help="EfficientCore, SixtyForty, CorePlus or package.module.Class "
                   "(overrides the config's)")
    p.add_argument("--instruments", metavar="LIST",
                   help="the strategy's feeds, comma-separated, as in ecore backtest (overrides the config's)")
    p.add_argument("--dry-run", action="store_true",
                   help="compute and print the orders, send nothing (implies --once)")
    p.add_argument("--once", action="store_true",
                   help="one rebalance/roll check, wait for its orders, exit (for cron)")
    p.set_defaults(func=_run)
