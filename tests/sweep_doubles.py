"""A stand-in backtester for the sweep machinery's tests: closed-form metrics, no market data.

It is a legitimate test double for the pool, Dask, resume and failure mechanics: its results are
known exactly, it can be slowed down, made to fail, and it logs which process loaded data and
which runs it executed (one line per event, appended atomically).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ecore.engine.sweep import Backtester, RunOutput

DAYS = pd.bdate_range("2020-01-01", periods=60, name="date")


def toy_metrics(x, y=0, label="a") -> dict:
    """The metrics the toy backtester reports for parameters x, y, label."""
    return {
        "sharpe": 1.0 - (x - 1.0) ** 2 - (y - 2.0) ** 2 / 10.0,
        "total_return": 0.01 * x + 0.001 * y,
        "label_length": len(str(label)),
        "calendar_year_returns": {"2020": 0.01 * x},
    }


def toy_nav(x, y=0) -> pd.Series:
    daily = 0.0001 * (1 + x) + 0.00001 * y
    return pd.Series(1_000_000.0 * np.cumprod(np.full(len(DAYS), 1 + daily)), index=DAYS, name="nav")


class ToyBacktester(Backtester):
    """Metrics from :func:`toy_metrics`; a run with ``x < 0`` raises ValueError.

    ``log_dir``: where ``loads.log`` (one pid per data load) and ``runs.log`` (pid and x, y per
    run started) are appended.  ``delay``: seconds each run sleeps.  ``version``: the data
    fingerprint, to simulate changed data.
    """

    def __init__(self, log_dir: str | Path | None = None, delay: float = 0.0, version: str = "v1"):
        self.log_dir = str(log_dir) if log_dir else None
        self.delay = delay
        self.version = version

    def _log(self, name: str, text: str) -> None:
        if self.log_dir:
            fd = os.open(os.path.join(self.log_dir, name), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                os.write(fd, (text + "\n").encode())
            finally:
                os.close(fd)

    def identity(self, spec) -> dict:
        return {"data": self.version, "code": "toy-backtester-1"}

    def load(self, spec):
        self._log("loads.log", str(os.getpid()))
        return {"loaded_by": os.getpid()}

    def run(self, spec, config, market) -> RunOutput:
        p = config["params"]
        x, y, label = p["x"], p.get("y", 0), p.get("label", "a")
        self._log("runs.log", f"{os.getpid()} {x!r} {y!r}")
        if x < 0:
            raise ValueError(f"x must be >= 0, got {x}")
        if self.delay:
            time.sleep(self.delay)
        return RunOutput(toy_metrics(x, y, label), toy_nav(x, y))


def read_log(log_dir: Path, name: str) -> list[str]:
    path = Path(log_dir) / name
    return path.read_text().splitlines() if path.exists() else []
