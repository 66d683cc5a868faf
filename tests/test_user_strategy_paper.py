"""Any backtrader strategy on an IB paper account (fake gateway): positions taken through a root
feed roll on the roll day, and the paper config names the strategy as a backtest config does."""

import datetime as dt
import textwrap

import pytest

from ecore.data.calendar import treasury_calendar
from ecore.data.contracts import Contract
from ecore.data.rolls import RollRule
from ecore.engine.cli.main import main
from ecore.engine.paper.config import load_config
from ecore.brokers.ib.journal import Journal
from ecore.brokers.ib.simulator import Accept, FakeGateway, Fill, Rest
from ib_helpers import CLIENTS, live_day_now, run

ZNM25, ZNU25 = Contract.parse("ZNM25"), Contract.parse("ZNU25")
ROLL_DAY = RollRule().roll_day(ZNM25)  # 2025-05-22
DECISION_DAY = treasury_calendar().add_business_days(ROLL_DAY, -1)  # orders fill on the roll day
BARS = 4


def clock_at(day):
    return lambda tz: dt.datetime.combine(day, dt.time(17, 0), tzinfo=tz)


@pytest.fixture
def gateway():
    gw = FakeGateway()
    yield gw
    gw.stop()
    assert gw.errors == [], "the fake gateway failed to handle a message"


def script(gateway, live_day, held=0):
    """ZNM25, ZNU25 and SPY with flat daily bars ending on ``live_day``; ``held`` ZNM25 in the account."""
    cal = treasury_calendar()
    days = [cal.add_business_days(live_day, -k).strftime("%Y%m%d") for k in range(BARS - 1, -1, -1)]
    made = {}
    for c, px in ((ZNM25, 110.5), (ZNU25, 110.0)):
        made[c.code] = gateway.add_future("ZN", f"{c.year}{c.month:02d}", c.last_trading_day().strftime("%Y%m%d"),
                                          price=px, bars=[(d, px, px, px, px, 100) for d in days])
    gateway.add_stock("SPY", price=560.0, bars=[(d, 560.0, 560.0, 560.0, 560.0, 1000) for d in days])
    if held:
        gateway.set_position(made["ZNM25"], held)
    gateway.start()


def sent(gateway):
    return [(o.instrument.localSymbol, o.action, o.totalQuantity) for o in gateway.placed]


def test_the_decision_day_is_the_business_day_before_the_roll_day():
    assert (DECISION_DAY, ROLL_DAY) == (dt.date(2025, 5, 21), dt.date(2025, 5, 22))


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_root_position_of_a_plain_strategy_rolls_on_the_roll_day(gateway, lib_name, tmp_path):
    script(gateway, DECISION_DAY, held=5)
    result = run(gateway, lib_name, tmp_path, ["ZN"], {"ZN": 5}, clock=clock_at(DECISION_DAY))
    assert sent(gateway) == [("ZN   JUN 25", "SELL", 5.0), ("ZN   SEP 25", "BUY", 5.0)]
    assert result.positions == {"ZNU25": 5.0}
    # the strategy owns the roll: it is told of both legs
    assert [n for n in result.strategy.notes if n[1] == "Completed"] == [
        ("ZN", "Completed", -5.0, ""), ("ZN", "Completed", 5.0, "")]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_an_order_of_the_strategy_into_the_old_contract_rolls_with_the_position(gateway, lib_name, tmp_path):
    script(gateway, DECISION_DAY, held=5)
    result = run(gateway, lib_name, tmp_path, ["ZN"], {"ZN": 6}, clock=clock_at(DECISION_DAY))
    assert sent(gateway) == [("ZN   JUN 25", "BUY", 1.0), ("ZN   JUN 25", "SELL", 6.0),
                             ("ZN   SEP 25", "BUY", 6.0)]
    assert result.positions == {"ZNU25": 6.0}


ROLL_SCRIPTS = {
    "filled": lambda order: [Accept(), Fill()],
    "resting until the session opens": lambda order: [Rest()],
    "partly filled": lambda order: [Accept(), Fill(quantity=2)],
}


def held(gateway):
    return {gateway.instruments[c].localSymbol: q for c, q in gateway.positions.items() if q}


