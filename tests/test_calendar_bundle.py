"""The Treasury calendar is read from a bundled file that agrees with the calendar libraries."""

import subprocess
import sys

import numpy as np
import pytest

from ecore.data.calendar import (_business_days, business_days_from_libraries, closed_weekdays_csv,
                                 treasury_calendar)


def test_bundled_business_days_are_those_of_the_calendar_libraries():
    # Fails when pandas_market_calendars changes a rule: rerun python3 -m ecore.data.build_bundled.
    assert np.array_equal(_business_days(), business_days_from_libraries())


def test_the_bundled_calendar_knows_juneteenth_and_the_good_friday_2015_delivery_day():
    cal = treasury_calendar()
    assert not cal.is_business_day("2024-06-19")  # CME open, bond market shut
    assert cal.is_business_day("2015-04-03")  # SIFMA early close: deliveries that day
    assert not cal.is_business_day("2007-01-02")  # national day of mourning: CME shut


def test_a_weekend_business_day_cannot_be_written_as_a_closed_weekday():
    days = np.array(["2024-01-05", "2024-01-06"], dtype="datetime64[D]")  # a Friday and a Saturday
    with pytest.raises(ValueError, match="weekend"):
        closed_weekdays_csv(days)


def test_reading_the_calendar_does_not_import_the_calendar_libraries():
    code = ("import sys; from ecore.data.calendar import treasury_calendar; "
            "treasury_calendar().add_business_days('2024-03-28', 1); "
            "print('pandas_market_calendars' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_bundled_stock_market_days_are_those_of_the_nyse_calendar():
    # Fails when pandas_market_calendars changes a rule: rerun python3 -m ecore.data.build_bundled.
    from ecore.data.stock_calendar import _nyse_days, nyse_days_from_libraries

    assert np.array_equal(_nyse_days(), nyse_days_from_libraries())


def test_good_friday_2023_is_a_bond_day_and_not_a_stock_day():
    from ecore.data.stock_calendar import stock_calendar

    assert treasury_calendar().is_business_day("2023-04-07")
    assert not stock_calendar().is_business_day("2023-04-07")
    assert stock_calendar().is_business_day("2023-10-09")  # Columbus Day: stocks trade
    assert not treasury_calendar().is_business_day("2023-10-09")
