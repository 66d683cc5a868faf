"""Each way a real IB session went wrong (issue 12's "Why" list), against the fake gateway made to
behave as real TWS / IB Gateway do, with both client libraries: never a doubled book, never a
silent no-op."""

import datetime as dt
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ecore.brokers.ib.errors import (DataFailure, IncompletePicture, RequestFailed,
                                     UnsupportedAccount)
from ecore.brokers.ib.journal import Journal, OrderIntent
from ecore.engine.cli.main import main
from ecore.brokers.ib.simulator import (REQ_ALL_OPEN_ORDERS, REQ_CONTRACT_DETAILS, REQ_EXECUTIONS,
                                         REQ_HISTORY, REQ_OPEN_ORDERS, REQ_POSITIONS, Accept,
                                         FakeGateway, Fill, ReadOnly, Rest)
from ib_core_helpers import (IVV_PRICE, NAV, clock_at, expected_ladder, script_core)
from ib_helpers import CLIENTS, LIVE_DAY, bars_to_now, gateway, run, write_target_config, zn_gateway  # noqa: F401

TESTS = Path(__file__).resolve().parent
ECORE = "import sys; from ecore.engine.cli.main import main; sys.exit(main())"  # the console script
FIRST_DAY = dt.date(2025, 3, 13)
IVV_SHARES = 16363  # floor(0.90 x $10,000,000 / $550)


def refs(gateway) -> list[str]:
    return [o.orderRef for o in gateway.placed]


def store_pending(path: Path, ref: str, quantity: float) -> None:
    """The journal as a process killed between storing an order and sending it leaves it."""
    journal = Journal(path)
    add = getattr(journal, "add_order", None) or getattr(journal, "add_intent")
    add(OrderIntent(ref, LIVE_DAY, "ZNM25", "BUY", quantity, notional=quantity * 110_000))
    journal.close()


def write_config(tmp_path, port, lib_name, extra_ib="", extra="") -> Path:
    return write_target_config(tmp_path, port, lib_name,
                               ib='kill_file = "STOP"\nrequest_timeout = 1\ntimeout = 2\n' + textwrap.dedent(extra_ib) + "\n",
                               schedule="once_timeout = 2\n", extra=extra)


@pytest.fixture
def core():
    gw = FakeGateway()
    yield gw
    gw.stop()
    assert gw.errors == []


def run_core(gateway, lib_name, tmp_path, day=FIRST_DAY, **kw):
    return run(gateway, lib_name, tmp_path, (), None, strategy="EfficientCore",
               params={"equity": "IVV"}, clock=clock_at(day), **kw)


def hold_full_book(gateway, made, day=FIRST_DAY):
    gateway.set_position(made["IVV"], IVV_SHARES)
    for code, n in expected_ladder(day).counts.items():
        gateway.set_position(made[code], n)


# 1. reqPositions unanswered at connect ---------------------------------------------------------

@pytest.mark.parametrize("lib_name", CLIENTS)
def test_unanswered_positions_stop_the_run_instead_of_rebuying_the_whole_book(
        core, lib_name, tmp_path):
    made = script_core(core, FIRST_DAY)
    hold_full_book(core, made)
    core.unanswered = {REQ_POSITIONS}
    core.start()
    with pytest.raises(IncompletePicture, match=r"positions \(reqPositions\).*nothing was sent"):
        run_core(core, lib_name, tmp_path)
    assert core.placed == []


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_incomplete_picture_is_one_line_and_exit_2_naming_what_was_missing(
        gateway, lib_name, tmp_path, capsys):
    bars_to_now(gateway)
    gateway.unanswered = {REQ_EXECUTIONS}
    status = main(["paper", "--config", str(write_config(tmp_path, gateway.port, lib_name)),
                   "--once"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1 and "executions (reqExecutions)" in err[0]
    assert gateway.placed == []


# 2. open orders unanswered at connect ------------------------------------------------------------

@pytest.mark.parametrize("lib_name", CLIENTS)
def test_unanswered_open_orders_never_send_an_order_ref_a_second_time(gateway, lib_name, tmp_path):
    # an earlier process stored its order and IB got it; the process died before noting so
    ref = OrderIntent.ref_for(LIVE_DAY, "ZNM25", "target", 1)
    store_pending(tmp_path / "journal.sqlite", ref, 3)
    gateway.add_working_order(gateway.znm, "BUY", 3, ref, client_id=7)
    gateway.unanswered = {REQ_OPEN_ORDERS, REQ_ALL_OPEN_ORDERS}
    with pytest.raises(IncompletePicture, match="open orders"):
        run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})
    assert refs(gateway) == [ref]


