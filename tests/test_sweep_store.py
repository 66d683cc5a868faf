"""Results on disk: streamed lines, repair after a kill, one row per run, the ranked table."""

import json

import numpy as np
import pandas as pd
import pytest

from ecore.engine.sweep.runs import RunRecord
from ecore.engine.sweep.lock import StoreBusy
from ecore.engine.sweep.store import ResultStore, build_table, read_rows, write_table


def record(key, x, status="ok", sharpe=None, error=None, nav=False):
    days = np.array(["2020-01-02", "2020-01-03"], dtype="datetime64[D]")
    return RunRecord(key, {"x": x}, status, metrics={} if sharpe is None else {"sharpe": sharpe},
                     error=error, nav_dates=days if nav else None,
                     nav_values=np.array([100.0, 101.0]) if nav else None)


def test_each_appended_run_is_one_line_on_disk_at_once(tmp_path):
    with ResultStore(tmp_path) as store:
        store.append(record("k1", 1, sharpe=0.5))
        assert list(read_rows(tmp_path / "runs.jsonl")) == ["k1"]
        store.append(record("k2", 2, sharpe=0.7))
        assert list(read_rows(tmp_path / "runs.jsonl")) == ["k1", "k2"]


def test_a_line_cut_short_by_a_kill_is_dropped_and_appending_goes_on_cleanly(tmp_path):
    with ResultStore(tmp_path) as store:
        store.append(record("k1", 1, sharpe=0.5))
    with open(tmp_path / "runs.jsonl", "a") as fh:
        fh.write('{"key": "k2", "params": {"x"')
    with ResultStore(tmp_path) as store:
        assert list(store.rows()) == ["k1"]
        store.append(record("k3", 3, sharpe=0.1))
    lines = (tmp_path / "runs.jsonl").read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["k1", "k3"]


def test_a_later_line_for_the_same_run_replaces_the_earlier_one(tmp_path):
    with ResultStore(tmp_path) as store:
        store.append(record("k1", 1, status="failed", error="ValueError: boom"))
        store.append(record("k1", 1, sharpe=0.5))
        assert store.rows()["k1"]["status"] == "ok"


def test_the_nav_path_is_stored_and_read_back(tmp_path):
    with ResultStore(tmp_path) as store:
        store.append(record("k1", 1, sharpe=0.5, nav=True))
        nav = store.nav("k1")
    assert nav.tolist() == [100.0, 101.0]
    assert nav.index[0] == pd.Timestamp("2020-01-02")


def test_a_second_sweep_cannot_write_into_the_same_folder(tmp_path):
    with ResultStore(tmp_path):
        with pytest.raises(StoreBusy):
            ResultStore(tmp_path)


ROWS = [
    {"key": "a", "params": {"x": 1}, "status": "ok", "metrics": {"sharpe": 0.2, "vol": 0.10}},
    {"key": "b", "params": {"x": 2}, "status": "failed", "error": "ValueError: bad x", "metrics": {}},
    {"key": "c", "params": {"x": 3}, "status": "ok", "metrics": {"sharpe": 0.9, "vol": 0.30}},
    {"key": "d", "params": {"x": 4}, "status": "ok", "metrics": {"sharpe": 0.5, "vol": 0.05}},
]


def test_the_table_ranks_the_largest_metric_first_and_failed_runs_last_without_rank():
    table = build_table(ROWS, ["x"], "sharpe")
    assert table["key"].tolist() == ["c", "d", "a", "b"]
    assert table["rank"].tolist()[:3] == [1, 2, 3] and pd.isna(table["rank"].iloc[3])
    assert table.loc[3, "error"] == "ValueError: bad x"


def test_the_table_ranks_the_smallest_first_when_ascending():
    assert build_table(ROWS, ["x"], "vol", ascending=True)["key"].tolist() == ["d", "a", "c", "b"]


def test_nested_metrics_become_dotted_columns():
    rows = [{"key": "a", "params": {"x": 1}, "status": "ok",
             "metrics": {"sharpe": 1.0, "calendar_year_returns": {"2020": 0.1, "2021": -0.2}}}]
    table = build_table(rows, ["x"], "sharpe")
    assert table.loc[0, "calendar_year_returns.2021"] == -0.2


def test_ranking_by_a_metric_no_run_has_is_an_error_naming_rank_by():
    with pytest.raises(ValueError, match="rank_by.*'cagr'"):
        build_table(ROWS, ["x"], "cagr")


def test_parquet_and_csv_hold_the_same_table(tmp_path):
    table = build_table(ROWS, ["x"], "sharpe")
    parquet, csv = write_table(table, tmp_path)
    from_parquet, from_csv = pd.read_parquet(parquet), pd.read_csv(csv)
    assert from_parquet["key"].tolist() == from_csv["key"].tolist() == table["key"].tolist()
    assert np.allclose(from_parquet["sharpe"], from_csv["sharpe"], equal_nan=True)
