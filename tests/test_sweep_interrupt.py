"""Kill a sweep halfway, run it again: only unfinished runs execute, the table is complete."""

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ecore.engine.sweep import LocalPool, parse_sweep, run_sweep
from sweep_doubles import ToyBacktester, read_log

TESTS = Path(__file__).resolve().parent
SWEEP = {"strategy": "Toy", "grid": {"x": [0, 1, 2, 3], "y": [0, 1, 2, 3]}}
RUNS = 16

SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from ecore.engine.sweep import LocalPool, SweepInterrupted, parse_sweep, run_sweep
    from sweep_doubles import ToyBacktester

    if __name__ == "__main__":
        try:
            run_sweep(parse_sweep({sweep!r}), {out!r}, backtester=ToyBacktester({log!r}, delay=0.4),
                      executor=LocalPool(2), progress=False)
        except SweepInterrupted:
            sys.exit(130)
""")


def start_sweep(tmp_path: Path, log: Path) -> subprocess.Popen:
    script = tmp_path / "sweep_script.py"
    script.write_text(SCRIPT.format(tests=str(TESTS), sweep=SWEEP, out=str(tmp_path / "out"), log=str(log)))
    return subprocess.Popen([sys.executable, str(script)], stderr=subprocess.PIPE, text=True)


def finished_lines(tmp_path: Path) -> list[dict]:
    path = tmp_path / "out" / "runs.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def interrupt_halfway(tmp_path: Path, signum: int) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "first"
    log.mkdir()
    proc = start_sweep(tmp_path, log)
    deadline = time.monotonic() + 60
    while len(finished_lines(tmp_path)) < RUNS // 4:
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the sweep never got going"
        time.sleep(0.05)
    proc.send_signal(signum)
    proc.wait(timeout=30)
    return proc, log


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_killed_sweep_resumes_with_only_unfinished_runs_and_no_duplicates(tmp_path, signum):
    proc, _ = interrupt_halfway(tmp_path, signum)
    assert proc.returncode == 130, proc.stderr.read()
    before = {(r["params"]["x"], r["params"]["y"]) for r in finished_lines(tmp_path)}
    assert 0 < len(before) < RUNS

    log = tmp_path / "second"
    log.mkdir()
    outcome = run_sweep(parse_sweep(SWEEP), tmp_path / "out", backtester=ToyBacktester(log),
                        executor=LocalPool(2), progress=False)

    executed = {(int(x), int(y)) for _, x, y in (line.split() for line in read_log(log, "runs.log"))}
    every = {(x, y) for x in range(4) for y in range(4)}
    assert executed == every - before
    assert outcome.skipped == len(before) and outcome.executed == RUNS - len(before)
    assert len(outcome.table) == RUNS and outcome.table["key"].is_unique
    keys_on_disk = [r["key"] for r in finished_lines(tmp_path)]
    assert len(keys_on_disk) == len(set(keys_on_disk)) == RUNS


def test_an_interrupted_sweep_stops_its_workers_at_once(tmp_path):
    _, log = interrupt_halfway(tmp_path, signal.SIGTERM)
    started = len(read_log(log, "runs.log"))
    finished = len(finished_lines(tmp_path))
    # Only the runs in progress when the signal came (one per worker) are lost; no queued run starts.
    assert started - finished <= 2, (started, finished)
