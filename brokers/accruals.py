"""Daily accruals: interest on the cash balance and the fund's expense ratio.

* Interest is earned on the previous closing cash for the calendar days elapsed, act/360, at the
  short rate in force on the previous day; a negative balance pays the rate plus
  ``borrow_spread``.  ``collateral_haircut`` is the share of the posted initial margin that earns
  nothing.
* The expense ratio (per year) accrues on the previous NAV, act/365, as a fund charges it.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from ..data.calendar import as_date

from . import journal as J
from .account import Account


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


class ShortRate:
    """The short rate as decimal annual rates: a constant, or a Series indexed by date (the rate
    of the last date on or before the day asked; the first rate before the series starts)."""

    def __init__(self, rate):
        if isinstance(rate, pd.Series):
            r = rate.dropna().sort_index()
            r.index = pd.DatetimeIndex(r.index).normalize()
            if r.empty:
                raise ValueError("short_rate series is empty")
            self._series = r
            # asked every day of a backtest: search numpy day numbers, not the DatetimeIndex
            self._days = r.index.to_numpy().astype("datetime64[D]").astype(np.int64) + _EPOCH_ORDINAL
            self._values = r.to_numpy(dtype=float)
            biggest = float(r.abs().max())
        else:
            self._series = None
            self._const = float(rate)
            biggest = abs(self._const)
        if not math.isfinite(biggest) or biggest > 1.0:
            raise ValueError("short_rate must be decimal annual rates (0.05 for 5%), not percent")

    def on(self, day: dt.date) -> float:
        """Decimal annual rate in force on ``day``."""
        if self._series is None:
            return self._const
        i = int(self._days.searchsorted(as_date(day).toordinal(), side="right")) - 1
        return float(self._values[i]) if i >= 0 else float(self._values[0])


def accrue(account: Account, prev: dt.date | None, day: dt.date, rate: ShortRate, borrow_spread: float,
           collateral_haircut: float, expense_ratio: float) -> None:
    """Book interest and expenses for the calendar days from ``prev`` to ``day``."""
    if prev is None:
        return
    days = (day - prev).days
    r = rate.on(prev)
    journal = account.journal
    cash = journal.cash
    if cash > 0:
        haircut = collateral_haircut * account.requirements(prev)[1] if collateral_haircut else 0.0
        base = max(cash - haircut, 0.0)
        amount = base * r * days / 360.0
        note = f"{base:,.2f} x {r:.4%} x {days}/360"
    else:
        amount = cash * (r + borrow_spread) * days / 360.0
        note = f"{cash:,.2f} x ({r:.4%} + {borrow_spread:.4%}) x {days}/360"
    if amount:
        journal.post(day, J.INTEREST, "cash", amount, note=note)
    if expense_ratio:
        fee = -journal.nav * expense_ratio * days / 365.0
        journal.post(day, J.EXPENSE, "fund", fee, note=f"expense ratio {expense_ratio:.4%} x {days}/365 on NAV")