# 3. a same-day re-run with the first order resting, or partly filled ----------------------------

@pytest.mark.parametrize("lib_name", CLIENTS)
def test_same_day_rerun_while_the_ivv_order_rests_until_the_open_sends_no_second_allocation(
        core, lib_name, tmp_path):
    script_core(core, FIRST_DAY)
    core.order_script = lambda order: [Rest()] if order.instrument.symbol == "IVV" else \
        [Accept(), Fill()]
    core.start()
    run_core(core, lib_name, tmp_path, once_timeout=1.0)
    first = list(refs(core))
    # the evening: futures filled, prices and NAV moved a little, IVV still waiting for the open
    core.account_values.update(NetLiquidation=NAV - 10_000, TotalCashValue=NAV - 10_000)
    second = run_core(core, lib_name, tmp_path, once_timeout=1.0)

    assert refs(core) == first  # no second order
    # the resting order is brought down to today's target: 90% of the lower NAV at $550
    ivv = [o for o in core.placed if o.instrument.symbol == "IVV"]
    assert [(o.totalQuantity, o.status) for o in ivv] == [(16347, "PreSubmitted")]
    assert core.modified == ivv
    assert second.summary.exit_code == 0


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_rerun_on_a_partly_filled_order_sends_nothing_on_top(gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [Accept(), Fill(quantity=80)]
    run(gateway, lib_name, tmp_path, ["SPY"], {"SPY": 200}, once_timeout=0.5)
    run(gateway, lib_name, tmp_path, ["SPY"], {"SPY": 200}, once_timeout=0.5)
    gateway.fill_open_orders()

    assert [(o.totalQuantity, o.filled) for o in gateway.placed] == [(200.0, 200.0)]
    assert gateway.positions[gateway.spy.conId] == 200


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_lower_target_the_same_day_brings_the_resting_order_down_to_it(
        gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [Rest()]
    run(gateway, lib_name, tmp_path, ["SPY"], {"SPY": 300}, once_timeout=0.5)
    again = run(gateway, lib_name, tmp_path, ["SPY"], {"SPY": 100}, once_timeout=0.5)
    gateway.fill_open_orders()

    assert [(o.totalQuantity, o.filled) for o in gateway.placed] == [(100.0, 100.0)]
    assert gateway.modified == gateway.placed
    assert gateway.positions[gateway.spy.conId] == 100
    assert again.summary.exit_code == 0


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_target_below_what_already_filled_cancels_the_rest_and_sells_the_difference_next(
        gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [Accept(), Fill(quantity=80)]
    run(gateway, lib_name, tmp_path, ["SPY"], {"SPY": 300}, once_timeout=0.5)
    second = run(gateway, lib_name, tmp_path, ["SPY"], {"SPY": 50}, once_timeout=0.5)
    gateway.order_script = lambda order: [Accept(), Fill()]
    third = run(gateway, lib_name, tmp_path, ["SPY"], {"SPY": 50}, once_timeout=0.5)

    assert [(o.action, o.totalQuantity, o.filled, o.status) for o in gateway.placed] == [
        ("BUY", 300.0, 80.0, "Cancelled"), ("SELL", 30.0, 30.0, "Filled")]
    assert gateway.positions[gateway.spy.conId] == 50
    assert (second.summary.exit_code, third.summary.exit_code) == (4, 0)


# 4. history refused or unanswered ---------------------------------------------------------------

@pytest.mark.parametrize("lib_name", CLIENTS)
def test_history_refused_with_162_stops_the_run_naming_ibs_code_and_text(
        gateway, lib_name, tmp_path, capsys):
    bars_to_now(gateway)
    gateway.request_errors[REQ_HISTORY] = (
        162, "Historical Market Data Service error message:No market data permissions for "
        "NYSE STK")
    status = main(["paper", "--config", str(write_config(tmp_path, gateway.port, lib_name)),
                   "--once"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1
    assert "SPY: daily bars refused: IB error 162: Historical Market Data Service error " \
        "message:No market data permissions for NYSE STK" in err[0]
    assert gateway.placed == []


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_history_unanswered_stops_the_run(gateway, lib_name, tmp_path):
    gateway.unanswered = {REQ_HISTORY}
    with pytest.raises(DataFailure, match=r"ZNM25: IB did not answer the daily-bar request "
                       r"within 1 s"):
        # asked once more after the back-off (issue 26), then the run stops
        run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, history_retries=1,
            history_backoff=0.05)
    assert gateway.placed == []
    assert len([m for m in gateway.received if m[0] == "20"]) == 2


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_stale_history_stops_the_run(gateway, lib_name, tmp_path):
    # a run on Friday evening whose newest bar is Thursday's
    with pytest.raises(DataFailure, match=r"newest daily bar is 2025-03-13, older than the last "
                       r"completed session 2025-03-14"):
        run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3},
            clock=clock_at(dt.date(2025, 3, 14)))
    assert gateway.placed == []


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_long_running_mode_retries_a_refused_daily_check_instead_of_skipping_the_day(
        gateway, lib_name, tmp_path):
    import threading

    from test_ib_orders import StepClock

    friday = ("20250314", 111.0, 111.5, 110.5, 111.0, 1000)
    clock = StepClock(after=20)
    hist_requests = lambda: len([m for m in gateway.received if m[0] == "20"])  # noqa: E731

    def refuse_then_publish():
        gateway.wait_for(lambda: hist_requests() >= 1)  # start-up history answered
        gateway.request_errors[REQ_HISTORY] = (10197, "No market data during competing live "
                                               "session")
        gateway.wait_for(lambda: hist_requests() >= 3)  # the check failed and was retried
        gateway.znm.bars.append(friday)
        asked = hist_requests()
        del gateway.request_errors[REQ_HISTORY]
        gateway.wait_for(lambda: hist_requests() > asked, timeout=10)  # answered this time
        time.sleep(0.5)
        (tmp_path / "STOP").touch()

    helper = threading.Thread(target=refuse_then_publish)
    helper.start()
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, once=False, clock=clock,
                 retry_minutes=0.3 / 60)
    helper.join()

    assert result.strategy.live_bars == 2  # Thursday's bar, then Friday's after the retries
    assert hist_requests() >= 4
    assert refs(gateway) == ["ecore-20250313-ZNM25-target-1"]


# 5. Read-Only API ------------------------------------------------------------------------------

@pytest.mark.parametrize("lib_name", CLIENTS)
def test_read_only_api_is_a_rejection_with_ibs_text(gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [ReadOnly()]
    start = time.monotonic()
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    [rejected] = [n for n in result.strategy.notes if n[1] == "Rejected"]
    assert "IB error 321" in rejected[3] and "Read-Only mode" in rejected[3]
    assert time.monotonic() - start < 8  # not the once_timeout (10 s)
    entry = Journal(tmp_path / "journal.sqlite").entry("ecore-20250313-ZNM25-target-1")
    assert entry.status == "rejected" and "untick Read-Only API" in entry.reason
    assert result.summary.exit_code == 4


# 6. positions ecore does not trade ---------------------------------------------------------------

@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_future_outside_our_table_is_left_alone(gateway, lib_name, tmp_path):
    es = gateway.add_future("ES", "202506", "20250620", multiplier="50", exchange="CME")
    gateway.set_position(es, 2)
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    assert [(o.instrument.symbol, o.totalQuantity) for o in gateway.placed] == [("ZN", 3.0)]
    assert result.positions == {"ZNM25": 3.0}
    assert gateway.positions[es.conId] == 2


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_an_option_on_spy_does_not_count_as_spy_shares(gateway, lib_name, tmp_path):
    gateway.set_position(gateway.add_option("SPY", "20250620", 560.0, "P"), -1)
    gateway.set_position(gateway.add_forex("EUR"), 12_000)
    gateway.set_position(gateway.add_stock("SAP", primary="IBIS", currency="EUR"), 10)
    result = run(gateway, lib_name, tmp_path, ["SPY"], {"SPY": 100})

    assert [(o.instrument.secType, o.action, o.totalQuantity) for o in gateway.placed] == [
        ("STK", "BUY", 100.0)]
    assert result.positions == {"SPY": 100.0}


# 7. a non-USD base currency ----------------------------------------------------------------------

@pytest.mark.parametrize("lib_name", CLIENTS)
def test_account_values_of_a_euro_account_are_converted_with_ibs_rate(gateway, lib_name, tmp_path):
    gateway.base_currency = "EUR"
    gateway.exchange_rates = {"USD": 0.8}  # 0.8 EUR per dollar
    gateway.account_values.update(NetLiquidation=2_000_000.0, TotalCashValue=1_600_000.0)
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    assert (result.account.net_liquidation, result.account.cash) == (2_500_000.0, 2_000_000.0)
    assert (result.account.base_currency, result.account.usd_rate) == ("EUR", 0.8)
    assert result.positions == {"ZNM25": 3.0}


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_efficient_core_sizes_a_euro_account_in_dollars(core, lib_name, tmp_path):
    script_core(core, FIRST_DAY)
    core.base_currency = "EUR"
    core.exchange_rates = {"USD": 0.8}
    core.account_values.update(NetLiquidation=0.8 * NAV, TotalCashValue=0.8 * NAV)
    core.start()
    run_core(core, lib_name, tmp_path)
    [ivv] = [o for o in core.placed if o.instrument.symbol == "IVV"]
    assert ivv.totalQuantity == IVV_SHARES  # 90% of $10M at $550


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_base_currency_without_a_usd_rate_is_refused_by_name(gateway, lib_name, tmp_path):
    gateway.base_currency = "CHF"
    gateway.exchange_rates = {}
    with pytest.raises(UnsupportedAccount, match="base currency CHF and IB sent no USD exchange rate"):
        run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})
    assert gateway.placed == []


