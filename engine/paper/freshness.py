"""Is the market data a paper run reads fresh enough to decide on?

A paper run prices its futures ladder (durations, DV01) with the synthetic model, which reads the
yields and the overnight rates of the data folder (the bundled set by default).  When those end
more than ``TOLERATED_BUSINESS_DAYS`` business days before the session the run decides on, the
model's durations would be carried forward from a stale curve, so the run stops before
connecting and tells the user to run ``ecore data download``.  FRED publishes a day's yields
the next business day, and a holiday or a late release adds a day or two: five business days
cover that and no more.

The fund's prices are IB's daily bars; its closes in the data folder stand in only for days
before IB's first bar (``seed_history``), and a folder ending before that bar stops the feed
there (``HistoryGap``).  Stale closes are therefore said, not a reason to stop.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

TOLERATED_BUSINESS_DAYS = 5


class StaleData(RuntimeError):
    """The yields or rates end too long before the run's session."""


def _last_day(frame: pd.DataFrame | None) -> dt.date | None:
    if frame is None or frame.empty:
        return None
    valid = frame.dropna(how="all")
    return None if valid.empty else pd.Timestamp(valid.index.max()).date()


def check_freshness(market, run_day: dt.date, data_dir=None) -> list[str]:
    """Raise ``StaleData`` when ``market``'s yields or overnight rates end more than
    ``TOLERATED_BUSINESS_DAYS`` business days before ``run_day``; return the notes to say
    (closes that end earlier: IB's prices are used for the fund)."""
    from ...data.calendar import treasury_calendar
    from ...data.market import market_rates

    cal = treasury_calendar()
    where = f"the data folder {data_dir}" if data_dir else "the bundled data set"
    fix = (f"run `ecore data download --out {data_dir}`" if data_dir else
           "run `ecore data download --out DIR` and set `data = \"DIR\"` in the config")
    for name, frame in (("yields", market.yields), ("overnight rates", market_rates(market))):
        end = _last_day(frame)
        if end is None:
            continue
        behind = cal.count_business_days(end, run_day)
        if behind > TOLERATED_BUSINESS_DAYS:
            raise StaleData(
                f"the {name} of {where} end {end}, {behind} business days before the session "
                f"of {run_day} this run decides on (at most {TOLERATED_BUSINESS_DAYS} "
                f"tolerated): the futures' durations would be guesses; {fix}; nothing was sent")
    notes = []
    end = _last_day(market.closes)
    if end is not None and cal.count_business_days(end, run_day) > TOLERATED_BUSINESS_DAYS:
        notes.append(f"the closes of {where} end {end}; the fund's prices are IB's daily "
                     "bars (the folder's only before IB's first)")
    return notes
