"""`ecore paper`: run a backtrader strategy against an Interactive Brokers *paper* account.

The configuration file is described in ``ecore.engine.paper.config`` (flags override the
connection settings, ``--strategy`` and ``--instruments`` the strategy's; the command line is
``ecore.engine.cli.paper``); ``ecore paper status`` shows the account without trading
(``ecore.engine.paper.status``).  The strategy's feeds are
planned as in a backtest (``ecore.engine.backtest.instruments``); positions taken through a root feed are
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
  rejected by IB, not sent (connection) or never acknowledged by IB; or it found an order of an
  earlier run rejected or cancelled by IB while no process ran; or it held back an intent IB
  rejected earlier the same day (``--retry-rejected`` sends it again).

There is no flag to trade a live account: a non-``DU`` account or a live port stops the command.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from zoneinfo import ZoneInfo

from ..backtest.instruments import plan_feeds, strategy_class
from ..errors import UserError
from .config import PaperConfig
from .connect import open_session

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

    @property
    def orders(self):
        """The strategy's orders of this run, as ``BacktestRun.orders`` has a backtest's
        (``ecore.engine.report.orders.order_table``; a dry run's computed orders included)."""
        from ..report.orders import order_table

        return order_table(list(self.broker.orders) + list(getattr(self.broker, "_dry_open", [])))


def run_paper(config: PaperConfig, *, dry_run: bool = False, once: bool = True,
              kill_switch=None, once_timeout: float | None = None, clock=None,
              retry_rejected: bool = False) -> PaperRun:
    """Connect, replay recent bars, let the strategy trade the live bar; see module docstring.

    ``clock(tz)`` replaces the wall clock of the daily schedule and of the root feeds' choice
    of the held contract (tests).  Raises ``KillSwitchStop`` when the kill switch is already
    tripped (nothing is written), and the session's errors (``IncompletePicture``,
    ``DataFailure``...) when it cannot trade.  ``retry_rejected`` sends again the intents IB
    rejected earlier the same day (after a fixable refusal: 451, Read-Only API, permissions).
    """
    import backtrader as bt

    from ...brokers.ib.broker import IBBroker
    from ...brokers.ib.feed import IBDailyFeed
    from ...brokers.ib.root_feed import IBRootFeed
    from ...brokers.ib.safety import KillSwitch, SafetyLimits
    from ...brokers.margin import MarginModel
    from ...brokers.orders import FuturesCommInfo
    from ..backtest.runner import _cost_model  # the backtest's costs of the same [broker] table
    from ...data.contracts import spec
    from ...strategies.roll_keeper import RollKeeper
    from .summary import summarize

    known_limits = {f.name for f in dataclasses.fields(SafetyLimits)}
    for key in config.limits:
        if key not in known_limits:
            raise ValueError(f"limits.{key}: unknown limit; expected one of {sorted(known_limits)}")
    limits = SafetyLimits(**config.limits)
    costs = _cost_model(config.broker.get("costs"), "config")  # refused before connecting
    cls = strategy_class(config.strategy, config.key("class"),
                         (config.base_dir,) if config.base_dir else ())
    plan = plan_feeds(cls, config.instruments, config.strategy_params,
                      key=config.key("instruments"), params_key=config.key("params"))
    _check_param_values(cls, config)
    if kill_switch is None:
        kill_switch = KillSwitch(config.kill_file)
    if kill_switch.tripped:
        raise KillSwitchStop(f"stopped before trading: {kill_switch.reason} (remove it to trade "
                             "again); nothing sent")
    params = dict(config.strategy_params)
    book, notes = None, []
    if plan.price_book_roots:
        book, notes = _price_book(config, plan.price_book_roots, clock)
        params["price_book"] = book
    session, journal = open_session(config, dry_run, limits)
    session.notices.extend(notes)
    wait = config.once_timeout if once_timeout is None else once_timeout
    try:
        session.connect()
        broker = IBBroker(session, dry_run=dry_run, kill_switch=kill_switch,
                          retry_rejected=retry_rejected,
                          share_collateral=float(config.broker.get("share_collateral", 0.0)),
                          call_deadline_days=int(config.broker.get("call_deadline_days", 1)),
                          margin_model=MarginModel(history=book) if book is not None else None,
                          costs=costs,
                          share_buys_need_cash=bool(config.broker.get("share_buys_need_cash", True)))
        cerebro = bt.Cerebro(stdstats=False, quicknotify=True)
        cerebro.setbroker(broker)

        def should_stop() -> bool:
            # Wait for the notifications too: cerebro delivers them only while feeds run.
            return broker.stopped or (once and broker.idle() and not broker.notifs)

        common = dict(session=session, history_days=config.history_days, once=once,
                      local_history=_local_history(config, clock)
                      if config.seed_history or config.history_from else None,
                      once_timeout=wait, should_stop=should_stop,
                      schedule=config.schedule, timezone=config.timezone, clock=clock,
                      retry_interval=60.0 * config.retry_minutes,
                      history_retries=config.history_retries,
                      history_backoff=config.history_backoff)
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
        try:
            strategies = cerebro.run()
        except (KeyboardInterrupt, GeneratorExit, ConnectionError):
            raise
        except BaseException as exc:  # the user's strategy raised or called sys.exit
            from ..backtest.user_code import describe_failure, user_frame

            if user_frame(exc) is None and not isinstance(exc, SystemExit):
                raise
            raise UserError(describe_failure(exc, f"strategy {cls.__name__}")) from exc
        session.pump(0.02)
        for event in session.poll():
            broker._apply(event)
        _await_reasons(session, broker)
        positions = {k: v[0] for k, v in session.positions().items()}
        summary = summarize(broker, journal)
        return PaperRun(broker, strategies[0], session, positions, session.account_state(),
                        summary)
    except ConnectionError as exc:
        from ...brokers.ib.errors import ClientIdInUse, GatewayUnreachable

        if isinstance(exc, (ClientIdInUse, GatewayUnreachable)):
            raise
        raise ConnectionError(
            f"the connection to TWS/IB Gateway at {config.host}:{config.port} closed during "
            f"the run ({exc}); whatever was sent is in the journal and the next run reconciles "
            "it") from None
    finally:
        session.disconnect()
        journal.close()


def _await_reasons(session, broker) -> None:
    """An order IB made ``Inactive`` waits out the grace for IB's reason before the run ends,
    so that it is journaled rejected (with the reason when one comes), never left as sent."""
    import time

    deadline = time.monotonic() + session.inactive_grace + 0.1
    while session.awaiting_reason() and time.monotonic() < deadline and \
            session.ib.isConnected():
        session.pump(0.05)
        for event in session.poll():
            broker._apply(event)


def _check_param_values(cls, config: PaperConfig) -> None:
    """Our strategies' parameters are in range, as in a backtest config (``drift_band = 5`` is
    refused before connecting, naming the key)."""
    from ..backtest.instruments import is_ours
    from ..validation.backtest_config import params_rules
    from ..validation.schema import Place

    if is_ours(cls):
        params_rules(cls, True).check(dict(config.strategy_params), Place(""),
                                      tuple(config.key("params").split(".")))


def _local_history(config: PaperConfig, clock):
    """The data folder's bars the feeds seed their history with (bundled set by default)."""
    from ...brokers.ib.local_history import LocalHistory
    from ...data.market import load_market

    tz = ZoneInfo(config.timezone)
    today = (clock(tz) if clock is not None else dt.datetime.now(tz)).date()
    market = load_market(config.data_dir)
    return LocalHistory(market, today, str(config.data_dir or "the bundled data"),
                        first_day=config.history_from, data_dir=config.data_dir)


def _price_book(config: PaperConfig, roots, clock):
    """(PaperPriceBook of ``roots``, notes): the synthetic model over the history window and
    today, from the configured data folder's yields (bundled set by default), once they are
    found fresh enough (``freshness.py``: else ``StaleData``)."""
    from ...data.market import load_market
    from ...data.paper_book import PaperPriceBook

    from ...brokers.ib.feed import last_completed_session
    from .freshness import check_freshness

    tz = ZoneInfo(config.timezone)
    now = clock(tz) if clock is not None else dt.datetime.now(tz)
    today = now.date()
    market = load_market(config.data_dir)
    # stale yields or rates stop the run here, before connecting (freshness.py)
    notes = check_freshness(market, last_completed_session(now), config.data_dir)
    from ..backtest.runner import HISTORY_BEFORE_START

    # IB's "N D" history counts trading days; twice as many calendar days cover it.  The margin
    # model's volatility fallback needs its own year of settlements whatever history_days is
    # (with 5 days it had none, and ecore's initial margin was missing from the pre-trade
    # check): at least the backtest's history before its first day.
    days = max(dt.timedelta(days=2 * config.history_days), HISTORY_BEFORE_START)
    return PaperPriceBook(market, roots, start=today - days, end=today), notes