@pytest.mark.parametrize("how", ROLL_SCRIPTS)
@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_same_day_rerun_does_not_roll_twice(gateway, lib_name, how, tmp_path):
    gateway.order_script = ROLL_SCRIPTS[how]
    script(gateway, DECISION_DAY, held=5)
    for _ in range(2):
        run(gateway, lib_name, tmp_path, ["ZN"], {"ZN": 5}, clock=clock_at(DECISION_DAY),
            once_timeout=0.5)
    gateway.fill_open_orders()

    # one roll: two intents of purpose "roll", one per contract, each with its target position
    assert [(o.orderRef, o.action, o.totalQuantity) for o in gateway.placed] == [
        ("ecore-20250521-ZNM25-roll-1", "SELL", 5.0), ("ecore-20250521-ZNU25-roll-1", "BUY", 5.0)]
    journal = Journal(tmp_path / "journal.sqlite", read_only=True)
    assert [(e.intent.purpose, e.intent.target) for code in ("ZNM25", "ZNU25")
            for e in journal.intent_orders(DECISION_DAY, code, "roll")] == [("roll", 0.0), ("roll", 5.0)]
    journal.close()
    assert held(gateway) == {"ZN   SEP 25": 5.0}


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_rerun_while_the_roll_rests_ends_at_the_target_when_the_strategy_added_to_the_old_contract(
        gateway, lib_name, tmp_path):
    gateway.order_script = ROLL_SCRIPTS["resting until the session opens"]
    script(gateway, DECISION_DAY, held=5)
    for _ in range(2):
        again = run(gateway, lib_name, tmp_path, ["ZN"], {"ZN": 6}, clock=clock_at(DECISION_DAY),
                    once_timeout=0.5)
    gateway.fill_open_orders()

    refs = [o.orderRef for o in gateway.placed]
    assert len(refs) == len(set(refs))  # no orderRef sent twice
    assert held(gateway) == {"ZN   SEP 25": 6.0}
    assert again.summary.exit_code == 0


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_roll_whose_sell_is_refused_does_not_buy_the_next_contract(gateway, lib_name, tmp_path):
    script(gateway, DECISION_DAY, held=5)
    # 5 ZNM25 at 110.5 are $552,500 and over the limit; 5 ZNU25 at 110.0 ($550,000) are not
    result = run(gateway, lib_name, tmp_path, ["ZN"], {"ZN": 5}, clock=clock_at(DECISION_DAY),
                 limits={"max_order_notional": 551_000})

    assert gateway.placed == []
    assert len(result.broker.refused) == 1 and "ZNM25" in result.broker.refused[0]
    assert result.positions == {"ZNM25": 5.0}  # never both contracts
    assert result.summary.exit_code == 4


class FillsAsCancelsArrive(FakeGateway):
    """The session opens as the cancels arrive: each working order fills first and IB refuses
    the cancel (error 10148), as a real gateway does for an order that has just executed."""

    def _cancel(self, conn, order, text="Order Canceled - reason:"):
        if order.status not in ("PreSubmitted", "Submitted"):
            return
        self._fill(conn, order, None, None)
        if conn:
            conn.send(4, 2, order.orderId, 10148, f"OrderId {order.orderId} that needs to be "
                      "cancelled cannot be cancelled, state: Filled.", "")


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_roll_order_that_fills_as_a_rerun_cancels_it_is_not_sent_again(lib_name, tmp_path):
    gw = FillsAsCancelsArrive()
    gw.order_script = ROLL_SCRIPTS["resting until the session opens"]
    script(gw, DECISION_DAY, held=5)
    try:
        for _ in range(2):
            run(gw, lib_name, tmp_path, ["ZN"], {"ZN": 6}, clock=clock_at(DECISION_DAY),
                once_timeout=0.5)
        gw.fill_open_orders()
    finally:
        gw.stop()

    # the re-run's strategy order wanted the resting roll sell cancelled; it filled instead, so
    # the roll keeper must not sell the old contract a second time
    assert [(o.orderRef, o.action, o.totalQuantity) for o in gw.placed if o.action == "SELL"] == [
        ("ecore-20250521-ZNM25-roll-1", "SELL", 6.0)]
    assert held(gw) == {"ZN   SEP 25": 6.0}


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_dry_run_on_the_decision_day_shows_the_roll_a_real_run_would_send(
        gateway, lib_name, tmp_path):
    script(gateway, DECISION_DAY, held=5)
    result = run(gateway, lib_name, tmp_path, ["ZN"], {"ZN": 6}, clock=clock_at(DECISION_DAY),
                 dry_run=True)

    assert [(d.intent.action, d.intent.quantity, d.intent.instrument, d.intent.target)
            for d in result.broker.dry_run_orders] == [
        ("BUY", 1.0, "ZNM25", 6.0), ("SELL", 6.0, "ZNM25", 0.0), ("BUY", 6.0, "ZNU25", 6.0)]
    assert gateway.placed == []


