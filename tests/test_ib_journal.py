"""The SQLite order journal and the safety limits."""

import datetime as dt
import signal

import pytest

from ecore.brokers.ib.feed import next_run
from ecore.brokers.ib.journal import ExecutionReport, Journal, OrderIntent, parse_ref
from ecore.brokers.ib.safety import KillSwitch, LimitBreach, SafetyLimits

DAY = dt.date(2025, 3, 13)


def intent(ref="r1", qty=3, notional=330_000.0, day=DAY):
    return OrderIntent(ref, day, "ZNM25", "BUY", qty, notional=notional, target=qty)


def test_an_intents_orders_are_numbered_so_no_order_ref_repeats(tmp_path):
    assert OrderIntent.ref_for(DAY, "ZNM25", "rebalance", 1) == "ecore-20250313-ZNM25-rebalance-1"
    j = Journal(tmp_path / "j.sqlite")
    first = j.next_ref(DAY, "ZNM25", "roll")
    j.add_order(OrderIntent(first, DAY, "ZNM25", "BUY", 3, purpose="roll", target=3))
    assert (first, j.next_ref(DAY, "ZNM25", "roll")) == (
        "ecore-20250313-ZNM25-roll-1", "ecore-20250313-ZNM25-roll-2")
    assert parse_ref("ecore-20250313-ZNH25/ZNM25-roll-2") == (DAY, "ZNH25/ZNM25", "roll", 2)
    assert parse_ref("manual order") is None


