"""``ecore paper``: trade a strategy on an Interactive Brokers paper account, or show the account
(``ecore paper status``).  The run itself is :mod:`ecore.engine.paper.run`."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys

from ..errors import UserError
from ..paper.config import ConfigError, PaperConfig, check_port, load_config
from ..paper.run import EXIT_KILLED, EXIT_OK, EXIT_PARTIAL
from .overrides import add_override_options


def config_from_args(args) -> PaperConfig:
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
    if getattr(args, "param", None):
        from ..backtest.instruments import PlanError, is_ours, strategy_class
        from ..validation.overrides import strategy_overrides

        try:
            cls = strategy_class(config.strategy, config.key("class"),
                                 (config.base_dir,) if config.base_dir else ())
        except PlanError as exc:
            raise ConfigError(str(exc)) from None
        config = dataclasses.replace(config, strategy_params={
            **config.strategy_params, **strategy_overrides(args.param, cls, is_ours(cls))})
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port),
                                   ("client_id", args.client_id), ("client", args.client),
                                   ("journal", getattr(args, "journal", None)),
                                   ("once_timeout", getattr(args, "once_timeout", None)))
                 if v is not None}
    if getattr(args, "history_from", None):
        import datetime as dt

        try:
            overrides["history_from"] = dt.date.fromisoformat(args.history_from)
        except ValueError:
            raise ConfigError(f"--history-from: {args.history_from!r} is not a date YYYY-MM-DD") from None
    if "journal" in overrides:
        from pathlib import Path

        overrides["journal"] = Path(overrides["journal"])
    return dataclasses.replace(config, **overrides)


def clock_from_args(args, config: PaperConfig):
    """``--at``: the clock a rehearsal runs at (``YYYY-MM-DDTHH:MM``, in the configuration's
    time zone unless it names its own), as ``run_paper``'s ``clock``; None = the wall clock."""
    text = getattr(args, "at", None)
    if not text:
        return None
    import datetime as dt
    from zoneinfo import ZoneInfo

    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--at: {text!r} is not a date and time YYYY-MM-DDTHH:MM") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(config.timezone))
    return lambda tz: at.astimezone(tz)


def run_status(args) -> int:
    """``ecore paper status``: connect, print, disconnect; never trades, never writes."""
    from ..paper.connect import connection_errors, open_session
    from ..paper.status import account_status

    config = config_from_args(args)
    if getattr(args, "client_id", None) is None:
        # its own client id, so that it runs beside a long-running `ecore paper` (error 326
        # otherwise); the journal is opened read-only and takes no lock
        own = config.status_client_id if config.status_client_id is not None else \
            config.client_id + 1
        config = dataclasses.replace(config, client_id=own)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    session, journal = open_session(config, dry_run=True)
    try:
        session.connect()
        print(account_status(session, journal))
    except connection_errors() as exc:
        raise UserError(str(exc) or repr(exc)) from None
    finally:
        session.ib.disconnect()
        journal.close()
    return 0