def test_nothing_rolls_before_the_roll_window(gateway, tmp_path):
    day = treasury_calendar().add_business_days(DECISION_DAY, -1)
    script(gateway, day, held=5)
    result = run(gateway, "ib_async", tmp_path, ["ZN"], {"ZN": 5}, clock=clock_at(day))
    assert sent(gateway) == []
    assert result.positions == {"ZNM25": 5.0}


def test_a_strategy_that_rolls_itself_is_not_rolled_on_paper(gateway, tmp_path, monkeypatch):
    import ib_helpers

    class SelfRolling(ib_helpers.TargetPositions):
        rolls_itself = True

    monkeypatch.setattr(ib_helpers, "SelfRolling", SelfRolling, raising=False)
    script(gateway, DECISION_DAY, held=5)
    result = run(gateway, "ib_async", tmp_path, ["ZN"], {"ZN": 5}, clock=clock_at(DECISION_DAY),
                 strategy="ib_helpers.SelfRolling")
    assert sent(gateway) == []
    assert result.positions == {"ZNM25": 5.0}


def write_config(tmp_path, port, body):
    cfg = tmp_path / "paper.toml"
    cfg.write_text(textwrap.dedent(body) + textwrap.dedent(f"""
        [ib]
        port = {port}
        client_id = 9
        client = "ib_async"
        journal = "journal.sqlite"
        [schedule]
        history_days = {BARS}
    """))
    return cfg


def test_the_config_names_the_strategy_at_the_top_level_as_a_backtest_config_does(tmp_path):
    cfg = write_config(tmp_path, 4002, """\
        strategy = "ib_helpers.TargetPositions"
        instruments = "SPY,ZN"
        params = { targets = { ZN = 2 } }
    """)
    config = load_config(cfg)
    assert (config.strategy, config.instruments, config.strategy_params) == (
        "ib_helpers.TargetPositions", ("SPY", "ZN"), {"targets": {"ZN": 2}})


def test_a_strategy_table_and_a_top_level_strategy_together_are_refused(tmp_path):
    cfg = write_config(tmp_path, 4002, """\
        instruments = ["SPY"]
        [strategy]
        class = "ib_helpers.TargetPositions"
    """)
    with pytest.raises(ValueError, match="give either strategy ="):
        load_config(cfg)


def test_strategy_and_instruments_flags_override_the_config(gateway, tmp_path, capsys):
    script(gateway, live_day_now())  # the command line reads the wall clock: bars up to today
    cfg = write_config(tmp_path, gateway.port, """\
        strategy = "EfficientCore"
        params = { targets = { ZN = 2, SPY = 100 } }
    """)
    status = main(["paper", "--config", str(cfg), "--strategy", "ib_helpers.TargetPositions",
                   "--instruments", "SPY,ZN=ZNM25", "--dry-run"])
    out = capsys.readouterr().out
    assert status == 0
    assert "dry run: 2 order(s) computed, none sent" in out
    assert "BUY 2 ZNM25 MKT" in out and "BUY 100 SPY MKT" in out


@pytest.mark.parametrize("flags, words", [
    (["--strategy", "no_such_module.Strategy"], "strategy: cannot import module 'no_such_module'"),
    (["--strategy", "ib_helpers.TargetPositions", "--instruments", "SPY,BOND=ZNM25"],
     "instruments: 'BOND=ZNM25': only a contract's feed may be renamed"),
    (["--strategy", "EfficientCore", "--instruments", "SPY"], "instruments: EfficientCore names its own feeds"),
])
def test_bad_strategies_and_instruments_are_one_line_errors_before_connecting(tmp_path, capsys, flags, words):
    cfg = write_config(tmp_path, 1, 'strategy = "ib_helpers.TargetPositions"\ninstruments = ["SPY"]\n')
    assert main(["paper", "--config", str(cfg), *flags, "--dry-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0], err
