"""``ecore paper replay`` against the local IB simulator: the paper path, day by day, equals
the backtest of the same strategy, parameters and window (positions, orders, fills, rolls,
NAV to the cent), and a divergence is reported with both sides shown."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap

import pytest

from ecore.engine.paper.config import load_config
from ecore.engine.paper.replay import EXIT_DIVERGED, replay

CLIENTS = ["ib_async", "ib_insync"]
# 16 trading days around the March 2024 roll (the ladder rolls on 2024-02-21/22).
START, END = dt.date(2024, 2, 12), dt.date(2024, 3, 5)


def core_config(tmp_path, client: str, extra: str = ""):
    path = tmp_path / "core.toml"
    path.write_text(textwrap.dedent(f"""\
        strategy = "EfficientCore"
        [ib]
        port = 4002
        client_id = 5
        client = "{client}"
        journal = "core-journal.sqlite"
        kill_file = "STOP-CORE"
        [schedule]
        history_days = 5
        """) + textwrap.dedent(extra))
    return path


@pytest.mark.parametrize("client", CLIENTS)
def test_replay_around_a_roll_matches_the_backtest_every_day(tmp_path, client):
    path = core_config(tmp_path, client)
    result = replay(load_config(path), path, START, END, tmp_path / "work", fresh_process=False)
    assert len(result.parity) == 16
    assert result.matching_days == 16, result.text()
    assert not result.diverged
    rolls = result.parity[result.parity["rolls_paper"].map(bool)]
    assert list(rolls["date"].dt.date) == [dt.date(2024, 2, 22)]
    assert result.parity["nav_gap"].abs().max() <= 0.005
    assert all(r.exit_code == 0 for r in result.runs)
    # the real journal of the config is never touched by a replay
    assert not (tmp_path / "core-journal.sqlite").exists()


def test_a_difference_in_costs_is_reported_as_the_first_divergence_with_both_sides(
        tmp_path, monkeypatch):
    import ecore.brokers.ib.simulator.accounting as accounting
    from ecore.brokers.costs import CostModel

    # the simulated IB account charges $1 more a contract than the backtest's broker
    monkeypatch.setattr(accounting, "CostModel", lambda: CostModel(futures_commission=2.85))
    path = core_config(tmp_path, "ib_async")
    result = replay(load_config(path), path, dt.date(2024, 2, 14), dt.date(2024, 2, 16),
                    tmp_path / "work", fresh_process=False)
    first = result.first_divergence()
    assert first["day"] == dt.date(2024, 2, 15)
    assert set(first["checks"]) == {"fills", "nav"}
    paper, backtest = first["sides"]["fills"]
    size, _, commission = paper["ZNH24"]
    assert commission - backtest["ZNH24"][2] == pytest.approx(abs(size) * 1.0)  # $1 a contract
    assert "first divergence 2024-02-15: fills, nav" in result.text()


def test_replay_command_runs_a_fresh_process_a_day_and_writes_a_backtests_outputs(tmp_path):
    path = core_config(tmp_path, "ib_async")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "ecore.engine.cli", "paper", "replay", "--config", str(path),
         "--from", "2024-02-14", "--to", "2024-02-16", "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "parity: 3/3 days match" in done.stdout
    for name in ("daily.csv", "trades.csv", "journal.csv", "report.html", "parity.csv",
                 "parity.txt", "orders.csv"):
        assert (out / name).exists(), name
    logs = sorted(p.name for p in (out / "paper" / "runs").iterdir())
    assert logs == ["2024-02-14.log", "2024-02-15.log", "2024-02-16.log"]


def test_replay_needs_its_window(tmp_path):
    path = core_config(tmp_path, "ib_async")
    done = subprocess.run(
        [sys.executable, "-m", "ecore.engine.cli", "paper", "replay", "--config", str(path),
         "--from", "2024-02-14"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--from and --to are required" in done.stderr
    assert EXIT_DIVERGED == 5


def test_margin_calls_and_a_roll_under_initial_margin_are_the_backtests(tmp_path):
    # 99% in shares and a full margin budget: equity falls below maintenance on 2024-02-13 in
    # the backtest of this window ($23,432.84 to restore initial); the paper run of that day
    # issues the same call to the strategy, says it, and keeps it in its journal.  On
    # 2024-02-21 the ladder rolls with equity under its initial margin: the backtest fills the
    # sales before the purchases, so the paper run must send (and check) them in that order,
    # or the pre-trade check refuses the first purchase (ZTM24) against the unsold ladder.
    path = core_config(tmp_path, "ib_async",
                       "[params]\nmargin_budget = 1.0\nequity_weight = 0.99\n")
    result = replay(load_config(path), path, dt.date(2024, 2, 5), dt.date(2024, 2, 23),
                    tmp_path / "work", fresh_process=False)
    assert result.matching_days == len(result.parity) == 14, result.text()
    called = result.parity[result.parity["margin_calls_backtest"].notna()]
    assert list(called["date"].dt.date) == [dt.date(2024, 2, 13)]
    assert called["margin_calls_paper"].tolist() == [23432.84]
    assert "margin calls: 1 on paper, 1 in the backtest" in result.text()
    run = next(r for r in result.runs if r.day == dt.date(2024, 2, 13))
    assert "margin call 2024-02-13" in run.output and "$23,432.84 to restore initial" in run.output
    roll = result.parity.set_index(result.parity["date"].dt.date).loc[dt.date(2024, 2, 21)]
    assert roll["orders_paper"]["ZTM24"] == 7
    assert all(r.exit_code == 0 for r in result.runs)


def test_a_window_opening_on_good_friday_allocates_that_day_as_the_backtest(tmp_path):
    # 2023-04-07: bonds open, stocks shut.  The backtest starting that day carries IVV's close
    # of 2023-04-06 into its first day and allocates; the paper run of that day must see the
    # same bar (not "no daily bars"), and decide the same orders
    path = core_config(tmp_path, "ib_async")
    result = replay(load_config(path), path, dt.date(2023, 4, 7), dt.date(2023, 4, 12),
                    tmp_path / "work", fresh_process=False)
    assert result.matching_days == len(result.parity) == 4, result.text()
    first = result.parity.iloc[0]
    assert first["date"].date() == dt.date(2023, 4, 7) and first["orders_paper"]["IVV"] > 0
    assert all(r.exit_code == 0 for r in result.runs)
