"""The ``ecore paper`` configuration file: strict keys and types, checked before connecting.

Every table (``[ib]``, ``[limits]``, ``[strategy]``, ``[schedule]``) and the top level accept only
the keys below; an unknown key, a value of the wrong type or outside its domain (a limit written
as text, an unknown time zone, IB's live-trading ports 7496 and 4001) is a ``ConfigError`` naming
the file, the line where it can be found, and the key.  Relative paths are relative to the file.

    [ib]
    host = "127.0.0.1"
    port = 7497                 # TWS paper; IB Gateway paper is 4002 (live ports are refused)
    client_id = 17
    status_client_id = 18       # `ecore paper status`'s own client id (default client_id + 1)
    account = ""                # optional; must start with DU (paper)
    client = ""                 # optional: "ib_async" or "ib_insync" (default: ib_async)
    futures_exchange = "CBOT"   # "ECBOT" accepted
    journal = "paper-journal.sqlite"
    kill_file = "STOP"          # create this file to cancel open orders and stop
    timeout = 10                # seconds for the socket and API handshake
    request_timeout = 10        # seconds for each request (positions, orders, bars, what-if)

    [limits]                    # all optional, positive numbers
    max_order_quantity = 50
    max_order_notional = 5000000
    max_daily_quantity = 200
    max_daily_notional = 20000000

    [strategy]
    class = "package.module.StrategyClass"   # or one of ours by name: "EfficientCore"
    instruments = ["SPY", "ZN", "ZNM25"]     # as in a backtest (ecore.engine.backtest.instruments); also
                                             # "SPY,ZN" or a table { ZN = "ZNM25" }
    params = { }
    primary_exchanges = { SPY = "ARCA" }
    data = "~/ecore-data"

    [broker]                    # optional: as a backtest's broker table
    share_collateral = 0        # share of the shares' value counted as margin equity (0..1)

    [schedule]
    time = "17:00"              # daily check in long-running mode
    timezone = "America/New_York"
    history_days = 30
    once_timeout = 60           # seconds a --once run waits for its orders to fill
    retry_minutes = 5           # long-running mode: pause before retrying a failed daily check
    history_retries = 3         # daily-bar requests throttled (162 pacing) or unanswered: asked
    history_backoff = 15        # again up to 3 times, waiting 15, 30, 60 s (IB: no identical
                                # history request within 15 s)
    seed_history = true         # history_days from the data folder (bundled or `data`) before
                                # IB's first bar, checked on the overlap (1%) and for a gap
                                # between them; false: IB's bars only

Instead of the ``[strategy]`` table, the top of the file may name the strategy as a backtest
config does, with the same keys and checks (``strategy`` for ``class``)::

    strategy = "package.module.StrategyClass"
    instruments = ["SPY", "ZN"]
    data = "~/ecore-data"
    primary_exchanges = { SPY = "ARCA" }

    [params]
    lookback = 60

A file with both is refused.  ``--strategy`` and ``--instruments`` on the command line replace the
file's; errors about them name the flag.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from ...brokers.ib.client import SUPPORTED as CLIENTS
from ...brokers.ib.connection import LIVE_PORTS
from ...brokers.ib.contracts import FUTURES_EXCHANGES
from ..backtest.instruments import PlanError, split_instruments

IB_KEYS = {"host", "port", "client_id", "status_client_id", "account", "client", "futures_exchange", "journal",
           "kill_file", "timeout", "request_timeout"}
LIMIT_KEYS = {"max_order_quantity", "max_order_notional", "max_daily_quantity",
              "max_daily_notional"}
STRATEGY_KEYS = {"class", "instruments", "params", "primary_exchanges", "data"}
# The same settings at the top level of the file, as in a backtest config ("class" is "strategy").
TOP_LEVEL_STRATEGY_KEYS = {"strategy", "instruments", "params", "primary_exchanges", "data"}
SCHEDULE_KEYS = {"time", "timezone", "history_days", "once_timeout", "retry_minutes",
                 "history_retries", "history_backoff", "seed_history"}
# [broker]: the backtest's broker table (money settings of ``MarginBroker`` and the margin
# model).  A paper run reads ``share_collateral`` (what margin equity counts of the shares),
# ``call_deadline_days``, ``costs`` and ``share_buys_need_cash`` (its pre-trade checks); the
# simulator and ``ecore paper replay`` keep the account with all.
BROKER_KEYS = {"borrow_spread", "collateral_haircut", "expense_ratio", "costs", "futures_fill",
               "call_deadline_days", "liquidation_policy", "delivery_guard",
               "share_buys_need_cash", "share_collateral", "margin_schedule", "initial_ratio",
               "margin_multiplier", "fallback_k"}
TABLES = {"ib": IB_KEYS, "limits": LIMIT_KEYS, "strategy": STRATEGY_KEYS,
          "schedule": SCHEDULE_KEYS, "broker": BROKER_KEYS}


class ConfigError(ValueError):
    """A mistake in a paper configuration: one line naming the file, line and key."""


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
    broker: dict = dataclasses.field(default_factory=dict)  # [broker]: as a backtest's table
    strategy_params: dict = dataclasses.field(default_factory=dict)
    primary_exchanges: dict = dataclasses.field(default_factory=dict)
    schedule: dt.time = dt.time(17, 0)
    timezone: str = "America/New_York"
    history_days: int = 30
    seed_history: bool = True  # the data folder's bars before IB's first (local_history.py)
    history_from: dt.date | None = None  # no bar before this day (--history-from; replays)
    data_dir: Path | None = None  # yields for the price book's durations; None = bundled set
    timeout: float = 10.0  # seconds: socket and API handshake
    request_timeout: float = 10.0  # seconds: each request
    once_timeout: float = 60.0  # seconds a --once run waits for its orders
    retry_minutes: float = 5.0  # long-running mode: pause before retrying a failed check
    status_client_id: int | None = None  # `ecore paper status`'s client id; None: client_id + 1
    history_retries: int = 3  # a throttled (162 pacing) or unanswered daily-bar request: retries
    history_backoff: float = 15.0  # seconds before the first retry, doubled each time
    keys: str = "strategy."  # how the file named the strategy's settings, for errors ("" at top level)
    base_dir: Path | None = None  # the config file's folder: a strategy module may sit there
    flags: frozenset = frozenset()  # settings the command line gave ("strategy", "instruments")

    def key(self, setting: str) -> str:
        """How errors name one of the strategy's settings ("class", "instruments", "params"):
        the flag that gave it, else the key as the file writes it."""
        if setting in self.flags:
            return f"--{'strategy' if setting == 'class' else setting}"
        if not self.keys:
            return "strategy" if setting == "class" else setting
        return self.keys + setting

    def __post_init__(self):
        if isinstance(self.history_days, bool) or not isinstance(self.history_days, int) or \
                self.history_days < 1:
            raise ConfigError(f"schedule.history_days: {self.history_days!r} must be >= 1")


class _Where:
    """Finds the line of a key in the file's text, for messages."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()

    def line(self, table: str | None, key: str | None = None) -> int | None:
        in_table = table is None
        for i, raw in enumerate(self.lines, 1):
            line = raw.split("#", 1)[0].strip()
            header = re.fullmatch(r"\[\s*([A-Za-z0-9_.\"' -]+?)\s*\]", line)
            if header:
                name = header.group(1).strip("\"'")
                if (key is None and name == table) or (table is None and name == key):
                    return i
                in_table = name == table
                continue
            if in_table and key is not None and re.match(
                    rf"^[\"']?{re.escape(key)}[\"']?\s*=", line):
                return i
        return None

    def error(self, table: str | None, key: str | None, message: str) -> ConfigError:
        n = self.line(table, key)
        place = f"{self.path}" + (f", line {n}" if n else "")
        name = ".".join(p for p in (table, key) if p)
        return ConfigError(f"{place}: {name}: {message}" if name else f"{place}: {message}")


