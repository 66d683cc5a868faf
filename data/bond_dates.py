"""Coupon dates of U.S. Treasury notes and bonds, as numpy arrays of day numbers.

Dates are ``int64`` day numbers (days since 1970-01-01, i.e. ``datetime64[D]`` as integers), so
that hundreds of thousands of (bond, day) pairs are handled in one vectorised call.  Treasury
coupons are paid semiannually on the maturity's day of month; a security maturing on the last
day of a month (30 Nov, 28 Feb) pays on the last day of each coupon month (end-of-month rule).
Coupon dates are *unadjusted*: a payment due on a weekend is made the next business day, but
accrual uses the scheduled date, as in the street convention.
"""

from __future__ import annotations

import numpy as np


def to_days(values) -> np.ndarray:
    """Day numbers (int64) of dates given as ISO strings, ``datetime64``, ``datetime.date`` or
    pandas objects."""
    return np.asarray(values, dtype="datetime64[D]").astype(np.int64)


def to_datetime64(days) -> np.ndarray:
    """``datetime64[D]`` of day numbers."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]")


def month_index(days) -> np.ndarray:
    """Months since 1970-01 of each day number."""
    return to_datetime64(days).astype("datetime64[M]").astype(np.int64)


def month_start(months) -> np.ndarray:
    """Day number of the first day of each month index."""
    return np.asarray(months, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _day_of_month(days: np.ndarray) -> np.ndarray:
    d = to_datetime64(days)
    return (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1


def _days_in_month(months: np.ndarray) -> np.ndarray:
    m = np.asarray(months, dtype=np.int64)
    return month_start(m + 1) - month_start(m)


def end_of_month(days) -> np.ndarray:
    """True where the day number is the last day of its month."""
    days = np.asarray(days, dtype=np.int64)
    return _day_of_month(days) == _days_in_month(month_index(days))


def add_months(days, months) -> np.ndarray:
    """Day numbers moved by whole ``months``, the day clipped to the target month's length
    (2021-08-31 + 6 months = 2022-02-28).  Arrays broadcast."""
    days = np.asarray(days, dtype=np.int64)
    m = month_index(days) + np.asarray(months, dtype=np.int64)
    dom = np.minimum(_day_of_month(days), _days_in_month(m))
    return month_start(m) + dom - 1


def coupon_date(maturity, eom, k) -> np.ndarray:
    """The coupon date ``k`` half-years before ``maturity`` (k = 0 is maturity itself);
    ``eom``: the security follows the end-of-month rule.  Arrays broadcast."""
    maturity = np.asarray(maturity, dtype=np.int64)
    m = month_index(maturity) - 6 * np.asarray(k, dtype=np.int64)
    dim = _days_in_month(m)
    dom = np.where(eom, dim, np.minimum(_day_of_month(maturity), dim))
    return month_start(m) + dom - 1


class CouponTable:
    """Every coupon date of every security, flattened for vectorised look-ups.

    Row ``b`` holds security ``b``'s coupon dates from the last one on or before its issue day
    (the dated date of a regular first coupon) up to maturity, ascending.  :meth:`parts` finds,
    for many (security, day) pairs at once, the first coupon strictly after the day with one
    ``searchsorted`` over the flattened keys ``b * KEY + date``.
    """

    KEY = 1 << 20  # more than any day number in use (year 4840)

    def __init__(self, maturity, eom, issue):
        maturity = np.asarray(maturity, dtype=np.int64)
        issue = np.asarray(issue, dtype=np.int64)
        eom = np.asarray(eom, dtype=bool)
        n = np.maximum((month_index(maturity) - month_index(issue)) // 6 + 2, 1)
        rows = np.repeat(np.arange(len(maturity)), n)
        k = np.concatenate([np.arange(m)[::-1] for m in n]) if len(n) else np.array([], dtype=np.int64)
        dates = coupon_date(maturity[rows], eom[rows], k)
        # keep the last date on or before the issue day and every date after it
        after = dates > issue[rows]
        next_after = np.r_[after[1:], True]
        same_next = rows == np.r_[rows[1:], -1]
        keep = after | (next_after & same_next)
        self.rows = rows[keep]
        self.dates = dates[keep]
        self.keys = self.rows * self.KEY + self.dates
        self.end = np.searchsorted(self.rows, np.arange(len(maturity)), side="right")

    def extended(self, maturity, eom, issue) -> "CouponTable":
        """This table with more securities appended (rows ``len(self) ..``), without rebuilding
        the rows already here."""
        more = CouponTable(maturity, eom, issue)
        out = object.__new__(CouponTable)
        n = len(self.end)
        out.rows = np.r_[self.rows, more.rows + n]
        out.dates = np.r_[self.dates, more.dates]
        out.keys = out.rows * self.KEY + out.dates
        out.end = np.r_[self.end, more.end + len(self.dates)]
        return out

    def parts(self, bond, day) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(index of the next coupon in ``dates``, coupons left, accrued fraction of the current
        period) of security ``bond`` at ``day``: the street-convention inputs of a yield
        calculation (actual/actual accrual)."""
        bond = np.asarray(bond)
        day = np.asarray(day, dtype=np.int64)
        i = np.searchsorted(self.keys, bond * self.KEY + day, side="right")
        left = self.end[bond] - i
        nxt = self.dates[np.minimum(i, len(self.dates) - 1)]
        prv = self.dates[np.maximum(i - 1, 0)]
        return i, left, (day - prv) / np.maximum(nxt - prv, 1)
