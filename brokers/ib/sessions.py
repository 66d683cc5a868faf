"""When a trading session has closed, by the instrument's exchange calendar, in the exchange's
time zone (whatever the machine's).

IB's daily history ends, during a session, with that session's bar so far: its close is the
last trade, not a settlement.  A decision on it would take a lunchtime price for the day's
close, and the same-day rule would then hold the evening's run to it.  So a bar counts only
once its session closed: U.S. Treasury futures by CME's bond calendar (``CME_Bond``: the
session ends 16:00 Chicago, 12:00 on early-close days), shares and funds by the NYSE's (16:00
New York, 13:00 on early closes), both from ``pandas_market_calendars``.
"""

from __future__ import annotations

import datetime as dt
import functools
import warnings

import pandas as pd

__all__ = ["CALENDARS", "session_close", "last_closed_session"]

# IB security type -> the exchange calendar whose sessions its daily bars follow
CALENDARS = {"FUT": "CME_Bond", "STK": "NYSE"}


@functools.lru_cache(maxsize=None)
def _calendar(name: str):
    import pandas_market_calendars as mcal

    return mcal.get_calendar(name)


@functools.lru_cache(maxsize=256)
def _closes(name: str, start: dt.date, end: dt.date) -> dict[dt.date, dt.datetime]:
    with warnings.catch_warnings():
        # the library's own use of deprecated pandas accessors, not ours to fix
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        schedule = _calendar(name).schedule(start_date=start, end_date=end)
    return {d.date(): close.to_pydatetime()
            for d, close in zip(schedule.index, schedule["market_close"])}


def _window(day: dt.date) -> tuple[dt.date, dt.date]:
    # whole months around the day, so that one schedule serves many look-ups
    start = (day.replace(day=1) - dt.timedelta(days=40)).replace(day=1)
    end = (day.replace(day=28) + dt.timedelta(days=10))
    return start, end


def session_close(sec_type: str, day: dt.date) -> dt.datetime | None:
    """The close (aware, UTC) of ``day``'s session for an instrument of IB type ``sec_type``
    ("FUT", "STK"; anything else as a share), or None when the exchange has no session that
    day."""
    name = CALENDARS.get(sec_type, "NYSE")
    return _closes(name, *_window(day)).get(day)


def last_closed_session(sec_type: str, now: dt.datetime) -> dt.date:
    """The latest day whose session had closed at ``now`` (aware)."""
    name = CALENDARS.get(sec_type, "NYSE")
    now_utc = pd.Timestamp(now).tz_convert("UTC").to_pydatetime()
    day = now_utc.date()
    closes = {**_closes(name, *_window(day - dt.timedelta(days=40))), **_closes(name, *_window(day))}
    done = [d for d, close in closes.items() if close <= now_utc]
    return max(done)