def _check_broker(where: _Where, path: Path, broker: dict) -> None:
    """Every ``[broker]`` value by the backtest's rules (``validation.backtest_config``), before
    connecting: the paper run and the simulator read them (``share_buys_need_cash = "no"``
    must not count as true)."""
    from ..validation.backtest_config import broker_rules
    from ..validation.schema import InputError, Place

    def locate(key_path):
        n = where.line("broker", key_path[1]) if len(key_path) > 1 else where.line(None, "broker")
        return f"line {n}" if n else None

    try:
        broker_rules(path.parent).check(broker, Place(str(path), locate), ("broker",))
    except InputError as exc:
        raise ConfigError(str(exc)) from None


def _check_keys(where: _Where, table: str, values: dict, known: set) -> None:
    for key in values:
        if key not in known:
            raise where.error(table, key, f"unknown key; expected one of {', '.join(sorted(known))}")


def _typed(where, table, values, key, types_, what, default=None):
    if key not in values:
        return default
    value = values[key]
    if isinstance(value, bool) and bool not in (types_ if isinstance(types_, tuple) else (types_,)):
        raise where.error(table, key, f"{value!r} must be {what}")
    if not isinstance(value, types_):
        raise where.error(table, key, f"{value!r} must be {what}")
    return value


def _positive(where, table, values, key, default=None, integer=False):
    what = "a positive whole number" if integer else "a positive number"
    value = _typed(where, table, values, key, int if integer else (int, float), what, default)
    if value is None:
        return None
    if not (math.isfinite(value) and value > 0):
        raise where.error(table, key, f"{value!r} must be {what}")
    return value


