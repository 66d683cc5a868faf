"""Plausibility of a run, checked once the prices exist and before the first day is run.

* The account can hold the ladder near its target after rounding to whole contracts: otherwise
  a $1,000 account buys one $116,000 contract (116 times NAV).  The error gives the smallest cash
  that works for the same parameters on the same day.
* The ladder can reach ``target_duration``: otherwise the solver quietly returns the nearest
  ladder and the miss shows only inside the report.  The error gives the reachable range.

Both apply to strategies with a duration-matched ladder (``ladder``, ``futures_notional`` and
``target_duration`` parameters: EfficientCore, CorePlus).
"""

from __future__ import annotations

import datetime as dt
import math
import warnings

from ...data.calendar import treasury_calendar
from ...data.contracts import spec
from ...data.rolls import RollRule
from ...strategies.ladder import DURATION_TOLERANCE as LADDER_DURATION_TOLERANCE
from ...strategies.ladder import LadderError, LegQuote, aggregate_index_duration, build_ladder
from .schema import InputError

#: A ladder within this many years of its target duration after rounding is "near".
DURATION_TOLERANCE = 0.5
#: How far beyond the reachable range a target in years may lie: the ladder's own rounding
#: tolerance, so a target the ladder can only miss is refused.
REACH_TOLERANCE = LADDER_DURATION_TOLERANCE
#: The dated "agg" target moves with the index; where it dips out of reach by less than this the
#: ladder holds its nearest mix and the run says so in one warning line (2016: the index's 5.40
#: years against the default ladder's shortest 5.66, 0.27 off; under the README's
#: ``--scenario rate_shock``, +200 bp from mid-run moves the cheapest-to-deliver bonds longer and
#: the miss reaches 0.70 years on 2016-03-16); further out (a one-root ladder of ZT misses by
#: about 4 years), the ladder's roots are wrong for the target and the run is refused.
AGG_REACH_WARN_LIMIT = 1.0


class TargetOutOfReach(UserWarning):
    """The dated target duration lies outside what the ladder can reach on some days."""
#: Days between two checks of the reachable range over the run (about a quarter).
REACH_STEP_DAYS = 91


class ImplausibleRun(InputError):
    """Parameters a run cannot honour; the message names the parameter and what would work."""


def _quotes(book, roots, rule: RollRule, day: dt.date) -> dict[str, LegQuote]:
    cal = treasury_calendar()
    fill_day = cal.next_business_day(day)
    out = {}
    for root in roots:
        code = rule.held(root, fill_day).code
        price = book.settle(code, day)
        duration = book.value(code, day, "duration") if "duration" in book.frame.columns else None
        if price is None or duration is None or not math.isfinite(float(duration)):
            continue
        out[root] = LegQuote(root, code, float(price), float(duration))
    return out


def _first_priced_day(book, roots, rule, start, end):
    cal = treasury_calendar()
    day = start if cal.is_business_day(start) else cal.next_business_day(start)
    for _ in range(10):
        if day > end:
            break
        q = _quotes(book, roots, rule, day)
        if q:
            return day, q
        day = cal.next_business_day(day)
    return None, {}


def _reachable(template: dict[str, float], quotes: dict[str, LegQuote]) -> tuple[float, float]:
    """(shortest, longest) duration the solver can give: weight moves between the shortest and
    the longest leg (:func:`ecore.strategies.ladder.solve_weights`)."""
    legs = [r for r in template if template[r] > 0 and r in quotes]
    total = sum(template[r] for r in legs)
    w = {r: template[r] / total for r in legs}
    d = {r: quotes[r].duration for r in legs}
    short, long = min(legs, key=d.get), max(legs, key=d.get)
    current = sum(w[r] * d[r] for r in legs)
    slope = d[long] - d[short]
    return current - w[long] * slope, current + w[short] * slope


def _ladder_ok(quotes, template, target_duration, cash, fraction, band) -> tuple[bool, object]:
    try:
        ladder = build_ladder(quotes, template, target_duration, fraction * cash)
    except LadderError:
        return False, None
    ok = (abs(ladder.notional_error) <= band * cash
          and (ladder.notional == 0 or abs(ladder.duration_error) <= DURATION_TOLERANCE))
    return ok, ladder


def _round_up(x: float) -> float:
    """``x`` rounded up to two significant figures."""
    if x <= 0:
        return x
    scale = 10 ** (math.floor(math.log10(x)) - 1)
    return math.ceil(x / scale) * scale


