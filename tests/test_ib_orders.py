"""Rolls, partial fills, rejections, warnings, limits and the kill switch against the fake
gateway, with either client library."""

import threading
import time

import pytest

from ecore.brokers.ib.journal import Journal
from ecore.engine.paper.run import KillSwitchStop
from ecore.brokers.ib.simulator import Accept, Fill, Reject, Warn
from ib_helpers import CLIENTS, gateway, run  # noqa: F401  (gateway is a fixture)

REF = "ecore-20250313-ZNM25-target-1"


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_roll_closes_the_expiring_contract_and_opens_the_next(gateway, lib_name, tmp_path):
    gateway.set_position(gateway.znh, 3)
    result = run(gateway, lib_name, tmp_path, ["ZNH25", "ZNM25"], {"ZNH25": 0, "ZNM25": 3})

    sent = [(o.instrument.localSymbol, o.action, o.totalQuantity) for o in gateway.placed]
    assert sorted(sent) == [("ZN   JUN 25", "BUY", 3.0), ("ZN   MAR 25", "SELL", 3.0)]
    assert result.positions == {"ZNM25": 3.0}


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_partial_fill_is_notified_then_the_rest_completes_the_order(gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [Accept(), Fill(quantity=1), Fill()]
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    fills = [(n[1], n[2]) for n in result.strategy.notes if n[1] in ("Partial", "Completed")]
    assert fills == [("Partial", 1.0), ("Completed", 3.0)]
    assert len(Journal(tmp_path / "journal.sqlite").executions(REF)) == 2
    assert result.positions == {"ZNM25": 3.0}


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_rejection_reaches_notify_order_with_ibs_reason(gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [Reject(201)]
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    rejected = [n for n in result.strategy.notes if n[1] == "Rejected"]
    assert len(rejected) == 1
    assert "IB error 201" in rejected[0][3]
    assert "MUST EXCEED THE INITIAL MARGIN" in rejected[0][3]
    assert Journal(tmp_path / "journal.sqlite").entry(REF).status == "rejected"


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_rejected_intent_is_not_sent_again_when_the_strategy_asks_again(
        gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [Reject(201)]
    run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})
    second = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    assert len(gateway.placed) == 1
    [rejected] = [n for n in second.strategy.notes if n[1] == "Rejected"]
    assert "already rejected today, not retried" in rejected[3]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_warnings_on_connect_and_on_the_order_do_not_stop_anything(gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [Accept(), Warn(399), Fill()]
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    codes = sorted({w[1] for w in result.session.warnings})
    assert codes == [399, 2104, 2106, 2158]
    assert [n[1] for n in result.strategy.notes] == ["Submitted", "Accepted", "Completed"]
    assert result.positions == {"ZNM25": 3.0}


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_order_over_the_size_limit_is_refused_and_not_sent(gateway, lib_name, tmp_path):
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3},
                 limits={"max_order_quantity": 2})

    assert gateway.placed == []
    [rejected] = [n for n in result.strategy.notes if n[1] == "Rejected"]
    assert "exceeds max_order_quantity 2" in rejected[3]
    assert Journal(tmp_path / "journal.sqlite").entry(REF).status == "refused"


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_daily_notional_limit_counts_earlier_orders_of_the_day(gateway, lib_name, tmp_path):
    # 2 ZN at 110 = $220,000 each order; the second order of the day would pass $300,000
    result = run(gateway, lib_name, tmp_path, ["SPY", "ZNM25"], {"ZNM25": 2, "SPY": 400},
                 limits={"max_daily_notional": 300_000})

    assert [o.instrument.symbol for o in gateway.placed] == ["SPY"]
    assert any("would exceed max_daily_notional" in r for r in result.broker.refused)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_kill_file_cancels_open_orders_and_stops(gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [Accept()]
    timer = threading.Thread(target=lambda: gateway.wait_for(lambda: gateway.placed)
                             and (tmp_path / "STOP").touch())
    timer.start()
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})
    timer.join()

    assert result.broker.stopped
    assert [o.status for o in gateway.placed] == ["Cancelled"]
    assert not any(m[0] == "58" for m in gateway.received)  # never IB's global cancel
    assert result.broker.killed == 1
    assert Journal(tmp_path / "journal.sqlite").entry(REF).status == "cancelled"
    assert ("ZNM25", "Canceled", 0.0, "cancelled at IB (Cancelled)") in result.strategy.notes


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_roll_as_one_calendar_spread_order_moves_the_position(gateway, lib_name, tmp_path):
    gateway.set_position(gateway.znh, 3)
    result = run(gateway, lib_name, tmp_path, ["ZNH25", "ZNM25"], None,
                 strategy="ib_helpers.RollSpread", params={"limit": -0.5})

    [order] = gateway.placed
    assert (order.instrument.secType, order.action, order.totalQuantity, order.orderType) == (
        "BAG", "BUY", 3.0, "LMT")
    assert order.legs == [(gateway.znh.conId, 1, "SELL"), (gateway.znm.conId, 1, "BUY")]
    assert order.orderRef == "ecore-20250313-ZNH25/ZNM25-target-1"
    assert ("ZNM25", "Completed", 3.0, "") in result.strategy.notes
    assert result.positions == {"ZNM25": 3.0}


