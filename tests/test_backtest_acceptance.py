"""The NTSX validation window on the shared real data (issue 6 acceptance).

From 2018-08-02 to 2022-03-31 the shared files give a quarterly-rebalanced IVV/AGG 60/40 of
+10.97 %/yr; the real 90/60 fund (NTSX) returned about 15.4 %/yr and -8.1 % in 2022Q1.
"""

import datetime as dt

import pytest

from ecore.engine.report.metrics import period_return
from ecore.engine.backtest.runner import BacktestConfig, run_backtest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ntsx_run(shared):
    return run_backtest(BacktestConfig(start=dt.date(2018, 8, 2), end=dt.date(2022, 3, 31), data_dir=shared / "data"))


def test_sixty_forty_cagr_is_within_0_3_points_of_10_97(ntsx_run):
    assert ntsx_run.benchmark_metrics["cagr"] == pytest.approx(0.1097, abs=0.003)


def test_ninety_sixty_cagr_is_between_14_5_and_16_8_percent(ntsx_run):
    assert 0.145 <= ntsx_run.metrics["cagr"] <= 0.168


def test_ninety_sixty_first_quarter_of_2022_is_between_minus_6_5_and_minus_9_5(ntsx_run):
    assert -0.095 <= period_return(ntsx_run.result, "2022Q1") <= -0.065


def test_leverage_shows_in_both_directions(ntsx_run):
    # 1.5x a 60/40: more return and more risk than the benchmark.
    assert ntsx_run.metrics["annual_volatility"] > 1.3 * ntsx_run.benchmark_metrics["annual_volatility"]
    assert ntsx_run.metrics["max_drawdown"] < ntsx_run.benchmark_metrics["max_drawdown"]
