"""A toy backtester whose results depend on the run's window, for walk-forward tests.

Its Sharpe ratio favours ``x = 2`` before 2020-02-01 and ``x = 0`` from then on, so a fold
trained in January chooses 2 and loses out of sample.  Each run started is logged with its
window (``runs.log``: pid, x, y, start, end)."""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

from ecore.engine.sweep import RunOutput
from sweep_doubles import ToyBacktester

DAYS = pd.bdate_range("2019-10-01", "2020-06-30", name="date")
TURN = pd.Timestamp("2020-02-01")


def window_sharpe(x, score_from) -> float:
    """In January the best x is 2; from February the best is 0."""
    best = 2 if pd.Timestamp(score_from) < TURN else 0
    return 1.0 - (x - best) ** 2


class WindowToy(ToyBacktester):
    def run(self, spec, config, market) -> RunOutput:
        p = config["params"]
        x, y = p["x"], p.get("y", 0)
        self._log("runs.log", f"{os.getpid()} {x!r} {y!r} {config['start']} {config['end']}")
        if self.delay:
            time.sleep(self.delay)
        days = DAYS[(DAYS >= pd.Timestamp(config["start"])) & (DAYS <= pd.Timestamp(config["end"]))]
        score_from = config.get("score_from", config["start"])
        daily = np.where(days < TURN, 0.001 * x, 0.001 * (2 - x))
        nav = pd.Series(1_000_000.0 * np.cumprod(1 + daily), index=days, name="nav")
        return RunOutput({"sharpe": window_sharpe(x, score_from), "total_return": float(nav.iloc[-1] / nav.iloc[0] - 1)},
                         nav)
