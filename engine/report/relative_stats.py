"""Statistics of a daily return series against a benchmark's, and of its tails, in numpy:
empyrical-reloaded's definitions (alpha, beta, excess Sharpe, VaR, CVaR), which the tests use as
the oracle.

Why not import empyrical (or quantstats, pyfolio-reloaded) for these: empyrical imports scipy at
start-up (about 1 s of the command's 6 s), quantstats and pyfolio add matplotlib and seaborn on
top; every figure here is a few numpy lines that follow empyrical's order of operations, so they
agree with it to the last bit on our runs (tests/test_tear_sheet_stats.py).

Inputs are simple daily returns as decimals (pandas Series indexed by date); a risk-free return
is a decimal per day, a float or a Series on the same days.  252 trading days make a year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .return_stats import TRADING_DAYS, _nanmean, _nanstd, _zero_dispersion

#: A year of trading days: the window of the rolling statistics.
ROLLING_WINDOW = TRADING_DAYS
#: The tail of the daily return distribution that VaR and CVaR look at.
VAR_CUTOFF = 0.05


def aligned(returns: pd.Series, factor: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The two series on the days both have a value (an inner join of their dates)."""
    common = returns.index.intersection(factor.index)
    return returns.loc[common].astype(float), factor.loc[common].astype(float)


