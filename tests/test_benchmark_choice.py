"""Any benchmark: ``benchmark = true | false | SPEC | { strategy = ..., ... }`` and ``--benchmark SPEC``;
the window says which series set its first and last day."""

import json
import subprocess

import pandas as pd
import pytest

from ecore.engine.backtest.benchmark import (BenchmarkChoice, BenchmarkError, BuyAndHold, parse_benchmark,
                                             parse_spec, resolve, run_equity)
from ecore.strategies import SixtyForty


def ecore(*args, cwd):
    return subprocess.run(["ecore", *args], capture_output=True, text=True, cwd=cwd, timeout=600)


class Ran:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def here(capsys, monkeypatch):
    """``ecore`` in this process (a process start costs about 0.7 s), for the runs whose
    warnings are not checked: a warning shown once per process could be missing here; those
    runs start the command as users do."""
    from ecore.engine.cli.main import main

    monkeypatch.delenv("ECORE_DEBUG", raising=False)

    def call(*args, cwd):
        monkeypatch.chdir(cwd)
        status = main(list(args))
        out = capsys.readouterr()
        return Ran(status, out.out, out.err)

    return call


@pytest.mark.parametrize("spec,choice", [
    ("none", None),
    ("60/40", BenchmarkChoice()),
    ("true", BenchmarkChoice()),
    ("60/40:EFA", BenchmarkChoice("SixtyForty", {"equity_weight": 0.6, "equity": "EFA"})),
    ("70/30:eem/IEF", BenchmarkChoice("SixtyForty", {"equity_weight": 0.7, "equity": "EEM", "bonds": "IEF"})),
    ("100/0:SPY", BenchmarkChoice("SixtyForty", {"equity_weight": 1.0, "equity": "SPY"})),
    ("SPY", BenchmarkChoice("BuyAndHold", {"symbol": "SPY"})),
    ("brk.b", BenchmarkChoice("BuyAndHold", {"symbol": "BRK.B"})),
])
def test_a_spec_reads_as_its_grammar_says(spec, choice):
    assert parse_spec(spec) == choice


@pytest.mark.parametrize("spec,words", [("60/50", "add up to 100"), ("60/40:", "is not a benchmark"),
                                        ("60/40:EFA/AGG/X", "is not a benchmark"), ("two words", "is not a benchmark")])
def test_a_bad_spec_says_what_is_accepted(spec, words):
    with pytest.raises(BenchmarkError, match=words):
        parse_spec(spec)


def test_a_table_names_a_strategy_and_its_parameters():
    assert parse_benchmark({"strategy": "SixtyForty", "equity": "EEM"}) == BenchmarkChoice("SixtyForty", {"equity": "EEM"})
    assert parse_benchmark({"symbol": "SPY"}) == BenchmarkChoice("BuyAndHold", {"symbol": "SPY"})
    assert parse_benchmark(False) is None and parse_benchmark(True) == BenchmarkChoice()


def test_the_default_benchmark_takes_the_runs_equity_and_keeps_its_name_when_that_is_ivv():
    default = resolve(BenchmarkChoice(), {"equity": "IVV"}, ["IVV"])
    assert (default.cls, default.params, default.name) == (SixtyForty, {}, "SixtyForty")
    efa = resolve(BenchmarkChoice(), {"equity": "EFA"}, ["EFA"])
    assert efa.params == {"equity": "EFA"} and efa.name == "SixtyForty (EFA/AGG)"


def test_the_runs_equity_is_its_first_fund_that_is_not_a_bond_fund():
    assert run_equity({}, ["AGG", "SPY"]) == "SPY"
    assert run_equity({}, ["AGG"]) == "IVV"
    assert run_equity({"equity": "eem"}, ["SPY"]) == "EEM"


def test_a_buy_and_hold_is_named_for_its_fund():
    b = resolve(BenchmarkChoice("BuyAndHold", {"symbol": "spy"}), {}, [])
    assert (b.cls, b.params, b.name) == (BuyAndHold, {"symbol": "SPY"}, "SPY buy-and-hold")