def _status_client_id(where, ib) -> int | None:
    value = _typed(where, "ib", ib, "status_client_id", int, "a whole number >= 0", None)
    if value is not None and value < 0:
        raise where.error("ib", "status_client_id", f"{value!r} must be a whole number >= 0")
    return value


def _retries(where, sched) -> int:
    value = _typed(where, "schedule", sched, "history_retries", int, "a whole number >= 0", 3)
    if value < 0:
        raise where.error("schedule", "history_retries", f"{value!r} must be a whole number >= 0")
    return value


def check_port(port: int, where: str) -> None:
    """Refuse IB's live-trading ports in so many words."""
    if port in LIVE_PORTS:
        raise ConfigError(f"{where}: {port} is the {LIVE_PORTS[port]} port; ecore paper trades "
                          "only paper accounts: use 7497 (TWS paper) or 4002 (IB Gateway paper)")


#: The first bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"


def _journal_path(where, journal: Path | None) -> Path:
    """The journal is a SQLite file (or not there yet, in an existing folder): a folder, another
    kind of file or a missing folder is named with the key's line."""
    if journal is None:
        raise where.error("ib", "journal", "an empty path; give the journal's file name (SQLite)")
    if journal.is_dir():
        raise where.error("ib", "journal", f"{journal} is a folder, not a journal file (SQLite)")
    if journal.exists():
        try:
            with open(journal, "rb") as fh:
                head = fh.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise where.error("ib", "journal", f"{journal} cannot be read ({exc.strerror or exc})") from None
        if head and head != SQLITE_HEADER:
            raise where.error("ib", "journal", f"{journal} is not a journal: not a SQLite database "
                              "(move it away or choose another path)")
    elif not journal.parent.is_dir():
        raise where.error("ib", "journal", f"folder {journal.parent} does not exist")
    return journal


