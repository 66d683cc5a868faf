"""Return statistics of a daily return series, in numpy: empyrical-reloaded's definitions.

These are the six statistics `ecore.engine.report.metrics` reports (CAGR, annual volatility, Sharpe,
Sortino, maximum drawdown, calendar-period returns).  empyrical imports scipy at start-up (about
1 s and 57 MB, more than a one-quarter backtest costs), for statistics that are a few numpy lines
each, so they are written out here and empyrical is kept as the oracle of the tests.

Each function follows empyrical's order of operations step for step, so that the results are
the same to the last bit: empyrical takes its NaN-aware mean and standard deviation from
bottleneck when installed (a plain left-to-right sum), which `_nanmean` and `_nanstd` reproduce
with a cumulative sum (numpy's own ``sum`` adds pairwise and can differ in the last bit).

Inputs are simple daily returns as decimals (a pandas Series indexed by date, NaN for a missing
day); a risk-free or required return is a decimal per day, a float or a Series on the same days.
252 trading days make a year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TRADING_DAYS = 252


def _sequential_sum(values: np.ndarray) -> float:
    """Left-to-right sum (bottleneck's loop), not numpy's pairwise one."""
    return np.cumsum(values)[-1] if len(values) else 0.0


def _nanmean(values) -> float:
    """Mean of the non-NaN values (bottleneck.nanmean: sum left to right, divide by the count)."""
    a = np.asarray(values, dtype=float)
    a = a[~np.isnan(a)]
    if len(a) == 0:
        return np.nan
    return _sequential_sum(a) / len(a)


def _nanstd(values, ddof: int = 1) -> float:
    """Standard deviation of the non-NaN values (bottleneck.nanstd: mean first, then the sum of
    squared deviations left to right, over count - ddof)."""
    a = np.asarray(values, dtype=float)
    a = a[~np.isnan(a)]
    if len(a) <= ddof:
        return np.nan
    mean = _sequential_sum(a) / len(a)
    d = a - mean
    return np.sqrt(_sequential_sum(d * d) / (len(a) - ddof))


def _adjust(returns: pd.Series, adjustment) -> pd.Series:
    """``returns`` less a float or a date-aligned Series; 0 leaves them as they are."""
    if isinstance(adjustment, (float, int)) and adjustment == 0:
        return returns
    return returns - adjustment


def _zero_dispersion(values: np.ndarray, std: float) -> float:
    """0 where every present value is equal, so a constant series gets an infinite ratio rather
    than one divided by a rounding residue of about 1e-18 (empyrical's rule)."""
    present = values[~np.isnan(values)]
    if len(present) and present.max() == present.min() and np.isfinite(std):
        return 0.0
    return std


def cagr(returns: pd.Series) -> float:
    """Compound annual growth rate, decimal: the product of (1 + r) to the power 252 / days, less 1."""
    if len(returns) < 1:
        return np.nan
    num_years = len(returns) / TRADING_DAYS
    ending_value = np.nanprod(returns + 1, axis=0)
    ending_value *= 1
    return ending_value ** (1 / num_years) - 1


def annual_volatility(returns: pd.Series) -> float:
    """Sample standard deviation of daily returns x sqrt(252), decimal."""
    if len(returns) < 2:
        return np.nan
    out = np.multiply(_nanstd(np.asarray(returns), ddof=1), TRADING_DAYS ** (1.0 / 2.0))
    return float(out)


def sharpe_ratio(returns: pd.Series, risk_free=0) -> float:
    """Annualised Sharpe ratio: mean over sample standard deviation of the daily returns in
    excess of ``risk_free`` (a daily decimal, float or Series), x sqrt(252)."""
    if len(returns) < 2:
        return np.nan
    adjusted = np.asarray(_adjust(returns, risk_free), dtype=float)
    std = _zero_dispersion(adjusted, _nanstd(adjusted, ddof=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.multiply(np.divide(_nanmean(adjusted), std), np.sqrt(TRADING_DAYS)))


def downside_risk(returns: pd.Series, required_return=0) -> float:
    """Root mean square of the daily shortfalls below ``required_return``, x sqrt(252), decimal."""
    if len(returns) < 1:
        return np.nan
    shortfall = np.clip(np.asarray(_adjust(returns, required_return), dtype=float), -np.inf, 0)
    np.square(shortfall, out=shortfall)
    return float(np.multiply(np.sqrt(_nanmean(shortfall)), np.sqrt(TRADING_DAYS)))


def sortino_ratio(returns: pd.Series, required_return=0) -> float:
    """Annualised Sortino ratio: mean daily return in excess of ``required_return`` x 252, over
    `downside_risk`."""
    if len(returns) < 2:
        return np.nan
    adjusted = np.asarray(_adjust(returns, required_return), dtype=float)
    average_annual_return = _nanmean(adjusted) * TRADING_DAYS
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.divide(average_annual_return, downside_risk(returns, required_return)))


def max_drawdown(returns: pd.Series) -> float:
    """Largest peak-to-trough fall of the compounded returns, negative decimal (the value
    before the first return counts as a peak)."""
    if len(returns) < 1:
        return np.nan
    r = np.array(returns, dtype=float)
    r[np.isnan(r)] = 0
    out = np.empty(len(r) + 1)
    out[0] = 100
    np.add(r, 1, out=out[1:])
    out[1:].cumprod(axis=0, out=out[1:])
    np.multiply(out[1:], 100, out=out[1:])
    peak = np.fmax.accumulate(out, axis=0)
    np.divide(out - peak, peak, out=out)
    return float(np.nanmin(out[1:]))


def aggregate_returns(returns: pd.Series, period: str) -> pd.Series:
    """Returns compounded per calendar ``period`` ("yearly", "quarterly" or "monthly"), indexed
    by year, (year, quarter) or (year, month) as empyrical's ``aggregate_returns``."""
    idx = pd.DatetimeIndex(returns.index)
    if period == "yearly":
        keys = [idx.year]
    elif period == "quarterly":
        keys = [idx.year, idx.quarter]
    elif period == "monthly":
        keys = [idx.year, idx.month]
    else:
        raise ValueError(f"period must be yearly, quarterly or monthly, not {period!r}")

    def compounded(x) -> float:
        r = np.array(x, dtype=float)
        r[np.isnan(r)] = 0
        return np.cumprod(r + 1)[-1] - 1

    if len(returns) == 0 or not idx.is_monotonic_increasing:
        return returns.groupby(keys).agg(compounded)
    # Sorted days: each period is one run of rows, compounded left to right as empyrical's
    # cum_returns does (a pandas groupby-apply per period costs 10-80 ms on 26 years).
    codes = np.zeros(len(idx), dtype=np.int64)
    for k in keys:
        codes = codes * 100 + np.asarray(k, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    values = np.asarray(returns, dtype=float)
    out = np.array([compounded(values[a:b]) for a, b in zip(starts, ends)], dtype=float)
    labels = [np.asarray(k)[starts] for k in keys]
    index = pd.Index(labels[0], name=keys[0].name) if len(keys) == 1 else \
        pd.MultiIndex.from_arrays(labels, names=[k.name for k in keys])
    return pd.Series(out, index=index, name=returns.name)
