"""Bad paper configurations, refused before connecting: one line on stderr naming the file (and
the line where it can be found) and the key, exit status 2 (3 for the kill switch), no
traceback, nothing written, no connection to the gateway.  Driven through the command line."""

import textwrap

import pytest

from ecore.engine.cli.main import main
from ecore.engine.paper.config import load_config
from ecore.brokers.ib.simulator import FakeGateway

BASE = """\
[ib]
port = {port}
client_id = 9
client = "ib_async"
journal = "journal.sqlite"
kill_file = "STOP"
{ib}
[limits]
max_order_quantity = 50
{limits}
[strategy]
class = "ib_helpers.TargetPositions"
instruments = ["SPY"]
params = {{ targets = {{ SPY = 10 }} }}
{strategy}
[schedule]
time = "17:00"
timezone = "America/New_York"
history_days = 4
{schedule}
{top}"""

# (case id, {part: text}, extra command-line flags, exit status, what the line must say)
CASES = [
    ("unknown key in ib", {"ib": "prot = 4002"}, [], 2, ["line 7", "ib.prot: unknown key"]),
    ("unknown key in schedule", {"schedule": 'tmezone = "UTC"'}, [], 2,
     ["line 20", "schedule.tmezone: unknown key"]),
    ("unknown key in limits", {"limits": "max_lots = 3"}, [], 2,
     ["line 10", "limits.max_lots: unknown key"]),
    ("unknown key in strategy", {"strategy": 'yields = "x"'}, [], 2,
     ["line 15", "strategy.yields: unknown key"]),
    ("unknown table", {"top": "[brokerage]\nname = 'ib'"}, [], 2, ["line 21", "brokerage: unknown table"]),
    ("unknown broker key", {"top": "[broker]\nname = 'ib'"}, [], 2, ["line 22", "broker.name: unknown key"]),
    ("share collateral out of range", {"top": "[broker]\nshare_collateral = 1.5"}, [], 2,
     ["line 22", "broker.share_collateral: 1.5 must be from 0 to 1"]),
    ("unknown top-level key", {"top": ""}, [], 2, ["line 1", "mode: unknown key"]),
    ("limit written as text", {"limits": 'max_daily_notional = "20000000"'}, [], 2,
     ["line 10", "limits.max_daily_notional: '20000000' must be a positive number"]),
    ("negative limit", {"limits": "max_daily_quantity = -1"}, [], 2,
     ["limits.max_daily_quantity: -1 must be a positive number"]),
    ("boolean limit", {"limits": "max_order_notional = true"}, [], 2,
     ["limits.max_order_notional: True must be a positive number"]),
    ("infinite limit", {"limits": "max_order_notional = inf"}, [], 2,
     ["limits.max_order_notional: inf must be a positive number"]),
    ("unknown time zone", {"schedule": ""}, [], 2,
     ["line 18", "schedule.timezone: 'America/NewYork' is not a known time zone"]),
    ("TWS live port", {"port": 7496}, [], 2,
     ["line 2", "ib.port: 7496 is the TWS live-trading port", "7497"]),
    ("Gateway live port", {"port": 4001}, [], 2,
     ["ib.port: 4001 is the IB Gateway live-trading port", "4002"]),
    ("live port on the command line", {}, ["--port", "7496"], 2,
     ["--port: 7496 is the TWS live-trading port"]),
    ("port as text", {"port": '"4002"'}, [], 2, ["line 2", "ib.port: '4002' must be a whole number"]),
    ("port out of range", {"port": 70000}, [], 2, ["ib.port: 70000 is not a TCP port number"]),
    ("negative client id", {"ib": ""}, [], 2, ["ib.client_id: -3 must be a whole number >= 0"]),
    ("live account", {"ib": 'account = "U1234567"'}, [], 2,
     ["ib.account: 'U1234567' is not a paper account"]),
    ("unknown client library", {"ib": ""}, [], 2, ["ib.client: 'ibapi' must be one of ib_async"]),
    ("unknown futures exchange", {"ib": 'futures_exchange = "CME"'}, [], 2,
     ["ib.futures_exchange: 'CME' must be CBOT or ECBOT"]),
    ("time not HH:MM", {"schedule": ""}, [], 2, ["line 17", "schedule.time: '5pm' is not HH:MM"]),
    ("no history", {"schedule": ""}, [], 2,
     ["schedule.history_days: 0 must be a positive whole number"]),
    ("fractional history", {"schedule": ""}, [], 2,
     ["schedule.history_days: 2.5 must be a positive whole number"]),
    ("zero request time-out", {"ib": "request_timeout = 0"}, [], 2,
     ["ib.request_timeout: 0 must be a positive number"]),
    ("once time-out as text", {"schedule": 'once_timeout = "60s"'}, [], 2,
     ["schedule.once_timeout: '60s' must be a positive number"]),
    ("no strategy class", {"strategy": ""}, [], 2, ["line 11", "strategy.class: missing"]),
    ("instruments not a list", {"strategy": ""}, [], 2,
     ["strategy.instruments: 5 must be a list of instruments"]),
    ("primary exchange not text", {"strategy": "primary_exchanges = { SPY = 1 }"}, [], 2,
     ["strategy.primary_exchanges: SPY = 1 must name an exchange as text"]),
    ("params not a table", {"strategy": ""}, [], 2, ["strategy.params: 'x' must be a table"]),
    ("ib not a table", {"top": ""}, [], 2, ["ib: must be a table [ib]"]),
    ("not TOML", {"top": "[schedule\n"}, [], 2, ["not valid TOML"]),
    ("unknown strategy", {"strategy": ""}, [], 2, ["strategy.class: unknown strategy 'EfficentCore'"]),
    ("unknown strategy parameter", {"strategy": ""}, [], 2,
     ["strategy.params.targetz: unknown parameter for TargetPositions"]),
    ("kill file present", {}, [], 3, ["stopped", "kill file", "STOP exists", "nothing sent"]),
]

