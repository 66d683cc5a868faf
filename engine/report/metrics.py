"""Performance, cost and risk-event metrics of a `BacktestResult`, as a JSON-ready dict.

Return statistics are empyrical-reloaded's definitions (`ecore.engine.report.return_stats`, numpy, the
same numbers to the last bit) on simple daily returns of ``nav`` (252 trading days a year). Rates are decimals (0.1097 means 10.97%), money is dollars, counts are ints, dates
are ISO strings; a statistic that is undefined (no losing day for Sortino, say) is ``None``.
`METRIC_KEYS` documents every key.
"""

from __future__ import annotations

import math

import pandas as pd

from . import relative_stats as rel
from . import return_stats as rs
from .results import BacktestResult, is_futures_instrument

TRADING_DAYS = 252

#: Every key of `compute_metrics`'s dict, with its meaning and unit.
METRIC_KEYS = {
    "name": "strategy name",
    "start": "first trading day (ISO date)",
    "end": "last trading day (ISO date)",
    "trading_days": "number of rows of the daily table",
    "years": "length in years: daily returns / 252",
    "initial_nav": "NAV on the first day, dollars",
    "final_nav": "NAV on the last day, dollars",
    "average_nav": "mean daily NAV, dollars",
    "total_return": "final / initial NAV - 1, decimal",
    "cagr": "compound annual growth rate, decimal (empyrical.cagr)",
    "annual_volatility": "standard deviation of daily returns x sqrt(252), decimal",
    "sharpe": "annualised Sharpe ratio of daily returns in excess of the risk-free rate",
    "sortino": "annualised Sortino ratio, required return = the risk-free rate",
    "max_drawdown": "largest peak-to-trough fall of NAV, negative decimal",
    "max_drawdown_peak": "date of the last high before the largest fall (ISO)",
    "max_drawdown_trough": "date of the trough of the largest fall (ISO)",
    "worst_quarter": "calendar quarter with the lowest return, e.g. '2022Q1' (first/last may be partial)",
    "worst_quarter_return": "that quarter's return, decimal",
    "best_quarter": "calendar quarter with the highest return",
    "best_quarter_return": "that quarter's return, decimal",
    "worst_year": "calendar year with the lowest return (first/last may be partial)",
    "worst_year_return": "that year's return, decimal",
    "best_year": "calendar year with the highest return",
    "best_year_return": "that year's return, decimal",
    "calendar_year_returns": "{year: return} for every calendar year in the run, decimals",
    "traded_value_shares": "sum of |value| of share fills (buys and sells), dollars",
    "traded_value_futures": "sum of |notional| of futures fills, rolls included, dollars",
    "traded_value_futures_rolls": "the part of traded_value_futures from roll fills, dollars",
    "turnover_shares": "traded_value_shares / years / average_nav, decimal per year",
    "turnover_futures": "traded_value_futures / years / average_nav, decimal per year",
    "turnover_futures_ex_rolls": "as turnover_futures without roll fills, decimal per year",
    "commissions": "commissions paid, dollars (journal 'commission' rows, else trades.commission)",
    "slippage": "slippage paid, dollars (the trades' 'slippage' column and journal 'slippage' rows)",
    "fees": "fees paid (exchange fees, fund expense ratio), dollars (journal 'fee' and 'expense' rows)",
    "total_costs": "commissions + slippage + fees, dollars",
    "total_costs_pct_per_year": "total_costs / years / average_nav, decimal per year",
    "rolls": "number of 'roll' events (None when the strategy rolls itself without recording rolls)",
    "rebalances": "number of 'rebalance' events (None when the strategy does not record rebalances)",
    "margin_calls": "number of 'margin_call' events",
    "forced_liquidations": "number of 'forced_liquidation' events",
    "rejections": "number of 'rejection' events (orders the broker refused)",
    "max_margin_to_nav": "largest initial margin / NAV over the run, decimal",
    "min_excess_liquidity": "smallest excess liquidity over the run, dollars",
    # Against the benchmark (None for the benchmark itself and for a run without one), on the
    # days both have a return: ecore.engine.report.relative_stats, empyrical's definitions.
    "benchmark_name": "the benchmark the relative statistics are against (None without one)",
    "alpha": "annualised alpha against the benchmark over the risk-free rate, decimal (empyrical.alpha)",
    "beta": "beta of daily returns to the benchmark's (empyrical.beta)",
    "correlation": "correlation of daily returns with the benchmark's",
    "tracking_error": "standard deviation of daily (strategy - benchmark) returns x sqrt(252), decimal",
    "information_ratio": "mean over standard deviation of daily (strategy - benchmark) returns x sqrt(252)",
    "var_95": "daily value at risk: the 5th percentile of daily returns, decimal (empyrical.value_at_risk)",
    "cvar_95": "daily conditional VaR: mean of the worst 5 % of daily returns, decimal "
               "(empyrical.conditional_value_at_risk)",
    "best_day": "trading day with the highest return (ISO)",
    "best_day_return": "that day's return, decimal",
    "worst_day": "trading day with the lowest return (ISO)",
    "worst_day_return": "that day's return, decimal",
    "best_month": "calendar month with the highest return, e.g. '2020-04' (first/last may be partial)",
    "best_month_return": "that month's return, decimal",
    "worst_month": "calendar month with the lowest return",
    "worst_month_return": "that month's return, decimal",
    "rolling_1y_return_min": "lowest return over any 252 trading days, decimal",
    "rolling_1y_return_max": "highest return over any 252 trading days, decimal",
    "rolling_1y_volatility_min": "lowest annualised volatility over any 252 trading days, decimal",
    "rolling_1y_volatility_max": "highest annualised volatility over any 252 trading days, decimal",
    "rolling_1y_sharpe_min": "lowest Sharpe ratio over any 252 trading days",
    "rolling_1y_sharpe_max": "highest Sharpe ratio over any 252 trading days",
    "rolling_1y_beta_min": "lowest beta to the benchmark over any 252 trading days (None without one)",
    "rolling_1y_beta_max": "highest beta to the benchmark over any 252 trading days (None without one)",
    "longest_drawdown_days": "trading days from peak to recovery (or to the end) of the longest drawdown",
    "longest_drawdown_peak": "the peak that longest drawdown started from (ISO)",
    "start_set_by": "the series whose data set the first day (None when the start was given)",
    "end_set_by": "the series whose data set the last day (None when the end was given)",
}