def load_config(path: str | Path, strategy: str | None = None, instruments=None) -> PaperConfig:
    """Read and check the TOML configuration; ``ConfigError`` names the file, line and key.
    ``strategy`` and ``instruments`` (``--strategy``, ``--instruments``: a comma-separated text)
    replace the file's."""
    from ..validation.input_files import read_input

    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a configuration file")
    try:
        text = read_input(path).decode("utf-8")  # once: a pipe or <(...) cannot be read twice
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    where = _Where(path, text)
    # The strategy's settings sit in a [strategy] table or at the top level, never both.
    top = isinstance(raw.get("strategy"), str) or \
        bool(set(raw) & (TOP_LEVEL_STRATEGY_KEYS - {"strategy"}))
    for key, value in raw.items():
        if key in TOP_LEVEL_STRATEGY_KEYS and key != "strategy":
            continue
        if key == "strategy" and top:
            if isinstance(value, dict):
                first = next(k for k in raw if k in TOP_LEVEL_STRATEGY_KEYS and k != "strategy")
                raise where.error(None, first, "the file also has a [strategy] table: give either "
                                  "strategy = \"package.module.Class\" with top-level instruments "
                                  "and params, or a [strategy] table, not both")
            continue
        if key not in TABLES:
            raise where.error(None, key, f"unknown {'table' if isinstance(value, dict) else 'key'}"
                              f"; expected the tables {', '.join(f'[{t}]' for t in TABLES)} or the "
                              f"strategy's keys {', '.join(sorted(TOP_LEVEL_STRATEGY_KEYS))}")
        if not isinstance(value, dict):
            if key == "strategy":
                raise where.error(None, key, f"{value!r} must be text (\"package.module.Class\" or "
                                  "one of ours by name) or a [strategy] table")
            raise where.error(None, key, f"must be a table [{key}]")
    for table, known in TABLES.items():
        if not (table == "strategy" and top):
            _check_keys(where, table, raw.get(table, {}), known)

    ib = raw.get("ib", {})
    port = _typed(where, "ib", ib, "port", int, "a whole number (7497 TWS paper, 4002 Gateway "
                  "paper)", 7497)
    if not 0 < port < 65536:
        raise where.error("ib", "port", f"{port!r} is not a TCP port number")
    if port in LIVE_PORTS:
        n = where.line("ib", "port")
        check_port(port, f"{path}" + (f", line {n}" if n else "") + ": ib.port")
    client_id = _typed(where, "ib", ib, "client_id", int, "a whole number >= 0", 1)
    if client_id < 0:
        raise where.error("ib", "client_id", f"{client_id!r} must be a whole number >= 0")
    account = _typed(where, "ib", ib, "account", str, "text (the DU... paper account)", "")
    if account and not account.startswith("DU"):
        raise where.error("ib", "account", f"{account!r} is not a paper account (paper accounts "
                          "start with DU); ecore paper never trades a live account")
    client = _typed(where, "ib", ib, "client", str, f"one of {', '.join(CLIENTS)}", "") or None
    if client is not None and client not in CLIENTS:
        raise where.error("ib", "client", f"{client!r} must be one of {', '.join(CLIENTS)}")
    exchange = _typed(where, "ib", ib, "futures_exchange", str, "CBOT or ECBOT", "CBOT")
    if exchange.upper() not in FUTURES_EXCHANGES:
        raise where.error("ib", "futures_exchange",
                          f"{exchange!r} must be {' or '.join(FUTURES_EXCHANGES)}")
    from ..validation.input_files import base_folder

    base = base_folder(path)

    def _path(table, values, key, default=None):
        value = _typed(where, table, values, key, str, "a file path", default)
        if not value:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p

    limits = {}
    lim = raw.get("limits", {})
    for key in sorted(LIMIT_KEYS):
        value = _positive(where, "limits", lim, key)
        if value is not None:
            limits[key] = value

    # The strategy's settings as a [strategy] table (the class under "class"), or at the top
    # level (no table; the class under "strategy").
    if top:
        strat = {k: v for k, v in raw.items() if k in TOP_LEVEL_STRATEGY_KEYS}
        table, class_key = None, "strategy"
    else:
        strat = raw.get("strategy", {})
        table, class_key = "strategy", "class"
    flags = set()
    if strategy is not None:
        flags.add("class")
    if instruments is not None:
        flags.add("instruments")
    if class_key in strat:
        cls = _typed(where, table, strat, class_key, str, "text: a strategy name or module.Class")
    elif strategy is None:
        if "strategy" in raw:
            n = where.line("strategy")
            raise ConfigError(f"{path}" + (f", line {n}" if n else "") + ": strategy.class: missing "
                              "(EfficientCore, or the dotted path of a backtrader Strategy; or "
                              "--strategy)")
        raise ConfigError(f"{path}: strategy: missing: give strategy = \"package.module.Class\" (or "
                          "one of ours by name) at the top of the file, a [strategy] table with "
                          "class, or --strategy")
    if strategy is not None:
        cls = strategy
    listed = _typed(where, table, strat, "instruments", (list, dict, str),
                    "a list of instruments, a comma-separated text or a table of feed names", [])
    if isinstance(listed, (list, dict)):
        items = listed.values() if isinstance(listed, dict) else listed
        for item in items:
            if not isinstance(item, str) or not item.strip():
                raise where.error(table, "instruments", f"{item!r} is not an instrument name "
                                  "(a ticker, a futures code or root)")
    if instruments is not None:
        listed = instruments
    params = _typed(where, table, strat, "params", dict, "a table { name = value }", {})
    primary = _typed(where, table, strat, "primary_exchanges", dict,
                     "a table { TICKER = \"EXCHANGE\" }", {})
    for ticker, venue in primary.items():
        if not isinstance(venue, str):
            raise where.error(table, "primary_exchanges",
                              f"{ticker} = {venue!r} must name an exchange as text")
    keys = "strategy." if table else ""
    instruments_key = "--instruments" if "instruments" in flags else keys + "instruments"
    try:
        instruments = split_instruments(listed, instruments_key)
    except PlanError as exc:
        raise ConfigError(str(exc)) from None

    sched = raw.get("schedule", {})
    at = _typed(where, "schedule", sched, "time", str, "text \"HH:MM\"", "17:00")
    try:
        schedule = dt.time.fromisoformat(at)
    except ValueError:
        raise where.error("schedule", "time", f"{at!r} is not HH:MM") from None
    tz = _typed(where, "schedule", sched, "timezone", str, "a time zone name such as "
                "\"America/New_York\"", "America/New_York")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise where.error("schedule", "timezone", f"{tz!r} is not a known time zone (such as "
                          "America/New_York)") from None
    history = _positive(where, "schedule", sched, "history_days", 30, integer=True)
    broker = dict(raw.get("broker", {}))
    if "share_collateral" in broker:
        value = _typed(where, "broker", broker, "share_collateral", (int, float),
                       "a number from 0 to 1")
        if not 0 <= value <= 1:
            raise where.error("broker", "share_collateral", f"{value!r} must be from 0 to 1")
    if broker:
        _check_broker(where, path, broker)

    return PaperConfig(
        strategy=cls,
        instruments=instruments,
        host=_typed(where, "ib", ib, "host", str, "a host name or address", "127.0.0.1"),
        port=port, client_id=client_id, account=account, client=client,
        futures_exchange=exchange,
        journal=_journal_path(where, _path("ib", ib, "journal", "paper-journal.sqlite")),
        kill_file=_path("ib", ib, "kill_file"),
        limits=limits, broker=broker, strategy_params=dict(params), primary_exchanges=dict(primary),
        schedule=schedule, timezone=tz, history_days=history,
        seed_history=_typed(where, "schedule", sched, "seed_history", bool, "true or false",
                            True),
        data_dir=_path(table, strat, "data"),
        timeout=float(_positive(where, "ib", ib, "timeout", 10.0)),
        request_timeout=float(_positive(where, "ib", ib, "request_timeout", 10.0)),
        once_timeout=float(_positive(where, "schedule", sched, "once_timeout", 60.0)),
        retry_minutes=float(_positive(where, "schedule", sched, "retry_minutes", 5.0)),
        status_client_id=_status_client_id(where, ib),
        history_retries=_retries(where, sched),
        history_backoff=float(_positive(where, "schedule", sched, "history_backoff", 15.0)),
        keys=keys, base_dir=base.resolve(), flags=frozenset(flags),
    )
