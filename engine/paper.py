"""`ecore paper`: run a backtrader strategy against an Interactive Brokers *paper* account.

The configuration file is described in ``ecore.engine.paper_config`` (flags override the
connection settings, ``--strategy`` and ``--instruments`` the strategy's); ``ecore paper status``
shows the account without trading (``ecore.engine.paper_status``).  The strategy's feeds are
planned as in a backtest (``ecore.engine.instruments``); positions taken through a root feed are
rolled on the roll day by the engine's roll keeper unless the strategy class sets
``rolls_itself = True`` (EfficientCore does).

Exit status (documented in the README):

* 0 - the run did what it meant to: every order it needed was sent and acknowledged by IB
  (filled, or working at IB, e.g. resting until the open), none refused or rejected;
* 2 - it could not start or had to stop before trading: a configuration error, a live port or
  account, an unreachable gateway, a client id in use, an incomplete picture of the account,
  missing or stale daily bars; one line on stderr, nothing sent;
* 3 - the kill switch stopped it (its file exists, or SIGUSR1): open orders were cancelled;
* 4 - it traded, but not everything it meant to: an order was refused by a safety limit,
  rejected by IB, not sent (connection) or never acknowledged by IB.

There is no flag to trade a live account: a non-``DU`` account or a live port stops the command.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sys
from zoneinfo import ZoneInfo

from .instruments import plan_feeds, strategy_class
from .paper_config import ConfigError, PaperConfig, check_port, load_config  # noqa: F401

log = logging.getLogger(__name__)

EXIT_OK, EXIT_INPUT, EXIT_KILLED, EXIT_PARTIAL = 0, 2, 3, 4


class KillSwitchStop(RuntimeError):
    """The kill switch was tripped before the run could trade."""


@dataclasses.dataclass(frozen=True)
class PaperRun:
    """What a run did: the broker (orders, dry-run orders), the strategy, the session, IB's
    positions (``{instrument: size}``) and account values as the run ended, and its summary."""

    broker: object
    strategy: object
    session: object
    positions: dict
    account: object
    summary: object = None


def run_paper(config: PaperConfig, *, dry_run: bool = False, once: bool = True,
              kill_switch=None, once_timeout: float | None = None, clock=None) -> PaperRun:
    """Connect, replay recent bars, let the strategy trade the live bar; see module docstring.

    ``clock(tz)`` replaces the wall clock of the daily schedule and of the root feeds' choice
    of the held contract (tests).  Raises ``KillSwitchStop`` when the kill switch is already
    tripped (nothing is written), and the session's errors (``IncompletePicture``,
    ``DataFailure``...) when it cannot trade.
    """
    import backtrader as bt

    from ..brokers.ib.broker import IBBroker
    from ..brokers.ib.feed import IBDailyFeed
    from ..brokers.ib.root_feed import IBRootFeed
    from ..brokers.ib.safety import KillSwitch, SafetyLimits
    from ..brokers.orders import FuturesCommInfo
    from ..data.contracts import spec
    from ..strategies.roll_keeper import RollKeeper
    from .paper_status import summarize

    known_limits = {f.name for f in dataclasses.fields(SafetyLimits)}
    for key in config.limits:
        if key not in known_limits:
            raise ValueError(f"limits.{key}: unknown limit; expected one of {sorted(known_limits)}")
    limits = SafetyLimits(**config.limits)
    cls = strategy_class(config.strategy, config.key("class"),
                         (config.base_dir,) if config.base_dir else ())
    plan = plan_feeds(cls, config.instruments, config.strategy_params,
                      key=config.key("instruments"), params_key=config.key("params"))
    if kill_switch is None:
        kill_switch = KillSwitch(config.kill_file)
    if kill_switch.tripped:
        raise KillSwitchStop(f"stopped before trading: {kill_switch.reason} (remove it to trade "
                             "again); nothing sent")
    params = dict(config.strategy_params)
    book = None
    if plan.price_book_roots:
        book = params["price_book"] = _price_book(config, plan.price_book_roots, clock)
    session, journal = open_session(config, dry_run, limits)
    wait = config.once_timeout if once_timeout is None else once_timeout
    try:
        session.connect()
        broker = IBBroker(session, dry_run=dry_run, kill_switch=kill_switch)
        cerebro = bt.Cerebro(stdstats=False, quicknotify=True)
        cerebro.setbroker(broker)

        def should_stop() -> bool:
            # Wait for the notifications too: cerebro delivers them only while feeds run.
            return broker.stopped or (once and broker.idle() and not broker.notifs)

        common = dict(session=session, history_days=config.history_days, once=once,
                      once_timeout=wait, should_stop=should_stop,
                      schedule=config.schedule, timezone=config.timezone, clock=clock,
                      retry_interval=60.0 * config.retry_minutes)
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
                broker.addcommissioninfo(FuturesCommInfo(mult=spec(f.futures_root).multiplier),
                                         name=f.name)
        cerebro.addstrategy(cls, **params)
        if plan.engine_rolls:
            cerebro.addstrategy(RollKeeper, roots=plan.rolling_roots, fixed=plan.fixed_contracts,
                                roll_rule=plan.roll_rule)
        strategies = cerebro.run()
        session.pump(0.02)
        for event in session.poll():
            broker._apply(event)
        positions = {k: v[0] for k, v in session.positions().items()}
        summary = summarize(broker, journal)
        return PaperRun(broker, strategies[0], session, positions, session.account_state(),
                        summary)
    except ConnectionError as exc:
        from ..brokers.ib.errors import ClientIdInUse, GatewayUnreachable

        if isinstance(exc, (ClientIdInUse, GatewayUnreachable)):
            raise
        raise ConnectionError(
            f"the connection to TWS/IB Gateway at {config.host}:{config.port} closed during "
            f"the run ({exc}); whatever was sent is in the journal and the next run reconciles "
            "it") from None
    finally:
        session.disconnect()
        journal.close()


def open_session(config: PaperConfig, dry_run: bool, limits=None):
    """(IBSession, Journal) for ``config``, not yet connected.  A dry run writes nothing: the
    journal is opened read-only (or empty, in memory) and no order is placed."""
    from ..brokers.ib.client import client_library
    from ..brokers.ib.connection import ConnectionSettings
    from ..brokers.ib.contracts import ContractBook
    from ..brokers.ib.journal import Journal
    from ..brokers.ib.session import IBSession

    lib = client_library(config.client)
    settings = ConnectionSettings(config.host, config.port, config.client_id, config.account,
                                  timeout=config.timeout, request_timeout=config.request_timeout)
    journal = Journal(config.journal, read_only=dry_run)
    session = IBSession(settings, journal, lib,
                        ContractBook(lib, config.primary_exchanges, config.futures_exchange),
                        limits, dry_run=dry_run)
    return session, journal


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


def _config_from_args(args) -> PaperConfig:
    """The configuration file with the command line's connection flags (and ``--strategy``,
    ``--instruments``) laid over it."""
    config = load_config(args.config, strategy=getattr(args, "strategy", None),
                         instruments=getattr(args, "instruments", None))
    if getattr(args, "port", None) is not None:
        if not 0 < args.port < 65536:
            raise ConfigError(f"--port: {args.port} is not a TCP port number")
        check_port(args.port, "--port")
    if getattr(args, "client_id", None) is not None and args.client_id < 0:
        raise ConfigError(f"--client-id: {args.client_id} must be a whole number >= 0")
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port),
                                   ("client_id", args.client_id), ("client", args.client))
                 if v is not None}
    return dataclasses.replace(config, **overrides)


def connection_errors():
    """The errors that stop a run before it trades (one line, exit 2)."""
    from ..brokers.ib.contracts import ContractMismatch, UnknownContract
    from ..brokers.ib.errors import (DataFailure, IncompletePicture, PaperAccountRequired,
                                     RequestFailed, UnsupportedAccount)

    return (PaperAccountRequired, ContractMismatch, UnknownContract, IncompletePicture,
            DataFailure, RequestFailed, UnsupportedAccount, ConnectionError, OSError,
            TimeoutError)


def _run(args) -> int:
    from .cli import UserError

    if getattr(args, "action", "run") == "status":
        from .paper_status import run_status

        return run_status(args)
    config = _config_from_args(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from ..brokers.ib.safety import KillSwitch

    kill = KillSwitch(config.kill_file)
    if kill.tripped:
        # before anything is opened or written
        print(f"ecore paper: stopped: {kill.reason} (remove it to trade again); nothing sent",
              file=sys.stderr)
        return EXIT_KILLED
    kill.install()
    try:
        result = run_paper(config, dry_run=args.dry_run, once=args.once or args.dry_run,
                           kill_switch=kill)
    except KillSwitchStop as exc:
        print(f"ecore paper: {exc}", file=sys.stderr)
        return EXIT_KILLED
    except connection_errors() as exc:
        raise UserError(str(exc) or repr(exc)) from None
    if args.dry_run:
        _print_dry_run(result.broker.dry_run_orders)
    for reason in result.broker.refused:
        print(f"refused: {reason}", file=sys.stderr)
    if not args.dry_run:
        print(result.summary.text())
    if result.broker.stopped:
        print(f"ecore paper: stopped by the kill switch ({result.broker.kill_reason}); open "
              "orders cancelled", file=sys.stderr)
        return EXIT_KILLED
    if args.dry_run:
        return EXIT_PARTIAL if result.broker.refused else EXIT_OK
    return result.summary.exit_code


def _print_dry_run(orders) -> None:
    print(f"dry run: {len(orders)} order(s) computed, none sent")
    for d in orders:
        i = d.intent
        price = f" @ {i.limit_price:g}" if i.limit_price is not None else ""
        if d.margin is not None:
            margin = (f"  margin initial {d.margin.initial_change:+,.0f} maintenance "
                      f"{d.margin.maintenance_change:+,.0f}")
        else:
            margin = f"  margin unknown ({d.margin_error})" if d.margin_error else ""
        print(f"  {i.action} {i.quantity:g} {i.instrument} {i.order_type}{price}"
              f"  notional ${i.notional:,.0f}{margin}  ref {i.order_ref}")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "paper", help="trade a strategy on an Interactive Brokers paper account (DU...)",
        description="Run a backtrader strategy against TWS / IB Gateway on a paper account "
        "(`ecore paper --config FILE`), or show the account without trading (`ecore paper "
        "status --config FILE`). Refuses live accounts and live ports. Exit status: 0 done, "
        "2 could not start (nothing sent), 3 stopped by the kill switch, 4 some orders refused, "
        "rejected or unconfirmed.")
    p.add_argument("action", nargs="?", choices=["run", "status"], default="run",
                   help="run (default): trade; status: positions, working orders, margin and "
                   "the journal's latest entries, without trading")
    p.add_argument("--config", required=True, help="TOML configuration file")
    p.add_argument("--host", help="TWS/Gateway host (default from config, else 127.0.0.1)")
    p.add_argument("--port", type=int, help="7497 = TWS paper, 4002 = IB Gateway paper")
    p.add_argument("--client-id", type=int, dest="client_id", help="API client id")
    p.add_argument("--client", choices=["ib_async", "ib_insync"], help="client library")
    p.add_argument("--strategy", help="EfficientCore, SixtyForty, CorePlus or package.module.Class "
                   "(overrides the config's)")
    p.add_argument("--instruments", metavar="LIST",
                   help="the strategy's feeds, comma-separated, as in ecore backtest (overrides "
                   "the config's)")
    p.add_argument("--dry-run", action="store_true",
                   help="compute and print the orders with IB's what-if margin impact, send "
                   "nothing (implies --once)")
    p.add_argument("--once", action="store_true",
                   help="one rebalance/roll check, wait for its orders, exit (for cron)")
    p.set_defaults(func=_run)