# Cases whose bad value replaces a line of the base text rather than adding one.
REPLACE = {
    "unknown top-level key": ("[ib]\n", 'mode = "paper"\n[ib]\n'),
    "unknown time zone": ('timezone = "America/New_York"', 'timezone = "America/NewYork"'),
    "negative client id": ("client_id = 9", "client_id = -3"),
    "unknown client library": ('client = "ib_async"', 'client = "ibapi"'),
    "time not HH:MM": ('time = "17:00"', 'time = "5pm"'),
    "no history": ("history_days = 4", "history_days = 0"),
    "fractional history": ("history_days = 4", "history_days = 2.5"),
    "no strategy class": ('class = "ib_helpers.TargetPositions"\n', ""),
    "instruments not a list": ('instruments = ["SPY"]', "instruments = 5"),
    "params not a table": ("params = { targets = { SPY = 10 } }", 'params = "x"'),
    "ib not a table": ("[ib]\n", "ib = 5\n[iB]\n"),
    "unknown strategy": ('class = "ib_helpers.TargetPositions"', 'class = "EfficentCore"'),
    "unknown strategy parameter": ("params = { targets = { SPY = 10 } }",
                                   "params = { targetz = { SPY = 10 } }"),
}


@pytest.fixture(scope="module")
def idle_gateway():
    """A gateway that must never see a connection."""
    gw = FakeGateway()
    gw.start()
    yield gw
    gw.stop()


def config_text(case: str, parts: dict, port: int) -> str:
    values = {"port": port, "ib": "", "limits": "", "strategy": "", "schedule": "", "top": ""}
    values.update(parts)
    text = BASE.format(**values)
    if case in REPLACE:
        old, new = REPLACE[case]
        assert old in text, case
        text = text.replace(old, new, 1)
    return text


def test_there_are_at_least_twenty_distinct_bad_configurations():
    assert len({c[0] for c in CASES}) == len(CASES) >= 20


