"""Walk-forward and holdout sweeps: folds, per-fold ranking and choice, resume, Dask, errors."""

import datetime as dt
import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from ecore.engine.sweep import DaskCluster, LocalPool, SweepFileError, load_sweep, parse_sweep, run_sweep
from ecore.engine.sweep.folds import Duration, Validation, Window
from ecore.engine.sweep.walkforward import fold_summary
from sweep_doubles import read_log
from walk_forward_doubles import WindowToy

TESTS = Path(__file__).resolve().parent
D = dt.date
WF = {"strategy": "Toy", "start": "2020-01-01", "end": "2020-03-31", "grid": {"x": [0, 1, 2]},
      "walk_forward": {"train": "1m", "test": "1m", "warmup": "0d"}}


def rolling(train, test, warmup="0d", anchored=False):
    return Validation("walk_forward", Duration.parse(warmup), train=Duration.parse(train),
                      test=Duration.parse(test), anchored=anchored)


def test_rolling_folds_step_by_the_test_length_and_start_after_the_warm_up():
    folds = rolling("5y", "1y", warmup="1y").folds(D(2003, 9, 29), D(2012, 3, 30))
    assert [(f.train, f.test) for f in folds] == [
        (Window(D(2004, 9, 29), D(2009, 9, 28)), Window(D(2009, 9, 29), D(2010, 9, 28))),
        (Window(D(2005, 9, 29), D(2010, 9, 28)), Window(D(2010, 9, 29), D(2011, 9, 28))),
        (Window(D(2006, 9, 29), D(2011, 9, 28)), Window(D(2011, 9, 29), D(2012, 3, 30))),  # cut by the data
    ]


def test_anchored_folds_all_train_from_the_first_day():
    folds = rolling("2y", "1y", anchored=True).folds(D(2010, 1, 1), D(2013, 12, 31))
    assert [f.train for f in folds] == [Window(D(2010, 1, 1), D(2011, 12, 31)), Window(D(2010, 1, 1), D(2012, 12, 31))]
    assert [f.test for f in folds] == [Window(D(2012, 1, 1), D(2012, 12, 31)), Window(D(2013, 1, 1), D(2013, 12, 31))]


def test_a_last_test_window_of_a_few_days_is_dropped():
    folds = rolling("1y", "1y").folds(D(2010, 1, 4), D(2012, 1, 6))  # then 3 business days, 2012-01-04..06
    assert [f.test for f in folds] == [Window(D(2011, 1, 4), D(2012, 1, 3))]


def test_folds_that_do_not_fit_the_data_name_the_key():
    with pytest.raises(ValueError, match="walk_forward: train 5y then test 1y do not fit"):
        rolling("5y", "1y").folds(D(2010, 1, 4), D(2014, 12, 31))


@pytest.mark.parametrize("table, key, words", [
    ({"walk_forward": {"train": "5 years", "test": "1y"}}, "walk_forward.train", "a length such as"),
    ({"walk_forward": {"train": "5y"}}, "walk_forward.test", "required"),
    ({"walk_forward": {"train": "5y", "test": "1y", "anchor": True}}, "walk_forward.anchor", "unknown key"),
    ({"walk_forward": {"train": "5y", "test": "0y"}}, "walk_forward.test", "longer than zero"),
    ({"validation": {"in_sample": ["2004-01-02", "2015-12-31"], "out_of_sample": ["2015-06-01", "2020-12-31"]}},
     "validation.out_of_sample", "must start after the in-sample window ends"),
    ({"validation": {"in_sample": ["2004-01-02"], "out_of_sample": ["2016-01-04", "2020-12-31"]}},
     "validation.in_sample", "[first day, last day]"),
    ({"validation": {"in_sample": ["2004-01-02", "2015-12-31"], "out_of_sample": ["2016-01-04", "2020-12-31"]},
      "walk_forward": {"train": "5y", "test": "1y"}}, "walk_forward", "not both"),
])
def test_a_bad_fold_setting_is_an_error_naming_its_key(table, key, words):
    with pytest.raises(SweepFileError) as err:
        parse_sweep({"strategy": "Toy", "grid": {"x": [1]}, **table})
    assert f"key '{key}'" in str(err.value) and words in str(err.value)


