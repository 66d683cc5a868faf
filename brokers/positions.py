"""Positions of the simulated account: one per futures contract, one per share symbol.

A roll is two trades on two positions, so the spread between contracts is never booked as
profit.  ``split`` and ``new_average`` are the arithmetic backtrader's ``Order.execute`` needs
(closed and opened parts of a trade, realised P&L, average entry price).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..data.contracts import Contract


@dataclass
class FuturesPosition:
    """Contracts held of one futures contract (signed); prices in points."""

    contract: Contract
    size: int = 0
    price: float = 0.0  # average entry price (points)
    mark: float | None = None  # settlement the position was last marked to
    mark_day: dt.date | None = None
    data: object = None  # the backtrader data that last traded it (for forced orders)


@dataclass
class SharePosition:
    """Shares held of one symbol; ``value`` is what the journal's shares account holds for it."""

    symbol: str
    size: float = 0.0
    price: float = 0.0
    value: float = 0.0  # dollars, as last marked in the journal's shares account
    data: object = None


def reduces(old: float, new: float) -> bool:
    """True when going from ``old`` to ``new`` only shrinks a position (never flips it)."""
    return old != 0 and abs(new) <= abs(old) and old * new >= 0


def split(old, size, avg, price, mult):
    """(closed, opened, realised P&L in dollars) of adding ``size`` to a position ``old`` entered
    at ``avg``, trading at ``price`` (points or dollars per share) with multiplier ``mult``."""
    if old * size < 0:
        closed = -old if abs(size) >= abs(old) else size
        opened = size - closed
    else:
        closed, opened = 0, size
    pnl = -closed * (price - avg) * mult
    return closed, opened, pnl


def new_average(old, size, avg, price):
    """Average entry price after adding ``size`` at ``price`` to ``old`` entered at ``avg``."""
    new = old + size
    if new == 0:
        return 0.0
    if old == 0 or old * new < 0:
        return price
    if abs(new) > abs(old):
        return (old * avg + size * price) / new
    return avg
