"""write_outputs: the six files, their columns, and all-or-nothing writing into --out."""

import csv
import json
import subprocess

import numpy as np
import pandas as pd
import pytest

from ecore.engine.report import charts as report_charts
from ecore.engine.report.outputs import write_outputs
from ecore.engine.report.results import BacktestResult

DATES = pd.bdate_range("2022-01-03", periods=253)  # 252 daily returns: exactly one year


def make_result(name, end_nav, futures):
    nav = np.linspace(100_000.0, end_nav, len(DATES))
    notional = 0.6 * nav if futures else 0.0 * nav
    daily = pd.DataFrame({
        "date": DATES, "nav": nav, "cash": 0.1 * nav, "shares_value": 0.9 * nav,
        "futures_notional": notional, "initial_margin": 0.05 * notional,
        "maintenance_margin": 0.045 * notional, "excess_liquidity": nav - 0.05 * notional,
        "ladder_duration": 6.0 if futures else np.nan, "margin_calls_open": 0,
    })
    trades = pd.DataFrame({
        "date": [DATES[0], DATES[50]], "instrument": ["IVV", "ZNH22"], "size": [200, 5],
        "price": [450.0, 120.5], "value": [90_000.0, 602_500.0], "commission": [1.0, 4.25],
        "kind": ["trade", "roll"],
    })
    journal = pd.DataFrame({
        "date": [DATES[0], DATES[0], DATES[1]], "kind": ["deposit", "commission", "variation_margin"],
        "instrument": ["", "IVV", "ZNH22"], "amount": [100_000.0, -1.0, -312.5],
        "balance": [100_000.0, 99_999.0, 99_686.5],
    })
    events = pd.DataFrame({"date": [DATES[50]], "kind": ["roll"], "detail": ["ZNH22 → ZNM22"]})
    return BacktestResult(name=name, daily=daily, trades=trades, journal=journal, events=events,
                          assumptions={"Data": "synthetic test prices"})


@pytest.fixture(scope="module")
def pair():
    return make_result("EfficientCore", 110_000.0, True), make_result("SixtyForty", 105_000.0, False)


def header(path):
    with open(path, newline="") as f:
        return next(csv.reader(f))


def test_all_files_are_written_with_their_columns(tmp_path, pair):
    strategy, bench = pair
    out = tmp_path / "out"
    paths = write_outputs(out, strategy, bench)
    assert sorted(p.name for p in paths) == sorted(
        ["report.html", "metrics.json", "daily.csv", "trades.csv", "journal.csv", "events.csv",
         "benchmark_daily.csv", "benchmark_events.csv"])
    assert all(p.parent == out and p.is_file() for p in paths)
    assert header(out / "daily.csv") == [
        "date", "nav", "cash", "shares_value", "futures_notional", "initial_margin",
        "maintenance_margin", "excess_liquidity", "ladder_duration", "margin_calls_open"]
    assert header(out / "trades.csv") == ["date", "instrument", "size", "price", "value", "commission", "kind"]
    assert header(out / "journal.csv") == ["date", "kind", "instrument", "amount", "balance"]
    assert header(out / "benchmark_daily.csv")[:2] == ["date", "nav"]
    daily = pd.read_csv(out / "daily.csv")
    assert len(daily) == 253 and daily["date"].iloc[0] == "2022-01-03"
    assert daily["ladder_duration"].iloc[0] == 6.0
    assert pd.read_csv(out / "benchmark_daily.csv")["ladder_duration"].isna().all()
    # Nothing is left behind beside out/.
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_metrics_json_holds_strategy_and_benchmark(tmp_path, pair):
    write_outputs(tmp_path / "out", *pair)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    # 100,000 → 110,000 over 252 daily returns: 10% a year; 105,000: 5%.
    assert metrics["strategy"]["name"] == "EfficientCore"
    assert metrics["strategy"]["cagr"] == pytest.approx(0.10)
    assert metrics["benchmark"]["cagr"] == pytest.approx(0.05)
    assert metrics["strategy"]["rolls"] == 1
    assert metrics["strategy"]["commissions"] == 1.0


def test_without_a_benchmark_there_is_no_benchmark_file(tmp_path, pair):
    paths = write_outputs(tmp_path / "out", pair[0], None)
    assert "benchmark_daily.csv" not in [p.name for p in paths]
    assert "benchmark_events.csv" not in [p.name for p in paths]
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["benchmark"] is None


def _failing_chart(*args, **kwargs):
    raise RuntimeError("chart broke")


def test_a_failing_chart_leaves_an_existing_out_dir_as_it_was(tmp_path, pair, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "daily.csv").write_text("from an earlier run")
    monkeypatch.setattr(report_charts, "futures_figure", _failing_chart)
    with pytest.raises(RuntimeError, match="chart broke"):
        write_outputs(out, *pair)
    assert sorted(p.name for p in out.iterdir()) == ["daily.csv", "notes.txt"]
    assert (out / "daily.csv").read_text() == "from an earlier run"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # the staging folder is gone


def test_a_failing_chart_creates_no_out_dir(tmp_path, pair, monkeypatch):
    monkeypatch.setattr(report_charts, "futures_figure", _failing_chart)
    with pytest.raises(RuntimeError):
        write_outputs(tmp_path / "out", *pair)
    assert list(tmp_path.iterdir()) == []


def test_a_successful_run_replaces_its_own_files_and_keeps_unrelated_ones(tmp_path, pair):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "daily.csv").write_text("from an earlier run")
    (out / ".ecore-manifest.json").write_text('{"backtest": ["daily.csv"]}\n')  # the earlier run's
    write_outputs(out, *pair)
    assert (out / "notes.txt").read_text() == "mine"
    assert header(out / "daily.csv")[0] == "date"
    assert len(list(out.iterdir())) == 10  # eight outputs, notes.txt and the manifest


def test_a_rerun_without_the_benchmark_removes_the_earlier_benchmark_file(tmp_path, pair):
    out = tmp_path / "out"
    write_outputs(out, *pair)
    assert (out / "benchmark_daily.csv").exists()
    (out / "notes.txt").write_text("mine")
    write_outputs(out, pair[0], None)
    names = {p.name for p in out.iterdir()}
    assert "benchmark_daily.csv" not in names
    assert {"daily.csv", "metrics.json", "notes.txt", ".ecore-manifest.json"} <= names
    assert json.loads((out / "metrics.json").read_text())["benchmark"] is None


def test_a_staging_folder_left_by_a_killed_process_is_removed_by_the_next_run(tmp_path, pair):
    out = tmp_path / "out"
    dead = _dead_pid()
    (out / f".ecore-staging-{dead}-abc").mkdir(parents=True)
    (out / f".ecore-staging-{dead}-abc" / "daily.csv").write_text("half")
    write_outputs(out, *pair)
    assert not any(p.name.startswith(".ecore-staging-") for p in out.iterdir())


def _dead_pid() -> int:
    """The id of a process that has exited."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_metrics_given_by_the_run_are_written_as_they_are_not_computed_again(tmp_path, pair):
    from ecore.engine.report.metrics import compute_metrics

    strategy, bench = pair
    given = ({**compute_metrics(strategy), "cagr": 0.5}, compute_metrics(bench))
    write_outputs(tmp_path / "out", strategy, bench, metrics=given)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["strategy"]["cagr"] == 0.5 and metrics["benchmark"]["cagr"] == pytest.approx(0.05)
    assert "50.00% a year" in (tmp_path / "out" / "report.html").read_text()