def test_a_bad_fold_setting_in_a_file_names_file_line_and_key(tmp_path):
    path = tmp_path / "wf.toml"
    path.write_text('strategy = "Toy"\n\n[grid]\nx = [1]\n\n[walk_forward]\ntrain = "5y"\ntest = "1 year"\n')
    with pytest.raises(SweepFileError, match=r"wf\.toml, line 8, column 1: key 'walk_forward\.test'"):
        load_sweep(path)


def test_each_fold_ranks_on_its_training_window_and_reports_the_choice_out_of_sample(tmp_path):
    outcome = run_sweep(parse_sweep(WF), tmp_path, backtester=WindowToy(), executor=LocalPool(2), progress=False)
    t = outcome.table
    assert len(t) == 2 * 2 * 3  # 2 folds x (train, test) x 3 sets
    assert outcome.executed == 9  # February's runs are fold 1's test and fold 2's training: run once
    assert list(t.columns[:7]) == ["fold", "window", "window_start", "window_end", "run_start", "rank", "chosen"]
    summary = fold_summary(t, parse_sweep(WF))
    # fold 1 trains on January (x = 2 best) and tests on February (x = 0 best): the choice ranks last
    assert summary[["fold", "x", "sharpe_in", "sharpe_out", "oos_rank", "sets"]].values.tolist() == [
        [1, 2, 1.0, -3.0, 3, 3], [2, 0, 1.0, 1.0, 1, 3]]
    assert summary["test_start"].tolist() == ["2020-02-01", "2020-03-01"]
    csv = pd.read_csv(outcome.csv)
    assert set(csv["fold"]) == {1, 2} and pd.read_parquet(outcome.parquet)["fold"].tolist() == t["fold"].tolist()
    folds = pd.read_csv(tmp_path / "folds.csv")
    assert folds[["fold", "x", "oos_rank"]].values.tolist() == [[1, 2, 3], [2, 0, 1]]
    growth = pd.read_csv(tmp_path / "oos_growth.csv")
    assert list(growth.columns) == ["date", "growth"] and growth["date"].iloc[-1] == "2020-03-31"
    page = outcome.html.read_text()
    assert "Rank in sample against rank out of sample" in page and "Growth of $1 out of sample" in page
    # the choices' Sharpe ratios: 1.0 and 1.0 in sample, -3.0 and 1.0 out of sample
    assert "<b>1</b> in sample, <b>-1</b> out of sample" in page and "<th>rank out of sample</th>" in page


def test_the_stitched_out_of_sample_curve_chains_the_test_windows(tmp_path):
    from ecore.engine.sweep.store import read_nav
    from ecore.engine.sweep.walkforward import stitched_growth

    outcome = run_sweep(parse_sweep(WF), tmp_path, backtester=WindowToy(), executor=LocalPool(1), progress=False,
                        report=False)
    growth = stitched_growth(fold_summary(outcome.table, parse_sweep(WF)),
                             lambda key: read_nav(tmp_path / "navs" / f"{key}.npz"))
    feb = pd.bdate_range("2020-02-03", "2020-02-28")
    mar = pd.bdate_range("2020-03-02", "2020-03-31")
    assert growth.index[0] == pd.Timestamp("2020-02-03")  # no earlier day in February's run: its first is the base
    # February holds fold 1's choice x = 2 (0.001 * (2 - 2) = 0 a day), March fold 2's x = 0 (0.2% a day)
    assert growth.loc[feb].round(12).eq(1.0).all()
    # without warm-up, March's run has no day before the window: its first day is the base
    assert growth.iloc[-1] == pytest.approx(1.002 ** (len(mar) - 1))


