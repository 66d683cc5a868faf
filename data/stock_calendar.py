"""Trading days of the U.S. stock market (NYSE), for what trades there: shares and funds.

The Treasury futures calendar (:mod:`.calendar`) is the wrong clock for a share: on Good Friday
2023-04-07 (a jobs-report Good Friday) the bond market and CBOT were open and the stock market
shut, and on Columbus Day and Veterans Day it is the other way round.  A feed's freshness is
judged by its own exchange's days (``ecore.brokers.ib.feed``).

The days come from a bundled file of closed weekdays (``bundled/calendar/nyse_closed_weekdays
.csv.gz``), written from pandas_market_calendars' ``NYSE`` calendar by
``python3 -m ecore.data.build_bundled`` (or :func:`write_bundled`); a test recomputes it.
"""

from __future__ import annotations

import gzip
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from .calendar import FIRST_YEAR, LAST_YEAR, TreasuryCalendar, _weekdays, closed_weekdays_csv

NYSE_CLOSED_WEEKDAYS_FILE = (Path(__file__).resolve().parent / "bundled" / "calendar"
                             / "nyse_closed_weekdays.csv.gz")


def nyse_days_from_libraries() -> np.ndarray:
    """Every NYSE trading day of the calendar's span (pandas_market_calendars ``NYSE``), as a
    sorted ``datetime64[D]`` array; the bundled file is made from this."""
    import pandas_market_calendars as mcal

    days = mcal.get_calendar("NYSE").valid_days(f"{FIRST_YEAR}-01-01", f"{LAST_YEAR}-12-31")
    return np.asarray(days.tz_localize(None).values.astype("datetime64[D]"))


def write_bundled(path: Path = NYSE_CLOSED_WEEKDAYS_FILE) -> bytes:
    """Write the bundled file from the library; returns its uncompressed text."""
    raw = closed_weekdays_csv(nyse_days_from_libraries())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=f,
                                             compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    os.replace(tmp, path)
    return raw


@lru_cache(maxsize=1)
def _nyse_days() -> np.ndarray:
    with gzip.open(NYSE_CLOSED_WEEKDAYS_FILE, "rt", encoding="ascii") as f:
        closed = np.array(f.read().split()[1:], dtype="datetime64[D]")
    weekdays = _weekdays()
    return weekdays[~np.isin(weekdays, closed)]


@lru_cache(maxsize=1)
def stock_calendar() -> TreasuryCalendar:
    """Business-day arithmetic on NYSE trading days (the same interface as
    ``treasury_calendar()``: ``is_business_day``, ``previous_business_day``...)."""
    return TreasuryCalendar(_nyse_days())
