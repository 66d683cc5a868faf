"""The Treasury futures ladder: weights that hit a target duration, and whole contract counts.

Reference section 4.2: keep a template's shape (default ZT 25 / ZF 20 / ZN 20 / TN 15 / ZB 10 /
UB 10) and move weight between the shortest- and the longest-duration contract until the
notional-weighted duration equals the target; re-solve at every rebalance, because durations
drift with yields.  Counts are rounded to whole contracts and the rounding error is reported.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import dataclasses
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from ..data.calendar import as_date
from ..data.contracts import spec

DEFAULT_TEMPLATE: dict[str, float] = {"ZT": 0.25, "ZF": 0.20, "ZN": 0.20, "TN": 0.15, "ZB": 0.10, "UB": 0.10}


class LadderError(ValueError):
    """A ladder that cannot be built from the inputs."""


@dataclass(frozen=True)
class LegQuote:
    """What the ladder needs to know about one contract on the day: code, price (points) and
    modified duration (years)."""

    root: str
    contract: str
    price: float
    duration: float


@dataclass(frozen=True)
class Ladder:
    """Solved ladder: target weights, whole contract counts and how far rounding moved them.

    ``weights`` are notional weights summing to 1; ``counts`` signed contracts; notional in dollars.
    """

    target_duration: float  # years
    target_notional: float  # dollars
    weights: dict[str, float]
    counts: dict[str, int]  # by contract code
    contracts: dict[str, str]  # root -> contract code
    solved_duration: float  # duration of the unrounded weights (years)
    duration: float  # duration of the rounded counts (years)
    notional: float  # dollars of the rounded counts
    contract_values: dict[str, float] = field(default_factory=dict)  # dollars per contract, by code
    durations: dict[str, float] = field(default_factory=dict)  # years, by code

    def scaled(self, factor: float) -> "Ladder":
        """The same ladder with every count cut to ``floor(count x factor)`` (0 <= factor <= 1),
        e.g. to fit the margin an account can post; target, weights and solution are kept so the
        shortfall shows in ``notional_error`` and ``duration_error``."""
        if not 0 <= factor <= 1:
            raise LadderError(f"a ladder can only be scaled down (factor {factor!r})")
        counts = {c: int(math.copysign(math.floor(abs(n) * factor), n)) for c, n in self.counts.items()}
        notional = sum(n * self.contract_values[c] for c, n in counts.items())
        dd = sum(n * self.contract_values[c] * self.durations[c] for c, n in counts.items())
        return dataclasses.replace(self, counts=counts, notional=float(notional),
                                   duration=float(dd / notional) if notional else 0.0)

    @property
    def duration_error(self) -> float:
        """Rounded ladder's duration minus the target (years)."""
        return self.duration - self.target_duration

    @property
    def notional_error(self) -> float:
        """Rounded ladder's notional minus the target (dollars)."""
        return self.notional - self.target_notional


def solve_weights(template: dict[str, float], durations: dict[str, float], target: float) -> dict[str, float]:
    """Template weights reshaped so that sum(w * D) = ``target`` (years).

    Weight moves between the shortest- and longest-duration legs; when the target lies beyond
    what that shift can reach, the nearest reachable ladder is returned (the caller reports the
    error).
    """
    legs = [r for r in template if template[r] > 0]
    if not legs:
        raise LadderError("the ladder template has no leg with positive weight")
    missing = [r for r in legs if r not in durations or not np.isfinite(durations[r]) or durations[r] <= 0]
    if missing:
        raise LadderError(f"no duration for ladder leg(s) {', '.join(missing)}")
    total = sum(template[r] for r in legs)
    w = {r: template[r] / total for r in legs}
    if len(legs) == 1:
        return w
    short = min(legs, key=lambda r: durations[r])
    long = max(legs, key=lambda r: durations[r])
    current = sum(w[r] * durations[r] for r in legs)
    slope = durations[long] - durations[short]  # duration gained per unit moved short -> long
    if slope <= 0:
        return w
    x = (target - current) / slope
    x = min(max(x, -w[long]), w[short])
    w[short] -= x
    w[long] += x
    return w