# 8. what the journal keeps ---------------------------------------------------------------------

class GatewayClock:
    """The gateway's clock, set by the test."""

    def __init__(self, at: dt.datetime):
        self.at = at

    def __call__(self):
        return self.at


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_fills_made_after_a_once_run_exits_are_recovered_by_the_next_run(
        gateway, lib_name, tmp_path):
    from ecore.brokers.ib.simulator import GATEWAY_TZ

    clock = GatewayClock(dt.datetime(2025, 3, 13, 17, 0, tzinfo=GATEWAY_TZ))
    gateway.clock = clock
    gateway.order_script = lambda order: [Rest()] if order.instrument.symbol == "SPY" else [Accept()]
    run(gateway, lib_name, tmp_path, ["SPY", "ZNM25"], {"SPY": 200, "ZNM25": 3},
        once_timeout=0.5)
    # futures fill on the evening session, SPY at the next open
    clock.at = dt.datetime(2025, 3, 13, 18, 5, tzinfo=GATEWAY_TZ)
    gateway.fill_open_orders(where=lambda o: o.instrument.secType == "FUT")
    clock.at = dt.datetime(2025, 3, 14, 9, 30, tzinfo=GATEWAY_TZ)
    gateway.fill_open_orders(where=lambda o: o.instrument.symbol == "SPY")
    # the next day's run: IB Gateway reports only executions since its midnight
    clock.at = dt.datetime(2025, 3, 14, 17, 0, tzinfo=GATEWAY_TZ)
    for inst in (gateway.spy, gateway.znm):
        inst.bars.append(("20250314", *inst.bars[-1][1:]))
    run(gateway, lib_name, tmp_path, ["SPY", "ZNM25"], {"SPY": 200, "ZNM25": 3},
        clock=clock_at(dt.date(2025, 3, 14)))

    journal = Journal(tmp_path / "journal.sqlite")
    spy, zn = "ecore-20250313-SPY-target-1", "ecore-20250313-ZNM25-target-1"
    assert (journal.entry(spy).status, journal.entry(zn).status) == ("filled", "filled")
    assert [(e.shares, e.source) for e in journal.executions(spy)] == [(200.0, "ib")]
    assert [(e.shares, e.source) for e in journal.executions(zn)] == [(3.0, "inferred")]
    assert len(gateway.placed) == 2


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_commission_reported_seconds_after_its_fill_is_recorded(gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [Accept(), Fill(commission_delay=1.5)]
    run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})
    time.sleep(1.6)
    run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    [ex] = Journal(tmp_path / "journal.sqlite").executions("ecore-20250313-ZNM25-target-1")
    assert (ex.shares, ex.commission) == (3.0, 6.75)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_an_execution_correction_replaces_the_execution_it_corrects(gateway, lib_name, tmp_path):
    import threading

    gateway.order_script = lambda order: [Accept(), Fill()]

    def correct():
        gateway.wait_for(lambda: gateway.executions)
        gateway.correct(gateway.executions[0], price=110.25)

    threading.Thread(target=correct).start()
    run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})
    run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})  # IB replays both

    rows = Journal(tmp_path / "journal.sqlite").executions("ecore-20250313-ZNM25-target-1")
    assert [(r.exec_id[-5:], r.shares, r.price) for r in rows] == [("01.02", 3.0, 110.25)]


