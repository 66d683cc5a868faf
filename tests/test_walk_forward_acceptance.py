"""Walk-forward sweeps of real strategies on the bundled data: the same folds and choices on the
local pool and on a Dask scheduler with workers, --fast, and an overfit parameter caught out."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from ecore.engine.sweep import DaskCluster, LocalPool, load_sweep, parse_sweep, run_sweep
from ecore.engine.sweep.walkforward import fold_summary

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CHOICE_COLUMNS = ["fold", "window", "window_start", "window_end", "run_start", "rank", "chosen", "status", "sharpe"]

EFFICIENT_CORE = {"strategy": "EfficientCore", "start": "2016-01-04", "end": "2019-12-31",
                  "walk_forward": {"train": "2y", "test": "1y"}, "grid": {"equity_weight": [0.6, 0.9]}}
RISK_PARITY = """strategy = "risk_parity.RiskParity"
instruments = ["SPY", "ZN", "ZB"]
start = 2010-01-04
end = 2013-12-31
walk_forward = { train = "2y", test = "1y", warmup = "6m" }

[grid]
vol_window = [21, 63]
"""


def risk_parity_spec(tmp_path):
    shutil.copy(EXAMPLES / "risk_parity.py", tmp_path / "risk_parity.py")
    (tmp_path / "wf.toml").write_text(RISK_PARITY)
    return load_sweep(tmp_path / "wf.toml")


@pytest.mark.slow
@pytest.mark.parametrize("which", ["EfficientCore", "examples/risk_parity"])
def test_a_walk_forward_sweep_chooses_the_same_on_the_pool_and_on_dask(tmp_path, which, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = parse_sweep(EFFICIENT_CORE) if which == "EfficientCore" else risk_parity_spec(tmp_path)
    names = spec.parameter_names
    pool = run_sweep(spec, tmp_path / "pool", executor=LocalPool(2), progress=False, report=False)
    dask = run_sweep(spec, tmp_path / "dask", executor=DaskCluster("local", 2), progress=False, report=False)
    assert pool.failed == 0 and len(pool.table) == 2 * 2 * 2  # 2 folds x (train, test) x 2 sets
    pd.testing.assert_frame_equal(pool.table[CHOICE_COLUMNS + names], dask.table[CHOICE_COLUMNS + names])
    assert fold_summary(pool.table, spec)[names].equals(fold_summary(dask.table, spec)[names])
    again = run_sweep(spec, tmp_path / "dask", executor=DaskCluster("local", 2), progress=False, report=False)
    assert again.executed == 0


@pytest.mark.slow
def test_the_fast_path_ranks_each_fold_and_runs_the_choices_event_driven(tmp_path):
    from ecore.engine.sweep.fast_folds import run_fast

    spec = parse_sweep(EFFICIENT_CORE)
    outcome, fast = run_fast(spec, tmp_path, executor=LocalPool(2), progress=False)
    assert len(fast) == 8 and set(pd.read_csv(tmp_path / "fast.csv")["fold"]) == {1, 2}
    table = outcome.table
    assert len(table) == 4 and table["chosen"].all() and outcome.failed == 0  # the choice, train and test, per fold
    picked = fast[fast["chosen"]][["fold", "window", "equity_weight"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(picked, table[["fold", "window", "equity_weight"]].reset_index(drop=True))
    summary = fold_summary(table, spec, outcome.ranks)
    assert summary["sets"].tolist() == [2, 2] and summary["oos_rank"].notna().all()
    written = pd.read_csv(tmp_path / "folds.csv")
    assert written["sets"].tolist() == [2, 2] and written["oos_rank"].tolist() == summary["oos_rank"].tolist()
    assert (tmp_path / "oos_growth.csv").exists() and (tmp_path / "sweep.html").exists()


@pytest.mark.slow
def test_an_overfit_grid_value_wins_in_sample_and_loses_out_of_sample(tmp_path):
    # Twice the futures notional won 2004-2015, the long bond rally; from 2016 (and through
    # 2022's bond rout) it is the worst of the two.
    spec = parse_sweep({
        "strategy": "EfficientCore",
        "validation": {"in_sample": ["2004-01-02", "2015-12-31"], "out_of_sample": ["2016-01-04", "2026-04-17"]},
        "grid": {"futures_notional": [0.3, 1.4]}})
    outcome = run_sweep(spec, tmp_path, executor=LocalPool(2), progress=False, report=False)
    t = outcome.table.set_index(["window", "futures_notional"])["sharpe"]
    assert t[("train", 1.4)] > t[("train", 0.3)] and t[("test", 1.4)] < t[("test", 0.3)]
    summary = fold_summary(outcome.table, spec)
    assert summary.loc[0, "futures_notional"] == 1.4 and summary.loc[0, "oos_rank"] == 2
    assert summary.loc[0, "sharpe_out"] < summary.loc[0, "sharpe_in"]