def aligned_returns(nav: pd.Series, factor_nav: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Daily returns of two NAV series over the same intervals: both NAVs cut to the days both
    have a close, then close to close (a fund's holiday is not a day on which the other rose)."""
    a, b = aligned(nav, factor_nav)
    return a.pct_change().iloc[1:], b.pct_change().iloc[1:]


def beta(returns: pd.Series, factor: pd.Series) -> float:
    """Cov(returns, factor) / Var(factor), population moments (empyrical.beta_aligned)."""
    r = np.asarray(returns, dtype=float)
    f = np.where(np.isnan(r), np.nan, np.asarray(factor, dtype=float))
    if len(r) < 2:
        return np.nan
    residual = f - _nanmean(f)
    covariance = _nanmean(residual * r)
    variance = _nanmean(residual * residual)
    if variance < 1.0e-30:
        return np.nan
    return float(covariance / variance)


def alpha(returns: pd.Series, factor: pd.Series, risk_free=0.0, beta_value: float | None = None) -> float:
    """Annualised alpha, decimal: (1 + mean daily (r - rf) - beta x (f - rf)) ^ 252 - 1
    (empyrical.alpha_aligned); ``risk_free`` a daily decimal (float or array on the same days)."""
    if len(returns) < 2:
        return np.nan
    b = beta(returns, factor) if beta_value is None else beta_value
    rf = np.asarray(risk_free, dtype=float) if not np.isscalar(risk_free) else risk_free
    adj_r = np.asarray(returns, dtype=float) - rf
    adj_f = np.asarray(factor, dtype=float) - rf
    daily = _nanmean(adj_r - b * adj_f)
    return float(np.power(daily + 1, TRADING_DAYS) - 1)


def correlation(returns: pd.Series, factor: pd.Series) -> float:
    """Pearson correlation of the daily returns (pandas ``Series.corr``'s definition)."""
    r, f = np.asarray(returns, dtype=float), np.asarray(factor, dtype=float)
    keep = ~(np.isnan(r) | np.isnan(f))
    r, f = r[keep], f[keep]
    if len(r) < 2:
        return np.nan
    dr, df = r - r.mean(), f - f.mean()
    denominator = np.sqrt((dr * dr).sum() * (df * df).sum())
    return float((dr * df).sum() / denominator) if denominator > 0 else np.nan


def tracking_error(returns: pd.Series, factor: pd.Series) -> float:
    """Sample standard deviation of the daily active return (r - f) x sqrt(252), decimal."""
    active = np.asarray(returns, dtype=float) - np.asarray(factor, dtype=float)
    if len(active) < 2:
        return np.nan
    return float(_zero_dispersion(active, _nanstd(active, ddof=1)) * np.sqrt(TRADING_DAYS))


def information_ratio(returns: pd.Series, factor: pd.Series) -> float:
    """Annualised information ratio: empyrical.excess_sharpe (mean over sample standard deviation
    of the daily active return) x sqrt(252); NaN when the active return never varies."""
    active = np.asarray(returns, dtype=float) - np.asarray(factor, dtype=float)
    if len(active) < 2:
        return np.nan
    te = _zero_dispersion(active, _nanstd(active, ddof=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.divide(_nanmean(active), te) * np.sqrt(TRADING_DAYS))


def value_at_risk(returns: pd.Series, cutoff: float = VAR_CUTOFF) -> float:
    """The ``cutoff`` percentile of daily returns, decimal (negative: a loss); empyrical's."""
    if np.size(returns) < 1:
        return np.nan
    return float(np.percentile(np.asarray(returns, dtype=float), 100 * cutoff))


def conditional_value_at_risk(returns: pd.Series, cutoff: float = VAR_CUTOFF) -> float:
    """Mean of the daily returns at or below the ``cutoff`` tail (expected shortfall), decimal;
    empyrical's (the int((n - 1) x cutoff) + 1 lowest returns)."""
    r = np.asarray(returns, dtype=float)
    r = r[~np.isnan(r)]
    if len(r) == 0:
        return np.nan
    k = int((len(r) - 1) * cutoff)
    return float(np.mean(np.partition(r, k)[: k + 1]))


# ---------------------------------------------------------------- rolling (one year)

# pandas' rolling moments run in one pass with running sums kept accurate (no window copies:
# a year's windows over 23 years would be 1.4 million numbers per statistic); they agree with
# empyrical's window-by-window figures to about 1e-14.

def rolling_return(returns: pd.Series, window: int = ROLLING_WINDOW) -> pd.Series:
    """Compounded return over each trailing ``window`` days, decimal, dated by its last day."""
    if len(returns) < window:
        return pd.Series(dtype=float)
    growth = np.cumprod(1.0 + np.asarray(returns, dtype=float))
    start = np.r_[1.0, growth[:-window]]
    return pd.Series(growth[window - 1:] / start - 1.0, index=returns.index[window - 1:])


def rolling_volatility(returns: pd.Series, window: int = ROLLING_WINDOW) -> pd.Series:
    """Annualised volatility over each trailing ``window`` days (empyrical.roll_annual_volatility)."""
    if len(returns) < window:
        return pd.Series(dtype=float)
    std = returns.astype(float).rolling(window).std(ddof=1).iloc[window - 1:]
    return std * np.sqrt(TRADING_DAYS)


def rolling_sharpe(returns: pd.Series, risk_free=0.0, window: int = ROLLING_WINDOW) -> pd.Series:
    """Annualised Sharpe over each trailing ``window`` days of returns in excess of the daily
    ``risk_free`` (empyrical.roll_sharpe_ratio); NaN where the excess return does not vary."""
    if len(returns) < window:
        return pd.Series(dtype=float)
    excess = pd.Series(np.asarray(returns, dtype=float) - np.asarray(risk_free, dtype=float), index=returns.index)
    rolling = excess.rolling(window)
    mean, std = rolling.mean().iloc[window - 1:], rolling.std(ddof=1).iloc[window - 1:]
    return (mean / std.where(std > 1e-15) * np.sqrt(TRADING_DAYS)).astype(float)


def rolling_beta(returns: pd.Series, factor: pd.Series, window: int = ROLLING_WINDOW) -> pd.Series:
    """Beta against ``factor`` over each trailing ``window`` days (empyrical.roll_beta)."""
    if len(returns) < window:
        return pd.Series(dtype=float)
    r = pd.Series(np.asarray(returns, dtype=float), index=returns.index)
    f = pd.Series(np.asarray(factor, dtype=float), index=returns.index)
    covariance = r.rolling(window).cov(f).iloc[window - 1:]
    variance = f.rolling(window).var().iloc[window - 1:]
    return covariance / variance.where(variance >= 1e-30)


# ---------------------------------------------------------------- drawdown periods

def drawdown_periods(nav: pd.Series, top: int | None = 5) -> list[dict]:
    """The ``top`` (None: all) deepest drawdowns that do not overlap, deepest first (pyfolio's
    drawdown table).

    Each: ``peak`` (last high before the fall), ``trough`` (lowest close), ``recovery`` (first
    close back at or above the peak, None while under water), ``depth`` (trough / peak - 1,
    negative decimal), ``days`` (trading days from peak to recovery, or to the last day when not
    recovered), ``recovered`` (bool).  Dates are ISO strings.
    """
    values = np.asarray(nav, dtype=float)
    if len(values) < 2:
        return []
    dates = pd.DatetimeIndex(nav.index)
    peak = np.maximum.accumulate(values)
    under = values < peak
    periods = []
    i, n = 0, len(values)
    while i < n:
        if not under[i]:
            i += 1
            continue
        start = i - 1  # the high the fall starts from
        j = i
        while j < n and under[j]:
            j += 1
        segment = values[i:j]
        k = i + int(np.argmin(segment))
        recovered = j < n
        periods.append({
            "peak": dates[start].date().isoformat(),
            "trough": dates[k].date().isoformat(),
            "recovery": dates[j].date().isoformat() if recovered else None,
            "depth": float(values[k] / values[start] - 1.0),
            "days": int((j if recovered else n - 1) - start),
            "recovered": bool(recovered),
        })
        i = j
    periods.sort(key=lambda p: (p["depth"], p["peak"]))
    return periods[:top]
