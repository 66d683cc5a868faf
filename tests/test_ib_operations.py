"""Operating a paper account: the run's summary and exit status, `ecore paper status`, IB's
what-if margin in the broker and the dry run, the server version each library negotiates, IB's
connectivity notices, orders IB never acknowledges."""

import threading
import time

import pytest

from ecore.brokers.ib.broker import IBBroker
from ecore.brokers.ib.client import client_library
from ecore.brokers.ib.connection import ConnectionSettings
from ecore.brokers.ib.journal import Journal
from ecore.brokers.ib.session import IBSession
from ecore.engine.cli.main import main
from ecore.brokers.ib.simulator import Accept, Fill, Info, Rest, Silent
from ib_helpers import CLIENTS, bars_to_now, gateway, run, write_target_config  # noqa: F401  (gateway is a fixture)

REF = "ecore-20250313-ZNM25-target-1"


def session_for(gateway, lib_name, tmp_path, **kw) -> IBSession:
    return IBSession(ConnectionSettings(port=gateway.port, client_id=4, request_timeout=1.0),
                     Journal(tmp_path / "j.sqlite"), client_library(lib_name), **kw)


def write_config(tmp_path, port, lib_name, targets="{ ZNM25 = 3, SPY = 200 }") -> str:
    return str(write_target_config(tmp_path, port, lib_name, ib="request_timeout = 1\n", targets=targets,
                                   schedule="once_timeout = 1\n"))


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_each_library_gets_the_newest_server_version_it_offers(gateway, lib_name, tmp_path):
    session = session_for(gateway, lib_name, tmp_path)
    session.connect()
    try:
        assert session.ib.client.serverVersion() == {"ib_async": 178, "ib_insync": 176}[lib_name]
    finally:
        session.disconnect()


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_summary_lists_what_was_filled_and_what_rests_and_exit_is_0(
        gateway, lib_name, tmp_path, capsys):
    bars_to_now(gateway)
    gateway.order_script = lambda o: [Rest()] if o.instrument.symbol == "SPY" else [Accept(), Fill()]
    status = main(["paper", "--config", write_config(tmp_path, gateway.port, lib_name), "--once"])

    out = capsys.readouterr().out
    assert status == 0  # a share order resting until the open is what the run meant
    assert "summary: sent 2, filled 1, working 1, rejected 0, refused 0, not sent 0, " \
        "unconfirmed 0" in out
    assert "-ZNM25-target-1" in out.split("filled ")[-1].splitlines()[0]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_an_order_ib_never_acknowledges_exits_4_and_is_sent_anew_by_the_next_run(
        gateway, lib_name, tmp_path, capsys):
    bars_to_now(gateway)
    gateway.order_script = lambda o: [Silent()]
    cfg = write_config(tmp_path, gateway.port, lib_name, targets="{ ZNM25 = 3 }")
    first = main(["paper", "--config", cfg, "--once"])
    assert "unconfirmed 1" in capsys.readouterr().out
    gateway.order_script = lambda o: [Accept(), Fill()]
    second = main(["paper", "--config", cfg, "--once"])

    assert (first, second) == (4, 0)
    refs = [o.orderRef for o in gateway.placed]
    assert len(refs) == 2 and refs[0] != refs[1]  # IB never saw the first: a new orderRef
    assert gateway.positions[gateway.znm.conId] == 3


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_status_shows_positions_working_orders_margin_and_the_journal_without_trading(
        gateway, lib_name, tmp_path, capsys):
    bars_to_now(gateway)
    gateway.order_script = lambda o: [Accept(), Fill(quantity=1)]
    cfg = write_config(tmp_path, gateway.port, lib_name, targets="{ ZNM25 = 3 }")
    main(["paper", "--config", cfg, "--once"])
    gateway.set_position(gateway.add_option("SPY", "20250620", 560.0), 2)
    journal = tmp_path / "journal.sqlite"
    before, sent = journal.read_bytes(), len(gateway.received)
    capsys.readouterr()

    status = main(["paper", "status", "--config", cfg])

    out = capsys.readouterr().out
    assert status == 0
    assert "account DU1234567: net liquidation $1,000,000" in out
    assert "margin: initial $10,000 (1.0% of net liquidation), maintenance $9,000" in out
    assert "positions (1; 1 other position(s) left alone):" in out
    assert "ZNM25" in out.split("positions")[1].splitlines()[1]
    assert "working orders (1):\n  BUY 2 ZNM25 MKT Submitted" in out
    assert "latest fills (1):" in out
    assert not any(m[0] == "3" for m in gateway.received[sent:])  # no order, no what-if
    assert journal.read_bytes() == before