def smallest_cash(quotes, template, target_duration, fraction, band, start_cash) -> float | None:
    """The smallest cash (dollars, two significant figures) from ``start_cash`` up, in 2 % steps,
    whose ladder rounds near its target; None up to a trillion."""
    cash = max(start_cash, 1.0)
    while cash < 1e12:
        if _ladder_ok(quotes, template, target_duration, cash, fraction, band)[0]:
            nice = _round_up(cash)
            for _ in range(50):
                if _ladder_ok(quotes, template, target_duration, nice, fraction, band)[0]:
                    return nice
                nice = _round_up(nice * 1.02)
            return cash
        cash *= 1.02
    return None


def check_ladder_plausible(cls, config, book, start: dt.date, end: dt.date) -> None:
    """Raise :class:`ImplausibleRun` when the strategy's ladder cannot be held near its target
    with ``config.cash``, or cannot reach its target duration on a day of the run."""
    p = {**dict(cls.params._getitems()), **config.params}
    if not {"ladder", "futures_notional", "target_duration"} <= set(p):
        return
    fraction = float(p["futures_notional"]) * float(p.get("scale", 1.0))
    if fraction <= 0:
        return
    rule = RollRule(offset=int(p.get("roll_offset", 5)), spread_days=int(p.get("roll_spread_days", 1)))
    band = float(p.get("drift_band", 0.05))

    def template_on(day):
        return {r: w for r, w in p["ladder"].items()
                if w > 0 and (p.get("include_unlaunched") or spec(r).launched <= day)}

    def target_on(day):
        t = p["target_duration"]
        return aggregate_index_duration(day) if t == "agg" else float(t)

    # Reachable duration, about every quarter of the run.
    dated = p["target_duration"] == "agg"
    limit = AGG_REACH_WARN_LIMIT if dated else REACH_TOLERANCE
    worst = None  # (miss in years, day, target, lo, hi) of a dated target slightly out of reach
    days_out = 0
    day = start
    while day <= end:
        template = template_on(day)
        first, quotes = _first_priced_day(book, template, rule, day, end)
        if first is None or not quotes:
            break
        lo, hi = _reachable({r: w for r, w in template.items() if r in quotes}, quotes)
        target = target_on(first)
        miss = max(lo - target, target - hi, 0.0)
        what = f'"agg" ({target:.2f} years, the Aggregate index\'s)' if dated else f"{target:g} years"
        if miss > limit:
            raise ImplausibleRun(
                f"params.target_duration: {what} on {first.isoformat()} is outside what the ladder "
                f"{', '.join(f'{r} {w:g}' for r, w in template.items())} can reach that day: "
                f"{lo:.2f} to {hi:.2f} years; change target_duration or the ladder's roots")
        if miss > REACH_TOLERANCE:
            days_out += 1
            if worst is None or miss > worst[0]:
                legs = [r for r in template if r in quotes]
                side = (min(legs, key=lambda r: quotes[r].duration) if target < lo
                        else max(legs, key=lambda r: quotes[r].duration))
                worst = (miss, first, target, lo, hi, side)
        day = first + dt.timedelta(days=REACH_STEP_DAYS)
    if worst is not None:
        miss, first, target, lo, hi, side = worst
        warnings.warn(
            f'params.target_duration: "agg" is out of the ladder\'s reach on {days_out} of the quarters '
            f"checked; the ladder then holds its nearest mix (worst {first.isoformat()}: the index's "
            f"{target:.2f} years against {lo:.2f} to {hi:.2f}, {miss:.2f} years off); to follow the index "
            f"there, give {side} more weight in params.ladder, or set target_duration to a number of years",
            TargetOutOfReach, stacklevel=2)

    # Whole contracts on the first day.
    template = template_on(start)
    first, quotes = _first_priced_day(book, template, rule, start, end)
    if first is None or not quotes:
        return
    template = {r: w for r, w in template.items() if r in quotes}
    target = target_on(first)
    ok, ladder = _ladder_ok(quotes, template, target, config.cash, fraction, band)
    if ok:
        return
    need = smallest_cash(quotes, template, target, fraction, band, config.cash)
    held = (f"whole contracts give ${ladder.notional:,.0f} of futures notional for a target of "
            f"${ladder.target_notional:,.0f} ({ladder.notional / config.cash:.1f} times NAV) and "
            f"{ladder.duration:.2f} years of duration for {ladder.target_duration:.2f}") if ladder else "no ladder"
    advice = (f"the smallest cash that works for these parameters is about ${need:,.0f}" if need
              else "no cash up to a trillion dollars works for these parameters")
    raise ImplausibleRun(
        f"cash: ${config.cash:,.0f} cannot hold the {cls.__name__} ladder near its target on "
        f"{first.isoformat()}: {held} (allowed: notional within drift_band {band:g} of NAV, duration "
        f"within {DURATION_TOLERANCE} years); {advice}")
