"""Business days of the U.S. Treasury futures market.

A day counts as a business day for Treasury futures when both the CBOT interest-rate futures
market is open (pandas_market_calendars' ``CME_Bond``) *and* the cash Treasury market is open
(``SIFMA_US``).  The two disagree on a handful of days a year:

* Juneteenth (from 2022) and some Good Fridays: CME trades, the bond market is shut.  A
  delivery-calendar date (last trading, notice, delivery day) must never land on them, since
  nothing can be delivered; counting them would put ZNM24's last trading day on 2024-06-19.
* Memorial Day, Labor Day and other federal holidays: the library lists a halted CME Globex
  session as a "valid day"; the cash market is closed and nothing settles.
* National days of mourning (2004-06-11, 2007-01-02, 2018-12-05): CME closed, SIFMA open.

Taking the intersection means no rule date ever lands on a day either market is shut.

One correction to the libraries: in years when the monthly jobs report fell on Good Friday,
SIFMA recommended only an early close, so the cash market was open and the day counts.
``SIFMA_US`` marks every Good Friday before 2021 as a full close; CME Clearing Advisory 15-056
puts the March-2015 2-, 3- and 5-year notes' last delivery day on Good Friday 2015-04-03.
"""

from __future__ import annotations

import datetime as dt
import gzip
from bisect import bisect_left, bisect_right
from functools import lru_cache
from pathlib import Path

import numpy as np

# Good Fridays with a SIFMA early close (jobs report that morning) that SIFMA_US lists as closed.
EARLY_CLOSE_GOOD_FRIDAYS = (
    "2010-04-02",  # SIFMA early-close recommendation, jobs report [U: no exchange date checked]
    "2012-04-06",  # SIFMA early-close recommendation, jobs report
    "2015-04-03",  # SIFMA press release 2015-03-09; CME Clearing Advisory 15-056 delivers on it
)

_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()  # datetime64[D] counts days from 1970-01-01

# The span the calendar libraries are asked for; outside it we refuse rather than guess.
FIRST_YEAR = 1980
LAST_YEAR = 2045


class CalendarRangeError(ValueError):
    """A date outside the span the business-day calendar covers."""


def _as_date(value) -> dt.date:
    if type(value) is dt.date:  # the common case, first: the engine asks about 200,000 times a run
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[D]").astype(dt.date)
    if hasattr(value, "date") and callable(value.date):  # pandas Timestamp
        return value.date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"not an ISO date (YYYY-MM-DD): {value!r}") from exc
    raise TypeError(f"not a date: {value!r}")


# The closed weekdays of the span, bundled: building them with pandas_market_calendars takes
# 0.3-0.8 s and 14 MB at every start (66 years of two calendars' holiday rules), more than a
# one-quarter backtest costs.  ``python3 -m ecore.data.build_bundled`` rewrites the file from the
# libraries and a test checks that it still agrees with them.
CLOSED_WEEKDAYS_FILE = Path(__file__).resolve().parent / "bundled" / "calendar" / "treasury_closed_weekdays.csv.gz"


def _weekdays() -> np.ndarray:
    days = np.arange(np.datetime64(f"{FIRST_YEAR}-01-01"), np.datetime64(f"{LAST_YEAR + 1}-01-01"))
    return days[np.is_busday(days)]


def business_days_from_libraries() -> np.ndarray:
    """Every Treasury futures business day of the span, from pandas_market_calendars:
    ``CME_Bond`` and ``SIFMA_US`` both open (plus the early-close Good Fridays), as a sorted
    ``datetime64[D]`` array.  The bundled file is made from this."""
    import pandas as pd
    import pandas_market_calendars as mcal

    start, end = f"{FIRST_YEAR}-01-01", f"{LAST_YEAR}-12-31"
    cme = mcal.get_calendar("CME_Bond").valid_days(start, end)
    sifma = mcal.get_calendar("SIFMA_US").valid_days(start, end)
    sifma = sifma.union(pd.DatetimeIndex(EARLY_CLOSE_GOOD_FRIDAYS, tz=sifma.tz))
    days = cme.intersection(sifma)
    return np.asarray(days.tz_localize(None).values.astype("datetime64[D]"))


def closed_weekdays_csv(days: np.ndarray) -> bytes:
    """The bundled file's text: ``date`` of every Monday-to-Friday of the span that is not in
    ``days`` (the business days), one a line.  Refuses business days on a weekend, which the
    file could not express."""
    weekdays = _weekdays()
    if not np.isin(days, weekdays).all():
        raise ValueError("a business day falls on a weekend: the closed-weekday file cannot hold it")
    closed = np.setdiff1d(weekdays, days)
    return ("date\n" + "".join(f"{d}\n" for d in closed)).encode("ascii")


