"""ecore.strategies: backtrader strategies (the 90/60 efficient core and its benchmarks)."""
