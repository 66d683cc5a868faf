"""CorePlus: two thirds in the 90/60 core, one third in a satellite fund."""

import datetime as dt

import pytest

from ecore.engine.backtest.runner import BacktestConfig, run_backtest


@pytest.fixture(scope="module")
def core_plus():
    return run_backtest(BacktestConfig(strategy="CorePlus", start=dt.date(2021, 1, 4), end=dt.date(2021, 6, 30),
                                       benchmark=False, params={"sleeve": "EEM"})).result


def test_the_sleeve_holds_a_third_of_nav(core_plus):
    day = core_plus.daily.iloc[3]
    eem = core_plus.trades.loc[core_plus.trades["instrument"] == "EEM", "value"].iloc[0]
    assert eem / day["nav"] == pytest.approx(1 / 3, abs=0.01)


def test_the_core_runs_on_two_thirds_of_nav(core_plus):
    d = core_plus.daily.iloc[3:]
    # Futures: 0.60 x 2/3 = 40% of NAV; the core's shares 0.90 x 2/3 = 60% of NAV.
    assert d["futures_weight"].mean() == pytest.approx(0.40, abs=0.03)
    ivv = core_plus.trades.loc[core_plus.trades["instrument"] == "IVV", "value"].iloc[0]
    assert ivv / d["nav"].iloc[0] == pytest.approx(0.60, abs=0.01)
