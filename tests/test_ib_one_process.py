"""Issue 26, item 5: one process per journal, whatever its client id; a journal write refused
is an error, never ignored; ``ecore paper status`` runs beside a trading process without taking
its client id.  Against the fake gateway, with both client libraries."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecore.brokers.ib.journal import Journal
from ecore.brokers.ib.journal_lock import JournalInUse
from ecore.engine.cli.main import main
from ib_helpers import CLIENTS, bars_to_now, gateway, run, write_target_config  # noqa: F401

ECORE = "import sys; from ecore.engine.cli.main import main; sys.exit(main())"
TESTS = Path(__file__).resolve().parent


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_second_process_on_the_journal_is_refused_naming_the_holders_pid(
        gateway, lib_name, tmp_path):
    bars_to_now(gateway)
    cfg = write_target_config(tmp_path, gateway.port, lib_name)
    holder = Journal(tmp_path / "journal.sqlite")  # this process holds it, as a running trader
    try:
        # another process, another client id (17 instead of the config's 9)
        done = subprocess.run([sys.executable, "-c", ECORE, "paper", "--config", str(cfg),
                               "--once", "--client-id", "17"], env=dict(
                                   os.environ, PYTHONPATH=f"{TESTS}{os.pathsep}"
                                   f"{os.environ.get('PYTHONPATH', '')}"),
                              capture_output=True, text=True, timeout=120)
    finally:
        holder.close()

    assert done.returncode == 2
    assert f"is in use by another ecore process (pid {os.getpid()})" in done.stderr
    assert gateway.placed == []


def test_the_lock_goes_with_the_journal(tmp_path):
    first = Journal(tmp_path / "j.sqlite")
    with pytest.raises(JournalInUse, match=rf"pid {os.getpid()}"):
        Journal(tmp_path / "j.sqlite")
    first.close()
    Journal(tmp_path / "j.sqlite").close()  # free again
    Journal(tmp_path / "j.sqlite", read_only=True).close()  # readers never wait


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_an_order_the_journal_refused_to_store_is_not_sent(
        gateway, lib_name, tmp_path, monkeypatch):
    monkeypatch.setattr(Journal, "add_order", lambda self, intent: False)
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    assert gateway.placed == []
    assert result.summary.exit_code == 4
    [why] = result.summary.not_sent
    assert "did not store it" in why and "ecore-20250313-ZNM25-target-1" in why


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_status_runs_beside_a_trading_process_on_its_own_client_id(
        gateway, lib_name, tmp_path, capsys):
    bars_to_now(gateway)
    cfg = write_target_config(tmp_path, gateway.port, lib_name)
    gateway.client_ids_in_use = {9}  # the long-running trader of this config is connected
    holder = Journal(tmp_path / "journal.sqlite")  # and holds the journal
    try:
        status = main(["paper", "status", "--config", str(cfg)])
    finally:
        holder.close()

    out = capsys.readouterr().out
    assert status == 0
    assert "account DU1234567" in out and "journal " in out
    assert [m[2] for m in gateway.received if m[0] == "71"] == ["10"]  # startApi: client 10