def test_spread_of_two_roots_is_rejected_naming_the_field(gateway, tmp_path):
    result = run(gateway, "ib_async", tmp_path, ["ZNH25", "ZNM25"], None,
                 strategy="ib_helpers.RollSpread", params={"spread": ("ZNH25", "ZBM25")})

    assert gateway.placed == []
    [rejected] = [n for n in result.strategy.notes if n[1] == "Rejected"]
    assert rejected[3].startswith("spread: ")


class StepClock:
    """Wall clock for the daily schedule: Thursday 17:30 (after the close: a session's bar
    counts only once it closed), then a day later after ``after`` calls."""

    def __init__(self, after: int):
        self.calls, self.after = 0, after

    def __call__(self, tz):
        import datetime as dt
        from zoneinfo import ZoneInfo
        self.calls += 1
        day = 13 if self.calls <= self.after else 14
        return dt.datetime(2025, 3, day, 17, 30, tzinfo=ZoneInfo("America/New_York")).astimezone(tz)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_long_running_mode_trades_the_new_daily_bar_at_the_scheduled_time(
        gateway, lib_name, tmp_path):
    # the replayed history ends on Thursday 2025-03-13; Friday's bar appears while running
    new_bar = ("20250314", 111.0, 111.5, 110.5, 111.0, 1000)
    clock = StepClock(after=20)

    def publish_friday():  # once the start-up history request has been answered
        gateway.wait_for(lambda: any(m[0] == "20" for m in gateway.received))
        time.sleep(0.1)
        gateway.znm.bars.append(new_bar)

    threading.Thread(target=publish_friday).start()
    stopper = threading.Timer(2.5, (tmp_path / "STOP").touch)
    stopper.start()
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, once=False, clock=clock)
    stopper.join()

    assert result.strategy.live_bars == 2  # Thursday's replayed bar, then Friday's new one
    assert len([m for m in gateway.received if m[0] == "20"]) == 2  # history, then the check
    assert [o.orderRef for o in gateway.placed] == ["ecore-20250313-ZNM25-target-1"]
    assert result.positions == {"ZNM25": 3.0}


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_feed_named_for_its_root_trades_its_contract_against_the_roots_net_position(
        gateway, lib_name, tmp_path):
    gateway.set_position(gateway.znh, 2)
    result = run(gateway, lib_name, tmp_path, ["ZN=ZNM25"], {"ZN": 3})

    assert [(o.instrument.localSymbol, o.action, o.totalQuantity) for o in gateway.placed] == [
        ("ZN   JUN 25", "BUY", 1.0)]
    assert result.positions == {"ZNH25": 2.0, "ZNM25": 1.0}


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_run_started_with_the_kill_file_present_stops_before_connecting(
        gateway, lib_name, tmp_path):
    (tmp_path / "STOP").touch()
    with pytest.raises(KillSwitchStop, match="kill file .*STOP exists"):
        run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    assert gateway.placed == [] and gateway.received == []
    assert not (tmp_path / "journal.sqlite").exists()
