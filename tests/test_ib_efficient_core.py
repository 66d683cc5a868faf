"""EfficientCore on an IB paper account: the first allocation, the quarterly roll (with a
restart in the middle of it), a dry run, and orders on contracts no feed carries - against the
fake gateway, with both client libraries."""

import datetime as dt
import textwrap
import threading
from pathlib import Path

import pytest

from ecore.brokers.ib.journal import Journal
from ecore.data.calendar import treasury_calendar
from ecore.engine.cli.main import main
from ecore.data.contracts import Contract
from ecore.engine.paper.config import load_config
from ecore.engine.backtest.instruments import plan_feeds, strategy_class
from ecore.data.rolls import RollRule
from ecore.brokers.ib.simulator import Accept, FakeGateway
from ib_core_helpers import (NAV, clock_at, contracts_around, expected_ladder,
                             ib_name, script_core)
from ib_helpers import CLIENTS, run

FIRST_DAY = dt.date(2025, 3, 13)
# The June contracts' roll day is 2025-05-22 (first notice 2025-05-30, five business days
# before it, Memorial Day 05-26 not counted); the run on the business day before it decides
# the roll, which fills on the roll day.
ROLL_DAY = RollRule().roll_day(Contract.parse("ZNM25"))
ROLL_RUN_DAY = treasury_calendar().add_business_days(ROLL_DAY, -1)
IVV_SHARES = 16363  # floor(0.90 x $10,000,000 / $550)


@pytest.fixture
def core_gateway():
    gw = FakeGateway()
    yield gw
    gw.stop()
    assert gw.errors == [], "the fake gateway failed to handle a message"


def run_core(gateway, lib_name, tmp_path, day, **kw):
    """One ``--once`` run of EfficientCore (equity IVV) at 17:00 on ``day``."""
    return run(gateway, lib_name, tmp_path, (), None, strategy="EfficientCore",
               params={"equity": "IVV"}, clock=clock_at(day), **kw)


def sent(gateway) -> list[tuple[str, str, float]]:
    return sorted((o.instrument.localSymbol, o.action, o.totalQuantity) for o in gateway.placed)


def test_the_dates_of_the_june_2025_roll():
    assert (ROLL_DAY, ROLL_RUN_DAY) == (dt.date(2025, 5, 22), dt.date(2025, 5, 21))
    assert contracts_around(ROLL_RUN_DAY)["ZN"] == (Contract.parse("ZNM25"), Contract.parse("ZNU25"))


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_first_run_buys_ninety_percent_in_ivv_and_the_duration_matched_ladder(
        core_gateway, lib_name, tmp_path):
    script_core(core_gateway, FIRST_DAY)
    core_gateway.start()
    ladder = expected_ladder(FIRST_DAY)
    result = run_core(core_gateway, lib_name, tmp_path, FIRST_DAY)

    assert set(ladder.counts) == {f"{r}M25" for r in ("ZT", "ZF", "ZN", "TN", "ZB", "UB")}
    assert all(n > 0 for n in ladder.counts.values())
    assert sent(core_gateway) == sorted(
        [("IVV", "BUY", float(IVV_SHARES))]
        + [(ib_name(code), "BUY", float(n)) for code, n in ladder.counts.items()])
    assert result.positions == {"IVV": IVV_SHARES, **{c: float(n) for c, n in ladder.counts.items()}}
    assert [o.orderRef for o in core_gateway.placed if o.instrument.symbol == "IVV"] == [
        "ecore-20250313-IVV-rebalance-1"]
    # the ladder is what the strategy asked for: 60% of NAV in notional, duration on target
    assert abs(ladder.notional - 0.60 * NAV) < 0.02 * 0.60 * NAV
    assert abs(ladder.duration - ladder.target_duration) < 0.25
    strategy = result.strategy
    assert strategy.ladder.counts == ladder.counts
    assert [e["kind"] for e in strategy.record.events] == ["rebalance"]
    assert strategy.record.events[0]["detail"].startswith("initial allocation")


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_run_before_the_roll_day_closes_june_and_opens_september_once_across_a_restart(
        core_gateway, lib_name, tmp_path):
    made = script_core(core_gateway, ROLL_RUN_DAY)
    # the account as the March run left it: IVV and a June ladder
    june = {code.replace("U25", "M25"): n for code, n in expected_ladder(ROLL_RUN_DAY).counts.items()}
    core_gateway.set_position(made["IVV"], IVV_SHARES)
    for code, n in june.items():
        core_gateway.set_position(made[code], n)
    core_gateway.start()
    september = expected_ladder(ROLL_RUN_DAY).counts
    expected = sorted([(ib_name(c), "SELL", float(n)) for c, n in june.items()]
                      + [(ib_name(c), "BUY", float(n)) for c, n in september.items()])

    # first process: the orders reach IB and rest there, unfilled, when it exits
    core_gateway.order_script = lambda order: [Accept()]
    first = run_core(core_gateway, lib_name, tmp_path, ROLL_RUN_DAY, once_timeout=1.0)
    assert sent(core_gateway) == expected
    assert "quarterly rebalance on the roll" in first.strategy.record.events[-1]["detail"]

    # restarted process: asks for the same orders, sends none; IB fills the resting ones
    filler = threading.Timer(0.5, lambda: core_gateway.wait_for(
        lambda: core_gateway.connection_count == 1) and core_gateway.fill_open_orders())
    filler.start()
    second = run_core(core_gateway, lib_name, tmp_path, ROLL_RUN_DAY)
    filler.join()
    assert sent(core_gateway) == expected
    assert second.positions == {"IVV": IVV_SHARES, **{c: float(n) for c, n in september.items()}}
    journal = Journal(tmp_path / "journal.sqlite")
    assert {e.status for e in journal.entries()} == {"filled"}
    # the safety limits priced each leg at its own close: June 110.50, September 110.25
    zn_out = journal.entry("ecore-20250521-ZNM25-roll-1").intent
    zn_in = journal.entry("ecore-20250521-ZNU25-roll-1").intent
    assert zn_out.notional == june["ZNM25"] * 110.50 * 1000
    assert zn_in.notional == september["ZNU25"] * 110.25 * 1000
    journal.close()

    # a third run the same day finds the roll done and sends nothing
    third = run_core(core_gateway, lib_name, tmp_path, ROLL_RUN_DAY)
    assert len(core_gateway.placed) == len(expected)
    assert third.positions == second.positions


