"""Margin calls: equity below maintenance must be restored to initial margin by a deadline.

At each settlement, after fills and the delivery guard:

1. each open call is met when margin equity is back at initial margin or the called amount has
   been deposited (:meth:`MarginCalls.deposit`); past its deadline it is handed to liquidation
   (:mod:`.liquidation`);
2. then, with no call open, equity below maintenance issues a call for the amount that restores
   **initial** margin, due ``deadline_days`` business days later (default 1: the next day's
   settlement).  Strategies that define ``notify_margin_call(call)`` are told.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable

from . import journal as J
from .account import Account

log = logging.getLogger(__name__)


@dataclass
class MarginCall:
    """A demand to bring equity back to initial margin (dollars)."""

    issued: dt.date
    amount: float
    deadline: dt.date
    equity: float
    maintenance: float
    initial: float
    deposited: float = 0.0
    status: str = "open"  # open, met, liquidated
    closed: dt.date | None = None

    @property
    def open(self) -> bool:
        return self.status == "open"

    @property
    def day(self) -> dt.date:
        """The day the call was issued (alias of ``issued``)."""
        return self.issued

    def __str__(self) -> str:
        return (f"margin call {self.issued.isoformat()}: equity ${self.equity:,.2f} < maintenance "
                f"${self.maintenance:,.2f}; ${self.amount:,.2f} to restore initial ${self.initial:,.2f} by "
                f"{self.deadline.isoformat()} ({self.status})")


class MarginCalls:
    """The calls of one account, issued and closed at each settlement."""

    def __init__(self, account: Account, calendar, deadline_days: int = 1):
        if int(deadline_days) < 1:
            raise ValueError("call_deadline_days must be at least 1 (trading days after the call)")
        self.account = account
        self.calendar = calendar
        self.deadline_days = int(deadline_days)
        self.calls: list[MarginCall] = []

    def open_count(self) -> int:
        return sum(1 for c in self.calls if c.open)

    def deposit(self, amount: float) -> None:
        """A deposit (or withdrawal, negative) counts towards every open call."""
        for call in self.calls:
            if call.open:
                call.deposited += amount

    def settle(self, day: dt.date, liquidate: Callable[[MarginCall, dt.date], None],
               notify: Callable[[MarginCall], None]) -> None:
        """Close the calls that are met, liquidate those past their deadline, issue a new one."""
        account = self.account
        nav = account.margin_equity()
        mm, im = account.requirements(day)
        for call in self.calls:
            if not call.open:
                continue
            if nav >= im or call.deposited >= call.amount - 1e-9:
                how = "equity back at initial margin" if nav >= im else f"${call.deposited:,.2f} deposited"
                call.status, call.closed = "met", day
                account.journal.event(day, J.MARGIN_CALL_MET, "account",
                                      f"call of {call.issued.isoformat()} for ${call.amount:,.2f} met: {how}")
            elif day >= call.deadline:
                liquidate(call, day)
                call.status, call.closed = "liquidated", day
                nav = account.margin_equity()
                mm, im = account.requirements(day)
        if not any(c.open for c in self.calls) and mm > 0 and nav < mm:
            deadline = self.calendar.add_business_days(day, self.deadline_days)
            call = MarginCall(day, im - nav, deadline, nav, mm, im)
            self.calls.append(call)
            account.counters["margin_calls"] += 1
            account.journal.event(day, J.MARGIN_CALL, "account",
                                  f"equity ${nav:,.2f} < maintenance ${mm:,.2f}: call for ${call.amount:,.2f} "
                                  f"(to initial ${im:,.2f}) due by the settlement of {deadline.isoformat()}")
            log.warning("margin call on %s for $%.2f", day, call.amount)
            notify(call)