def test_order_is_stored_once(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    assert j.add_order(intent())
    assert not j.add_order(intent())
    assert j.entry("r1").status == "pending"


def test_order_survives_reopening_the_journal(tmp_path):
    Journal(tmp_path / "j.sqlite").add_order(intent())
    entry = Journal(tmp_path / "j.sqlite").entry("r1")
    assert (entry.intent, entry.status) == (intent(), "pending")


def test_execution_reported_twice_is_recorded_once(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    j.add_order(intent())
    ex = ExecutionReport("0000e1a7.00000002.01.01", "r1", "ZNM25", "BOT", 2.0, 110.0, "t", 4.5)
    assert j.record_fill(ex) == "new"
    assert j.record_fill(ex) == "duplicate"
    assert j.filled("r1") == 2.0


def test_a_correction_replaces_the_execution_it_corrects(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    j.add_order(intent())
    j.record_fill(ExecutionReport("0000e1a7.00000002.01.01", "r1", "ZNM25", "BOT", 3.0, 110.0, "t", 6.75))
    fixed = ExecutionReport("0000e1a7.00000002.01.02", "r1", "ZNM25", "BOT", 2.0, 110.5, "t", None)
    assert j.record_fill(fixed) == "corrected"
    [row] = j.executions("r1")
    assert (row.exec_id, row.shares, row.price, row.commission) == (
        "0000e1a7.00000002.01.02", 2.0, 110.5, 6.75)


def test_a_late_commission_is_filled_in(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    j.add_order(intent())
    j.record_fill(ExecutionReport("0000e1a7.00000002.01.01", "r1", "ZNM25", "BOT", 3.0, 110.0, "t"))
    late = ExecutionReport("0000e1a7.00000002.01.01", "r1", "ZNM25", "BOT", 3.0, 110.0, "t", 6.75)
    assert j.record_fill(late) == "commission"
    assert [e.commission for e in j.executions("r1")] == [6.75]


def test_read_only_journal_writes_nothing(tmp_path):
    path = tmp_path / "j.sqlite"
    Journal(path).add_order(intent())
    before = path.read_bytes()
    ro = Journal(path, read_only=True)
    ro.mark("r1", "lost")
    assert not ro.add_order(intent("r2"))
    ro.close()
    assert path.read_bytes() == before
    assert Journal(path).entry("r1").status == "pending"
    assert not Journal(tmp_path / "none.sqlite", read_only=True).entries()
    assert not (tmp_path / "none.sqlite").exists()


def test_a_margin_call_is_kept_once_a_day_and_survives_reopening(tmp_path):
    import sqlite3

    from ecore.brokers.margin_calls import MarginCall

    path = tmp_path / "j.sqlite"
    j = Journal(path)
    day, due = dt.date(2024, 2, 13), dt.date(2024, 2, 14)
    j.record_margin_call(MarginCall(day, 100.0, due, 900.0, 950.0, 1000.0))
    # a re-run of the day finds the call again, on other figures: the day keeps the newer
    j.record_margin_call(MarginCall(day, 150.0, due, 850.0, 950.0, 1000.0))
    j.close()
    again = Journal(path, read_only=True)
    [call] = again.margin_calls()
    assert (call.issued, call.amount, call.deadline, call.equity) == (day, 150.0, due, 850.0)
    again.close()
    # a journal written before calls were kept reads as having none
    old = tmp_path / "old.sqlite"
    Journal(old).close()
    with sqlite3.connect(old) as db:
        db.execute("DROP TABLE margin_calls")
    assert Journal(old, read_only=True).margin_calls() == []


def test_unknown_status_is_an_error_naming_the_field(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    j.add_order(intent())
    with pytest.raises(ValueError, match="status: 'done'"):
        j.mark("r1", "done")


def test_marking_an_unknown_order_is_an_error(tmp_path):
    with pytest.raises(KeyError, match="order_ref: 'nope'"):
        Journal(tmp_path / "j.sqlite").mark("nope", "sent")


@pytest.mark.parametrize("field, kwargs", [
    ("action", dict(action="HOLD")),
    ("quantity", dict(quantity=0)),
    ("order_type", dict(order_type="FOK")),
    ("limit_price", dict(order_type="LMT")),
    ("order_ref", dict(order_ref="")),
])
def test_bad_intent_is_an_error_naming_the_field(field, kwargs):
    args = dict(order_ref="r", day=DAY, instrument="ZNM25", action="BUY", quantity=1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=f"^{field}:"):
        OrderIntent(**args)


def test_order_size_limit_refuses_a_larger_order(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    with pytest.raises(LimitBreach, match="quantity 3 exceeds max_order_quantity 2"):
        SafetyLimits(max_order_quantity=2).check(intent(), j)


def test_order_notional_limit_refuses_a_larger_order(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    with pytest.raises(LimitBreach, match="exceeds max_order_notional"):
        SafetyLimits(max_order_notional=100_000).check(intent(), j)


def test_daily_limits_count_the_days_journalled_orders_only(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    j.add_order(intent("a", qty=8))
    j.add_order(intent("old", qty=50, day=DAY - dt.timedelta(days=1)))
    limits = SafetyLimits(max_daily_quantity=10)
    limits.check(intent("b", qty=2), j)
    with pytest.raises(LimitBreach, match="day's quantity 11 would exceed max_daily_quantity 10"):
        limits.check(intent("c", qty=3), j)


def test_refused_and_lost_intents_do_not_use_the_days_budget(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    j.add_order(intent("a", qty=8))
    j.mark("a", "refused")
    SafetyLimits(max_daily_quantity=10).check(intent("b", qty=9), j)


def test_limit_that_is_not_positive_is_an_error_naming_it():
    with pytest.raises(ValueError, match="max_daily_notional: -1"):
        SafetyLimits(max_daily_notional=-1)


def test_kill_switch_trips_when_its_file_appears(tmp_path):
    kill = KillSwitch(tmp_path / "STOP", signum=None)
    assert not kill.tripped
    (tmp_path / "STOP").touch()
    assert kill.tripped


def test_kill_switch_trips_on_its_signal(tmp_path):
    kill = KillSwitch(None, signum=signal.SIGUSR1)
    previous = signal.getsignal(signal.SIGUSR1)
    kill.install()
    try:
        signal.raise_signal(signal.SIGUSR1)
        assert kill.tripped
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_daily_schedule_runs_next_at_the_set_time_skipping_weekends():
    tz = dt.timezone.utc
    friday_evening = dt.datetime(2025, 3, 14, 18, 0, tzinfo=tz)
    assert next_run(friday_evening, dt.time(17, 0)) == dt.datetime(2025, 3, 17, 17, 0, tzinfo=tz)
    thursday_noon = dt.datetime(2025, 3, 13, 12, 0, tzinfo=tz)
    assert next_run(thursday_noon, dt.time(17, 0)) == dt.datetime(2025, 3, 13, 17, 0, tzinfo=tz)