def test_a_rerun_of_a_finished_walk_forward_sweep_runs_nothing(tmp_path):
    run_sweep(parse_sweep(WF), tmp_path / "out", backtester=WindowToy(), executor=LocalPool(2), progress=False)
    again = run_sweep(parse_sweep(WF), tmp_path / "out", backtester=WindowToy(tmp_path), executor=LocalPool(2),
                      progress=False)
    assert again.executed == 0 and again.skipped == 9 and read_log(tmp_path, "runs.log") == []


SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from ecore.engine.sweep import LocalPool, SweepInterrupted, parse_sweep, run_sweep
    from walk_forward_doubles import WindowToy

    if __name__ == "__main__":
        try:
            run_sweep(parse_sweep({sweep!r}), {out!r}, backtester=WindowToy({log!r}, delay=0.4),
                      executor=LocalPool(2), progress=False)
        except SweepInterrupted:
            sys.exit(130)
""")


def test_a_walk_forward_sweep_stopped_by_ctrl_c_resumes_without_running_anything_twice(tmp_path):
    import time

    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    script = tmp_path / "wf.py"
    script.write_text(SCRIPT.format(tests=str(TESTS), sweep=WF, out=str(tmp_path / "out"), log=str(tmp_path / "first")))
    proc = subprocess.Popen([sys.executable, str(script)], stderr=subprocess.PIPE, text=True)
    runs = tmp_path / "out" / "runs.jsonl"
    deadline = time.monotonic() + 60
    while not runs.exists() or len(runs.read_text().splitlines()) < 3:
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 130
    done = [json.loads(line) for line in runs.read_text().splitlines()]
    assert 0 < len(done) < 9

    outcome = run_sweep(parse_sweep(WF), tmp_path / "out", backtester=WindowToy(tmp_path / "second"),
                        executor=LocalPool(2), progress=False)
    assert outcome.skipped == len(done) and outcome.executed == 9 - len(done)
    assert len(read_log(tmp_path / "second", "runs.log")) == 9 - len(done)
    again = run_sweep(parse_sweep(WF), tmp_path / "out", backtester=WindowToy(), executor=LocalPool(2), progress=False)
    assert again.executed == 0 and len(again.table) == 12


@pytest.mark.slow
def test_a_walk_forward_sweep_gives_the_same_folds_and_choices_on_dask(tmp_path):
    spec = parse_sweep(WF)
    pool = run_sweep(spec, tmp_path / "pool", backtester=WindowToy(), executor=LocalPool(2), progress=False,
                     report=False)
    dask = run_sweep(spec, tmp_path / "dask", backtester=WindowToy(), executor=DaskCluster("local", 2),
                     progress=False, report=False)
    columns = ["fold", "window", "window_start", "window_end", "rank", "chosen", "x", "sharpe", "key"]
    pd.testing.assert_frame_equal(pool.table[columns], dask.table[columns])


EC_FILE = """strategy = "EfficientCore"
start = 2016-01-04
end = 2019-12-31
walk_forward = { train = "2y", test = "1y" }

[grid]
equity_weight = [0.6, 0.9]
"""


def test_the_command_counts_fold_runs_before_any_starts(tmp_path, capsys):
    from ecore.engine.cli.main import main

    (tmp_path / "wf.toml").write_text(EC_FILE)
    assert main(["sweep", str(tmp_path / "wf.toml"), "--max-runs", "5", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "the sweep has 8 runs" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "runs.jsonl").exists()


@pytest.mark.slow
def test_the_command_prints_each_folds_choice_and_the_degradation(tmp_path, capsys):
    from ecore.engine.cli.main import main

    (tmp_path / "wf.toml").write_text(EC_FILE)
    assert main(["sweep", str(tmp_path / "wf.toml"), "--workers", "2", "--no-progress", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "walk-forward (rolling): train 2y, test 1y, warm-up 1y: 2 fold(s)" in out
    assert "fold 1: train 2016-01-04..2018-01-03 chose equity_weight=" in out
    assert "fold 2: train 2017-01-04..2019-01-03 chose equity_weight=" in out
    assert "in sample vs" in out and "stitched test windows: CAGR" in out and "%" in out
    assert set(pd.read_csv(tmp_path / "out" / "results.csv")["fold"]) == {1, 2}
