"""ecore's numpy return statistics give empyrical-reloaded's numbers (empyrical is the oracle)."""

import empyrical as ep
import numpy as np
import pandas as pd
import pytest

from ecore.engine.report import return_stats as rs


def random_returns(seed: int, n: int, holes: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    r = pd.Series(rng.normal(0.0003, 0.01, n), index=pd.bdate_range("2003-01-02", periods=n))
    if holes:
        r.iloc[rng.choice(n, holes, replace=False)] = np.nan
    return r


def same(a, b) -> bool:
    """Equal to 12 significant digits (to the last bit where bottleneck backs empyrical), or both NaN."""
    return (np.isnan(a) and np.isnan(b)) or b == pytest.approx(a, rel=1e-12, abs=1e-15)


CASES = [(1, 2, 0), (2, 63, 0), (3, 1500, 0), (4, 6525, 0), (5, 800, 7)]


@pytest.mark.parametrize("seed,n,holes", CASES)
def test_cagr_volatility_and_drawdown_match_empyrical(seed, n, holes):
    r = random_returns(seed, n, holes)
    assert same(ep.cagr(r), rs.cagr(r))
    assert same(ep.annual_volatility(r), rs.annual_volatility(r))
    assert same(ep.max_drawdown(r), rs.max_drawdown(r))


@pytest.mark.parametrize("seed,n,holes", CASES)
def test_sharpe_and_sortino_against_a_dated_risk_free_rate_match_empyrical(seed, n, holes):
    r = random_returns(seed, n, holes)
    rf = pd.Series(np.linspace(0.05, 0.001, n) / 252, index=r.index)
    assert same(ep.sharpe_ratio(r, risk_free=rf), rs.sharpe_ratio(r, risk_free=rf))
    assert same(ep.sortino_ratio(r, required_return=rf), rs.sortino_ratio(r, required_return=rf))


@pytest.mark.parametrize("rate", [0, 0.0001])
def test_sharpe_and_sortino_against_a_constant_rate_match_empyrical(rate):
    r = random_returns(6, 700)
    assert same(ep.sharpe_ratio(r, risk_free=rate), rs.sharpe_ratio(r, risk_free=rate))
    assert same(ep.sortino_ratio(r, required_return=rate), rs.sortino_ratio(r, required_return=rate))


def test_a_constant_return_has_an_infinite_sharpe_and_sortino_as_in_empyrical():
    # The mean of 300 equal floats differs from them by a rounding residue; Sharpe must not
    # divide by it (volatility keeps it, about 3e-17, as empyrical does).
    r = pd.Series(0.0004, index=pd.bdate_range("2020-01-01", periods=300))
    assert rs.sharpe_ratio(r) == ep.sharpe_ratio(r) == np.inf
    assert rs.sortino_ratio(r) == ep.sortino_ratio(r) == np.inf
    assert same(ep.annual_volatility(r), rs.annual_volatility(r)) and rs.annual_volatility(r) < 1e-15


def test_one_return_has_no_volatility_sharpe_or_sortino():
    r = pd.Series([0.01], index=pd.bdate_range("2020-01-01", periods=1))
    assert np.isnan(rs.annual_volatility(r)) and np.isnan(rs.sharpe_ratio(r)) and np.isnan(rs.sortino_ratio(r))
    assert rs.cagr(r) == pytest.approx(1.01 ** 252 - 1)


@pytest.mark.parametrize("period", ["yearly", "quarterly", "monthly"])
def test_calendar_period_returns_match_empyrical_keys_and_values(period):
    r = random_returns(7, 900, holes=3)
    want, got = ep.aggregate_returns(r, period), rs.aggregate_returns(r, period)
    assert list(got.index) == list(want.index)
    assert all(same(a, b) for a, b in zip(want.to_numpy(), got.to_numpy()))


def test_a_drawdown_of_a_fifth_after_a_rise_of_a_quarter():
    # 100 -> 125 -> 100: the fall from the peak is 25 / 125 = 20%.
    r = pd.Series([0.25, -0.2], index=pd.bdate_range("2020-01-01", periods=2))
    assert rs.max_drawdown(r) == pytest.approx(-0.2)


def test_an_unknown_period_is_refused():
    with pytest.raises(ValueError, match="yearly, quarterly or monthly"):
        rs.aggregate_returns(random_returns(8, 10), "weekly")
