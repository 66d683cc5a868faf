"""When a held futures position moves to the next quarterly contract.

Default (reference section 5): roll at the settlement price five business days before first
notice day, inside the market's roll window and clear of delivery.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from .calendar import as_date, treasury_calendar
from .contracts import Contract, nearest_listed

# First intention day is one business day before first notice day, and the broker closes
# anything still held on it; so a roll must happen at least two business days before notice.
MIN_OFFSET_BEFORE_FIRST_NOTICE = 2


@dataclass(frozen=True)
class RollRule:
    """Roll ``offset`` business days before first notice day, optionally spread over ``spread_days``.

    With ``spread_days`` = N > 1 the position moves in N equal slices on the N business days
    ending on the roll day (e.g. 20%/day over five days).
    """

    offset: int = 5
    spread_days: int = 1

    def __post_init__(self):
        if not isinstance(self.offset, int) or self.offset < MIN_OFFSET_BEFORE_FIRST_NOTICE:
            raise ValueError(
                f"roll offset must be a whole number of business days >= "
                f"{MIN_OFFSET_BEFORE_FIRST_NOTICE} before first notice day (got {self.offset!r}): "
                "a contract may not be held into first intention day"
            )
        if not isinstance(self.spread_days, int) or not 1 <= self.spread_days <= 20:
            raise ValueError(f"roll spread_days must be 1..20 (got {self.spread_days!r})")

    def roll_day(self, contract: Contract) -> dt.date:
        """The last day ``contract`` is held: its whole position is in the next contract by that
        day's settlement."""
        return _roll_window(self, contract)[-1]

    def roll_window(self, contract: Contract) -> list[dt.date]:
        """The business days on which slices of the roll out of ``contract`` trade, oldest first."""
        return list(_roll_window(self, contract))

    def held(self, root: str, on) -> Contract:
        """The contract a position in ``root`` is in at the close of ``on`` under this rule."""
        return _held(self, root, as_date(on))

    def next(self, root: str, on) -> Contract:
        """The contract the position in ``root`` rolls into next."""
        return self.held(root, on).next()


@lru_cache(maxsize=None)
def _roll_window(rule: RollRule, contract: Contract) -> tuple[dt.date, ...]:
    # Asked for every held contract on every day of a backtest: computed once per contract.
    cal = treasury_calendar()
    last = cal.add_business_days(contract.first_notice_day(), -rule.offset)
    return tuple(cal.add_business_days(last, -k) for k in range(rule.spread_days - 1, 0, -1)) + (last,)


@lru_cache(maxsize=65536)
def _held(rule: RollRule, root: str, day: dt.date) -> Contract:
    c = nearest_listed(root, day)
    while rule.roll_day(c) <= day:
        c = c.next()
    return c