@lru_cache(maxsize=1)
def _business_days() -> np.ndarray:
    """Sorted ``datetime64[D]`` array of every Treasury futures business day in the span: the
    weekdays less the bundled closed ones."""
    with gzip.open(CLOSED_WEEKDAYS_FILE, "rt", encoding="ascii") as f:
        lines = f.read().split()
    closed = np.array(lines[1:], dtype="datetime64[D]")
    weekdays = _weekdays()
    return weekdays[~np.isin(weekdays, closed)]


class TreasuryCalendar:
    """Business-day arithmetic on the Treasury futures calendar.  All dates are ``datetime.date``."""

    def __init__(self, days: np.ndarray | None = None):
        self._days = _business_days() if days is None else np.asarray(days, dtype="datetime64[D]")
        # Day ordinals in a list and a set: bisect and membership on Python ints cost a fraction
        # of numpy's scalar searchsorted, and the engine asks some 40,000 times a run.
        self._ords = (self._days.astype(np.int64) + _EPOCH_ORDINAL).tolist()
        self._ord_set = frozenset(self._ords)

    @property
    def days(self) -> np.ndarray:
        return self._days

    def _check(self, d: dt.date) -> int:
        if not FIRST_YEAR <= d.year <= LAST_YEAR:
            raise CalendarRangeError(
                f"{d.isoformat()} is outside the Treasury calendar ({FIRST_YEAR}-{LAST_YEAR})"
            )
        return d.toordinal()

    def _at(self, i: int) -> dt.date:
        if not 0 <= i < len(self._ords):
            raise CalendarRangeError("business-day arithmetic ran off the calendar's span")
        return dt.date.fromordinal(self._ords[i])

    def is_business_day(self, day) -> bool:
        return self._check(_as_date(day)) in self._ord_set

    def next_business_day(self, day, inclusive: bool = False) -> dt.date:
        """The first business day after ``day`` (or on it, when ``inclusive``)."""
        x = self._check(_as_date(day))
        return self._at((bisect_left if inclusive else bisect_right)(self._ords, x))

    def previous_business_day(self, day, inclusive: bool = False) -> dt.date:
        """The last business day before ``day`` (or on it, when ``inclusive``)."""
        x = self._check(_as_date(day))
        return self._at((bisect_right if inclusive else bisect_left)(self._ords, x) - 1)

    def add_business_days(self, day, n: int) -> dt.date:
        """Move ``n`` business days from ``day`` (negative goes back).

        From a non-business day, one step forward lands on the next business day and one step
        back on the previous one, as exchange rules count.
        """
        x = self._check(_as_date(day))
        if n >= 0:
            i = bisect_right(self._ords, x) + n - 1
        else:
            i = bisect_left(self._ords, x) + n
        return self._at(i)

    def first_business_day_of_month(self, year: int, month: int) -> dt.date:
        return self.next_business_day(dt.date(year, month, 1), inclusive=True)

    def last_business_day_of_month(self, year: int, month: int) -> dt.date:
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        return self.previous_business_day(nxt)

    def business_days_between(self, start, end) -> list[dt.date]:
        """Business days ``start <= d <= end``."""
        a = self._check(_as_date(start))
        b = self._check(_as_date(end))
        lo = bisect_left(self._ords, a)
        hi = bisect_right(self._ords, b)
        return [dt.date.fromordinal(o) for o in self._ords[lo:hi]]

    def count_business_days(self, start, end) -> int:
        """Number of business days ``start < d <= end`` (negative when end is before start)."""
        a = self._check(_as_date(start))
        b = self._check(_as_date(end))
        return bisect_right(self._ords, b) - bisect_right(self._ords, a)


@lru_cache(maxsize=1)
def treasury_calendar() -> TreasuryCalendar:
    """The shared calendar instance (built once per process)."""
    return TreasuryCalendar()


def as_date(value) -> dt.date:
    """Coerce a ``date``, ``datetime``, pandas ``Timestamp``, ``datetime64`` or ISO string to a date."""
    return _as_date(value)


def in_force(steps, day):
    """The value of a dated step schedule on ``day``.

    ``steps`` are ``(first day, value)`` pairs, oldest first; before the first step its value
    applies.  Used for tick sizes and margin ratios that exchanges change from a given day.
    """
    d = _as_date(day)
    current = steps[0][1]
    for start, value in steps:
        if d >= start:
            current = value
    return current
