"""Issue 22, items 7 and 8: every message is one line without a Python source line; warnings are
collected and printed once per command (a sweep prints each distinct warning once with the count
of its runs); a strategy that never warms up or never trades says so; a closed port is one line."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import pytest

from ecore.engine.cli.main import main

WINDOW = ["--start", "2021-01-04", "--end", "2021-03-30", "--quiet", "--out", "out"]

MODULE = textwrap.dedent("""\
    import warnings

    import backtrader as bt


    class Noisy(bt.Strategy):
        params = (("size", 1),)

        def next(self):
            warnings.warn("the signal is stale")
            if not self.position:
                self.buy(size=self.p.size)


    class LongSMA(bt.Strategy):
        def __init__(self):
            self.sma = bt.indicators.SMA(self.data.close, period=200)

        def next(self):
            if not self.position:
                self.buy(size=10)


    class Idle(bt.Strategy):
        pass
    """)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("ECORE_DEBUG", raising=False)
    (tmp_path / "wo_strats.py").write_text(MODULE)
    sys.modules.pop("wo_strats", None)
    yield tmp_path
    sys.modules.pop("wo_strats", None)


def warning_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if ": warning: " in line]


def test_a_warning_raised_on_every_day_is_one_line_with_its_count(folder, capsys):
    assert main(["backtest", "--strategy", "wo_strats.Noisy", "--instruments", "SPY", "--no-benchmark", *WINDOW]) == 0
    lines = warning_lines(capsys.readouterr().err)
    assert lines == ["ecore backtest: warning: the signal is stale (60 times)"]


def test_no_warning_line_carries_a_python_source_line(folder, capsys):
    assert main(["backtest", "--strategy", "wo_strats.Noisy", "--instruments", "SPY", "--no-benchmark", *WINDOW]) == 0
    err = capsys.readouterr().err
    assert ".py:" not in err and "UserWarning" not in err


def test_a_command_that_fails_prints_its_error_alone(folder, capsys):
    assert main(["backtest", "--strategy", "wo_strats.Noisy", "--instruments", "SPY", "--no-benchmark",
                 "--start", "2021-01-04", "--end", "2021-03-30", "--cash", "-1", "--out", "out"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ": error: " in err[0]


def test_a_strategy_that_never_warms_up_says_so_in_one_line(folder, capsys):
    assert main(["backtest", "--strategy", "wo_strats.LongSMA", "--instruments", "SPY", "--no-benchmark", *WINDOW]) == 0
    lines = warning_lines(capsys.readouterr().err)
    assert lines == ["ecore backtest: warning: strategy LongSMA never got past its warm-up: its indicators need "
                     "200 bars and the run has 60, so next() was never called and it never traded; start the run "
                     "earlier or shorten its indicators' periods"]


def test_a_strategy_that_never_trades_says_so_in_one_line(folder, capsys):
    assert main(["backtest", "--strategy", "wo_strats.Idle", "--instruments", "SPY", *WINDOW]) == 0
    lines = warning_lines(capsys.readouterr().err)
    assert len(lines) == 1 and "strategy Idle never traded in the run (60 days past its warm-up)" in lines[0]


def test_a_strategy_that_trades_gets_no_activity_line(folder, capsys):
    assert main(["backtest", "--strategy", "SixtyForty", *WINDOW]) == 0
    assert "never" not in capsys.readouterr().err


def test_a_sweep_prints_each_distinct_warning_once_with_the_count_of_runs(folder, capsys):
    (folder / "s.toml").write_text('strategy = "wo_strats.Noisy"\ninstruments = "SPY"\nstart = 2021-01-04\n'
                                   'end = 2021-03-30\nbenchmark = false\n[grid]\nsize = [1, 2, 3]\n')
    assert main(["sweep", "s.toml", "--out", "sw", "--no-progress", "--workers", "2"]) == 0
    lines = warning_lines(capsys.readouterr().err)
    assert lines == ["ecore sweep: warning: the signal is stale (in 3 of 3 runs)"]


def test_a_sweep_worker_prints_nothing_per_run(folder):
    (folder / "s.toml").write_text('strategy = "wo_strats.Noisy"\ninstruments = "SPY"\nstart = 2021-01-04\n'
                                   'end = 2021-03-30\nbenchmark = false\n[grid]\nsize = [1, 2]\n')
    r = subprocess.run([sys.executable, "-m", "ecore.engine.cli", "sweep", "s.toml", "--out", "sw",
                        "--no-progress", "--workers", "2"], cwd=folder, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines() == ["ecore sweep: warning: the signal is stale (in 2 of 2 runs)"]


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("action", [[], ["status"]])
def test_a_closed_port_is_one_line_without_the_ib_librarys_log(tmp_path, action):
    (tmp_path / "p.toml").write_text('[ib]\nport = 4002\n[strategy]\nclass = "SixtyForty"\n')
    port = _closed_port()
    argv = ["paper", *action, "--config", "p.toml", "--port", str(port), *([] if action else ["--dry-run"])]
    r = subprocess.run([sys.executable, "-m", "ecore.engine.cli", *argv], cwd=tmp_path, capture_output=True,
                       text=True, timeout=120)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith("ecore paper: error: cannot reach TWS/IB Gateway at 127.0.0.1:")


def test_a_paper_run_prints_each_warning_once_as_it_first_comes(capsys):
    import warnings

    from ecore.engine.cli.warnings_once import collecting

    with collecting("ecore paper", live=True):
        warnings.warn("bar is late")
        assert capsys.readouterr().err == "ecore paper: warning: bar is late\n"  # at once, not at the end
        warnings.warn("bar is late")
        warnings.warn("bar\nis   late")  # the same text once folded to one line
    assert capsys.readouterr().err == ""


def test_a_sweep_on_a_data_folder_with_a_gap_says_so_once(folder, capsys):
    import gzip

    import pandas as pd

    from ecore.data.market import BUNDLED_DIR

    for kind in ("yields", "closes"):
        (folder / "d" / kind).mkdir(parents=True)
        for path in sorted((BUNDLED_DIR / kind).glob("*.csv.gz")):
            with gzip.open(path, "rt") as fh:
                frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
            day = frame.iloc[:, 0]
            keep = (day >= "2020-06-01") & (day <= "2021-12-31")
            if path.name.startswith("EEM"):  # a fund no run uses, with a month missing
                keep &= ~((day >= "2021-08-01") & (day <= "2021-09-01"))
            frame[keep].to_csv(folder / "d" / kind / path.name[:-3], index=False)
    (folder / "s.toml").write_text('strategy = "SixtyForty"\ndata = "d"\nstart = 2021-01-04\nend = 2021-03-30\n'
                                   "benchmark = false\n[grid]\nequity_weight = [0.5, 0.6]\n")
    assert main(["sweep", "s.toml", "--out", "sw", "--no-progress", "--workers", "2"]) == 0
    lines = [line for line in warning_lines(capsys.readouterr().err) if "EEM.csv" in line]
    assert len(lines) == 1 and lines[0].startswith("ecore sweep: warning: ") and "gap" in lines[0]
