"""The fitted Treasury curve: PCHIP levels, Svensson-smoothed changes, bootstrapped discounting."""

import numpy as np
import pandas as pd
import pytest
from scipy.interpolate import PchipInterpolator

from ecore.data.bond_dates import CouponTable, to_days
from ecore.data.calendar import treasury_calendar
from ecore.data.curve import Curve, CurveSpec, ParCurve, pchip, pchip_points
from ecore.data.market import load_market


@pytest.fixture(scope="module")
def par():
    cal = treasury_calendar().days.astype("datetime64[D]").astype(np.int64)
    return ParCurve.from_yields(load_market().yields, cal)


def test_pchip_is_scipys_monotone_cubic():
    rng = np.random.default_rng(7)
    x = np.array([1 / 12, 0.25, 0.5, 1, 2, 3, 5, 7, 10, 20, 30])
    y = rng.normal(0.03, 0.01, (40, x.size))
    y[0, 2:5] = 0.02  # a flat stretch
    at = np.linspace(0, 31, 300)
    expected = PchipInterpolator(x, y, axis=1)(np.clip(at, x[0], x[-1]))
    assert np.abs(pchip(x, y, at) - expected).max() < 1e-15
    points = rng.uniform(0, 31, 40)
    one_by_one = [PchipInterpolator(x, y[i])(np.clip(points[i], x[0], x[-1])) for i in range(40)]
    assert np.abs(pchip_points(x, y, points) - np.array(one_by_one)).max() < 1e-15


def test_two_tenors_interpolate_linearly():
    assert pchip(np.array([2.0, 10.0]), np.array([[0.02, 0.04]]), np.array([6.0]))[0, 0] == pytest.approx(0.03)


def test_par_yield_reproduces_the_published_points(par):
    day = to_days(["2026-04-17"])
    assert par.par_yield(day, [10.0])[0] == pytest.approx(0.0426, abs=1e-12)  # DGS10 that day, 4.26 %
    assert par.par_yield(day, [3.0])[0] == pytest.approx(par.values[-1, par.series.index("DGS3")])


def test_a_par_bond_at_a_published_tenor_prices_at_par_on_the_pchip_curve(par):
    # a 5-year bond paying the DGS5 yield, priced on a coupon date of its own schedule
    lo = to_days(["2026-04-17"])[0]
    curve = Curve.build(par, lo, lo, CurveSpec(weight=0.0))
    y5 = par.values[-1, par.series.index("DGS5")]
    dirty = curve.dirty_price(np.array([0]), np.array([5.0]), np.array([10]), np.array([y5]))
    assert dirty[0] == pytest.approx(100.0, abs=0.01)


def test_the_smoothed_curve_does_not_depend_on_where_it_starts(par):
    a = Curve.build(par, to_days(["2015-01-02"])[0], to_days(["2020-12-31"])[0])
    b = Curve.build(par, to_days(["2019-06-03"])[0], to_days(["2020-12-31"])[0])
    i = np.searchsorted(a.days, b.days)
    assert np.abs(a.stride[i] - b.stride).max() < 1e-12


def test_smoothing_keeps_levels_within_a_few_basis_points_of_the_published_points(par):
    lo, hi = to_days(["2024-01-02", "2024-12-31"])
    smooth = Curve.build(par, lo, hi)
    plain = Curve.build(par, lo, hi, CurveSpec(weight=0.0))
    ten = (np.arange(len(plain.days)), np.full(len(plain.days), 10.0), np.full(len(plain.days), 20), 0.04)
    diff = smooth.dirty_price(*ten) - plain.dirty_price(*ten)
    assert np.abs(diff).max() < 0.5  # points on a 10-year bond: about 6 bp at most
    assert abs(diff.mean()) < 0.05


def test_in_place_smoothing_steps_equal_their_whole_array_forms():
    from ecore.data.curve import _fill_forward, _subtract_trailing_average, trailing_average

    rng = np.random.default_rng(3)
    x = rng.normal(size=(9000, 70))  # more rows than one averaging block (4000 at halflife 20)
    expected = x - trailing_average(x, 20.0)
    _subtract_trailing_average(x, 20.0)
    assert np.array_equal(x, expected)  # the same bits, not only close

    y = rng.normal(size=(6, 3))
    y[0, 1] = y[2, 0] = y[3, 0] = y[5, 2] = np.nan
    expected = pd.DataFrame(y).ffill().fillna(0.0).to_numpy()
    _fill_forward(y)
    assert np.array_equal(y, expected)
