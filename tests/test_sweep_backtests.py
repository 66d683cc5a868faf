"""Sweeps of the real event-driven engine give the same numbers as running each backtest alone."""

import math

import pandas as pd
import pytest

from ecore.engine.backtest.runner import run_backtest
from ecore.engine.sweep import DaskCluster, LocalPool, parse_sweep, run_sweep
from ecore.engine.sweep.backtests import EventDrivenBacktester, backtest_config
from ecore.engine.sweep.store import flatten_metrics

GRID = {
    "strategy": "EfficientCore", "start": "2021-01-04", "end": "2021-12-31", "rank_by": "sharpe",
    "grid": {"equity_weight": [0.8, 0.9], "futures_notional": [0.4, 0.6, 0.8]},
}
RANDOM = {
    "strategy": "EfficientCore", "start": "2021-01-04", "end": "2021-06-30",
    "random": {"samples": 10, "seed": 2021, "params": {
        "equity_weight": {"low": 0.7, "high": 1.0}, "futures_notional": {"low": 0.3, "high": 0.9},
        "drift_band": {"low": 0.02, "high": 0.1}}},
}


def alone(spec, params) -> dict:
    """Metrics of one backtest run by itself, in this process, with its own data loading."""
    run = run_backtest(backtest_config(spec, spec.run_config(params)))
    return flatten_metrics(run.metrics)


def assert_row_has_metrics(row, metrics: dict):
    for name, value in metrics.items():
        got = row[name]
        if isinstance(value, float) or value is None:
            value = math.nan if value is None else value
            assert (math.isnan(value) and pd.isna(got)) or got == value, (name, got, value)
        else:
            assert str(got) == str(value), (name, got, value)


@pytest.fixture(scope="module")
def grid_on_pool(tmp_path_factory):
    spec = parse_sweep(GRID)
    outcome = run_sweep(spec, tmp_path_factory.mktemp("grid") / "out", executor=LocalPool(2), progress=False)
    return spec, outcome


@pytest.mark.slow
def test_a_2_by_3_grid_gives_the_metrics_of_each_backtest_run_alone(grid_on_pool):
    spec, outcome = grid_on_pool
    assert len(outcome.table) == 6 and outcome.failed == 0
    for _, row in outcome.table.iterrows():
        params = {p: row[p] for p in spec.parameter_names}
        assert_row_has_metrics(row, alone(spec, params))


@pytest.mark.slow
def test_a_10_sample_random_sweep_gives_the_metrics_of_each_backtest_run_alone(tmp_path):
    spec = parse_sweep(RANDOM)
    outcome = run_sweep(spec, tmp_path / "out", executor=LocalPool(2), progress=False, report=False)
    assert len(outcome.table) == 10 and outcome.failed == 0
    by_key = outcome.table.set_index("key")
    for point in spec.points():
        row = by_key[(by_key["equity_weight"] == point["equity_weight"])
                     & (by_key["drift_band"] == point["drift_band"])].iloc[0]
        assert_row_has_metrics(row, alone(spec, point))


@pytest.mark.slow
def test_a_dask_local_cluster_gives_the_same_table_as_the_local_pool(grid_on_pool, tmp_path):
    spec, pool = grid_on_pool
    dask = run_sweep(spec, tmp_path / "out", executor=DaskCluster("local", 2), progress=False, report=False)
    columns = [c for c in pool.table.columns if c not in ("seconds", "worker")]
    pd.testing.assert_frame_equal(pool.table[columns], dask.table[columns])


def test_the_growth_curves_of_the_best_runs_are_in_the_report(grid_on_pool):
    spec, outcome = grid_on_pool
    page = outcome.html.read_text()
    assert "Growth of $1" in page and "Best sharpe for each pair of values" in page
    assert "<script src=" not in page  # self-contained: plotly.js is inline


@pytest.mark.slow
def test_a_swept_value_outside_its_range_is_refused_before_any_run(tmp_path):
    spec = parse_sweep({"strategy": "EfficientCore", "start": "2021-01-04", "end": "2021-03-31",
                        "grid": {"roll_offset": [5, -3]}}, source="s.toml")
    with pytest.raises(ValueError, match=r"s.toml: grid.roll_offset: must be a whole number from 2 to 40 .* got -3"):
        run_sweep(spec, tmp_path / "out", executor=LocalPool(2), progress=False, report=False)
    assert not (tmp_path / "out" / "runs.jsonl").exists()


def test_the_ends_of_a_range_and_of_a_random_draw_are_checked_before_any_run(tmp_path):
    ranged = parse_sweep({"strategy": "EfficientCore", "range": {"drift_band": {"start": 0.1, "stop": 0.9, "step": 0.4}}})
    with pytest.raises(ValueError, match=r"range.drift_band: must be a number above 0 up to 0.5 .* got 0.9"):
        run_sweep(ranged, tmp_path / "a", executor=LocalPool(1), progress=False)
    drawn = parse_sweep({"strategy": "EfficientCore", "random": {
        "samples": 3, "seed": 1, "params": {"expense_ratio": {"low": 0.001, "high": 5.0}}}})
    with pytest.raises(ValueError, match=r"random.params.expense_ratio: must be a number from 0 to 0.05"):
        run_sweep(drawn, tmp_path / "b", executor=LocalPool(1), progress=False)


def test_an_unknown_strategy_parameter_is_an_error_naming_it_before_any_run(tmp_path):
    spec = parse_sweep({"strategy": "EfficientCore", "grid": {"equity_wieght": [0.8, 0.9]}})
    with pytest.raises(Exception, match="equity_wieght"):
        run_sweep(spec, tmp_path / "out", executor=LocalPool(1), progress=False)
    assert not (tmp_path / "out" / "runs.jsonl").exists()


def test_changing_the_data_changes_every_resume_key(tmp_path):
    import shutil

    from ecore.data.market import BUNDLED_DIR

    copy = tmp_path / "data"
    shutil.copytree(BUNDLED_DIR, copy)
    spec = parse_sweep({**GRID, "data": str(copy)})
    before = EventDrivenBacktester().identity(spec)
    path = next(p for p in sorted(copy.rglob("*")) if p.is_file() and p.suffix in (".csv", ".gz"))
    path.write_bytes(path.read_bytes() + b"\n")
    assert EventDrivenBacktester().identity(spec)["data"] != before["data"]
