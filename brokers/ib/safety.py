"""Safety limits on what paper trading may send, and the kill switch.

Limits (all optional; ``None`` = no limit) are checked before an intent is stored or sent:
per order, its size (contracts or shares) and notional (dollars: quantity x price x
multiplier); per day, the same two summed over every order of that day already in the journal
(so a restart does not reset the day's budget).  A breach refuses the order and logs why; it
is never sent, in part or in full.

The kill switch is a file (its existence stops trading) or a signal (SIGUSR1 by default):
when tripped, the broker cancels every open order (a global cancel) and the run stops.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass
from pathlib import Path

from .journal import Journal, OrderIntent

log = logging.getLogger(__name__)


class LimitBreach(RuntimeError):
    """An order would exceed a safety limit; the message names the limit."""


@dataclass(frozen=True)
class SafetyLimits:
    """Maximum size and notional (dollars) per order and per day; ``None`` means no limit."""

    max_order_quantity: float | None = None
    max_order_notional: float | None = None
    max_daily_quantity: float | None = None
    max_daily_notional: float | None = None

    def __post_init__(self):
        for name in ("max_order_quantity", "max_order_notional", "max_daily_quantity",
                     "max_daily_notional"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not value > 0):
                raise ValueError(f"{name}: {value!r} must be a positive number or absent")

    def check(self, intent: OrderIntent, journal: Journal) -> None:
        """Raise ``LimitBreach`` if ``intent`` breaks a limit, given the day's journal."""
        q, n = intent.quantity, abs(intent.notional)
        if self.max_order_quantity is not None and q > self.max_order_quantity:
            raise LimitBreach(f"{intent.order_ref}: quantity {q:g} exceeds max_order_quantity "
                              f"{self.max_order_quantity:g}")
        if self.max_order_notional is not None and n > self.max_order_notional:
            raise LimitBreach(f"{intent.order_ref}: notional ${n:,.0f} exceeds "
                              f"max_order_notional ${self.max_order_notional:,.0f}")
        day_q, day_n = journal.day_totals(intent.day)
        if self.max_daily_quantity is not None and day_q + q > self.max_daily_quantity:
            raise LimitBreach(f"{intent.order_ref}: day's quantity {day_q + q:g} would exceed "
                              f"max_daily_quantity {self.max_daily_quantity:g}")
        if self.max_daily_notional is not None and day_n + n > self.max_daily_notional:
            raise LimitBreach(f"{intent.order_ref}: day's notional ${day_n + n:,.0f} would "
                              f"exceed max_daily_notional ${self.max_daily_notional:,.0f}")


class KillSwitch:
    """Tripped when ``path`` exists or after ``signum`` arrives (see ``install``)."""

    def __init__(self, path: str | Path | None = None, signum: int | None = signal.SIGUSR1):
        self.path = Path(path) if path else None
        self.signum = signum
        self._signalled = False

    def install(self) -> None:
        """Register the signal handler (main thread only)."""
        if self.signum is not None:
            signal.signal(self.signum, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        log.warning("kill switch: signal %s received", signum)
        self._signalled = True

    def trip(self) -> None:
        self._signalled = True

    @property
    def tripped(self) -> bool:
        if self._signalled:
            return True
        if self.path is not None and self.path.exists():
            log.warning("kill switch: file %s exists", self.path)
            return True
        return False

    @property
    def reason(self) -> str:
        """What tripped it, for the run's last line."""
        if self.path is not None and self.path.exists():
            return f"kill file {self.path} exists"
        return f"signal {self.signum} received" if self._signalled else "not tripped"
