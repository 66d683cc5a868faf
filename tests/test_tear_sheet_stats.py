"""The tear sheet's statistics (alpha, beta, correlation, tracking error, information ratio,
VaR, CVaR, rolling one-year figures, drawdown periods, best and worst days and months), each
computed again independently: empyrical-reloaded (the oracle), pandas, or by hand."""

import empyrical as ep
import numpy as np
import pandas as pd
import pytest

from ecore.engine.report import relative_stats as rel
from ecore.engine.report.html import summary_table
from ecore.engine.report.metrics import compute_metrics, daily_risk_free, detail_metrics
from ecore.engine.report.results import BacktestResult


def result_from_nav(nav: pd.Series, name="Test") -> BacktestResult:
    daily = pd.DataFrame({
        "date": nav.index, "nav": nav.to_numpy(), "cash": nav.to_numpy(), "shares_value": 0.0,
        "futures_notional": 0.0, "initial_margin": 0.0, "maintenance_margin": 0.0,
        "excess_liquidity": nav.to_numpy(), "ladder_duration": np.nan,
    })
    return BacktestResult(name=name, daily=daily)


def random_pair(n=800, seed=7):
    """A benchmark's NAV and a strategy's that is 1.5 x the benchmark plus noise."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2015-01-02", periods=n)
    f = rng.normal(0.0003, 0.01, n)
    r = 1.5 * f + rng.normal(0.0001, 0.004, n)
    r[0] = f[0] = 0.0
    return (pd.Series(1e6 * np.cumprod(1 + r), index=days), pd.Series(1e6 * np.cumprod(1 + f), index=days))


@pytest.fixture(scope="module")
def pair():
    return random_pair()


@pytest.fixture(scope="module")
def metrics(pair):
    strategy, bench = result_from_nav(pair[0], "S"), result_from_nav(pair[1], "B")
    return compute_metrics(strategy, 0.02, benchmark=bench)


def returns_of(pair):
    return pair[0].pct_change().iloc[1:], pair[1].pct_change().iloc[1:]


def test_beta_and_alpha_equal_empyrical_to_the_bit(pair, metrics):
    r, f = returns_of(pair)
    rf = 0.02 / 252
    assert metrics["beta"] == ep.beta_aligned(r.to_numpy(), f.to_numpy())
    assert metrics["alpha"] == ep.alpha_aligned(r.to_numpy(), f.to_numpy(), risk_free=rf)
    assert metrics["beta"] == pytest.approx(1.5, abs=0.05)  # how the pair was made


def test_alpha_with_a_dated_risk_free_rate_equals_empyrical():
    s, b = random_pair(300, seed=3)
    r, f = returns_of((s, b))
    rates = pd.Series(np.linspace(0.01, 0.05, len(s)), index=s.index)
    m = compute_metrics(result_from_nav(s), rates, benchmark=result_from_nav(b))
    rf = daily_risk_free(r, rates).to_numpy()
    assert m["alpha"] == ep.alpha_aligned(r.to_numpy(), f.to_numpy(), risk_free=rf)


def test_correlation_equals_pandas(pair, metrics):
    r, f = returns_of(pair)
    assert metrics["correlation"] == pytest.approx(r.corr(f), rel=1e-13)


def test_tracking_error_and_information_ratio_follow_empyrical_excess_sharpe(pair, metrics):
    r, f = returns_of(pair)
    active = (r - f).to_numpy()
    assert metrics["tracking_error"] == pytest.approx(np.std(active, ddof=1) * np.sqrt(252), rel=1e-13)
    assert metrics["information_ratio"] == ep.excess_sharpe(r.to_numpy(), f.to_numpy()) * np.sqrt(252)


def test_var_and_cvar_equal_empyrical(pair, metrics):
    r, _ = returns_of(pair)
    assert metrics["var_95"] == ep.value_at_risk(r)
    assert metrics["cvar_95"] == ep.conditional_value_at_risk(r)


def test_cvar_of_twenty_returns_averages_the_lowest_one_by_hand():
    # int((20 - 1) x 0.05) = 0: the tail is the single lowest return.
    returns = pd.Series([0.01] * 19 + [-0.04])
    assert rel.conditional_value_at_risk(returns) == -0.04
    # numpy's linear percentile: position 0.95 between -0.04 and 0.01.
    assert rel.value_at_risk(returns) == pytest.approx(-0.04 + 0.95 * 0.05)


def test_rolling_statistics_equal_empyrical_rolling_functions(pair, metrics):
    r, f = returns_of(pair)
    rf = 0.02 / 252
    vol = ep.roll_annual_volatility(r, 252)
    sharpe = ep.roll_sharpe_ratio(r - rf, 252)
    beta = pd.Series(np.asarray(ep.roll_beta(r, f, 252)).ravel())
    growth = (1 + r).rolling(252).apply(np.prod, raw=True).dropna() - 1
    assert metrics["rolling_1y_volatility_max"] == pytest.approx(vol.max(), rel=1e-12)
    assert metrics["rolling_1y_volatility_min"] == pytest.approx(vol.min(), rel=1e-12)
    assert metrics["rolling_1y_sharpe_max"] == pytest.approx(sharpe.max(), rel=1e-12)
    assert metrics["rolling_1y_sharpe_min"] == pytest.approx(sharpe.min(), rel=1e-12)
    assert metrics["rolling_1y_beta_max"] == pytest.approx(beta.max(), rel=1e-12)
    assert metrics["rolling_1y_beta_min"] == pytest.approx(beta.min(), rel=1e-12)
    assert metrics["rolling_1y_return_max"] == pytest.approx(growth.max(), rel=1e-12)
    assert metrics["rolling_1y_return_min"] == pytest.approx(growth.min(), rel=1e-12)
    assert len(rel.rolling_volatility(r)) == len(r) - 251


def test_best_and_worst_days_and_months_by_hand():
    days = pd.to_datetime(["2021-01-29", "2021-02-01", "2021-02-02", "2021-03-01", "2021-03-02"])
    nav = pd.Series([100.0, 110.0, 99.0, 99.0, 108.9], index=days)
    m = compute_metrics(result_from_nav(nav))
    assert (m["best_day"], m["best_day_return"]) == ("2021-02-01", pytest.approx(0.10))
    assert (m["worst_day"], m["worst_day_return"]) == ("2021-02-02", pytest.approx(-0.10))
    # February: 100 → 99 (-1 %); March: 99 → 108.9 (+10 %).
    assert (m["best_month"], m["best_month_return"]) == ("2021-03", pytest.approx(0.10))
    assert (m["worst_month"], m["worst_month_return"]) == ("2021-02", pytest.approx(-0.01))
    assert detail_metrics(result_from_nav(nav))["monthly_returns"] == {
        "2021-02": pytest.approx(-0.01), "2021-03": pytest.approx(0.10)}


def test_drawdown_periods_by_hand():
    days = pd.bdate_range("2021-01-04", periods=10)
    # Peak 100 on day 0, trough 80 on day 2, back to 100 on day 4; peak 120 on day 5, 90 on
    # day 7 (-25 %), never back.
    nav = pd.Series([100, 90, 80, 95, 100, 120, 100, 90, 95, 110.0], index=days)
    periods = rel.drawdown_periods(nav)
    assert [p["depth"] for p in periods] == [pytest.approx(-0.25), pytest.approx(-0.20)]
    deepest, second = periods
    assert (deepest["peak"], deepest["trough"], deepest["recovery"]) == ("2021-01-11", "2021-01-13", None)
    assert deepest["days"] == 4 and not deepest["recovered"]
    assert (second["peak"], second["trough"], second["recovery"]) == ("2021-01-04", "2021-01-06", "2021-01-08")
    assert second["days"] == 4 and second["recovered"]
    m = compute_metrics(result_from_nav(nav))
    # Both last 4 trading days: the tie goes to the deeper one.
    assert m["longest_drawdown_days"] == 4 and m["longest_drawdown_peak"] == "2021-01-11"


def test_the_deepest_drawdown_period_is_the_max_drawdown(pair):
    result = result_from_nav(pair[0])
    m = compute_metrics(result)
    deepest = detail_metrics(result)["top_drawdowns"][0]
    assert deepest["depth"] == pytest.approx(m["max_drawdown"], rel=1e-12)
    assert (deepest["peak"], deepest["trough"]) == (m["max_drawdown_peak"], m["max_drawdown_trough"])


def test_relative_statistics_are_none_without_a_benchmark(pair):
    m = compute_metrics(result_from_nav(pair[0]))
    for key in ("alpha", "beta", "correlation", "tracking_error", "information_ratio",
                "rolling_1y_beta_min", "rolling_1y_beta_max", "benchmark_name"):
        assert m[key] is None


def test_returns_are_compared_over_the_same_intervals_when_one_run_skips_a_day(pair):
    strategy, bench = pair
    skipped = bench.drop(bench.index[100])  # a holiday of the benchmark's fund
    m = compute_metrics(result_from_nav(strategy), None, benchmark=result_from_nav(skipped))
    s, b = strategy.drop(strategy.index[100]), skipped
    r, f = s.pct_change().iloc[1:], b.pct_change().iloc[1:]
    assert m["beta"] == ep.beta_aligned(r.to_numpy(), f.to_numpy())


def test_the_summary_shows_each_new_statistic_as_rounded_from_the_oracle(pair, metrics):
    strategy, bench = result_from_nav(pair[0], "S"), result_from_nav(pair[1], "B")
    text = summary_table([strategy, bench], risk_free=0.02)
    r, f = returns_of(pair)
    rows = {line.split("  ")[0]: line for line in text.splitlines()}
    alpha_beta = ep.alpha_beta_aligned(r.to_numpy(), f.to_numpy(), risk_free=0.02 / 252)
    assert f"{alpha_beta[0] * 100:.2f}%" in rows["Alpha"]
    assert f"{alpha_beta[1]:.2f}" in rows["Beta"]
    assert f"{ep.value_at_risk(r) * 100:.2f}%" in rows["VaR 95%, 1 day"]
    assert f"{ep.conditional_value_at_risk(r) * 100:.2f}%" in rows["CVaR 95%, 1 day"]
    assert f"{r.corr(f):.2f}" in rows["Correlation"]
    assert rows["Alpha"].rstrip().endswith("-")  # the benchmark against itself: no figure


@pytest.fixture(scope="module")
def default_run():
    from ecore.engine.backtest.runner import BacktestConfig, run_backtest

    return run_backtest(BacktestConfig())


@pytest.mark.slow
def test_every_new_statistic_of_the_default_run_equals_the_oracle(default_run):
    run = default_run
    m = run.metrics
    nav, bench = run.result.nav, run.benchmark.nav
    common = nav.index.intersection(bench.index)
    r, f = nav.loc[common].pct_change().iloc[1:], bench.loc[common].pct_change().iloc[1:]
    rf = daily_risk_free(r, run.risk_free).to_numpy()
    assert m["beta"] == ep.beta_aligned(r.to_numpy(), f.to_numpy())
    assert m["alpha"] == ep.alpha_aligned(r.to_numpy(), f.to_numpy(), risk_free=rf)
    assert m["information_ratio"] == ep.excess_sharpe(r.to_numpy(), f.to_numpy()) * np.sqrt(252)
    assert m["correlation"] == pytest.approx(r.corr(f), rel=1e-12)
    assert m["tracking_error"] == pytest.approx((r - f).std() * np.sqrt(252), rel=1e-12)
    own = run.result.returns
    own_rf = daily_risk_free(own, run.risk_free)
    assert m["var_95"] == ep.value_at_risk(own) and m["cvar_95"] == ep.conditional_value_at_risk(own)
    assert m["rolling_1y_volatility_max"] == pytest.approx(ep.roll_annual_volatility(own, 252).max(), rel=1e-12)
    assert m["rolling_1y_sharpe_min"] == pytest.approx(ep.roll_sharpe_ratio(own - own_rf, 252).min(), rel=1e-12)
    assert m["rolling_1y_beta_max"] == pytest.approx(np.nanmax(np.asarray(ep.roll_beta(r, f, 252))), rel=1e-12)
    assert (m["worst_day"], m["worst_day_return"]) == (own.idxmin().date().isoformat(), own.min())
    months = ep.aggregate_returns(own, "monthly")
    assert m["worst_month_return"] == months.min() and m["best_month_return"] == months.max()
    deepest = detail_metrics(run.result)["top_drawdowns"][0]
    assert deepest["depth"] == pytest.approx(ep.max_drawdown(own), rel=1e-12)
    # As shown: the summary's figures are the oracle's, rounded.
    text = summary_table([run.result, run.benchmark], run.risk_free, [m, run.benchmark_metrics])
    rows = {line.split("  ")[0]: line for line in text.splitlines()}
    assert f"{ep.alpha_aligned(r.to_numpy(), f.to_numpy(), risk_free=rf) * 100:.2f}%" in rows["Alpha"]
    assert f"{ep.beta_aligned(r.to_numpy(), f.to_numpy()):.2f}" in rows["Beta"]
    assert f"{ep.value_at_risk(own) * 100:.2f}%" in rows["VaR 95%, 1 day"]
    assert f"{ep.conditional_value_at_risk(own) * 100:.2f}%" in rows["CVaR 95%, 1 day"]
    assert f"{months.min() * 100:.1f}%" in rows["Worst month"]
