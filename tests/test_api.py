"""`from ecore.engine.api import backtest, sweep`: the commands as Python functions."""

import datetime as dt

import pandas as pd
import pytest

from ecore.engine.api import Backtest, backtest, sweep
from ecore.engine.cli.main import main
from ecore.engine.errors import UserError

SHORT = dict(start="2020-01-02", end="2020-03-31")


@pytest.fixture(scope="module")
def run() -> Backtest:
    return backtest(strategy="EfficientCore", params={"equity_weight": 0.8}, **SHORT)


def test_returns_and_the_benchmarks_are_series_named_for_their_strategies(run):
    assert run.returns.name == "EfficientCore" and run.benchmark.name == "SixtyForty"
    assert run.returns.index[0] == pd.Timestamp("2020-01-03")  # the first day is the base
    nav = run.daily["nav"]
    assert run.returns.iloc[0] == pytest.approx(nav.iloc[1] / nav.iloc[0] - 1)
    assert run.nav.name == "EfficientCore" and run.nav.index.name == "date"


def test_the_tables_and_metrics_are_the_runs(run):
    assert run.metrics["final_nav"] == pytest.approx(run.daily["nav"].iloc[-1])
    assert run.metrics["start"] == "2020-01-02" and run.benchmark_metrics["name"] == "SixtyForty"
    assert {"date", "instrument", "size", "price", "kind"} <= set(run.trades.columns)
    assert {"date", "kind", "amount", "balance"} <= set(run.journal.columns)
    assert "EfficientCore" in repr(run) and "final NAV $" in repr(run)


def test_write_and_report_write_the_commands_files(run, tmp_path):
    names = {p.name for p in run.write(tmp_path / "out")}
    assert {"report.html", "metrics.json", "daily.csv", "trades.csv", "journal.csv"} <= names
    assert run.report(tmp_path / "one.html").read_text().startswith("<!DOCTYPE html>")


def test_dates_may_be_text_or_dates_and_the_benchmark_may_be_left_out():
    run = backtest(start=dt.date(2020, 1, 2), end="2020-02-28", benchmark=False)
    assert run.benchmark is None and run.benchmark_metrics is None
    assert run.daily.index[0] == pd.Timestamp("2020-01-02")


def test_a_strategy_class_may_be_passed_itself():
    from ecore.strategies.benchmarks import SixtyForty

    run = backtest(strategy=SixtyForty, benchmark=False, **SHORT)
    assert run.returns.name == "SixtyForty"


def test_an_error_is_the_commands_line_as_an_exception(capsys):
    with pytest.raises(UserError) as err:
        backtest(start="1990-01-01")
    assert main(["backtest", "--start", "1990-01-01", "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == f"ecore backtest: error: {err.value}"


@pytest.mark.parametrize("kwargs, message", [
    ({"params": {"equity_weight": 2}}, "backtest(): params.equity_weight: must be a number from 0 to 1"),
    ({"params": {"equity_wieght": 0.8}}, "equity_wieght"),
    ({"start": "2020-13-01"}, "start"),
    ({"cash": -5}, "cash"),
])
def test_a_bad_argument_raises_a_one_line_error_naming_it(kwargs, message):
    with pytest.raises(UserError) as err:
        backtest(**kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_sweep_returns_the_ranked_table(tmp_path):
    table = sweep(strategy="EfficientCore", start="2020-01-02", end="2020-06-30",
                  grid={"equity_weight": [0.8, 0.9]}, out=tmp_path, workers=1)
    assert isinstance(table, pd.DataFrame) and table["rank"].tolist() == [1, 2]
    assert sorted(table["equity_weight"]) == [0.8, 0.9] and table.attrs["folder"] == str(tmp_path)
    assert sweep(strategy="EfficientCore", start="2020-01-02", end="2020-06-30",
                 grid={"equity_weight": [0.8, 0.9]}, out=tmp_path, workers=1)["key"].tolist() == table["key"].tolist()


def test_a_bad_sweep_setting_names_its_key(tmp_path):
    with pytest.raises(ValueError, match="key 'walk_forward.train'"):
        sweep(strategy="EfficientCore", grid={"equity_weight": [0.8]}, walk_forward={"train": "x", "test": "1y"},
              out=tmp_path)


def test_the_runners_config_takes_dates_as_text_and_names_a_bad_one():
    from ecore.engine.backtest.runner import BacktestConfig

    config = BacktestConfig(start="2018-08-02", end=dt.datetime(2018, 9, 28))
    assert (config.start, config.end) == (dt.date(2018, 8, 2), dt.date(2018, 9, 28))
    with pytest.raises(UserError, match=r"start: not a date \(YYYY-MM-DD\): '2018-13-02'"):
        BacktestConfig(start="2018-13-02")
