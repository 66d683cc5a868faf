"""Nothing refused in silence: a backtest whose orders the broker refused says so on the terminal
(one line, by reason), in the summary table's Rejections row and in report.html, and a sweep's
results carry the count in a ``rejections`` column."""

import json
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from ecore.engine.report.rejections import rejection_counts, rejection_line
from ecore.engine.report.results import BacktestResult
from ecore.engine.sweep import LocalPool, parse_sweep, run_sweep

STRATEGY = textwrap.dedent('''
    import backtrader as bt


    class Shorter(bt.Strategy):
        """Sells SPY it does not hold every few bars, and once buys far more than the cash."""

        params = (("shares", 10), ("every", 5))

        def next(self):
            if len(self) % self.p.every == 0:
                self.sell(size=self.p.shares)
            if len(self) == 3:
                self.buy(size=1_000_000)
''')


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "shorting.py").write_text(STRATEGY)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    yield tmp_path
    sys.modules.pop("shorting", None)


def test_the_backtest_command_counts_refused_orders_by_reason_everywhere(folder):
    (folder / "run.toml").write_text("[broker]\nshort_sales = false\n")
    r = subprocess.run(["python3", "-m", "ecore.engine.cli", "backtest", "--strategy", "shorting.Shorter",
                        "--instruments", "SPY", "--start", "2021-01-04", "--end", "2021-03-31", "--no-benchmark",
                        "--config", "run.toml", "--quiet", "--out", "out"],
                       capture_output=True, text=True, cwd=folder, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    metrics = json.loads((folder / "out" / "metrics.json").read_text())["strategy"]
    n = metrics["rejections"]
    shorts = n - 1  # one purchase the cash cannot pay
    assert shorts >= 10
    assert f"Shorter: {n} orders rejected: short sale {shorts}, cash 1" in r.stdout
    row = next(line for line in r.stdout.splitlines() if line.startswith("Rejections"))
    assert row.split()[-1] == str(n)
    page = (folder / "out" / "report.html").read_text()
    assert 'id="rejections"' in page and "<td>short sale</td><td>%d</td>" % shorts in page


def test_short_sales_must_be_true_or_false_in_the_config(folder):
    (folder / "run.toml").write_text('[broker]\nshort_sales = "no"\n')
    r = subprocess.run(["python3", "-m", "ecore.engine.cli", "backtest", "--config", "run.toml", "--quiet"],
                       capture_output=True, text=True, cwd=folder, timeout=300)
    assert r.returncode == 2
    assert "short_sales" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_a_sweeps_results_carry_the_rejections_column(folder):
    spec = parse_sweep({"strategy": "shorting.Shorter", "instruments": "SPY", "start": "2021-01-04",
                        "end": "2021-03-31", "benchmark": False, "broker": {"short_sales": False},
                        "grid": {"every": [5, 10]}})
    outcome = run_sweep(spec, folder / "sweep", executor=LocalPool(1), progress=False, report=False)
    table = outcome.table.set_index("every")
    assert table.loc[5, "rejections"] > table.loc[10, "rejections"] > 1
    written = pd.read_csv(folder / "sweep" / "results.csv")
    assert "rejections" in written.columns


def test_rejection_line_counts_by_reason_largest_first():
    events = pd.DataFrame({"date": pd.to_datetime(["2021-01-05"] * 4), "kind": ["rejection"] * 3 + ["roll"],
                           "detail": ["a", "b", "c", "d"], "reason": ["short sale", "margin", "margin", None]})
    daily = pd.DataFrame({"date": pd.to_datetime(["2021-01-04", "2021-01-05"]), "nav": [1.0, 1.0], "cash": 1.0,
                          "shares_value": 0.0, "futures_notional": 0.0, "initial_margin": 0.0,
                          "maintenance_margin": 0.0, "excess_liquidity": 0.0, "ladder_duration": float("nan")})
    result = BacktestResult(name="S", daily=daily, events=events)
    assert rejection_counts(result) == {"margin": 2, "short sale": 1}
    assert rejection_line(result) == "S: 3 orders rejected: margin 2, short sale 1"
