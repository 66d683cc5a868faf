"""Sweeps of a user's strategy: a sweep file naming a plain backtrader strategy runs on the local
pool and on Dask, its resume key follows the module's source, and a Dask worker that cannot
import the module is named before any run."""

import sys
import textwrap

import pytest

from ecore.engine.cli.main import main
from ecore.engine.sweep import DaskCluster, LocalPool, load_sweep, parse_sweep, run_sweep
from ecore.engine.sweep.backtests import EventDrivenBacktester
from ecore.engine.sweep.executors import WorkerSetupError

SWEEP = {"strategy": "user_strategies.BuyAndHoldFive", "instruments": "SPY,ZN",
         "start": "2021-01-04", "end": "2021-12-31", "grid": {"contracts": [2, 5]}}


@pytest.fixture(autouse=True)
def own_import_path(monkeypatch):
    """Each test imports its strategy module from its own folder: the folders the command adds to
    the import path, and the module, are forgotten afterwards."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    sys.modules.pop("swept_strategy", None)
    yield
    sys.modules.pop("swept_strategy", None)


def ranked(outcome) -> dict:
    return {row["contracts"]: (row["status"], row["rolls"], row["final_nav"])
            for _, row in outcome.table.iterrows()}


@pytest.fixture(scope="module")
def on_pool(tmp_path_factory):
    spec = parse_sweep(SWEEP)
    return run_sweep(spec, tmp_path_factory.mktemp("pool") / "out", executor=LocalPool(2), progress=False,
                     report=False)


def test_a_sweep_file_naming_a_plain_strategy_runs_on_the_local_pool(on_pool):
    runs = ranked(on_pool)
    assert set(runs) == {2, 5} and on_pool.failed == 0
    assert all(status == "ok" and rolls == 4 for status, rolls, _ in runs.values())
    assert runs[2][2] != runs[5][2]  # the parameter reached the strategy


@pytest.mark.slow
def test_the_same_sweep_on_a_dask_local_cluster_gives_the_same_numbers(on_pool, tmp_path):
    outcome = run_sweep(parse_sweep(SWEEP), tmp_path / "out", executor=DaskCluster("local", 2),
                        progress=False, report=False)
    assert ranked(outcome) == ranked(on_pool)


def write_module(folder, body="self.buy(size=1)"):
    (folder / "swept_strategy.py").write_text(textwrap.dedent(f"""\
        import backtrader as bt

        class Hold(bt.Strategy):
            instruments = ("SPY",)
            params = (("size", 1),)

            def next(self):
                if not self.position:
                    {body}
        """))


def test_editing_the_strategy_module_changes_the_resume_key(tmp_path):
    write_module(tmp_path)
    (tmp_path / "sweep.toml").write_text('strategy = "swept_strategy.Hold"\n[grid]\nsize = [1, 2]\n')
    spec = load_sweep(tmp_path / "sweep.toml")
    before = EventDrivenBacktester().identity(spec)
    write_module(tmp_path, body="self.buy(size=self.p.size)")
    after = EventDrivenBacktester().identity(spec)
    assert before["strategy"] != after["strategy"]
    assert before["code"] == after["code"] and before["data"] == after["data"]


def test_our_strategies_are_keyed_by_the_package_source_alone():
    spec = parse_sweep({"strategy": "EfficientCore", "grid": {"drift_band": [0.05, 0.1]}})
    assert set(EventDrivenBacktester().identity(spec)) == {"data", "code"}


def test_the_command_runs_a_strategy_beside_the_sweep_file_and_resumes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sweeps").mkdir()
    write_module(tmp_path / "sweeps", body="self.buy(size=self.p.size)")
    (tmp_path / "sweeps" / "hold.toml").write_text(textwrap.dedent("""\
        strategy = "swept_strategy.Hold"
        start = 2021-01-04
        end = 2021-03-31
        [grid]
        size = [10, 20]
        """))
    assert main(["sweep", "sweeps/hold.toml", "--workers", "2", "--no-progress", "--out", "out"]) == 0
    assert "2 runs (2 executed now, 0 already done, 0 failed)" in capsys.readouterr().out
    assert main(["sweep", "sweeps/hold.toml", "--workers", "2", "--no-progress", "--out", "out"]) == 0
    assert "2 runs (0 executed now, 2 already done, 0 failed)" in capsys.readouterr().out


def test_fast_refuses_a_strategy_it_does_not_model_in_one_line(tmp_path, capsys):
    (tmp_path / "sweep.toml").write_text(
        'strategy = "user_strategies.BuyAndHoldFive"\ninstruments = "SPY,ZN"\n[grid]\ncontracts = [1, 2]\n')
    assert main(["sweep", str(tmp_path / "sweep.toml"), "--fast", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"ecore sweep: error: {tmp_path / 'sweep.toml'}: key 'strategy': --fast models EfficientCore "
                   "only; run user_strategies.BuyAndHoldFive without --fast"]
    assert not (tmp_path / "out" / "runs.jsonl").exists()


def test_unknown_instruments_in_a_sweep_file_are_named_before_any_run(tmp_path, capsys):
    (tmp_path / "sweep.toml").write_text(
        'strategy = "user_strategies.BuyAndHoldFive"\ninstruments = ["SPY", "ZQ"]\n[grid]\ncontracts = [1, 2]\n')
    assert main(["sweep", str(tmp_path / "sweep.toml"), "--out", str(tmp_path / "out")]) == 2
    assert "instruments: unknown instrument 'ZQ'" in capsys.readouterr().err
    assert not (tmp_path / "out" / "runs.jsonl").exists()


@pytest.mark.slow
def test_a_dask_worker_that_cannot_import_the_module_is_named_before_any_run(tmp_path, monkeypatch):
    from distributed import LocalCluster

    modules = tmp_path / "only-here"
    modules.mkdir()
    write_module(modules)
    monkeypatch.chdir(tmp_path)
    # The workers start without the module's folder, as on machines where it was not installed.
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        monkeypatch.syspath_prepend(str(modules))
        spec = parse_sweep({"strategy": "swept_strategy.Hold", "start": "2021-01-04", "end": "2021-03-31",
                            "grid": {"size": [1, 2]}})
        with pytest.raises(WorkerSetupError) as caught:
            run_sweep(spec, tmp_path / "out", executor=DaskCluster(cluster.scheduler_address),
                      progress=False, report=False)
    message = str(caught.value)
    assert "its module 'swept_strategy' is not importable on Dask worker tcp://127.0.0.1:" in message
    assert "No module named 'swept_strategy'" in message and "\n" not in message
    assert not (tmp_path / "out" / "runs.jsonl").read_text()