def test_an_unknown_benchmark_parameter_is_named():
    with pytest.raises(BenchmarkError, match="unknown parameter 'equty' for SixtyForty"):
        resolve(BenchmarkChoice("SixtyForty", {"equty": "EEM"}), {}, [])


def test_an_efa_run_is_compared_with_an_efa_60_40_by_default(tmp_path, here):
    (tmp_path / "run.toml").write_text('start = "2021-01-04"\nend = "2021-06-30"\n[params]\nequity = "EFA"\n')
    r = here("backtest", "--config", "run.toml", "--out", "res", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    metrics = json.loads((tmp_path / "res" / "metrics.json").read_text())
    assert metrics["benchmark"]["name"] == "SixtyForty (EFA/AGG)"
    assert metrics["strategy"]["benchmark_name"] == "SixtyForty (EFA/AGG)"
    trades = pd.read_csv(tmp_path / "res" / "benchmark_daily.csv")
    assert len(trades) > 100
    assert "SixtyForty (EFA/AGG)" in r.stdout


def test_a_config_table_sets_the_benchmarks_strategy_and_funds(tmp_path, here):
    (tmp_path / "run.toml").write_text(
        'start = "2021-01-04"\nend = "2021-06-30"\n'
        'benchmark = { strategy = "SixtyForty", equity = "EEM", equity_weight = 0.7 }\n')
    r = here("backtest", "--config", "run.toml", "--out", "res", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    metrics = json.loads((tmp_path / "res" / "metrics.json").read_text())
    assert metrics["benchmark"]["name"] == "SixtyForty (70/30 EEM/AGG)"


def test_benchmark_spy_buys_and_holds_spy_over_the_strategys_own_window(tmp_path):
    r = ecore("backtest", "--benchmark", "SPY", "--end", "2000-12-29", "--out", "res", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    metrics = json.loads((tmp_path / "res" / "metrics.json").read_text())
    # EfficientCore on IVV starts with IVV's data (2000-05-19): SPY's longer history does not narrow it.
    assert metrics["strategy"]["start"] == metrics["benchmark"]["start"] == "2000-05-19"
    assert metrics["strategy"]["start_set_by"] == "IVV closes"
    assert metrics["benchmark"]["name"] == "SPY buy-and-hold"
    assert metrics["benchmark"]["rebalances"] == 1
    assert "warning" not in r.stderr
    events = pd.read_csv(tmp_path / "res" / "benchmark_events.csv")
    assert list(events["kind"]) == ["rebalance"] and "SPY" in events["detail"].iloc[0]


def test_a_benchmark_that_narrows_the_window_says_so_in_one_line(tmp_path, here):
    (tmp_path / "run.toml").write_text('end = "2004-03-31"\n[params]\nequity = "SPY"\nbonds = "IVV"\n')
    r = ecore("backtest", "--strategy", "SixtyForty", "--config", "run.toml", "--benchmark", "60/40",
              "--out", "res", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    said = [line for line in r.stderr.splitlines() if "because the benchmark" in line]
    assert len(said) == 1
    assert "starts 2003-09-29" in said[0] and "AGG closes" in said[0] and "2000-05-19" in said[0]
    metrics = json.loads((tmp_path / "res" / "metrics.json").read_text())
    assert metrics["strategy"]["start_set_by"] == "AGG closes, for the benchmark"
    assert "AGG closes, for the benchmark" in r.stdout
    without = here("backtest", "--strategy", "SixtyForty", "--config", "run.toml", "--benchmark", "none",
                    "--out", "res2", "--quiet", cwd=tmp_path)
    assert json.loads((tmp_path / "res2" / "metrics.json").read_text())["strategy"]["start"] == "2000-05-19"


def test_a_given_start_before_the_benchmarks_data_is_a_one_line_error_naming_it(tmp_path, here):
    r = here("backtest", "--start", "2002-01-02", "--end", "2004-03-31", "--out", "res", "--quiet", cwd=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "benchmark SixtyForty" in lines[0] and "AGG" in lines[0] and "--benchmark none" in lines[0]
    assert not (tmp_path / "res").exists()
