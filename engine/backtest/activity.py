"""Whether a run's strategy did anything: a strategy whose indicators never warm up inside the
window (backtrader calls ``prenext`` only, never ``next``), or that never trades, gives a report
of cash interest and nothing else; the run says so in one warning line instead of passing it off
as a result.
"""

from __future__ import annotations

import backtrader as bt


class StrategyActivity(UserWarning):
    """The strategy never got past its warm-up, or never traded, in the run."""


class ActivityWatch(bt.Analyzer):
    """Counts the bars on which the strategy was past its warm-up (``next`` was called) and the
    bars of the run.  backtrader calls an analyzer's ``prenext`` while its strategy warms up and
    ``nextstart``/``next`` after, so these counts are the strategy's own phases."""

    def start(self):
        self.bars = 0
        self.active = 0

    def prenext(self):
        self.bars += 1

    def nextstart(self):
        self.bars += 1
        self.active += 1

    def next(self):
        self.bars += 1
        self.active += 1

    def get_analysis(self):
        return {"bars": self.bars, "active": self.active}


#: The name the runner gives the watch among the strategy's analyzers.
WATCH_NAME = "_ecore_activity"


def activity_message(strategy, trades: int) -> str | None:
    """One line when ``strategy`` (after its run, with an :class:`ActivityWatch` named
    :data:`WATCH_NAME`) never left its warm-up or made no trade; None when it did both."""
    watch = getattr(strategy.analyzers, WATCH_NAME, None)
    if watch is None:
        return None
    name = type(strategy).__name__
    if watch.bars and not watch.active:
        need = getattr(strategy, "_minperiod", None)
        why = f"its indicators need {need} bars and the run has {watch.bars}" if need else \
            f"its data never all had a bar on one day in the run's {watch.bars} days"
        return (f"strategy {name} never got past its warm-up: {why}, so next() was never called and it "
                "never traded; start the run earlier or shorten its indicators' periods")
    if trades == 0:
        return (f"strategy {name} never traded in the run ({watch.active} days past its warm-up): the "
                "results are its cash alone; check its conditions, instruments and sizes")
    return None
