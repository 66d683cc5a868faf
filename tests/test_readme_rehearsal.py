"""Issue 23: a new user with no IB installation follows the README's rehearsal - simulate,
dry-run, run, check status, stop with the kill switch - in one terminal session.  The README's
``bash`` block under "Rehearse on a laptop" runs here as written, in one shell."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def rehearsal_block() -> str:
    section = README.read_text(encoding="utf-8").split("### Rehearse on a laptop", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    if not port_free(4002):
        pytest.skip("port 4002 (the README's) is in use on this machine")
    work = tmp_path_factory.mktemp("rehearsal")
    env = {k: v for k, v in os.environ.items() if k != "ECORE_DEBUG"}
    done = subprocess.run(["bash", "-c", rehearsal_block()], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    return done, work


def test_the_rehearsal_runs_as_written_in_one_shell(session):
    done, _ = session
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def test_the_dry_run_computes_the_ladder_and_the_shares_and_sends_nothing(session):
    done, _ = session
    assert "dry run: 7 order(s) computed, none sent" in done.stdout


def test_the_run_sends_them_and_status_shows_them_working_then_held(session):
    done, _ = session
    assert "summary: sent 7" in done.stdout
    assert "working orders (7):" in done.stdout
    assert "positions (7):" in done.stdout  # after the simulator stepped a day


def test_the_kill_switch_stops_the_last_run_with_exit_3_and_nothing_sent(session):
    done, work = session
    assert re.search(r"^3$", done.stdout, re.M)
    assert "kill file" in done.stderr and "nothing sent" in done.stderr
    assert not (work / "STOP").exists()  # the README removes it again


def test_nothing_alarming_is_printed_along_the_way(session):
    done, _ = session
    out = done.stdout + done.stderr
    # a ResourceWarning of the simulator's, a margin model without figures, fills taken for
    # anomalies: each was printed once, and a user cannot tell it from a real problem
    for text in ("unclosed", "has no initial margin", "while ecore was away"):
        assert text not in out, text


def test_ibs_stricter_what_if_is_noted_once_a_run_not_once_an_order(session):
    done, _ = session
    # the dry run and the run each check 6 futures orders against IB's what-if (a few cents
    # above ecore's model in the simulator: its settlements are real, the run's are IB's bars)
    assert done.stdout.count("stricter than ecore's margin model") <= 2


def test_the_run_says_once_that_it_stopped_waiting_for_its_resting_orders(session):
    done, _ = session
    assert done.stderr.count("orders still working after 5 s") == 1
