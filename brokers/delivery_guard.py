"""The delivery guard: no futures position is carried into its delivery window.

Interactive Brokers closes futures positions before delivery, and a fund rolls before first
notice, so the simulated broker closes a contract still held on the business day before its
first intention day at that day's settlement (a forced order and a :class:`DeliveryWarning`).
A position still held on or after its first intention day (a gap in the data skipped the guard
day) is closed at the last settlement before that day.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from ..data.calendar import treasury_calendar
from ..data.contracts import Contract
from .account import Account
from .positions import FuturesPosition


class DeliveryWarning(UserWarning):
    """A futures position was closed by the broker before its first intention day."""


@functools.lru_cache(maxsize=None)
def guard_day(c: Contract) -> dt.date:
    """The last business day contract ``c`` may be held: the day before its first intention day."""
    # Checked for every held contract every day; the answer never changes.
    return treasury_calendar().previous_business_day(c.first_intention_day())


@dataclass(frozen=True)
class DeliveryClose:
    """A position the guard closes: at ``price`` (points), for ``reason``."""

    position: FuturesPosition
    price: float
    reason: str


def due_today(account: Account, day: dt.date) -> list[DeliveryClose]:
    """Positions that reached their guard day, closed at today's settlement (a contract with no
    settlement today is left to :func:`overdue` on the next day)."""
    due = []
    for code, fp in list(account.futures.items()):
        if fp.size and day >= guard_day(fp.contract):
            s = account.book.settle(fp.contract, day)
            if s is None:
                continue
            due.append(DeliveryClose(fp, s, (
                f"{code} held into its delivery window (first intention day "
                f"{fp.contract.first_intention_day().isoformat()}): closed at the settlement of "
                f"{day.isoformat()}")))
    return due


def overdue(account: Account, day: dt.date) -> list[DeliveryClose]:
    """Positions still held on or after their first intention day, closed at the last settlement
    before it (or their last mark)."""
    late = []
    for code, fp in list(account.futures.items()):
        fid = fp.contract.first_intention_day()
        if fp.size and day >= fid:
            prior = account.book.last_settle(fp.contract, fid - dt.timedelta(days=1))
            price = prior[1] if prior else fp.mark
            late.append(DeliveryClose(fp, price, (
                f"{code} still held on its first intention day {fid.isoformat()}: closed at the prior settlement")))
    return late