def build_ladder(
    quotes: dict[str, LegQuote],
    template: dict[str, float],
    target_duration: float,
    target_notional: float,
) -> Ladder:
    """Solve weights for ``target_duration`` (years) and round to whole contracts for
    ``target_notional`` (dollars).  ``quotes`` maps root -> the contract to hold and its price."""
    roots = [r for r in template if template[r] > 0 and r in quotes]
    if not roots:
        raise LadderError("none of the ladder's roots has a price on this day")
    durations = {r: quotes[r].duration for r in roots}
    weights = solve_weights({r: template[r] for r in roots}, durations, target_duration)
    if target_notional < 0:
        raise LadderError(f"target notional must not be negative (got {target_notional!r} dollars)")
    per_contract = {r: quotes[r].price * spec(r).multiplier for r in roots}
    ideal = {r: weights[r] * target_notional / per_contract[r] for r in roots}
    chosen = _round_counts(roots, ideal, per_contract, durations, target_duration, target_notional)
    counts = {quotes[r].contract: chosen[r] for r in roots}
    contracts = {r: quotes[r].contract for r in roots}
    notional = sum(chosen[r] * per_contract[r] for r in roots)
    dollar_duration = sum(chosen[r] * per_contract[r] * durations[r] for r in roots)
    solved = sum(weights[r] * durations[r] for r in roots)
    duration = dollar_duration / notional if notional else 0.0
    return Ladder(
        target_duration=float(target_duration), target_notional=float(target_notional), weights=weights,
        counts=counts, contracts=contracts, solved_duration=float(solved), duration=float(duration),
        notional=float(notional),
        contract_values={quotes[r].contract: per_contract[r] for r in roots},
        durations={quotes[r].contract: durations[r] for r in roots},
    )


# How much a year of duration error weighs against a 1% notional error when choosing roundings.
DURATION_TOLERANCE = 0.1  # years: the rounding search's scale of a duration miss
_DURATION_TOLERANCE = DURATION_TOLERANCE
_NOTIONAL_TOLERANCE = 0.01  # fraction of target notional


def _round_counts(roots, ideal, per_contract, durations, target_duration, target_notional) -> dict[str, int]:
    """Whole contract counts near ``ideal``: each leg rounded down or up, choosing the
    combination whose duration and notional come closest to target (rounding every leg to the
    nearest count independently can leave a large duration error when long legs are few
    contracts).  Exhaustive over 2^legs combinations, at most 256 for the eight roots."""
    import itertools

    if target_notional == 0:
        return {r: 0 for r in roots}
    lows = {r: math.floor(ideal[r]) for r in roots}
    best, best_cost = None, float("inf")
    for ups in itertools.product((0, 1), repeat=len(roots)):
        counts = {r: lows[r] + u for r, u in zip(roots, ups)}
        notional = sum(counts[r] * per_contract[r] for r in roots)
        if notional <= 0:
            continue
        duration = sum(counts[r] * per_contract[r] * durations[r] for r in roots) / notional
        cost = ((duration - target_duration) / _DURATION_TOLERANCE) ** 2 + (
            (notional - target_notional) / (target_notional * _NOTIONAL_TOLERANCE)) ** 2
        if cost < best_cost:
            best, best_cost = counts, cost
    return best if best is not None else {r: int(round(ideal[r])) for r in roots}


@lru_cache(maxsize=1)
def _agg_table() -> tuple[np.ndarray, np.ndarray]:
    text = resources.files("ecore.strategies").joinpath("agg_duration.csv").read_text()
    rows = list(csv.DictReader(text.splitlines()))
    days = np.array([np.datetime64(r["date"], "D") for r in rows])
    values = np.array([float(r["duration_years"]) for r in rows])
    return days, values


def aggregate_index_duration(day) -> float:
    """Duration (years) of the U.S. Aggregate bond index on ``day``: linear between the dated
    points of ``strategies/agg_duration.csv`` (reference 4.1), flat before the first and after the last."""
    days, values = _agg_table()
    x = np.datetime64(as_date(day), "D").astype(float)
    return float(np.interp(x, days.astype(float), values))
