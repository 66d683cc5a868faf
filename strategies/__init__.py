"""ecore.strategies: backtrader strategies (the 90/60 efficient core and its benchmarks)."""

from .benchmarks import CorePlus, SixtyForty
from .efficient_core import EfficientCore

STRATEGIES = {"EfficientCore": EfficientCore, "SixtyForty": SixtyForty, "CorePlus": CorePlus}

__all__ = ["EfficientCore", "SixtyForty", "CorePlus", "STRATEGIES"]