# 9. time-outs and the client id ----------------------------------------------------------------

@pytest.mark.parametrize("lib_name", CLIENTS)
def test_an_unanswered_request_times_out_instead_of_hanging(gateway, lib_name, tmp_path):
    bars_to_now(gateway)
    gateway.unanswered = {REQ_CONTRACT_DETAILS}
    cfg = write_config(tmp_path, gateway.port, lib_name)
    env = dict(os.environ, PYTHONPATH=f"{TESTS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    try:
        done = subprocess.run([sys.executable, "-c", ECORE, "paper", "--config", str(cfg),
                               "--once"], env=env, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("ecore paper hung on an unanswered contract-details request")
    assert done.returncode == 2
    assert "IB did not answer the contract details of SPY within 1 s" in done.stderr
    assert gateway.placed == []


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_client_id_in_use_is_named_not_reported_as_an_unreachable_gateway(
        gateway, lib_name, tmp_path, capsys):
    gateway.client_ids_in_use = {9}
    status = main(["paper", "--config", str(write_config(tmp_path, gateway.port, lib_name)),
                   "--once"])
    err = capsys.readouterr().err
    assert status == 2
    assert "client id 9 is already in use" in err and "IB error 326" in err
    assert "cannot reach" not in err


# 10. a dry run writes nothing ------------------------------------------------------------------

@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_dry_run_leaves_the_journal_as_it_was(gateway, lib_name, tmp_path, capsys):
    bars_to_now(gateway)
    journal = tmp_path / "journal.sqlite"
    store_pending(journal, OrderIntent.ref_for(LIVE_DAY, "ZNM25", "target", 1), 3)
    before = journal.read_bytes()
    status = main(["paper", "--config", str(write_config(tmp_path, gateway.port, lib_name)),
                   "--dry-run"])
    assert status == 0
    assert journal.read_bytes() == before
    assert gateway.placed == []
