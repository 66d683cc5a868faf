"""Stress scenarios make the margin machinery visible."""

import datetime as dt

import pytest

from ecore.engine.backtest.runner import BacktestConfig, run_backtest
from ecore.engine.backtest.scenarios import ScenarioError, parse_scenario


def _run(scenario):
    return run_backtest(BacktestConfig(start=dt.date(2019, 10, 1), end=dt.date(2020, 3, 31),
                                       benchmark=False, scenario=scenario))


def test_a_500bp_rate_shock_exhausts_the_cash_and_issues_a_margin_call():
    run = _run({"kind": "rate_shock", "date": "2020-01-02"})
    assert run.metrics["margin_calls"] >= 1
    daily = run.result.daily.set_index("date")
    assert daily.loc["2020-01-02", "cash"] < daily.loc["2019-12-31", "cash"] - 1_000_000


def test_a_margin_hike_forces_liquidation_when_calls_are_not_met():
    run = _run({"kind": "margin_hike", "date": "2020-01-02", "factor": 40})
    assert run.metrics["margin_calls"] >= 1
    assert run.metrics["forced_liquidations"] >= 1
    forced = run.result.trades[run.result.trades["kind"] == "forced"]
    assert len(forced) >= 1 and (forced["date"] >= "2020-01-02").all()


def test_a_strategy_that_meets_calls_sells_shares_instead_of_futures():
    run = run_backtest(BacktestConfig(start=dt.date(2019, 10, 1), end=dt.date(2020, 3, 31), benchmark=False,
                                      scenario={"kind": "margin_hike", "date": "2020-01-02", "factor": 40},
                                      params={"meet_margin_calls": True}))
    assert run.metrics["margin_calls"] >= 1
    sold = run.result.trades[run.result.trades["kind"] == "margin_call"]
    assert len(sold) >= 1 and (sold["instrument"] == "IVV").all() and (sold["size"] < 0).all()


def test_unknown_scenario_and_keys_are_named():
    with pytest.raises(ScenarioError, match="unknown scenario 'meteor'"):
        parse_scenario("meteor")
    with pytest.raises(ScenarioError, match="unknown key 'shift'"):
        parse_scenario({"kind": "rate_shock", "shift": 100})


def test_under_a_margin_hike_the_ladder_shrinks_to_fit_the_margin_it_can_post():
    run = run_backtest(BacktestConfig(start=dt.date(2019, 10, 1), end=dt.date(2020, 6, 30), benchmark=False,
                                      scenario={"kind": "margin_hike", "date": "2020-02-14", "factor": 25}))
    events = run.result.events
    assert (events["kind"] == "margin_limit").sum() >= 1
    assert (events["kind"] == "rejection").sum() <= 2  # not a refused order every day
    assert run.metrics["rebalances"] < 30
    daily = run.result.daily.set_index("date")
    # The ladder shrinks: less notional after the hike than before it.
    before = daily.loc[:"2020-02-13", "futures_notional"].iloc[5:].mean()
    assert daily.loc["2020-03-02":, "futures_notional"].mean() < 0.8 * before


def test_a_rate_shock_reprices_the_bond_fund_by_its_duration_not_like_shares():
    from ecore.data.market import load_market
    from ecore.strategies.ladder import aggregate_index_duration
    from ecore.engine.backtest.scenarios import shock_market

    market = load_market()
    day = dt.date(2020, 1, 2)
    shocked = shock_market(market, parse_scenario({"kind": "rate_shock", "date": "2020-01-02", "shift_bp": 100}))
    ratio = shocked.closes.loc["2020-01-02"] / market.closes.loc["2020-01-02"]
    assert ratio["AGG"] == pytest.approx(1 - aggregate_index_duration(day) * 0.01)
    assert ratio["IVV"] == pytest.approx(0.90)
    assert shocked.closes.loc["2019-12-31", "AGG"] == market.closes.loc["2019-12-31", "AGG"]
