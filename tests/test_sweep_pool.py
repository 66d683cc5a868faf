"""Sweeps on the local process pool, with a stand-in backtester whose results are known exactly."""

import math

import pandas as pd
import pytest

from ecore.engine.sweep import LocalPool, parse_sweep, run_sweep
from sweep_doubles import ToyBacktester, read_log, toy_metrics

GRID = {"strategy": "Toy", "grid": {"x": [-1, 0, 1, 2], "y": [0, 2, 4]}, "top": 3}


def sweep(tmp_path, data=GRID, workers=2, **kwargs):
    log = tmp_path / "log"
    log.mkdir(parents=True, exist_ok=True)
    backtester = kwargs.pop("backtester", None) or ToyBacktester(log)
    return run_sweep(parse_sweep(data), tmp_path / "out", backtester=backtester,
                     executor=LocalPool(workers), progress=False, **kwargs)


def test_every_parameter_set_is_one_row_with_the_metrics_of_its_run(tmp_path):
    table = sweep(tmp_path).table
    assert len(table) == 12 and table["key"].is_unique
    for _, row in table[table["status"] == "ok"].iterrows():
        expected = toy_metrics(row["x"], row["y"])
        assert row["sharpe"] == expected["sharpe"]
        assert row["total_return"] == expected["total_return"]
        assert row["calendar_year_returns.2020"] == expected["calendar_year_returns"]["2020"]


def test_a_failing_run_is_a_row_with_its_error_and_the_others_finish(tmp_path):
    outcome = sweep(tmp_path)
    failed = outcome.table[outcome.table["status"] == "failed"]
    assert sorted(failed["y"]) == [0, 2, 4] and set(failed["x"]) == {-1}
    assert all(e.startswith("ValueError: x must be >= 0, got -1") for e in failed["error"])
    assert outcome.failed == 3 and (outcome.table["status"] == "ok").sum() == 9


def test_the_table_is_ranked_by_the_chosen_metric(tmp_path):
    table = sweep(tmp_path, {**GRID, "rank_by": "total_return"}).table
    ok = table[table["status"] == "ok"]
    assert ok["total_return"].is_monotonic_decreasing
    assert table["rank"].tolist()[:9] == list(range(1, 10))


def test_market_data_are_loaded_once_per_worker_not_once_per_run(tmp_path):
    sweep(tmp_path, workers=2)
    loads = read_log(tmp_path / "log", "loads.log")
    run_pids = {line.split()[0] for line in read_log(tmp_path / "log", "runs.log")}
    assert len(loads) == len(set(loads)) <= 2
    assert run_pids <= set(loads)


def test_a_second_run_of_the_same_sweep_executes_nothing(tmp_path):
    first = sweep(tmp_path)
    runs_before = len(read_log(tmp_path / "log", "runs.log"))
    again = sweep(tmp_path)
    assert (again.executed, again.skipped) == (0, 12)
    assert len(read_log(tmp_path / "log", "runs.log")) == runs_before
    pd.testing.assert_frame_equal(first.table, again.table)


def test_retry_failed_runs_only_the_failed_runs_again(tmp_path):
    sweep(tmp_path)
    again = sweep(tmp_path, retry_failed=True)
    assert again.executed == 3 and again.failed == 3


def test_changed_data_give_new_keys_so_every_run_executes_again(tmp_path):
    sweep(tmp_path)
    again = sweep(tmp_path, backtester=ToyBacktester(tmp_path / "log", version="v2"))
    assert again.executed == 12
    assert len(again.table) == 12


def test_runs_added_to_the_sweep_file_run_and_finished_ones_are_kept(tmp_path):
    sweep(tmp_path)
    wider = {**GRID, "grid": {"x": [-1, 0, 1, 2, 3], "y": [0, 2, 4]}}
    again = sweep(tmp_path, wider)
    assert (again.executed, again.skipped, len(again.table)) == (3, 12, 15)


def test_the_table_and_report_are_written(tmp_path):
    outcome = sweep(tmp_path)
    assert pd.read_parquet(outcome.parquet)["key"].tolist() == outcome.table["key"].tolist()
    assert pd.read_csv(outcome.csv)["key"].tolist() == outcome.table["key"].tolist()
    assert outcome.html.exists()


def test_one_worker_gives_the_same_table_as_two(tmp_path):
    one = sweep(tmp_path / "one", workers=1).table
    two = sweep(tmp_path / "two", workers=2).table
    columns = [c for c in one.columns if c not in ("seconds", "worker")]
    pd.testing.assert_frame_equal(one[columns], two[columns])


def test_random_samples_are_reproducible_runs(tmp_path):
    data = {"strategy": "Toy", "random": {"samples": 10, "seed": 5, "params": {
        "x": {"low": 0.0, "high": 2.0}, "label": {"choices": ["a", "bbb"]}}}}
    table = sweep(tmp_path, data).table
    assert len(table) == 10 and (table["status"] == "ok").all()
    for _, row in table.iterrows():
        assert math.isclose(row["sharpe"], toy_metrics(row["x"], 0, row["label"])["sharpe"], rel_tol=0, abs_tol=0)
        assert row["label_length"] == len(row["label"])


def test_zero_workers_is_refused():
    with pytest.raises(ValueError, match="--workers"):
        LocalPool(0)
