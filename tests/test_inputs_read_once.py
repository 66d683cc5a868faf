"""Issue 22, item 1: every config, sweep and paper file is read once, so pipes, FIFOs and process
substitution (``--config <(...)``) work: the run uses the file's settings, not defaults."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from ecore.engine.cli.main import main

CONFIG = 'strategy = "SixtyForty"\nstart = "2021-01-04"\nend = "2021-03-30"\nbenchmark = false\n'


def _feed_fifo(path, text: str) -> threading.Thread:
    """A writer that opens the FIFO (blocking until the reader does), writes once and closes."""
    def write():
        with open(path, "w") as fh:
            fh.write(text)

    t = threading.Thread(target=write, daemon=True)
    t.start()
    return t


def test_a_backtest_config_given_through_a_fifo_is_used_not_ignored(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    fifo = tmp_path / "run.toml"
    os.mkfifo(fifo)
    writer = _feed_fifo(fifo, CONFIG)
    code = main(["backtest", "--config", str(fifo), "--out", "out", "--quiet"])
    writer.join(5)
    out = capsys.readouterr().out
    assert code == 0
    # The file's settings: SixtyForty alone, from 2021-01-04 to 2021-03-30.
    assert "SixtyForty" in out and "EfficientCore" not in out
    daily = (tmp_path / "out" / "daily.csv").read_text().splitlines()
    assert daily[1].startswith("2021-01-04") and daily[-1].startswith("2021-03-30")
    assert not (tmp_path / "out" / "benchmark_daily.csv").exists()


def test_a_bad_config_through_a_fifo_is_named_with_its_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    fifo = tmp_path / "run.toml"
    os.mkfifo(fifo)
    writer = _feed_fifo(fifo, CONFIG + "cash = -5\n")
    code = main(["backtest", "--config", str(fifo), "--out", "out", "--quiet"])
    writer.join(5)
    err = capsys.readouterr().err
    assert code == 2
    assert "run.toml, line 5, column 1: cash: must be a number above 0" in err
    assert not (tmp_path / "out").exists()


def _run_with_fd(args_before, text: str, args_after, cwd):
    """``ecore ARGS /dev/fd/N ARGS`` with N a pipe the parent writes ``text`` into, as
    ``<(...)`` does in a shell."""
    r, w = os.pipe()
    os.write(w, text.encode())
    os.close(w)
    try:
        return subprocess.run([sys.executable, "-m", "ecore.engine.cli", *args_before, f"/dev/fd/{r}", *args_after],
                              capture_output=True, text=True, cwd=cwd, timeout=300, pass_fds=(r,))
    finally:
        os.close(r)


def test_process_substitution_config_runs_the_file_settings(tmp_path):
    res = _run_with_fd(["backtest", "--config"], CONFIG, ["--out", "out", "--quiet"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert "SixtyForty" in res.stdout and "EfficientCore" not in res.stdout
    assert (tmp_path / "out" / "daily.csv").read_text().splitlines()[-1].startswith("2021-03-30")


def test_process_substitution_sweep_file_is_read_whole(tmp_path):
    sweep = ('strategy = "SixtyForty"\nstart = 2021-01-04\nend = 2021-03-30\nbenchmark = false\n'
             '[grid]\nequity_weight = [0.5, 0.6]\n')
    res = _run_with_fd(["sweep"], sweep, ["--out", "sw", "--no-progress", "--workers", "1"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert "sweep: 2 runs" in res.stdout


def test_process_substitution_sweep_file_error_names_the_key(tmp_path):
    res = _run_with_fd(["sweep"], 'strategy = "EfficientCore"\nleverage = 2\n[grid]\ndrift_band = [0.05]\n',
                       ["--out", "sw"], tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [res.stderr.strip()]
    assert "key 'leverage': unknown key" in res.stderr
    assert not (tmp_path / "sw").exists()


def test_process_substitution_paper_config_is_read_whole(tmp_path):
    res = _run_with_fd(["paper", "--config"], '[strategy]\nclass = "EfficientCore"\n[ib]\nport = 7496\n',
                       ["--dry-run"], tmp_path)
    assert res.returncode == 2
    # line 4 of what the pipe carried: the whole file was read by the loader, not an empty rest
    assert "line 4: ib.port: 7496 is the TWS live-trading port" in res.stderr


def test_a_relative_data_folder_in_a_piped_config_is_taken_from_the_current_folder(tmp_path):
    res = _run_with_fd(["backtest", "--config"], CONFIG + 'data = "mydata"\n', ["--out", "out"], tmp_path)
    assert res.returncode == 2
    assert f"data: folder not found: {tmp_path / 'mydata'}" in res.stderr


def test_a_config_file_edited_between_two_commands_is_read_again(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.toml").write_text(CONFIG + "cash = -5\n")
    assert main(["backtest", "--config", "run.toml", "--out", "out", "--quiet"]) == 2
    (tmp_path / "run.toml").write_text(CONFIG + "cash = -6\n")
    assert main(["backtest", "--config", "run.toml", "--out", "out", "--quiet"]) == 2
    assert "got -6" in capsys.readouterr().err.splitlines()[-1]


@pytest.mark.parametrize("text", ["x" * 10, ""])
def test_an_empty_or_odd_piped_sweep_file_is_one_line(tmp_path, text):
    res = _run_with_fd(["sweep"], text, ["--out", "sw"], tmp_path)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "Traceback" not in res.stderr