def test_status_of_an_unreachable_gateway_is_one_line_and_exit_2(tmp_path, capsys):
    status = main(["paper", "status", "--config", write_config(tmp_path, 1, "ib_async")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and "cannot reach TWS/IB Gateway at 127.0.0.1:1" in err[0]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_requirements_are_ibs_what_if_margin_per_contract(gateway, lib_name, tmp_path):
    gateway.znm.init_margin, gateway.znm.maint_margin = 2_310.0, 2_100.0
    session = session_for(gateway, lib_name, tmp_path)
    session.connect()
    try:
        broker = IBBroker(session)
        # (maintenance, initial) of 4 contracts, whichever side: 4 x $2,100 and 4 x $2,310
        assert broker.requirements({"ZNM25": 4}) == (8_400.0, 9_240.0)
        assert broker.requirements({"ZNM25": -4}) == (8_400.0, 9_240.0)
        assert len(gateway.what_ifs) == 1  # asked once per contract and day
        assert gateway.placed == []
    finally:
        session.disconnect()


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_what_if_answered_first_with_unset_values_is_asked_again(gateway, lib_name, tmp_path):
    gateway.whatif_unset_first = 1
    session = session_for(gateway, lib_name, tmp_path)
    session.connect()
    try:
        impact = session.what_if("ZNM25", 3)
        assert (impact.initial_change, impact.maintenance_change) == (6_000.0, 5_400.0)
    finally:
        session.disconnect()


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_reconnection_notice_makes_the_session_ask_for_executions_again(
        gateway, lib_name, tmp_path):
    session = session_for(gateway, lib_name, tmp_path)
    session.connect()
    try:
        asked = len([m for m in gateway.received if m[0] == "7"])
        gateway.notify(1100)
        session.pump(0.1)
        assert not session.ready  # IB lost its servers: nothing may be sent
        gateway.notify(1101)
        session.pump(0.1)
        session.poll()
        assert session.ready
        assert len([m for m in gateway.received if m[0] == "7"]) == asked + 1
        assert len([m for m in gateway.received if m[0] == "5"]) >= 2
    finally:
        session.disconnect()


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_an_informational_error_on_a_live_order_is_not_a_rejection(gateway, lib_name, tmp_path):
    gateway.order_script = lambda o: [Accept(), Info(10349)]
    filler = threading.Thread(target=lambda: gateway.wait_for(lambda: gateway.open_orders())
                              and time.sleep(0.3) is None and gateway.fill_open_orders())
    filler.start()
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})
    filler.join()

    assert [n[1] for n in result.strategy.notes] == ["Submitted", "Accepted", "Completed"]
    assert Journal(tmp_path / "journal.sqlite").entry(REF).status == "filled"
    assert result.summary.exit_code == 0


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_completed_order_sent_outside_any_request_does_no_harm(gateway, lib_name, tmp_path):
    gateway.unsolicited_completed = True
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})
    assert result.positions == {"ZNM25": 3.0}
    assert Journal(tmp_path / "journal.sqlite").entry(REF).status == "filled"


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_kill_switch_during_a_run_cancels_and_exits_3(gateway, lib_name, tmp_path, capsys):
    bars_to_now(gateway)
    gateway.order_script = lambda o: [Accept()]
    cfg = write_config(tmp_path, gateway.port, lib_name, targets="{ ZNM25 = 3 }")
    with open(cfg, "a") as fh:
        fh.write("once_timeout = 10\n")
    text = open(cfg).read().replace('[ib]\n', '[ib]\nkill_file = "STOP"\n', 1)
    text = text.replace("once_timeout = 1\n", "")
    open(cfg, "w").write(text)
    toucher = threading.Thread(target=lambda: gateway.wait_for(lambda: gateway.placed)
                               and (tmp_path / "STOP").touch())
    toucher.start()
    status = main(["paper", "--config", cfg, "--once"])
    toucher.join()

    err = capsys.readouterr().err
    assert status == 3
    assert "stopped by the kill switch (kill file" in err and "STOP exists" in err
    assert [o.status for o in gateway.placed] == ["Cancelled"]
