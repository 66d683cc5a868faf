"""Coupon dates and street-convention yield arithmetic of Treasury notes and bonds."""

import numpy as np
import pytest

from ecore.data.bond_dates import CouponTable, add_months, coupon_date, end_of_month, to_days
from ecore.data.bond_math import coupon_for_price, dv01_from_yield, price_from_yield, yield_from_price


def days(*iso):
    return to_days(list(iso))


def test_month_end_securities_pay_on_the_last_day_of_each_coupon_month():
    maturity = days("2021-08-31")
    assert end_of_month(maturity)[0]
    assert coupon_date(maturity, True, 1)[0] == days("2021-02-28")[0]
    assert coupon_date(maturity, True, 2)[0] == days("2020-08-31")[0]


def test_mid_month_securities_pay_on_the_maturity_day():
    assert coupon_date(days("2025-02-15"), False, 3)[0] == days("2023-08-15")[0]


def test_adding_months_clips_to_the_month_length():
    assert add_months(days("2021-08-31"), 6)[0] == days("2022-02-28")[0]
    assert add_months(days("2024-01-31"), 1)[0] == days("2024-02-29")[0]


def test_accrual_runs_from_the_dated_date_not_the_issue_day():
    # 912828J27: dated 15 Feb 2015, issued Tuesday 17 Feb (the 15th was a Sunday, the 16th a
    # holiday), matures 15 Feb 2025.  On 15 May 2015: 89 of the 181 days to 15 Aug accrued.
    table = CouponTable(days("2025-02-15"), [False], days("2015-02-17"))
    i, left, acc = table.parts(np.array([0]), days("2015-05-15"))
    assert left[0] == 20
    assert acc[0] == pytest.approx(89 / 181)
    assert table.dates[i[0]] == days("2015-08-15")[0]


def test_a_coupon_date_itself_starts_a_new_period():
    table = CouponTable(days("2025-02-15"), [False], days("2015-02-17"))
    _, left, acc = table.parts(np.array([0]), days("2015-08-15"))
    assert (left[0], acc[0]) == (19, 0.0)


def test_par_bond_on_a_coupon_date_prices_at_par_and_its_yield_comes_back():
    parts = (np.array([20]), np.array([1.0]), np.array([0.0]))
    clean, dirty = price_from_yield(0.05, np.array([0.05]), parts)
    assert clean[0] == pytest.approx(100.0, abs=1e-10)
    cheap, _ = price_from_yield(0.05, np.array([0.054]), parts)
    assert yield_from_price(0.05, cheap, parts)[0] == pytest.approx(0.054, abs=1e-12)


def test_dv01_of_a_ten_year_par_bond():
    # Modified duration of a 10-year 5 % par bond: (1 - 1.025**-20) / 0.05 = 7.7946 years, so one
    # basis point is worth 7.7946 cents per 100.
    parts = (np.array([20]), np.array([1.0]), np.array([0.0]))
    assert dv01_from_yield(0.05, np.array([0.05]), parts)[0] == pytest.approx(0.077946, rel=1e-4)


def test_coupon_for_price_inverts_the_price():
    parts = (np.array([10]), np.array([0.4]), np.array([0.6]))
    clean, _ = price_from_yield(0.0425, np.array([0.046]), parts)
    assert coupon_for_price(clean, np.array([0.046]), parts)[0] == pytest.approx(0.0425, abs=1e-12)
