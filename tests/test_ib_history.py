"""Issue 26, items 2 and 3: decisions on closed sessions and on IB's prices only.

Real IB sends, during a session, today's daily bar so far (its close is the last trade); it
throttles history requests (error 162 "Historical data request pacing violation": no identical
request within 15 s, at most 60 in ten minutes, per IB's historical-data limitations) or leaves
them unanswered (ib_insync#687); and it refuses contracts the account has no permission for
(162).  The fake plays each; both client libraries."""

import datetime as dt
from pathlib import Path

import pytest

from ecore.brokers.ib.errors import DataFailure
from ecore.brokers.ib.simulator import GATEWAY_TZ, NO_PERMISSION_TEXT, PACING_TEXT
import ib_helpers
from ib_helpers import CLIENTS, LIVE_DAY, bars, bundled_prices, clock_at, gateway  # noqa: F401

README = Path(__file__).resolve().parent.parent / "README.md"
BEFORE_CLOSE = dt.time(11, 0)  # New York, a lunchtime run on the live day


def run(gateway, *args, **kw):
    """``ib_helpers.run`` as a paper run is by default: its history seeded from the bundled
    data, so IB's bars are the bundled data's closes on their days."""
    bundled_prices(gateway)
    return ib_helpers.run(gateway, *args, seed_history=True, **kw)


def at(day, time):
    return lambda: dt.datetime.combine(day, time, tzinfo=GATEWAY_TZ)


@pytest.mark.parametrize("lib_name", CLIENTS)
@pytest.mark.parametrize("timezone", ["America/New_York", "Asia/Tokyo"])
def test_a_run_before_the_close_decides_on_the_last_closed_session_and_says_so(
        gateway, lib_name, tmp_path, timezone):
    for inst in (gateway.znm, gateway.spy):
        inst.bars = inst.bars[:-1]  # IB's closed sessions end on 2025-03-12
    gateway.znm.price = 111.0  # the morning's last trade
    gateway.unfinished_bars = True
    gateway.clock = at(LIVE_DAY, BEFORE_CLOSE)
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3},
                 clock=clock_at(LIVE_DAY, BEFORE_CLOSE), timezone=timezone)

    assert [o.orderRef for o in gateway.placed] == ["ecore-20250312-ZNM25-target-1"]
    [note] = result.summary.notices
    assert "ZNM25: the 2025-03-13 session has not closed" in note
    assert "decided on 2025-03-12's closed session" in note
    assert "note: ZNM25: the 2025-03-13 session has not closed" in result.summary.text()


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_after_the_close_todays_bar_is_the_decision(gateway, lib_name, tmp_path):
    gateway.unfinished_bars = True
    gateway.clock = at(LIVE_DAY, dt.time(17, 0))
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    assert [o.orderRef for o in gateway.placed] == ["ecore-20250313-ZNM25-target-1"]
    assert result.summary.notices == ()


def test_the_readmes_cron_line_states_its_time_zone():
    text = README.read_text()
    crons = [line for line in text.splitlines() if "ecore paper" in line and "--once" in line
             and line.lstrip()[:1].isdigit()]
    assert crons, "the README shows a cron line for ecore paper --once"
    for line in crons:
        before = text[:text.index(line)].splitlines()[-3:]
        assert any(b.strip() == "CRON_TZ=America/New_York" for b in before), line


