"""Recovery: a dropped connection, a killed process, an intent IB never received, replayed
executions. The journal makes every intent reach IB at most once."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ecore.brokers.ib.client import client_library
from ecore.brokers.ib.connection import ConnectionSettings
from ecore.brokers.ib.journal import Journal, OrderIntent
from ecore.brokers.ib.orders import Filled
from ecore.brokers.ib.session import IBSession
from ecore.brokers.ib.simulator import Accept, Drop, Fill
from ib_helpers import CLIENTS, LIVE_DAY, bars_to_now, clock_at, gateway, run  # noqa: F401  (gateway is a fixture)

REF = "ecore-20250313-ZNM25-target-1"
TESTS = Path(__file__).resolve().parent


def session_for(gateway, lib_name, tmp_path) -> IBSession:
    return IBSession(ConnectionSettings(port=gateway.port, client_id=7, request_timeout=1.0),
                     Journal(tmp_path / "journal.sqlite"), client_library(lib_name))


def poll_until(session, predicate, timeout=5.0) -> list:
    events, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.pump(0.05)
        events += session.poll()
        if predicate(events):
            break
    return events


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_fill_made_while_disconnected_is_recovered_without_a_second_order(
        gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [Accept(), Drop(), Fill()]
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    assert len(gateway.placed) == 1
    assert result.session.connects == 2
    assert ("ZNM25", "Completed", 3.0, "") in result.strategy.notes
    assert result.positions == {"ZNM25": 3.0}
    assert Journal(tmp_path / "journal.sqlite").entry(gateway.placed[0].orderRef).status == "filled"


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_execution_replayed_after_reconnect_is_counted_once(gateway, lib_name, tmp_path):
    session = session_for(gateway, lib_name, tmp_path)
    session.connect()
    session.submit(OrderIntent(REF, LIVE_DAY, "ZNM25", "BUY", 3, notional=330_000, target=3))
    first = poll_until(session, lambda ev: any(isinstance(e, Filled) for e in ev))
    gateway.drop_connections()
    deadline = time.monotonic() + 5
    while session.ib.isConnected() and time.monotonic() < deadline:
        session.pump(0.05)
    assert session.ensure_connected()
    again = poll_until(session, lambda ev: False, timeout=1.5)
    session.disconnect()

    assert [type(e).__name__ for e in first] == ["Filled"]
    assert again == []
    assert len(session.journal.executions(REF)) == 1


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_order_stored_but_never_received_by_ib_is_marked_lost_and_the_intent_sent_anew(
        gateway, lib_name, tmp_path):
    journal = Journal(tmp_path / "journal.sqlite")
    journal.add_order(OrderIntent(REF, LIVE_DAY, "ZNM25", "BUY", 3, notional=330_000, target=3))
    journal.close()
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    assert [o.orderRef for o in gateway.placed] == ["ecore-20250313-ZNM25-target-2"]
    assert Journal(tmp_path / "journal.sqlite").entry(REF).status == "lost"
    assert result.positions == {"ZNM25": 3.0}


@pytest.mark.slow
@pytest.mark.parametrize("lib_name", CLIENTS)
def test_killed_process_restarted_does_not_send_its_order_again(gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [Accept()]  # rests at IB, unfilled
    live = bars_to_now(gateway)
    cfg = tmp_path / "paper.toml"
    cfg.write_text(textwrap.dedent(f"""
        [ib]
        port = {gateway.port}
        client_id = 7
        client = "{lib_name}"
        journal = "journal.sqlite"
        request_timeout = 2
        [strategy]
        class = "ib_helpers.TargetPositions"
        instruments = ["ZNM25"]
        params = {{ targets = {{ ZNM25 = 3 }} }}
        [schedule]
        history_days = 4
    """))
    env = dict(os.environ, PYTHONPATH=f"{TESTS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    proc = subprocess.Popen([sys.executable, "-m", "ecore.engine.cli", "paper", "--config",
                             str(cfg), "--once"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        assert gateway.wait_for(lambda: len(gateway.placed) == 1, timeout=30)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    # IB fills the resting order once the restarted process has caught up
    gateway.order_script = lambda order: [Accept(), Fill()]
    filler = __import__("threading").Timer(
        0.5, lambda: gateway.wait_for(lambda: gateway.connection_count == 1)
        and gateway.fill_open_orders())
    filler.start()
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, clock=clock_at(live))
    filler.join()

    assert len(gateway.placed) == 1
    assert ("ZNM25", "Completed", 3.0, "") in result.strategy.notes
    assert result.positions == {"ZNM25": 3.0}
    assert Journal(tmp_path / "journal.sqlite").entry(gateway.placed[0].orderRef).status == "filled"
