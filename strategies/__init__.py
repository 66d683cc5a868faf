"""ecore.strategies: backtrader strategies (the 90/60 efficient core and its benchmarks), the
public base :class:`Strategy` they are built on, and the roll keeper the engine adds for
strategies that do not roll their own futures."""

from .base import DailyReturn, Strategy
from .benchmarks import CorePlus, SixtyForty
from .efficient_core import EfficientCore

STRATEGIES = {"EfficientCore": EfficientCore, "SixtyForty": SixtyForty, "CorePlus": CorePlus}

__all__ = ["Strategy", "DailyReturn", "EfficientCore", "SixtyForty", "CorePlus", "STRATEGIES"]