@pytest.mark.parametrize("case, parts, flags, status, says", CASES, ids=[c[0] for c in CASES])
def test_bad_paper_configuration_is_one_line_and_nothing_happens(
        case, parts, flags, status, says, idle_gateway, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ECORE_DEBUG", raising=False)
    cfg = tmp_path / "paper.toml"
    cfg.write_text(config_text(case, parts, idle_gateway.port))
    if case == "kill file present":
        (tmp_path / "STOP").touch()
    before = sorted(p.name for p in tmp_path.iterdir())
    connections = len(idle_gateway.received)

    code = main(["paper", "--config", str(cfg), *flags])

    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == status
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for text in says:
        assert text in lines[0], lines[0]
    if flags == [] and status == 2 and case not in ("unknown strategy", "unknown strategy parameter",
                                                    "not TOML"):
        assert str(cfg) in lines[0]  # the file is named
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    assert len(idle_gateway.received) == connections  # never connected


def test_config_folder_and_missing_file_are_one_line(tmp_path, capsys):
    assert main(["paper", "--config", str(tmp_path)]) == 2
    assert main(["paper", "--config", str(tmp_path / "none.toml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    # The command line's own check of --config (engine/validation/options.py) speaks first.
    assert err == [f"ecore paper: error: --config: {tmp_path} is a folder, not a file",
                   f"ecore paper: error: --config: file not found: {tmp_path / 'none.toml'}"]


def test_a_good_configuration_reads_every_key(tmp_path):
    cfg = tmp_path / "paper.toml"
    cfg.write_text(textwrap.dedent("""
        [ib]
        host = "10.0.0.5"
        port = 4002
        client_id = 3
        account = "DU111"
        client = "ib_insync"
        futures_exchange = "ECBOT"
        journal = "j.sqlite"
        kill_file = "/tmp/STOP"
        timeout = 5
        request_timeout = 2.5
        [limits]
        max_order_quantity = 50
        max_daily_notional = 2e7
        [strategy]
        class = "EfficientCore"
        params = { equity = "IVV" }
        primary_exchanges = { IVV = "ARCA" }
        [schedule]
        time = "17:30"
        timezone = "Europe/London"
        history_days = 20
        once_timeout = 120
        retry_minutes = 2
    """))
    c = load_config(cfg)
    assert (c.host, c.port, c.client_id, c.account, c.client, c.futures_exchange) == (
        "10.0.0.5", 4002, 3, "DU111", "ib_insync", "ECBOT")
    assert (c.journal, str(c.kill_file), c.timeout, c.request_timeout) == (
        tmp_path / "j.sqlite", "/tmp/STOP", 5.0, 2.5)
    assert c.limits == {"max_order_quantity": 50, "max_daily_notional": 2e7}
    assert (c.schedule.isoformat(), c.timezone, c.history_days, c.once_timeout,
            c.retry_minutes) == ("17:30:00", "Europe/London", 20, 120.0, 2.0)


# The strategy named at the top level, as in a backtest config: the same strictness.
TOP = """\
strategy = "ib_helpers.TargetPositions"
instruments = ["SPY"]
{top}
[params]
targets = {{ SPY = 10 }}

[ib]
port = {port}
client_id = 9
client = "ib_async"
journal = "journal.sqlite"
"""

# (case id, text to add at the top, (old, new) replacement or None, flags, is the file named,
#  what the line must say)
TOP_CASES = [
    ("misspelt top-level key", 'instrumnets = ["SPY"]', None, [], True,
     ["line 3", "instrumnets: unknown key; expected the tables [ib], [limits], [strategy], "
      "[schedule], [broker] or the strategy's keys data, instruments, params, primary_exchanges, strategy"]),
    ("strategy not text", "", ('strategy = "ib_helpers.TargetPositions"', "strategy = 5"), [], True,
     ["line 1", "strategy: 5 must be text"]),
    ("instruments not a list", "", ('instruments = ["SPY"]', "instruments = 5"), [], True,
     ["line 2", "instruments: 5 must be a list of instruments"]),
    ("an empty instrument", "", ('instruments = ["SPY"]', 'instruments = ["SPY", " "]'), [], True,
     ["line 2", "instruments: ' ' is not an instrument name"]),
    ("params not a table", 'params = "x"', ("[params]\ntargets = { SPY = 10 }\n", ""), [], True,
     ["line 3", "params: 'x' must be a table"]),
    ("data not text", "data = 5", None, [], True, ["line 3", "data: 5 must be a file path"]),
    ("primary exchange not text", "primary_exchanges = { SPY = 1 }", None, [], True,
     ["line 3", "primary_exchanges: SPY = 1 must name an exchange as text"]),
    ("top-level keys and a [strategy] table", "",
     ('strategy = "ib_helpers.TargetPositions"\n', ""), [], True,
     ["line 1", "instruments: the file also has a [strategy] table: give either"]),
    ("no strategy at all", "", ('strategy = "ib_helpers.TargetPositions"\n', ""), [], True,
     ["strategy: missing", "--strategy"]),
    ("unknown parameter in [params]", "", ("targets = {", "targetz = {"), [], False,
     ["params.targetz: unknown parameter for TargetPositions"]),
    ("unknown strategy on the command line", "", None, ["--strategy", "EfficentCore"], False,
     ["--strategy: unknown strategy 'EfficentCore'"]),
    ("a month that is not listed on the command line", "", None, ["--instruments", "SPY,ZNF25"],
     False, ["--instruments: 'ZNF25' is not a contract"]),
    ("instruments on the command line for a strategy naming its own", "",
     ("[params]\ntargets = { SPY = 10 }\n", ""), ["--strategy", "EfficientCore", "--instruments",
                                                   "SPY"], False,
     ["--instruments: EfficientCore names its own feeds"]),
]


def top_config_text(case: str, top: str, replace, port: int) -> str:
    text = TOP.format(top=top, port=port)
    if case == "top-level keys and a [strategy] table":
        text += '[strategy]\nclass = "ib_helpers.TargetPositions"\n'
    if replace is not None:
        assert replace[0] in text, case
        text = text.replace(*replace, 1)
    return text


@pytest.mark.parametrize("case, top, replace, flags, named, says", TOP_CASES,
                         ids=[c[0] for c in TOP_CASES])
def test_bad_top_level_strategy_settings_are_one_line_and_nothing_happens(
        case, top, replace, flags, named, says, idle_gateway, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ECORE_DEBUG", raising=False)
    cfg = tmp_path / "paper.toml"
    cfg.write_text(top_config_text(case, top, replace, idle_gateway.port))
    connections = len(idle_gateway.received)

    code = main(["paper", "--config", str(cfg), *flags])

    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1, lines
    for text in says:
        assert text in lines[0], lines[0]
    assert (str(cfg) in lines[0]) == named, lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["paper.toml"]  # nothing written
    assert len(idle_gateway.received) == connections  # never connected


def test_a_top_level_strategy_reads_every_key_and_names_them_as_written(tmp_path):
    cfg = tmp_path / "paper.toml"
    cfg.write_text(textwrap.dedent("""
        strategy = "treasury_trend.TreasuryTrend"
        instruments = "ZN,ZB"
        data = "yields"
        primary_exchanges = { SPY = "ARCA" }

        [params]
        lookback = 40

        [ib]
        port = 4002
    """))
    c = load_config(cfg)
    assert (c.strategy, c.instruments, c.strategy_params, c.primary_exchanges) == (
        "treasury_trend.TreasuryTrend", ("ZN", "ZB"), {"lookback": 40}, {"SPY": "ARCA"})
    assert (c.data_dir, c.base_dir) == (tmp_path / "yields", tmp_path.resolve())
    assert (c.key("class"), c.key("instruments"), c.key("params")) == (
        "strategy", "instruments", "params")


def test_the_command_line_replaces_the_strategy_and_its_errors_name_the_flags(tmp_path):
    cfg = tmp_path / "paper.toml"
    cfg.write_text('[strategy]\nclass = "EfficientCore"\nparams = { equity = "IVV" }\n')
    c = load_config(cfg, strategy="ib_helpers.TargetPositions", instruments="SPY, ZN=ZNM25")
    assert (c.strategy, c.instruments) == ("ib_helpers.TargetPositions", ("SPY", "ZN=ZNM25"))
    assert (c.key("class"), c.key("instruments"), c.key("params")) == (
        "--strategy", "--instruments", "strategy.params")
