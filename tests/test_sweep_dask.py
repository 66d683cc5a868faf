"""The same sweep on a Dask LocalCluster (two workers over loopback) as on the local pool."""

import pandas as pd
import pytest

from ecore.engine.sweep import DaskCluster, LocalPool, parse_sweep, run_sweep
from sweep_doubles import ToyBacktester, read_log

SWEEP = {"strategy": "Toy", "grid": {"x": [-1, 0, 1, 2], "y": [0, 2, 4]},
         "random": {"samples": 2, "seed": 3, "params": {"label": {"choices": ["a", "bb", "ccc"]}}}}
RESULT_COLUMNS = ["rank", "x", "y", "label", "status", "error", "sharpe", "total_return", "label_length",
                  "calendar_year_returns.2020", "key"]


@pytest.mark.slow
def test_a_dask_local_cluster_gives_the_same_table_as_the_local_pool(tmp_path):
    spec = parse_sweep(SWEEP)
    (tmp_path / "log").mkdir()
    pool = run_sweep(spec, tmp_path / "pool", backtester=ToyBacktester(), executor=LocalPool(2),
                     progress=False, report=False)
    dask = run_sweep(spec, tmp_path / "dask", backtester=ToyBacktester(tmp_path / "log"),
                     executor=DaskCluster("local", 2), progress=False, report=False)
    assert len(dask.table) == 24 and dask.failed == 6
    pd.testing.assert_frame_equal(pool.table[RESULT_COLUMNS], dask.table[RESULT_COLUMNS])
    loads = read_log(tmp_path / "log", "loads.log")
    assert len(loads) == len(set(loads)) <= 2  # data loaded once per Dask worker


@pytest.mark.slow
def test_a_sweep_runs_on_an_existing_scheduler_given_its_address(tmp_path):
    from distributed import LocalCluster

    spec = parse_sweep(SWEEP)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        outcome = run_sweep(spec, tmp_path / "out", backtester=ToyBacktester(),
                            executor=DaskCluster(cluster.scheduler_address), progress=False, report=False)
    assert len(outcome.table) == 24 and outcome.executed == 24 and outcome.failed == 6


def test_cluster_address_is_required():
    with pytest.raises(ValueError, match="--cluster"):
        DaskCluster("")
