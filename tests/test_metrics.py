"""Metrics of hand-built results, checked against numbers worked out by hand."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from ecore.engine.report.metrics import (
    METRIC_KEYS,
    calendar_returns,
    compute_metrics,
    daily_risk_free,
    drawdown,
    period_return,
)
from ecore.engine.report.results import BacktestResult, ResultError


def result_from_nav(nav: pd.Series, name="Test", **tables) -> BacktestResult:
    """A result whose daily table is ``nav`` (indexed by date), all cash, no futures."""
    daily = pd.DataFrame({
        "date": nav.index, "nav": nav.to_numpy(), "cash": nav.to_numpy(), "shares_value": 0.0,
        "futures_notional": 0.0, "initial_margin": 0.0, "maintenance_margin": 0.0,
        "excess_liquidity": nav.to_numpy(), "ladder_duration": np.nan,
    })
    return BacktestResult(name=name, daily=daily, **tables)


def days(n, start="2021-01-04"):
    return pd.bdate_range(start, periods=n)


# Two calendar years, NAV on the last business day of each quarter set by hand (linear between):
# 2021: 100 → 105 → 110 → 99 → 110 (+10%);  2022: 110 → 93.5 (−15%) → 100 → 105 → 104.5 (−5% on the year)
QUARTER_ENDS = {
    "2020-12-31": 100.0,
    "2021-03-31": 105.0, "2021-06-30": 110.0, "2021-09-30": 99.0, "2021-12-31": 110.0,
    "2022-03-31": 93.5, "2022-06-30": 100.0, "2022-09-30": 105.0, "2022-12-30": 104.5,
}


@pytest.fixture(scope="module")
def two_years() -> BacktestResult:
    dates = pd.bdate_range("2020-12-31", "2022-12-30")
    anchors = pd.Series(QUARTER_ENDS)
    anchors.index = pd.to_datetime(anchors.index)
    nav = anchors.reindex(dates).interpolate()
    events = pd.DataFrame({
        "date": pd.to_datetime(["2021-03-19", "2021-06-18", "2022-03-07", "2022-03-08", "2022-03-31"]),
        "kind": ["roll", "roll", "margin_call", "forced_liquidation", "rebalance"],
        "detail": ["ZNH21 → ZNM21", "ZNM21 → ZNU21", "short $12,000", "sold 3 ZNM22", "quarterly"],
    })
    return result_from_nav(nav, name="TwoYears", events=events)


def test_ten_percent_over_exactly_one_year_of_252_days_is_a_cagr_of_ten_percent():
    nav = pd.Series(np.linspace(100, 110, 253), index=days(253))
    m = compute_metrics(result_from_nav(nav))
    assert m["years"] == 1.0
    assert m["total_return"] == pytest.approx(0.10)
    assert m["cagr"] == pytest.approx(0.10)
    assert m["initial_nav"] == 100.0 and m["final_nav"] == pytest.approx(110.0)
    assert m["start"] == "2021-01-04" and m["trading_days"] == 253


def test_twenty_one_percent_over_two_years_is_ten_percent_a_year():
    nav = pd.Series(np.linspace(100, 121, 505), index=days(505))
    assert compute_metrics(result_from_nav(nav))["cagr"] == pytest.approx(0.10)


def test_volatility_and_sharpe_of_alternating_two_percent_and_flat_days():
    # Daily returns +2%, 0%, +2%, 0%, ...: mean 1%, sample standard deviation 1% * sqrt(n / (n - 1)).
    n = 252
    r = np.tile([0.02, 0.0], n // 2)
    nav = pd.Series(100 * np.cumprod(np.r_[1.0, 1 + r]), index=days(n + 1))
    m = compute_metrics(result_from_nav(nav))
    std = 0.01 * math.sqrt(n / (n - 1))
    assert m["annual_volatility"] == pytest.approx(std * math.sqrt(252))
    assert m["sharpe"] == pytest.approx(0.01 / std * math.sqrt(252))
    # A risk-free rate of 25.2% a year is 0.1% a day: the mean excess return drops to 0.9%.
    with_rf = compute_metrics(result_from_nav(nav), risk_free=0.252)
    assert with_rf["sharpe"] == pytest.approx(0.009 / std * math.sqrt(252))
    # The same rate as a dated series (one observation before the run, carried forward) agrees.
    as_series = pd.Series([0.252], index=pd.to_datetime(["2020-12-31"]))
    assert compute_metrics(result_from_nav(nav), risk_free=as_series)["sharpe"] == pytest.approx(with_rf["sharpe"])
    # No day below the required return: Sortino is undefined, reported as None (valid JSON).
    assert m["sortino"] is None


def test_sortino_counts_only_the_days_below_the_required_return():
    # +3%, −1% alternating: downside deviation = sqrt(mean(min(r, 0)^2)) = sqrt(0.0001 / 2).
    r = np.tile([0.03, -0.01], 126)
    nav = pd.Series(100 * np.cumprod(np.r_[1.0, 1 + r]), index=days(253))
    m = compute_metrics(result_from_nav(nav))
    assert m["sortino"] == pytest.approx(0.01 * 252 / (math.sqrt(0.0001 / 2) * math.sqrt(252)))


def test_max_drawdown_from_120_to_90_is_minus_25_percent_with_its_dates():
    nav = pd.Series([100, 120, 110, 90, 100, 130, 125], index=days(7), dtype=float)
    m = compute_metrics(result_from_nav(nav))
    assert m["max_drawdown"] == pytest.approx(-0.25)
    assert m["max_drawdown_peak"] == "2021-01-05"
    assert m["max_drawdown_trough"] == "2021-01-07"
    assert drawdown(result_from_nav(nav)).tolist() == pytest.approx([0, 0, -1 / 12, -0.25, -1 / 6, 0, -5 / 130])


def test_calendar_quarters_and_years(two_years):
    q = calendar_returns(two_years, "quarterly")
    assert list(q.index) == ["2021Q1", "2021Q2", "2021Q3", "2021Q4", "2022Q1", "2022Q2", "2022Q3", "2022Q4"]
    assert q["2021Q3"] == pytest.approx(99 / 110 - 1)
    assert q["2022Q1"] == pytest.approx(-0.15)
    m = compute_metrics(two_years)
    assert (m["worst_quarter"], m["worst_quarter_return"]) == ("2022Q1", pytest.approx(-0.15))
    assert (m["best_quarter"], m["best_quarter_return"]) == ("2021Q4", pytest.approx(110 / 99 - 1))
    assert (m["best_year"], m["best_year_return"]) == ("2021", pytest.approx(0.10))
    assert (m["worst_year"], m["worst_year_return"]) == ("2022", pytest.approx(-0.05))
    assert m["calendar_year_returns"] == {"2021": pytest.approx(0.10), "2022": pytest.approx(-0.05)}
    # Worst fall: 110 at 2021-12-31 to 93.5 at 2022-03-31.
    assert m["max_drawdown"] == pytest.approx(-0.15)
    assert (m["max_drawdown_peak"], m["max_drawdown_trough"]) == ("2021-12-31", "2022-03-31")


def test_period_return_of_the_first_quarter_of_2022(two_years):
    assert period_return(two_years, "2022-01-01", "2022-03-31") == pytest.approx(-0.15)
    assert period_return(two_years, "2022Q1") == pytest.approx(-0.15)
    assert period_return(two_years, "2021") == pytest.approx(0.10)
    # Starting before the data: measured from the first close (100 on 2020-12-31).
    assert period_return(two_years, "2019-01-01", "2021-06-30") == pytest.approx(0.10)
    with pytest.raises(ValueError, match="no trading day of TwoYears between 2023-01-01 and 2023-03-31"):
        period_return(two_years, "2023Q1")


def test_events_are_counted_by_kind(two_years):
    m = compute_metrics(two_years)
    assert (m["rolls"], m["rebalances"], m["margin_calls"], m["forced_liquidations"], m["rejections"]) == (2, 1, 1, 1, 0)


def test_kinds_a_strategy_does_not_record_are_counted_as_unknown_not_zero(two_years):
    plain = BacktestResult(name="Plain", daily=two_years.daily, events=two_years.events,
                           recorded_events={"roll", "margin_call", "forced_liquidation", "rejection"})
    m = compute_metrics(plain)
    assert (m["rolls"], m["rebalances"], m["rejections"]) == (2, None, 0)
    assert json.loads(json.dumps(m))["rebalances"] is None


def test_turnover_and_costs_over_two_flat_years():
    # NAV $1,000,000 for 504 daily returns = 2 years.
    nav = pd.Series(1_000_000.0, index=days(505))
    trades = pd.DataFrame({
        "date": pd.to_datetime(["2021-01-05", "2021-03-19", "2021-03-19", "2021-06-01", "2022-01-03"]),
        "instrument": ["IVV", "ZNH21", "ZNM21", "ZNM21", "IVV"],
        "size": [700, -5, 5, 2, -200],
        "price": [428.57, 120.0, 120.0, 100.0, 500.0],
        "value": [300_000.0, -600_000.0, 600_000.0, 200_000.0, -100_000.0],
        "commission": [3.0, 5.0, 5.0, 2.0, 1.0],
        "kind": ["trade", "roll", "roll", "rebalance", "rebalance"],
    })
    journal = pd.DataFrame({
        "date": pd.to_datetime(["2021-01-05", "2021-03-19", "2021-03-19", "2021-06-01"]),
        "kind": ["commission", "commission", "slippage", "fee"],
        "instrument": ["IVV", "ZNH21", "ZNH21", ""],
        "amount": [-100.0, -50.0, -30.0, -20.0],
        "balance": [0.0, 0.0, 0.0, 0.0],
    })
    m = compute_metrics(result_from_nav(nav, trades=trades, journal=journal))
    assert m["years"] == 2.0 and m["average_nav"] == 1_000_000.0
    assert m["traded_value_shares"] == 400_000.0
    assert m["turnover_shares"] == pytest.approx(0.20)  # 400k / 2 years / 1M
    assert m["traded_value_futures"] == 1_400_000.0
    assert m["turnover_futures"] == pytest.approx(0.70)
    assert m["turnover_futures_ex_rolls"] == pytest.approx(0.10)
    # The journal has commission rows, so it is the source; trades.commission is not added on top.
    assert (m["commissions"], m["slippage"], m["fees"], m["total_costs"]) == (150.0, 30.0, 20.0, 200.0)
    assert m["total_costs_pct_per_year"] == pytest.approx(0.0001)
    # Without commission rows in the journal, the fills' commissions are used (3 + 5 + 5 + 2 + 1).
    no_commission_rows = journal[journal["kind"] != "commission"]
    m2 = compute_metrics(result_from_nav(nav, trades=trades, journal=no_commission_rows))
    assert m2["commissions"] == 16.0 and m2["total_costs"] == 66.0


def test_margin_use_peaks_are_reported():
    r = result_from_nav(pd.Series([100.0, 100.0, 80.0], index=days(3)))
    daily = r.daily.assign(initial_margin=[10.0, 20.0, 20.0], excess_liquidity=[90.0, 80.0, 60.0])
    m = compute_metrics(BacktestResult(name="M", daily=daily))
    assert m["max_margin_to_nav"] == pytest.approx(0.25)  # 20 / 80
    assert m["min_excess_liquidity"] == 60.0


def test_daily_risk_free_from_a_series_of_annual_rates_is_forward_filled():
    returns = pd.Series(0.0, index=pd.to_datetime(["2022-01-03", "2022-01-04", "2022-01-05"]))
    # No rate published on 2022-01-04 (a bond-market holiday, say): the 3 January rate carries over.
    rates = pd.Series([0.0252, 0.0504], index=pd.to_datetime(["2022-01-03", "2022-01-05"]))
    assert daily_risk_free(returns, rates).tolist() == pytest.approx([0.0001, 0.0001, 0.0002])
    assert daily_risk_free(returns, None) == 0.0


def test_every_key_is_documented_and_the_dict_is_strict_json(two_years):
    m = compute_metrics(two_years, risk_free=0.01)
    assert set(m) == set(METRIC_KEYS)
    json.dumps(m, allow_nan=False)
    assert all(isinstance(v, (str, int, float, dict, type(None))) for v in m.values())


def test_a_result_missing_a_column_or_with_an_unknown_trade_kind_is_refused():
    nav = pd.Series([100.0, 101.0], index=days(2))
    daily = result_from_nav(nav).daily
    with pytest.raises(ResultError, match="daily table lacks column.*ladder_duration"):
        BacktestResult(name="X", daily=daily.drop(columns="ladder_duration"))
    trades = pd.DataFrame({"date": [nav.index[0]], "instrument": ["IVV"], "size": [1], "price": [1.0],
                           "value": [1.0], "commission": [0.0], "kind": ["oops"]})
    with pytest.raises(ResultError, match="unknown kind.*oops"):
        BacktestResult(name="X", daily=daily, trades=trades)
