"""check_requirements finds the first hole, a late start and an early end, with the dates."""

import datetime as dt

import pandas as pd
import pytest

from ecore.data.market import MarketData
from ecore.engine.validation.sufficiency import DataInsufficient, SeriesRequirement, check_requirements


def market_with(days) -> MarketData:
    index = pd.DatetimeIndex(sorted(days), name="date")
    return MarketData(yields=pd.DataFrame({"DGS10": 4.0}, index=index), closes=pd.DataFrame())


def need(first="2024-01-02", last="2024-03-28", gap=10) -> SeriesRequirement:
    return SeriesRequirement("yields", "DGS10", "yields/DGS10.csv", dt.date.fromisoformat(first),
                             dt.date.fromisoformat(last), "the curve's tenors", gap)


def weekdays_without(start, end, hole=()):
    return [d for d in pd.bdate_range(start, end) if not (hole and hole[0] <= d <= hole[1])]


def test_a_hole_of_ten_business_days_is_allowed():
    # No value from Mon 2024-02-05 to Fri 2024-02-16: ten business days missing between Feb 2 and Feb 19.
    days = weekdays_without("2023-12-01", "2024-04-30", (pd.Timestamp("2024-02-05"), pd.Timestamp("2024-02-16")))
    check_requirements(market_with(days), [need()])


def test_a_hole_of_eleven_business_days_is_named_with_its_dates():
    days = weekdays_without("2023-12-01", "2024-04-30", (pd.Timestamp("2024-02-05"), pd.Timestamp("2024-02-19")))
    with pytest.raises(DataInsufficient, match="no value from 2024-02-02 to 2024-02-20 .11 business days, more "
                                               "than 10. inside 2024-01-02 to 2024-03-28"):
        check_requirements(market_with(days), [need()])


def test_the_first_of_two_holes_is_reported():
    days = [d for d in weekdays_without("2023-12-01", "2024-04-30")
            if not (pd.Timestamp("2024-01-15") <= d <= pd.Timestamp("2024-02-01")
                    or pd.Timestamp("2024-03-01") <= d <= pd.Timestamp("2024-03-20"))]
    with pytest.raises(DataInsufficient, match="from 2024-01-12 to 2024-02-02"):
        check_requirements(market_with(days), [need()])


def test_a_series_starting_more_than_the_allowed_gap_after_the_window_starts_is_refused():
    with pytest.raises(DataInsufficient, match="starts on 2024-01-22, after 2024-01-02"):
        check_requirements(market_with(weekdays_without("2024-01-22", "2024-04-30")), [need()])


def test_a_series_ending_before_the_window_ends_is_refused():
    with pytest.raises(DataInsufficient, match="ends on 2024-03-01, before 2024-03-28"):
        check_requirements(market_with(weekdays_without("2023-12-01", "2024-03-01")), [need()])


def test_a_series_with_no_value_in_the_window_names_its_span():
    with pytest.raises(DataInsufficient, match="does not cover 2024-01-02 to 2024-03-28.*from 2020-01-01 to 2020-12-31"):
        check_requirements(market_with(weekdays_without("2020-01-01", "2020-12-31")), [need()])
