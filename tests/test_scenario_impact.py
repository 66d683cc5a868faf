"""A stress scenario in numbers: the shock day's P&L, the calls and forced sales from then on, NAV
and futures a month later, each against the same run without the scenario."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ecore.engine.backtest.runner import BacktestConfig, run_backtest
from ecore.engine.report.html import render_report_html, summary_table
from ecore.engine.report.results import BacktestResult
from ecore.engine.report.scenario_impact import MONTH, SCENARIO_KEYS, scenario_impact


def result(nav, notional=0.0, events=None, trades=None, start="2021-01-04"):
    days = pd.bdate_range(start, periods=len(nav))
    daily = pd.DataFrame({"date": days, "nav": nav, "cash": nav, "shares_value": 0.0,
                          "futures_notional": notional, "initial_margin": 0.0, "maintenance_margin": 0.0,
                          "excess_liquidity": nav, "ladder_duration": np.nan})
    return BacktestResult(name="S", daily=daily, events=events, trades=trades)


def test_the_numbers_of_a_hand_made_shock():
    n = 40
    base_nav = np.full(n, 100.0)
    nav = base_nav.copy()
    nav[5:] = 80.0  # day 5 (2021-01-11) loses 20
    events = pd.DataFrame({"date": pd.to_datetime(["2021-01-08", "2021-01-12"]), "kind": "margin_call", "detail": ""})
    trades = pd.DataFrame({"date": pd.to_datetime(["2021-01-13"]), "instrument": ["ZNH21"], "size": [-2],
                           "price": [130.0], "value": [-260_000.0], "commission": [1.7], "kind": ["forced"]})
    stressed = result(nav, notional=np.r_[np.full(6, 60.0), np.full(n - 6, 30.0)], events=events, trades=trades)
    baseline = result(base_nav, notional=60.0)
    # Saturday 2021-01-09: the shock day is Monday 2021-01-11.
    s = scenario_impact(stressed, baseline, dt.date(2021, 1, 9), "test shock")
    assert set(s) == set(SCENARIO_KEYS)
    assert s["shock_day"] == "2021-01-11"
    assert (s["shock_day_pnl"], s["shock_day_return"]) == (-20.0, pytest.approx(-0.2))
    assert (s["baseline_shock_day_pnl"], s["baseline_shock_day_return"]) == (0.0, 0.0)
    assert (s["margin_calls"], s["baseline_margin_calls"]) == (1, 0)  # the call of the 8th came before
    assert (s["forced_sales"], s["forced_sales_value"]) == (1, 260_000.0)
    assert s["month_later_day"] == pd.bdate_range("2021-01-11", periods=MONTH + 1)[-1].date().isoformat()
    assert (s["nav_month_later"], s["baseline_nav_month_later"]) == (80.0, 100.0)
    assert (s["futures_notional_month_later"], s["baseline_futures_notional_month_later"]) == (30.0, 60.0)
    # From the shock day: 60/80 on the day itself, then 30/80.
    assert s["futures_to_nav_after"] == pytest.approx((0.75 + 0.375 * (n - 6)) / (n - 5))
    assert s["baseline_futures_to_nav_after"] == pytest.approx(0.6)


@pytest.fixture(scope="module")
def shocked():
    config = BacktestConfig(start=dt.date(2019, 10, 1), end=dt.date(2020, 3, 31),
                            scenario={"kind": "rate_shock", "date": "2020-01-04"})
    return run_backtest(config), run_backtest(config.replace(scenario=None))


def test_a_weekend_shock_happens_and_is_reported_on_the_next_trading_day(shocked):
    run, _ = shocked
    assert run.metrics["scenario"]["shock_day"] == "2020-01-06"
    assert "2020-01-06" in run.result.assumptions["Stress scenario"]
    assert "2020-01-04" not in render_report_html(run.result, run.benchmark, run.risk_free,
                                                   (run.metrics, run.benchmark_metrics))


def test_the_shock_day_pnl_is_the_nav_change_of_both_runs_against_runs_without_it(shocked):
    run, plain = shocked
    for mine, theirs, key in ((run.result, plain.result, "metrics"), (run.benchmark, plain.benchmark, "benchmark_metrics")):
        s = getattr(run, key)["scenario"]
        nav, base = mine.nav, theirs.nav
        assert s["shock_day_pnl"] == nav.loc["2020-01-06"] - nav.loc["2020-01-03"]
        assert s["baseline_shock_day_pnl"] == base.loc["2020-01-06"] - base.loc["2020-01-03"]
        assert s["baseline_final_nav"] == base.iloc[-1]
    assert run.metrics["scenario"]["shock_day_return"] < -0.15  # +500 bp on a 90/60 ladder
    assert run.metrics["scenario"]["margin_calls"] >= 1 and run.metrics["scenario"]["baseline_margin_calls"] == 0


def test_the_summary_and_the_report_show_the_scenario(shocked):
    run, _ = shocked
    text = summary_table([run.result, run.benchmark], run.risk_free, [run.metrics, run.benchmark_metrics])
    rows = {line.split("  ")[0]: line for line in text.splitlines()}
    assert "2020-01-06" in rows["Shock day"]
    s = run.metrics["scenario"]
    assert f"-${-s['shock_day_pnl']:,.0f}" in rows["Shock-day P&L"]
    page = render_report_html(run.result, run.benchmark, run.risk_free, (run.metrics, run.benchmark_metrics))
    assert '<section id="scenario"><h2>Stress scenario</h2>' in page
    assert f"P&amp;L on 2020-01-06" in page


def test_without_a_scenario_there_are_no_scenario_rows(shocked):
    _, plain = shocked
    text = summary_table([plain.result, plain.benchmark], plain.risk_free, [plain.metrics, plain.benchmark_metrics])
    assert "Shock day" not in text and "scenario" not in plain.metrics