#: Tables of metrics.json beside the figures above (not in a sweep's results: they are lists and
#: long tables), from `detail_metrics`.
DETAIL_KEYS = {
    "top_drawdowns": "the five deepest drawdowns that do not overlap, deepest first: peak, trough, "
                     "recovery (None while under water), depth (negative decimal), days (trading days "
                     "from peak to recovery or to the end), recovered",
    "monthly_returns": "{'YYYY-MM': return} for every calendar month in the run, decimals",
}

# The metrics that are numbers, so a sweep can rank runs by them.
RANKABLE_METRICS = frozenset(METRIC_KEYS) - {
    "name", "start", "end", "max_drawdown_peak", "max_drawdown_trough", "worst_quarter",
    "best_quarter", "worst_year", "best_year", "calendar_year_returns",
    "benchmark_name", "best_day", "worst_day", "best_month", "worst_month", "longest_drawdown_peak",
    "start_set_by", "end_set_by",
}


def _num(x) -> float | None:
    """A plain float, or None when ``x`` is NaN or infinite (JSON has neither)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def daily_risk_free(returns: pd.Series, risk_free) -> pd.Series | float:
    """Risk-free return per trading day, aligned to ``returns``.

    ``risk_free`` is None (0), an annual rate as a decimal (0.02), or a Series of annual decimal
    rates indexed by date such as `MarketData.short_rate()` (forward-filled onto the trading days).
    An annual rate r becomes r / 252 a day, the convention of a T-bill's simple yield.
    """
    if risk_free is None:
        return 0.0
    if isinstance(risk_free, pd.Series):
        rates = risk_free.astype(float).copy()
        rates.index = pd.to_datetime(rates.index).normalize()
        rates = rates.sort_index()
        aligned = rates.reindex(rates.index.union(returns.index)).ffill().reindex(returns.index)
        return aligned.fillna(0.0) / TRADING_DAYS
    return float(risk_free) / TRADING_DAYS


def calendar_returns(result: BacktestResult, period: str) -> pd.Series:
    """Compounded returns per calendar ``period`` ("yearly", "quarterly" or "monthly").

    Indexed by labels "2021", "2022Q1" or "2022-03". The first and last periods are partial when
    the run starts or ends inside them; each return runs from the previous period's last close.
    """
    returns = result.returns
    if returns.empty:
        return pd.Series(dtype=float)
    agg = rs.aggregate_returns(returns, period)
    if period == "yearly":
        labels = [str(y) for y in agg.index]
    elif period == "quarterly":
        labels = [f"{y}Q{q}" for y, q in agg.index]
    elif period == "monthly":
        labels = [f"{y}-{m:02d}" for y, m in agg.index]
    else:
        raise ValueError(f"period must be yearly, quarterly or monthly, not {period!r}")
    return pd.Series(agg.to_numpy(dtype=float), index=labels)


def drawdown(result: BacktestResult) -> pd.Series:
    """NAV's fall from its running peak, negative decimal (0 at a new high), indexed by date.

    The chart needs the daily series and the peak and trough dates, not only the maximum
    (`return_stats.max_drawdown`); its minimum equals that value.
    """
    nav = result.nav
    return nav / nav.cummax() - 1.0


def period_return(result: BacktestResult, start, end=None) -> float:
    """Return from the close before ``start`` to the last close on or before ``end``, decimal.

    ``period_return(r, "2022-01-01", "2022-03-31")`` and ``period_return(r, "2022Q1")`` are the
    first quarter of 2022 (a single argument is read as a pandas period: "2022Q1", "2021",
    "2022-03"). When ``start`` is on or before the first day, the return is from the first close.
    Raises ValueError when no trading day falls in the period.
    """
    if end is None:
        p = pd.Period(start)
        start, end = p.start_time, p.end_time
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    nav = result.nav
    inside = nav[(nav.index >= start) & (nav.index <= end)]
    if inside.empty:
        raise ValueError(
            f"no trading day of {result.name} between {start.date()} and {end.date()} "
            f"(data run {nav.index[0].date()} to {nav.index[-1].date()})"
        )
    before = nav[nav.index < start]
    base = before.iloc[-1] if not before.empty else nav.iloc[0]
    return float(inside.iloc[-1] / base - 1.0)


def _costs(result: BacktestResult) -> dict:
    j = result.journal
    paid = lambda kind: float(-j.loc[j["kind"] == kind, "amount"].astype(float).sum())  # noqa: E731
    if (j["kind"] == "commission").any():
        commissions = paid("commission")
    else:
        commissions = float(result.trades["commission"].astype(float).abs().sum())
    slippage = paid("slippage")
    if "slippage" in result.trades.columns:
        # The broker builds slippage into fill prices and reports it per fill.
        slippage += float(result.trades["slippage"].astype(float).sum())
    fees = paid("fee") + paid("expense")  # fund expense ratio accrued on NAV
    return {"commissions": commissions, "slippage": slippage, "fees": fees,
            "total_costs": commissions + slippage + fees}


def _traded(result: BacktestResult) -> dict:
    t = result.trades
    if t.empty:
        return {"traded_value_shares": 0.0, "traded_value_futures": 0.0, "traded_value_futures_rolls": 0.0}
    kinds = {name: is_futures_instrument(name) for name in t["instrument"].unique()}
    futures = t["instrument"].map(kinds).astype(bool)
    value = t["value"].astype(float).abs()
    return {
        "traded_value_shares": float(value[~futures].sum()),
        "traded_value_futures": float(value[futures].sum()),
        "traded_value_futures_rolls": float(value[futures & (t["kind"] == "roll")].sum()),
    }


def _extreme(series: pd.Series, pick) -> tuple[str | None, float | None]:
    if series.empty:
        return None, None
    label = pick(series)
    return label, _num(series[label])


def compute_metrics(result: BacktestResult, risk_free=None, benchmark: BacktestResult | None = None) -> dict:
    """All metrics of one run; keys and units in `METRIC_KEYS`.

    ``risk_free``: None (0), an annual decimal rate, or a Series of annual decimal rates by date;
    it is used for Sharpe and as Sortino's required return (see `daily_risk_free`).
    ``benchmark``: the result the relative statistics (alpha, beta...) are against, or None.
    """
    daily = result.daily
    nav = result.nav
    returns = result.returns
    years = len(returns) / TRADING_DAYS
    average_nav = float(nav.mean())
    rf = daily_risk_free(returns, risk_free)

    dd = drawdown(result)
    trough = dd.idxmin()
    # The peak the fall started from: the last new high before the trough (ties go to the latest).
    peak = dd.loc[:trough][dd.loc[:trough] >= 0].index[-1]

    quarters = calendar_returns(result, "quarterly")
    yearly = calendar_returns(result, "yearly")
    worst_q, worst_q_ret = _extreme(quarters, pd.Series.idxmin)
    best_q, best_q_ret = _extreme(quarters, pd.Series.idxmax)
    worst_y, worst_y_ret = _extreme(yearly, pd.Series.idxmin)
    best_y, best_y_ret = _extreme(yearly, pd.Series.idxmax)

    traded = _traded(result)
    costs = _costs(result)
    per_year = lambda dollars: _num(dollars / years / average_nav) if years > 0 else None  # noqa: E731
    def count(kind: str) -> int | None:
        return int((result.events["kind"] == kind).sum()) if result.records(kind) else None

    has_returns = len(returns) >= 2

    return {
        "name": result.name,
        "start": nav.index[0].date().isoformat(),
        "end": nav.index[-1].date().isoformat(),
        "trading_days": int(len(nav)),
        "years": float(years),
        "initial_nav": float(nav.iloc[0]),
        "final_nav": float(nav.iloc[-1]),
        "average_nav": average_nav,
        "total_return": float(nav.iloc[-1] / nav.iloc[0] - 1.0),
        "cagr": _num(rs.cagr(returns)) if has_returns else None,
        "annual_volatility": _num(rs.annual_volatility(returns)) if has_returns else None,
        "sharpe": _num(rs.sharpe_ratio(returns, risk_free=rf)) if has_returns else None,
        "sortino": _num(rs.sortino_ratio(returns, required_return=rf)) if has_returns else None,
        "max_drawdown": _num(rs.max_drawdown(returns)) if has_returns else 0.0,
        "max_drawdown_peak": peak.date().isoformat(),
        "max_drawdown_trough": trough.date().isoformat(),
        "worst_quarter": worst_q,
        "worst_quarter_return": worst_q_ret,
        "best_quarter": best_q,
        "best_quarter_return": best_q_ret,
        "worst_year": worst_y,
        "worst_year_return": worst_y_ret,
        "best_year": best_y,
        "best_year_return": best_y_ret,
        "calendar_year_returns": {k: _num(v) for k, v in yearly.items()},
        **traded,
        "turnover_shares": per_year(traded["traded_value_shares"]),
        "turnover_futures": per_year(traded["traded_value_futures"]),
        "turnover_futures_ex_rolls": per_year(
            traded["traded_value_futures"] - traded["traded_value_futures_rolls"]
        ),
        **costs,
        "total_costs_pct_per_year": per_year(costs["total_costs"]),
        "rolls": count("roll"),
        "rebalances": count("rebalance"),
        "margin_calls": count("margin_call"),
        "forced_liquidations": count("forced_liquidation"),
        "rejections": count("rejection"),
        "max_margin_to_nav": _num((daily["initial_margin"].astype(float) / daily["nav"].astype(float)).max()),
        "min_excess_liquidity": _num(daily["excess_liquidity"].astype(float).min()),
        **_tail_metrics(result, rf),
        **_relative_metrics(result, benchmark, risk_free),
    }


def _dated_extreme(series: pd.Series, pick) -> tuple[str | None, float | None]:
    if series.empty:
        return None, None
    label = pick(series)
    return (label.date().isoformat() if hasattr(label, "date") else label), _num(series[label])


def _tail_metrics(result: BacktestResult, rf) -> dict:
    """Distribution, best and worst days and months, rolling one-year figures, longest drawdown."""
    returns = result.returns
    months = calendar_returns(result, "monthly")
    best_d, best_d_ret = _dated_extreme(returns, pd.Series.idxmax)
    worst_d, worst_d_ret = _dated_extreme(returns, pd.Series.idxmin)
    best_m, best_m_ret = _extreme(months, pd.Series.idxmax)
    worst_m, worst_m_ret = _extreme(months, pd.Series.idxmin)
    rolling = {"return": rel.rolling_return(returns), "volatility": rel.rolling_volatility(returns),
               "sharpe": rel.rolling_sharpe(returns, rf)}
    out = {
        "var_95": _num(rel.value_at_risk(returns)) if len(returns) else None,
        "cvar_95": _num(rel.conditional_value_at_risk(returns)) if len(returns) else None,
        "best_day": best_d, "best_day_return": best_d_ret,
        "worst_day": worst_d, "worst_day_return": worst_d_ret,
        "best_month": best_m, "best_month_return": best_m_ret,
        "worst_month": worst_m, "worst_month_return": worst_m_ret,
    }
    for name, series in rolling.items():
        out[f"rolling_1y_{name}_min"] = _num(series.min()) if len(series) else None
        out[f"rolling_1y_{name}_max"] = _num(series.max()) if len(series) else None
    longest = max(rel.drawdown_periods(result.nav, top=None), key=lambda p: p["days"], default=None)
    out["longest_drawdown_days"] = longest["days"] if longest else 0
    out["longest_drawdown_peak"] = longest["peak"] if longest else None
    sources = getattr(result, "window_sources", None) or {}
    out["start_set_by"] = sources.get("start")
    out["end_set_by"] = sources.get("end")
    return out


def _relative_metrics(result: BacktestResult, benchmark: BacktestResult | None, risk_free) -> dict:
    """Alpha, beta, correlation, tracking error, information ratio and rolling beta against
    ``benchmark`` on the days both have a return; None without one."""
    keys = ("alpha", "beta", "correlation", "tracking_error", "information_ratio",
            "rolling_1y_beta_min", "rolling_1y_beta_max")
    if benchmark is None:
        return {"benchmark_name": None, **dict.fromkeys(keys)}
    r, f = rel.aligned_returns(result.nav, benchmark.nav)
    if len(r) < 2:
        return {"benchmark_name": benchmark.name, **dict.fromkeys(keys)}
    rf = daily_risk_free(r, risk_free)
    rf = rf.to_numpy() if isinstance(rf, pd.Series) else rf
    b = rel.beta(r, f)
    roll = rel.rolling_beta(r, f)
    return {
        "benchmark_name": benchmark.name,
        "alpha": _num(rel.alpha(r, f, rf, beta_value=b)),
        "beta": _num(b),
        "correlation": _num(rel.correlation(r, f)),
        "tracking_error": _num(rel.tracking_error(r, f)),
        "information_ratio": _num(rel.information_ratio(r, f)),
        "rolling_1y_beta_min": _num(roll.min()) if len(roll) else None,
        "rolling_1y_beta_max": _num(roll.max()) if len(roll) else None,
    }


def detail_metrics(result: BacktestResult) -> dict:
    """The tables of `DETAIL_KEYS`: top five drawdowns and every month's return."""
    return {
        "top_drawdowns": rel.drawdown_periods(result.nav, top=5),
        "monthly_returns": {k: _num(v) for k, v in calendar_returns(result, "monthly").items()},
    }
