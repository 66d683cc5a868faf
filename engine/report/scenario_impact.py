"""What a stress scenario did, in numbers: the run under the scenario against the same run (same
window, same settings) without it.

`scenario_impact(stressed, baseline, day)` → a JSON-ready dict (metrics.json's ``scenario``):
dates are trading days of the run (ISO), money dollars, rates decimals.
"""

from __future__ import annotations

import pandas as pd

from .results import BacktestResult

#: Trading days from the shock to "a month later".
MONTH = 21

#: Every key of `scenario_impact`'s dict, with its meaning and unit.
SCENARIO_KEYS = {
    "description": "the scenario as applied (kind, size, trading day)",
    "shock_day": "first trading day of the run on or after the scenario's date (ISO)",
    "shock_day_pnl": "NAV change on the shock day (close before to close), dollars",
    "shock_day_return": "the same as a decimal of the NAV before",
    "baseline_shock_day_pnl": "NAV change on that day without the scenario, dollars",
    "baseline_shock_day_return": "the same as a decimal",
    "margin_calls": "margin calls issued from the shock day on",
    "baseline_margin_calls": "margin calls from that day on without the scenario",
    "forced_sales": "forced liquidations (fills of kind forced) from the shock day on",
    "forced_sales_value": "absolute value of those fills, dollars (futures: notional)",
    "baseline_forced_sales": "forced liquidations from that day on without the scenario",
    "month_later_day": f"the trading day {MONTH} trading days after the shock day (or the last day) (ISO)",
    "nav_month_later": "NAV that day, dollars",
    "baseline_nav_month_later": "NAV that day without the scenario, dollars",
    "futures_notional_month_later": "futures notional held that day, dollars",
    "baseline_futures_notional_month_later": "futures notional that day without the scenario, dollars",
    "futures_to_nav_after": "mean futures notional / NAV from the shock day to the end, decimal",
    "baseline_futures_to_nav_after": "the same without the scenario, decimal",
    "final_nav": "NAV on the last day, dollars",
    "baseline_final_nav": "NAV on the last day without the scenario, dollars",
}


def _row_on_or_after(daily: pd.DataFrame, day) -> int | None:
    later = (daily["date"] >= pd.Timestamp(day)).to_numpy().nonzero()[0]
    return int(later[0]) if len(later) else None


def _pnl(daily: pd.DataFrame, i: int) -> tuple[float | None, float | None]:
    if i is None or i == 0:
        return None, None
    before, after = float(daily["nav"].iloc[i - 1]), float(daily["nav"].iloc[i])
    return after - before, (after / before - 1.0) if before else None


def _count_from(result: BacktestResult, kind: str, day) -> int:
    events = result.events
    return int(((events["kind"] == kind) & (events["date"] >= pd.Timestamp(day))).sum())


def _forced(result: BacktestResult, day) -> tuple[int, float]:
    t = result.trades
    forced = t[(t["kind"] == "forced") & (t["date"] >= pd.Timestamp(day))]
    return int(len(forced)), float(forced["value"].astype(float).abs().sum())


def _value(daily: pd.DataFrame, day, column: str) -> float | None:
    i = _row_on_or_after(daily, day)
    return None if i is None else float(daily[column].iloc[i])


def _futures_share_after(daily: pd.DataFrame, day) -> float | None:
    after = daily[daily["date"] >= pd.Timestamp(day)]
    if after.empty:
        return None
    return float((after["futures_notional"].astype(float).fillna(0) / after["nav"].astype(float)).mean())


def scenario_impact(stressed: BacktestResult, baseline: BacktestResult, day, description: str = "") -> dict:
    """The scenario's effect on one run: ``stressed`` (with it) against ``baseline`` (without), from
    ``day`` (the scenario's date; the first trading day of the run on or after it is the shock
    day).  Keys in `SCENARIO_KEYS`."""
    daily, base = stressed.daily, baseline.daily
    i = _row_on_or_after(daily, day)
    if i is None:
        raise ValueError(f"the scenario's date {pd.Timestamp(day).date()} is after the run's last day")
    shock = daily["date"].iloc[i]
    later = daily["date"].iloc[min(i + MONTH, len(daily) - 1)]
    pnl, ret = _pnl(daily, i)
    j = _row_on_or_after(base, shock)
    base_pnl, base_ret = _pnl(base, j) if j is not None and base["date"].iloc[j] == shock else (None, None)
    forced, forced_value = _forced(stressed, shock)
    base_forced, _ = _forced(baseline, shock)
    return {
        "description": description,
        "shock_day": shock.date().isoformat(),
        "shock_day_pnl": pnl,
        "shock_day_return": ret,
        "baseline_shock_day_pnl": base_pnl,
        "baseline_shock_day_return": base_ret,
        "margin_calls": _count_from(stressed, "margin_call", shock),
        "baseline_margin_calls": _count_from(baseline, "margin_call", shock),
        "forced_sales": forced,
        "forced_sales_value": forced_value,
        "baseline_forced_sales": base_forced,
        "month_later_day": later.date().isoformat(),
        "nav_month_later": float(daily["nav"].iloc[min(i + MONTH, len(daily) - 1)]),
        "baseline_nav_month_later": _value(base, later, "nav"),
        "futures_notional_month_later": float(daily["futures_notional"].astype(float).fillna(0)
                                              .iloc[min(i + MONTH, len(daily) - 1)]),
        "baseline_futures_notional_month_later": _value(base.assign(
            futures_notional=base["futures_notional"].astype(float).fillna(0)), later, "futures_notional"),
        "futures_to_nav_after": _futures_share_after(daily, shock),
        "baseline_futures_to_nav_after": _futures_share_after(base, shock),
        "final_nav": float(daily["nav"].iloc[-1]),
        "baseline_final_nav": float(base["nav"].iloc[-1]),
    }