def write_core_config(tmp_path, port, lib_name, extra="") -> Path:
    cfg = tmp_path / "paper.toml"
    cfg.write_text(textwrap.dedent(f"""
        [ib]
        port = {port}
        client_id = 11
        client = "{lib_name}"
        journal = "journal.sqlite"
        [strategy]
        class = "EfficientCore"
        params = {{ equity = "IVV" }}
        [schedule]
        history_days = 4
    """) + textwrap.dedent(extra))
    return cfg


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_dry_run_today_on_the_stale_bundled_yields_stops_and_says_to_download(
        core_gateway, lib_name, tmp_path, capsys):
    # The command line reads the wall clock (December 2026); the bundled yields end 2026-04-17,
    # so the ladder's durations would be guesses: the run stops before connecting (issue 26).
    cal = treasury_calendar()
    from zoneinfo import ZoneInfo
    today = dt.datetime.now(ZoneInfo("America/New_York")).date()
    live_day = today if cal.is_business_day(today) else cal.add_business_days(today, -1)
    script_core(core_gateway, live_day)
    core_gateway.start()
    cfg = write_core_config(tmp_path, core_gateway.port, lib_name)

    status = main(["paper", "--config", str(cfg), "--dry-run"])

    err = capsys.readouterr().err
    assert status == 2
    assert "the yields of the bundled data set end 2026-04-17" in err
    assert "run `ecore data download" in err and len(err.strip().splitlines()) == 1
    assert core_gateway.received == [] and core_gateway.placed == []


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_an_order_on_a_root_feed_trades_a_contract_no_feed_carries(core_gateway, lib_name, tmp_path):
    script_core(core_gateway, FIRST_DAY)
    dec = core_gateway.add_future("ZN", "202512", "20251219", price=109.75)
    core_gateway.start()
    result = run(core_gateway, lib_name, tmp_path, ["ZN"], None,
                 strategy="ib_core_helpers.BuyOnRoot", clock=clock_at(FIRST_DAY))

    # the root feed carries the June contract and the September one it rolls into
    assert result.strategy.seen == (FIRST_DAY, 110.5, 202506, 110.25, 202509)
    assert sent(core_gateway) == [("ZN   DEC 25", "BUY", 2.0)]
    assert core_gateway.positions[dec.conId] == 2
    assert ("ZNZ25", "Completed", 2.0) in result.strategy.notes
    assert result.positions == {"ZNZ25": 2.0}


def test_core_config_names_the_strategy_and_its_data_folder(tmp_path):
    cfg = write_core_config(tmp_path, 4002, "ib_async")
    text = cfg.read_text().replace('params = { equity = "IVV" }',
                                   'params = { equity = "IVV" }\ndata = "~/ecore-data"')
    cfg.write_text(text)
    config = load_config(cfg)
    assert (config.strategy, config.strategy_params) == ("EfficientCore", {"equity": "IVV"})
    assert config.data_dir == Path.home() / "ecore-data"
    cfg.write_text(text.replace("~/ecore-data", "yields-here"))
    assert load_config(cfg).data_dir == tmp_path / "yields-here"


def test_core_builds_one_root_feed_per_ladder_root_and_its_equity_feed():
    plan = plan_feeds(strategy_class("EfficientCore"), (), {"equity": "IVV", "roll_offset": 6})
    assert [(f.name, f.instrument, f.root) for f in plan.feeds] == [
        ("ZT", "ZT", True), ("ZF", "ZF", True), ("ZN", "ZN", True), ("TN", "TN", True),
        ("ZB", "ZB", True), ("UB", "UB", True), ("IVV", "IVV", False)]
    assert plan.price_book_roots == ("ZT", "ZF", "ZN", "TN", "ZB", "UB")
    assert plan.roll_rule == RollRule(offset=6)


def test_core_with_instruments_is_an_error_naming_the_field():
    with pytest.raises(ValueError, match=r"strategy\.instruments: EfficientCore names its own feeds"):
        plan_feeds(strategy_class("EfficientCore"), ("IVV",), {}, key="strategy.instruments")


def test_unknown_core_parameter_is_an_error_naming_it():
    with pytest.raises(ValueError, match=r"strategy\.params\.equity_fund: unknown parameter for EfficientCore"):
        plan_feeds(strategy_class("EfficientCore"), (), {"equity_fund": "IVV"}, params_key="strategy.params")


def test_unknown_strategy_name_lists_ours(tmp_path):
    with pytest.raises(ValueError, match=r"strategy\.class: unknown strategy 'EfficentCore'; choose one of EfficientCore"):
        strategy_class("EfficentCore", "strategy.class")


def test_unknown_strategy_key_is_an_error_naming_it(tmp_path):
    cfg = write_core_config(tmp_path, 4002, "ib_async", extra="")
    cfg.write_text(cfg.read_text().replace("[strategy]", "[strategy]\nyields = 'x'"))
    with pytest.raises(ValueError, match=r"strategy\.yields: unknown key"):
        load_config(cfg)

