"""Numbers for people: metrics and parameter values as a reader expects to see them.

Rates (every metric :data:`ecore.engine.report.metrics.METRIC_KEYS` calls a decimal: returns,
CAGR, volatility, drawdown, turnover) read as percentages with two decimals; dollars with cents
and thousands separators; ratios and counts keep four significant digits; whole numbers stay whole; floats of parameters show at most four
significant digits (a drift band of 0.07001, a lookback of 126).
"""

from __future__ import annotations

import math

from .metrics import METRIC_KEYS


def _name(metric: str) -> str:
    """``benchmark.cagr`` → ``cagr``; ``calendar_year_returns.2021`` → ``calendar_year_returns``."""
    parts = metric.split(".")
    return parts[1] if parts[0] == "benchmark" and len(parts) > 1 else parts[0]


def _base(metric: str) -> str:
    return METRIC_KEYS.get(_name(metric), "")


def is_rate(metric: str) -> bool:
    """True when ``metric`` (or ``benchmark.metric``, ``calendar_year_returns.2021``) is a decimal
    rate, shown as a percentage."""
    return "decimal" in _base(metric)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_metric(metric: str, value) -> str:
    """``value`` of ``metric`` as text: ``12.34%`` for a rate, ``1.234`` for a ratio, ``n/a``
    when missing."""
    if _missing(value):
        return "n/a"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if is_rate(metric):
        return f"{float(value):.2%}"
    if _base(metric).endswith("dollars"):
        return f"{float(value):,.2f}"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}" if abs(value) >= 10_000 else f"{int(value)}"
    return f"{float(value):.4g}"


def format_param(value) -> str:
    """A parameter value as text: whole numbers whole, floats to four significant digits."""
    if _missing(value):
        return "n/a"
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.4g}"
