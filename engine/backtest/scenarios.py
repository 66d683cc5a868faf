"""Stress scenarios: change the market (or the exchange's margin) on a day and watch the margin
machinery work — calls, forced liquidation and what they cost.

* ``rate_shock``: every Treasury yield jumps by ``shift_bp`` basis points on ``date`` (and stays
  there), and equity funds drop by ``equity_shock`` (a fraction) the same day.  Futures prices
  are synthesized from the shocked curve, so the ladder loses roughly duration × shift; bond
  funds (AGG, IEF) lose their duration × shift too, so the 60/40 benchmark takes the same rate
  shock as the futures.
* ``margin_hike``: from ``date`` the exchange multiplies every maintenance (and so initial) margin
  by ``factor``, as CME does in volatile markets.

The defaults are deliberately severe: Treasury futures margins are about 1% of notional, so a
90/60 portfolio's 10% cash covers a 300 bp shock or a fourfold margin rise without a call.  A
one-day +500 bp shock, or margins 50 times higher, exhaust the cash and show the call, the
forced sale and what they cost.  Set ``shift_bp`` / ``factor`` to explore where it breaks.

``date`` defaults to the middle of the backtest period.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ...data.calendar import as_date

SCENARIOS = {
    "rate_shock": "all Treasury yields jump by shift_bp (default +500) on date; equities fall by equity_shock (default -0.10)",
    "margin_hike": "exchange margins are multiplied by factor (default 50) from date",
}


class ScenarioError(ValueError):
    """An unknown scenario or a bad scenario setting."""


@dataclass(frozen=True)
class Scenario:
    kind: str
    date: dt.date | None = None
    shift_bp: float = 500.0  # basis points, rate_shock
    equity_shock: float = -0.10  # fraction, rate_shock
    factor: float = 50.0  # margin multiplier, margin_hike

    def describe(self) -> str:
        day = self.date.isoformat() if self.date else "mid-period"
        if self.kind == "rate_shock":
            return f"rate shock: yields {self.shift_bp:+.0f} bp and equities {self.equity_shock:+.0%} on {day}"
        return f"margin hike: exchange margins x{self.factor:g} from {day}"


def parse_scenario(spec: dict | str | None) -> Scenario | None:
    """From a config table (``{kind=..., date=..., ...}``) or a bare name."""
    if spec is None:
        return None
    if isinstance(spec, str):
        spec = {"kind": spec}
    spec = dict(spec)
    kind = spec.pop("kind", None)
    if kind not in SCENARIOS:
        raise ScenarioError(f"unknown scenario {kind!r}; choose one of: {', '.join(SCENARIOS)}")
    fields = {f.name for f in dataclasses.fields(Scenario)} - {"kind"}
    for key in spec:
        if key not in fields:
            raise ScenarioError(f"scenario: unknown key {key!r}; known: {', '.join(sorted(fields))}")
    if "date" in spec:
        spec["date"] = as_date(spec["date"])
    for key in ("shift_bp", "equity_shock", "factor"):
        if key in spec and not isinstance(spec[key], (int, float)):
            raise ScenarioError(f"scenario: {key} must be a number, got {spec[key]!r}")
    if spec.get("factor", 1.0) <= 0:
        raise ScenarioError("scenario: factor must be positive")
    return Scenario(kind=kind, **spec)


def with_date(scenario: Scenario, start: dt.date, end: dt.date) -> Scenario:
    """The scenario with its date filled in (middle of ``start``..``end``) when missing, and moved
    to the first trading day on or after it: a shock dated on a Sunday happens, and is reported,
    on the Monday.  A date after the last trading day of the calendar is left as given."""
    from ...data.calendar import treasury_calendar

    day = scenario.date if scenario.date is not None else start + (end - start) / 2
    try:
        day = treasury_calendar().next_business_day(day, inclusive=True)
    except (KeyError, ValueError, IndexError):
        pass
    return dataclasses.replace(scenario, date=day)


# Bond funds among the data's symbols and their duration (years): "agg" is the Aggregate
# index's dated duration (strategies/agg_duration.csv); IEF (7-10 year Treasuries) about 7.5 [U].
BOND_FUND_DURATIONS = {"AGG": "agg", "IEF": 7.5}


def shock_market(market, scenario: Scenario):
    """A copy of ``market`` (MarketData) with the rate shock applied from ``scenario.date``:
    yields up by ``shift_bp``, bond funds down by duration × shift, other funds by
    ``equity_shock``."""
    if scenario.kind != "rate_shock":
        return market
    from ...strategies.ladder import aggregate_index_duration

    day = pd.Timestamp(scenario.date)
    shift = scenario.shift_bp / 10_000.0
    yields = market.yields.copy()
    yields.loc[yields.index >= day] += scenario.shift_bp / 100.0  # yields are in percent
    closes = market.closes.copy()
    after = closes.index >= day
    for symbol in closes.columns:
        duration = BOND_FUND_DURATIONS.get(symbol)
        if duration == "agg":
            duration = aggregate_index_duration(scenario.date)
        factor = 1.0 - duration * shift if duration is not None else 1.0 + scenario.equity_shock
        closes.loc[after, symbol] *= max(factor, 0.0)
    return dataclasses.replace(market, yields=yields, closes=closes)


def hiked_margin_model(day: dt.date, factor: float, **kwargs):
    """A :class:`~ecore.brokers.margin.MarginModel` whose requirements are ``factor`` times the
    usual from ``day`` on (the exchange raising margins in a volatile market)."""
    from ...brokers.margin import MarginModel

    class HikedMarginModel(MarginModel):
        def quote(self, root, on):
            q = super().quote(root, on)
            if as_date(on) < day:
                return q
            return dataclasses.replace(
                q, maintenance=q.maintenance * factor, initial=q.initial * factor,
                basis=f"{q.basis} x{factor:g} (margin_hike scenario)",
            )

    return HikedMarginModel(**kwargs)


def check_shocked_yields(scenario, market, end: dt.date) -> None:
    """A rate shock leaves every yield of the run inside what a yield file may hold
    (:data:`ecore.data.loaders.YIELD_MIN`..``YIELD_MAX`` percent): ``shift_bp = -1000`` on
    yields of 1 % would price futures on yields of -9 %."""
    from ...data.loaders import YIELD_MAX, YIELD_MIN

    if scenario.kind != "rate_shock" or not scenario.shift_bp:
        return
    window = market.yields.loc[pd.Timestamp(scenario.date):pd.Timestamp(end)]
    if window.empty:
        return
    shocked = window + scenario.shift_bp / 100.0
    low, high = shocked.min().min(), shocked.max().max()
    if low < YIELD_MIN or high > YIELD_MAX:
        bad = shocked.min().idxmin() if low < YIELD_MIN else shocked.max().idxmax()
        value = low if low < YIELD_MIN else high
        raise ScenarioError(f"scenario.shift_bp: {scenario.shift_bp:g} bp from {scenario.date.isoformat()} takes {bad} "
                        f"to {value:.2f} %, outside {YIELD_MIN:g} to {YIELD_MAX:g} % where the yield curve is "
                        "modelled; choose a smaller shift")