@pytest.mark.parametrize("lib_name", CLIENTS)
@pytest.mark.parametrize("faults", [
    [("error", 162, PACING_TEXT)] * 2,
    [("silent",)],
    [("delay", 0.3)],
], ids=["pacing-twice", "unanswered", "late"])
def test_throttled_or_unanswered_history_is_asked_again_and_the_run_trades(
        gateway, lib_name, tmp_path, faults):
    gateway.history_faults = {gateway.znm.conId: list(faults)}
    run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, request_timeout=0.5,
        history_backoff=0.05)

    assert gateway.history_requests_faulted == len(faults)
    assert [o.orderRef for o in gateway.placed] == ["ecore-20250313-ZNM25-target-1"]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_history_throttled_past_the_retries_stops_the_run_naming_it(gateway, lib_name, tmp_path):
    gateway.history_faults = {gateway.znm.conId: [("error", 162, PACING_TEXT)] * 10}
    with pytest.raises(DataFailure, match=r"ZNM25: daily bars refused: IB error 162.*pacing"):
        run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, history_backoff=0.02,
            history_retries=2)

    assert gateway.history_requests_faulted == 3  # the request and two retries
    assert gateway.placed == []


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_refused_history_of_the_contract_a_roll_buys_stops_the_run(gateway, lib_name, tmp_path):
    # on 2025-03-13 a ZN root feed holds ZNM25 and rolls into ZNU25
    znu = gateway.add_future("ZN", "202509", "20250919", price=109.5, bars=bars(109.5))
    gateway.history_faults = {znu.conId: [("error", 162, NO_PERMISSION_TEXT)]}
    with pytest.raises(DataFailure, match=r"ZNU25: daily bars refused: IB error 162.*permission"):
        run(gateway, lib_name, tmp_path, ["ZN"], {"ZN": 3})

    assert gateway.placed == []


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_long_running_mode_checking_before_the_close_waits_for_it(gateway, lib_name, tmp_path):
    import threading
    import time

    for inst in (gateway.znm, gateway.spy):
        inst.bars = inst.bars[:-1]  # closed sessions end on Wednesday 2025-03-12
    gateway.unfinished_bars = True
    phase = [dt.time(11, 0)]  # Thursday 11:00 at start

    def now():
        return dt.datetime.combine(LIVE_DAY, phase[0], tzinfo=GATEWAY_TZ)

    def asked():
        return len([m for m in gateway.received if m[0] == "20"])

    def the_day_goes_on():
        gateway.wait_for(lambda: gateway.placed)  # decided on Wednesday's bar at start-up
        time.sleep(0.1)
        phase[0] = dt.time(12, 30)  # the daily check, scheduled 12:00, before the close
        gateway.wait_for(lambda: asked() >= 2)
        time.sleep(0.3)
        # settled, at the bundled data's settlement of the day
        gateway.znm.bars.append(("20250313", 111.125, 111.625, 110.625, 111.125, 1000))
        phase[0] = dt.time(17, 10)
        gateway.wait_for(lambda: asked() >= 3)
        time.sleep(0.5)
        (tmp_path / "STOP").touch()

    gateway.clock = now
    helper = threading.Thread(target=the_day_goes_on)
    helper.start()
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, once=False,
                 clock=lambda tz: now().astimezone(tz), schedule=dt.time(12, 0),
                 timezone="America/New_York")
    helper.join()

    # Wednesday's bar at start (said), then Thursday's once its session closed, the same day
    assert result.strategy.live_bars == 2
    assert [o.orderRef for o in gateway.placed] == ["ecore-20250312-ZNM25-target-1"]
    assert any("the 2025-03-13 session has not closed" in n for n in result.summary.notices)
    assert asked() == 3  # start-up, the 12:30 check (unfinished bar), the check after 17:05


@pytest.mark.parametrize("table, line, key", [
    ("schedule", "history_retries = -1", "schedule.history_retries"),
    ("schedule", 'history_backoff = "15s"', "schedule.history_backoff"),
    ("ib", "status_client_id = -3", "ib.status_client_id"),
])
def test_bad_retry_and_status_settings_name_the_key(tmp_path, table, line, key):
    from ecore.engine.paper.config import ConfigError, load_config
    from ib_helpers import write_target_config

    cfg = write_target_config(tmp_path, 7497, "ib_async", **{
        "ib" if table == "ib" else "schedule": line + "\n"})
    with pytest.raises(ConfigError, match=rf"paper.toml, line \d+: {key}: "):
        load_config(cfg)


def test_retry_and_status_settings_are_read(tmp_path):
    from ecore.engine.paper.config import load_config
    from ib_helpers import write_target_config

    cfg = write_target_config(tmp_path, 7497, "ib_async", ib="status_client_id = 40\n",
                              schedule="history_retries = 5\nhistory_backoff = 20\n")
    config = load_config(cfg)
    assert (config.status_client_id, config.history_retries, config.history_backoff) == \
        (40, 5, 20.0)
