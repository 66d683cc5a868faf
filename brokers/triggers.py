"""The one rule that decides whether a waiting order trades on a bar, and at what price.

It is backtrader's ``BackBroker`` rule (``_try_exec_*`` in ``backtrader/brokers/bbroker.py``),
written once here for shares and futures, without slippage (:mod:`.fills` adds ecore's slippage
and keeps a limit price a limit).  A bar is the fill day's open, high, low and close of what the
order trades: a share's feed (a user's OHLC feed, or a closes-only feed whose open, high and low
equal the close) or a futures contract's row in the price book (real rows carry open, high and
low; synthetic rows carry the settlement only, which then stands for all four).  On a bar whose
open, high and low equal the close every order triggers and fills on that one price.

=================  ==========================================================================
order              buy (a sell mirrors it)
=================  ==========================================================================
Market             the bar's market price: ecore's close / settlement (the open for futures
                   with ``futures_fill="open"``)
Close              the close (settlement)
Limit              open <= limit: the open (a gap in the buyer's favour); else low <= limit:
                   the limit; else it waits
Stop               open >= stop: the open (gapped through); else high >= stop: the stop;
                   else it waits
StopLimit          open >= stop: triggered, then the Limit rule with the limit price on this
                   bar; else high >= stop: triggered and, if the limit is at or above the stop,
                   the stop; if the limit is below the stop, the limit when the bar fell (open
                   > close) and the close is at or under the limit; else it waits as a Limit
StopTrail(Limit)   as Stop (StopLimit); while it waits, the stop follows the close by
                   ``trailamount`` or ``trailpercent`` (only ever toward the market)
=================  ==========================================================================

Worked example (README, "Orders"): a sell stop at 98 on a bar O 99, H 100, L 97, C 97.5 fills at
98; on a bar O 96.5, H 97, L 95, C 96 it fills at 96.5 (the open, gapped through).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from backtrader.order import Order

_STOPS = (Order.Stop, Order.StopTrail)
_STOP_LIMITS = (Order.StopLimit, Order.StopTrailLimit)


@dataclass(frozen=True)
class Bar:
    """One day of what an order trades: open, high, low, close (points or dollars per share) and
    ``market``, the price a Market order fills at."""

    open: float
    high: float
    low: float
    close: float
    market: float

    @classmethod
    def of(cls, close: float, open=None, high=None, low=None, market=None) -> "Bar":
        """A bar from a close and whatever of open/high/low is known: a missing or non-positive
        value is the close, and high/low are widened to hold the open and the close (a settlement
        can lie outside the traded range)."""
        def usable(x):
            return x is not None and not (isinstance(x, float) and math.isnan(x)) and float(x) > 0

        c = float(close)
        o = float(open) if usable(open) else c
        h = max(float(high) if usable(high) else c, o, c)
        lo = min(float(low) if usable(low) else c, o, c)
        m = float(market) if usable(market) else c
        return cls(o, h, lo, c, m)


@dataclass(frozen=True)
class Match:
    """An order traded on a bar at ``price``; ``limit`` is the worst price the order accepts
    (None: any), which slippage may not cross."""

    price: float
    limit: float | None = None


def match(order, bar: Bar) -> Match | None:
    """Whether ``order`` trades on ``bar`` and at what price (None: it waits).  Marks a stop-limit
    ``order.triggered`` when its stop is reached and moves a trailing stop that did not trade."""
    kind = order.exectype
    if kind is None or kind == Order.Market:
        return Match(bar.market)
    if kind == Order.Close:
        return Match(bar.close)
    buy = order.isbuy()
    if kind == Order.Limit:
        return _limit(buy, bar, float(order.created.price))
    if kind in _STOP_LIMITS and order.triggered:
        return _limit(buy, bar, float(order.created.pricelimit))
    if kind in _STOPS:
        hit = _stop(buy, bar, float(order.created.price))
    elif kind in _STOP_LIMITS:
        hit = _stop_limit(order, buy, bar, float(order.created.price), float(order.created.pricelimit))
    else:
        return None
    if hit is None and kind in (Order.StopTrail, Order.StopTrailLimit):
        order.trailadjust(bar.close)
    return hit


def _limit(buy: bool, bar: Bar, limit: float) -> Match | None:
    if buy:
        if limit >= bar.open:
            return Match(bar.open, limit)
        if limit >= bar.low:
            return Match(limit, limit)
    else:
        if limit <= bar.open:
            return Match(bar.open, limit)
        if limit <= bar.high:
            return Match(limit, limit)
    return None


def _stop(buy: bool, bar: Bar, stop: float) -> Match | None:
    if buy:
        if bar.open >= stop:
            return Match(bar.open)
        if bar.high >= stop:
            return Match(stop)
    else:
        if bar.open <= stop:
            return Match(bar.open)
        if bar.low <= stop:
            return Match(stop)
    return None


def _stop_limit(order, buy: bool, bar: Bar, stop: float, limit: float) -> Match | None:
    # Inside the bar the path is unknown; like backtrader, trade only where the bar proves it.
    if buy:
        if bar.open >= stop:
            order.triggered = True
            return _limit(buy, bar, limit)
        if bar.high >= stop:
            order.triggered = True
            if limit >= stop:
                return Match(stop, limit)
            if bar.open > bar.close and limit >= bar.close:
                return Match(limit, limit)
    else:
        if bar.open <= stop:
            order.triggered = True
            return _limit(buy, bar, limit)
        if bar.low <= stop:
            order.triggered = True
            if limit <= stop:
                return Match(stop, limit)
            if bar.open <= bar.close and limit <= bar.close:
                return Match(limit, limit)
    return None
