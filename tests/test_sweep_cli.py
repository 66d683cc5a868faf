"""`ecore sweep FILE`: the command line over the sweep engine."""

import subprocess
import textwrap

import pandas as pd
import pytest


def ecore(*args, cwd=None):
    return subprocess.run(["ecore", *args], capture_output=True, text=True, cwd=cwd)


class Ran:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def here(capsys, monkeypatch):
    """``ecore`` in this process, for the help and the one-line errors (a process start costs
    about 0.8 s); the sweeps below, and test_bad_inputs' real-command test of a bad sweep file,
    start the command as users do."""
    from ecore.engine.cli.main import main

    monkeypatch.delenv("ECORE_DEBUG", raising=False)

    def call(*args):
        try:
            status = main(list(args))
        except SystemExit as exc:  # argparse's --help and its own mistakes
            status = exc.code
        out = capsys.readouterr()
        return Ran(status, out.out, out.err)

    return call


def write(tmp_path, text):
    path = tmp_path / "sweep.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_sweep_is_listed_in_the_help(here):
    r = here("--help")
    assert r.returncode == 0 and "sweep" in r.stdout


def test_a_bad_sweep_file_is_a_one_line_error_naming_the_key(tmp_path, here):
    path = write(tmp_path, """
        strategy = "EfficientCore"
        [grid]
        equity_weight = 0.9
    """)
    r = here("sweep", str(path), "--out", str(tmp_path / "out"))
    assert r.returncode == 2
    assert "grid.equity_weight" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_an_unknown_strategy_parameter_is_a_one_line_error_naming_it(tmp_path, here):
    path = write(tmp_path, """
        strategy = "EfficientCore"
        [grid]
        equity_wieght = [0.8, 0.9]
    """)
    r = here("sweep", str(path), "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and "equity_wieght" in r.stderr


def test_the_fast_path_refuses_a_strategy_it_does_not_model_naming_the_key(tmp_path, here):
    path = write(tmp_path, """
        strategy = "SixtyForty"
        [grid]
        equity_weight = [0.5, 0.6]
    """)
    r = here("sweep", str(path), "--fast", "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and "'strategy'" in r.stderr


@pytest.mark.slow
def test_a_sweep_writes_the_ranked_table_and_report_and_a_rerun_resumes(tmp_path):
    path = write(tmp_path, """
        strategy = "EfficientCore"
        start = 2021-01-04
        end = 2021-06-30
        rank_by = "cagr"
        top = 2
        [grid]
        futures_notional = [0.4, 0.8]
    """)
    out = tmp_path / "out"
    first = ecore("sweep", str(path), "--workers", "2", "--out", str(out), "--no-progress")
    assert first.returncode == 0, first.stderr
    assert "2 executed now, 0 already done" in first.stdout
    table = pd.read_csv(out / "results.csv")
    assert table["rank"].tolist() == [1, 2] and table["cagr"].is_monotonic_decreasing
    assert (out / "results.parquet").exists() and (out / "sweep.html").exists()
    again = ecore("sweep", str(path), "--workers", "2", "--out", str(out), "--no-progress")
    assert "0 executed now, 2 already done" in again.stdout


@pytest.mark.slow
def test_fast_ranks_every_set_and_reruns_only_the_top_n_event_driven(tmp_path):
    path = write(tmp_path, """
        strategy = "EfficientCore"
        start = 2020-01-02
        end = 2021-12-31
        rank_by = "sharpe"
        [grid]
        equity_weight = [0.7, 0.8, 0.9]
        futures_notional = [0.4, 0.6, 0.8]
    """)
    out = tmp_path / "out"
    r = ecore("sweep", str(path), "--fast", "--top", "2", "--out", str(out), "--no-progress")
    assert r.returncode == 0, r.stderr
    quick = pd.read_csv(out / "fast.csv")
    ranked = pd.read_csv(out / "results.csv")
    assert len(quick) == 9 and len(ranked) == 2
    assert "fast path, 9 parameter sets" in (out / "sweep.html").read_text()
    best_fast = quick.head(2)[["equity_weight", "futures_notional"]].values.tolist()
    assert sorted(ranked[["equity_weight", "futures_notional"]].values.tolist()) == sorted(best_fast)
    for _, row in ranked.iterrows():
        same = quick[(quick["equity_weight"] == row["equity_weight"])
                     & (quick["futures_notional"] == row["futures_notional"])].iloc[0]
        assert row["sharpe"] == pytest.approx(same["sharpe"], abs=1e-6)