def _run(args) -> int:
    if not os.environ.get("ECORE_DEBUG"):
        # The IB library logs each failed connect and IB message in its own words; ecore says
        # what went wrong in one line (ECORE_DEBUG=1 shows the library's lines).
        for name in ("ib_async", "ib_insync"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    action = getattr(args, "action", "run")
    if action == "simulate":
        from .paper_simulate import run_simulate

        return run_simulate(args, config_from_args(args) if args.config else None)
    if not args.config:
        raise UserError(f"ecore paper {action}: --config FILE is required")
    if action == "replay":
        from .paper_simulate import run_replay

        return run_replay(args, config_from_args(args))
    if action == "status":
        return run_status(args)
    config = config_from_args(args)
    clock = clock_from_args(args, config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from ...brokers.ib.safety import KillSwitch
    from ..paper.connect import connection_errors
    from ..paper.run import KillSwitchStop, run_paper

    kill = KillSwitch(config.kill_file)
    if kill.tripped:
        # before anything is opened or written
        print(f"ecore paper: stopped: {kill.reason} (remove it to trade again); nothing sent",
              file=sys.stderr)
        return EXIT_KILLED
    kill.install()
    try:
        result = run_paper(config, dry_run=args.dry_run, once=args.once or args.dry_run,
                           kill_switch=kill, retry_rejected=args.retry_rejected, clock=clock)
    except KillSwitchStop as exc:
        print(f"ecore paper: {exc}", file=sys.stderr)
        return EXIT_KILLED
    except connection_errors() as exc:
        raise UserError(str(exc) or repr(exc)) from None
    if args.dry_run:
        _print_dry_run(result.broker.dry_run_orders)
        for note in result.session.notices:
            print(f"note: {note}")
    for reason in result.broker.refused:
        print(f"refused: {reason}", file=sys.stderr)
    if not args.dry_run:
        print(result.summary.text())
    if result.broker.stopped:
        print(f"ecore paper: stopped by the kill switch ({result.broker.kill_reason}); "
              f"cancelled {result.broker.killed} of ecore's open order(s) in account "
              f"{result.session.account}, one by one (other accounts' and manual orders left "
              "alone)", file=sys.stderr)
        return EXIT_KILLED
    if args.dry_run:
        return EXIT_PARTIAL if result.broker.refused else EXIT_OK
    return result.summary.exit_code


def _print_dry_run(orders) -> None:
    from ...brokers.ib.order_types import describe_terms

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
              f"{describe_terms(i)}"
              f"  notional ${i.notional:,.0f}{margin}  ref {i.order_ref}")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "paper", help="trade a strategy on an Interactive Brokers paper account (DU...)",
        description="Run a backtrader strategy against TWS / IB Gateway on a paper account "
        "(`ecore paper --config FILE`), or show the account without trading (`ecore paper "
        "status --config FILE`). Refuses live accounts and live ports. Exit status: 0 done, "
        "2 could not start (nothing sent), 3 stopped by the kill switch, 4 some orders refused, "
        "rejected or unconfirmed.")
    p.add_argument("action", nargs="?", choices=["run", "status", "simulate", "replay"],
                   default="run",
                   help="run (default): trade; status: positions, working orders, margin and "
                   "the journal's latest entries, without trading; simulate: a local IB paper "
                   "gateway on market history (no IB installation needed); replay: the paper "
                   "path day by day against the simulator, with its parity to ecore backtest")
    p.add_argument("--config", help="TOML configuration file (all but simulate)")
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
    p.add_argument("--retry-rejected", action="store_true", dest="retry_rejected",
                   help="send again today's intents IB rejected earlier today (after fixing the "
                   "cause: margin, TWS's precautionary size limit 451, Read-Only API, "
                   "permissions); without it they are held back and the run exits 4")
    p.add_argument("--at", metavar="YYYY-MM-DDTHH:MM",
                   help="rehearsal: run as if the clock read this (config time zone), e.g. "
                   "against `ecore paper simulate --day`")
    p.add_argument("--journal", help="journal file (overrides the config's)")
    p.add_argument("--history-from", dest="history_from", metavar="YYYY-MM-DD",
                   help="rehearsal: no daily bar before this day, so the strategy warms up as a "
                   "backtest starting that day (ecore paper replay passes its --from)")
    p.add_argument("--once-timeout", type=float, dest="once_timeout",
                   help="seconds a --once run waits for its orders (overrides the config's)")
    p.add_argument("--data", help="simulate/replay: data folder (default: the bundled set; "
                   "replay: the config's)")
    p.add_argument("--day", help="simulate: the simulated day YYYY-MM-DD (default: the last "
                   "day of the data); kill -USR1 the simulator to step to the next trading day")
    p.add_argument("--from", dest="start", help="replay: first day YYYY-MM-DD")
    p.add_argument("--to", dest="end", help="replay: last day YYYY-MM-DD")
    p.add_argument("--cash", type=float, help="simulate/replay: opening cash in dollars "
                   "(default 10,000,000)")
    p.add_argument("--out", help="replay: output folder (daily.csv, trades.csv, journal.csv, "
                   "report.html, parity.csv, parity.txt)")
    p.add_argument("--in-process", action="store_true", dest="in_process",
                   help="replay: run each day in this process instead of a fresh one (faster)")
    add_override_options(p, broker=False)  # the broker is IB's: its settings are the account's
    p.set_defaults(func=_run)
