"""backtrader's fund mode: performance as the value of one fund share, deposits buying shares.

As ``BackBroker``: at the start ``shares = cash / fundstartval`` (default 100 a share); a deposit
or withdrawal buys or sells shares at the last share value; after each day ``value = NAV /
shares``.  ``set_fundmode(True)`` makes analyzers (``TimeReturn``...) read the share value, so
deposits are not counted as returns.
"""

from __future__ import annotations


class FundShares:
    """Fund shares and the value of one (dollars)."""

    def __init__(self, cash: float, startval: float = 100.0):
        if not startval > 0:
            raise ValueError(f"set_fundstartval({startval!r}): the starting value of a share must be positive")
        self.startval = float(startval)
        self.value = self.startval
        self.shares = float(cash) / self.startval

    def deposit(self, amount: float) -> None:
        """``amount`` dollars in (negative: out) at the current share value."""
        self.shares += amount / self.value

    def mark(self, nav: float) -> None:
        """The share value after a day ending at ``nav`` dollars."""
        if self.shares:
            self.value = nav / self.shares
