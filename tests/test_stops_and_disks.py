"""Signals, dead processes and disks: Ctrl-C and SIGTERM end a backtest in one line with 130/143
and no output; a sweep's workers die with it after ``kill -9`` and its lock is taken over; a
full or read-only disk is found before the run, and a disk that fills up during the writing
leaves the earlier files whole."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from ecore.engine.sweep import LocalPool, parse_sweep, run_sweep
from ecore.engine.sweep.lock import LOCK_FILE, StoreBusy
from ecore.engine.sweep.store import ResultStore
from sweep_doubles import ToyBacktester

TESTS = Path(__file__).resolve().parent


def ecore(*args, cwd, env=None, **kw):
    return subprocess.Popen(["ecore", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})}, **kw)


# ------------------------------------------------------------------------------------ signals

@pytest.mark.parametrize("signum,status,words", [(signal.SIGINT, 130, "interrupted (Ctrl-C)"),
                                                 (signal.SIGTERM, 143, "terminated (SIGTERM)")])
def test_a_signalled_backtest_says_so_in_one_line_and_leaves_no_output(tmp_path, signum, status, words):
    proc = ecore("backtest", "--out", "res", "--quiet", cwd=tmp_path)
    # Signal once the run has used two seconds of CPU (data loaded, prices under way): a time
    # measured in CPU, not on the clock, so a loaded machine does not let the run finish first.
    child = psutil.Process(proc.pid)
    while child.cpu_times().user + child.cpu_times().system < 2.0:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    # Data warnings found before the run (one line each) may come first; the stop is one line.
    lines = [line for line in err.strip().splitlines() if not line.startswith("ecore backtest: warning:")]
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in err, err
    assert not (tmp_path / "res").exists()


SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from ecore.engine.sweep import LocalPool, parse_sweep, run_sweep
    from sweep_doubles import ToyBacktester

    if __name__ == "__main__":
        run_sweep(parse_sweep({{"strategy": "Toy", "grid": {{"x": list(range(40))}}}}), {out!r},
                  backtester=ToyBacktester(delay=2.0), executor=LocalPool(2), progress=False)
""")


def test_after_kill_9_of_a_sweep_its_workers_die_and_the_next_sweep_takes_the_folder(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text(SCRIPT.format(tests=str(TESTS), out=str(tmp_path / "out")))
    proc = subprocess.Popen([sys.executable, str(script)])
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 60
    while len(parent.children()) < 2:
        assert time.monotonic() < deadline and proc.poll() is None, "the pool never started"
        time.sleep(0.1)
    workers = parent.children(recursive=True)
    proc.kill()
    proc.wait()
    gone, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, f"workers outlived their parent: {alive}"
    with ResultStore(tmp_path / "out"):  # not StoreBusy: nothing holds the lock any more
        pass


HOLDER = textwrap.dedent("""
    import fcntl, sys, time
    fh = open(sys.argv[1], "a+")
    fcntl.flock(fh, fcntl.LOCK_EX)
    print("held", flush=True)
    time.sleep(60)
""")


@contextlib.contextmanager
def lock_held_by_another_process(folder: Path):
    """A process that holds ``sweep.lock`` the way a leftover worker would."""
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder / LOCK_FILE)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_a_lock_whose_owner_is_dead_is_taken_over(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    with lock_held_by_another_process(tmp_path / "out"):
        (tmp_path / "out" / LOCK_FILE).write_text(f"{dead.pid} 1.0\n")
        with ResultStore(tmp_path / "out") as store:
            owner = (store.folder / LOCK_FILE).read_text().split()[0]
    assert owner == str(os.getpid())


def test_a_lock_whose_owner_runs_is_refused_naming_its_pid(tmp_path):
    with lock_held_by_another_process(tmp_path / "out") as holder:
        started = psutil.Process(holder.pid).create_time()
        (tmp_path / "out" / LOCK_FILE).write_text(f"{holder.pid} {started}\n")
        with pytest.raises(StoreBusy, match=f"another sweep \\(pid {holder.pid}\\) is writing into"):
            ResultStore(tmp_path / "out")


def test_a_sweep_whose_every_run_fails_exits_1_with_the_count_and_the_first_error(tmp_path):
    (tmp_path / "s.toml").write_text('strategy = "user_strategies.Broken"\ninstruments = ["SPY"]\n'
                                     'start = 2021-01-04\nend = 2021-03-31\n[grid]\nunused = [1, 2]\n')
    (tmp_path / "user_strategies.py").write_text(
        "import backtrader as bt\n\nclass Broken(bt.Strategy):\n    params = dict(unused=0)\n\n"
        "    def next(self):\n        if len(self) == 10:\n            self.ratio = 1 / 0\n")
    proc = ecore("sweep", "s.toml", "--out", "out", "--no-progress", "--workers", "2", cwd=tmp_path)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    assert "all 2 runs failed; first error: " in err and "ZeroDivisionError" in err
    assert (tmp_path / "out" / "results.csv").exists()


# ------------------------------------------------------------------------------------ disks

@contextlib.contextmanager
def small_disk(path: Path, size: str, read_only: bool = False):
    """A tmpfs of ``size`` mounted at ``path`` (the tests run as root, as CI does)."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_full_disk_is_found_before_the_run(tmp_path):
    with small_disk(tmp_path / "disk", "1m") as disk:
        proc = ecore("backtest", "--out", str(disk / "res"), "--quiet", cwd=tmp_path)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 2 and len(err.strip().splitlines()) == 1, err
        assert "--out: " in err and "MB free; this run writes about 30 MB" in err
        assert list(disk.iterdir()) == []


def test_a_read_only_output_folder_is_found_before_the_run(tmp_path):
    with small_disk(tmp_path / "disk", "1m", read_only=True) as disk:
        proc = ecore("backtest", "--out", str(disk / "res"), "--quiet", cwd=tmp_path)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 2 and len(err.strip().splitlines()) == 1, err
        assert "(read-only file system)" in err


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_disk_filling_up_while_writing_sweep_html_keeps_the_earlier_page_whole(tmp_path):
    spec = parse_sweep({"strategy": "Toy", "grid": {"x": [0, 1, 2]}})
    run_sweep(spec, tmp_path / "probe", backtester=ToyBacktester(), executor=LocalPool(1), progress=False)
    size = (tmp_path / "probe" / "sweep.html").stat().st_size  # plotly.js inline: a few MB
    with small_disk(tmp_path / "disk", f"{int(size * 1.5) // 1024}k") as disk:  # room for one page, not two
        out = disk / "out"
        run_sweep(spec, out, backtester=ToyBacktester(), executor=LocalPool(1), progress=False)
        page = _sha(out / "sweep.html")
        with pytest.raises(OSError) as caught:
            run_sweep(parse_sweep({"strategy": "Toy", "grid": {"x": [0, 1, 2, 3]}}), out,
                      backtester=ToyBacktester(), executor=LocalPool(1), progress=False)
        assert "No space left" in str(caught.value)
        assert _sha(out / "sweep.html") == page
        assert not [p for p in out.iterdir() if p.name.startswith(".ecore-staging-")]
