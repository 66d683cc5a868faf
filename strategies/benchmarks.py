"""Benchmarks and variants: the classic 60/40 and the 90/60 core plus a satellite sleeve."""

from __future__ import annotations

import math

from .base import Strategy
from .efficient_core import EfficientCore


class SixtyForty(Strategy):
    """60% equity fund, 40% aggregate bond fund, rebalanced on the first trading day of each
    quarter.  The 0.03% expense ratio is charged by the broker (``expense_ratio``), like a fund's."""

    params = dict(
        equity="IVV",
        bonds="AGG",
        equity_weight=0.60,
        expense_ratio=0.0003,  # per year, on NAV; the runner hands it to the broker
        cash_buffer=0.002,  # fraction of NAV left in cash so buys survive a price move overnight
    )
    recorded_events = ("rebalance",)

    @classmethod
    def instruments_for(cls, params: dict) -> tuple[str, ...]:
        """The equity fund's feed, then the bond fund's."""
        p = {**dict(cls.params._getitems()), **params}
        return (p["equity"].upper(), p["bonds"].upper())

    def __init__(self):
        super().__init__()
        self._last_quarter = None

    def next(self):
        day = self.today()
        quarter = (day.year, (day.month - 1) // 3)
        if self.replaying():
            # Paper trading replays recent bars before the live one: remember their quarter, so
            # that a new process (one per day from cron) rebalances only when the quarter turns
            # and not on every start.
            self._last_quarter = quarter
            return
        nav = self.broker.getvalue()
        self.record.days.append({"date": day, "ladder_duration": float("nan")})
        held = self.shares_held(self.p.equity) or self.shares_held(self.p.bonds)
        if self.has_pending_orders() or (quarter == self._last_quarter and held):
            return
        reason = "initial allocation" if not held else "quarterly rebalance"
        self._last_quarter = quarter
        investable = nav * (1 - self.p.cash_buffer)
        deltas = {}
        for name, weight in ((self.p.equity, self.p.equity_weight), (self.p.bonds, 1 - self.p.equity_weight)):
            target = math.floor(weight * investable / self.price(name))
            deltas[name] = target - int(self.shares_held(name))
        # Sells first, so that their cash pays for the buys filled the same day.
        for name, delta in sorted(deltas.items(), key=lambda kv: kv[1]):
            self.order_shares(name, delta, "rebalance")
        self.record.event(day, "rebalance", reason)


class CorePlus(EfficientCore):
    """Two thirds of NAV in the 90/60 core and one third in a satellite ETF (``sleeve``), showing
    what the capital freed by futures can do."""

    params = dict(
        scale=2 / 3,
        sleeve="EFA",  # data name of the satellite fund
        sleeve_weight=1 / 3,
    )

    def _rebalance(self, day, fill_day, nav, equity_value, reason):
        super()._rebalance(day, fill_day, nav, equity_value, reason)
        target = math.floor(self.p.sleeve_weight * nav / self.price(self.p.sleeve))
        self.order_shares(self.p.sleeve, target - int(self.shares_held(self.p.sleeve)), "rebalance")

    def _rebalance_reason(self, day, nav, equity_value, notional, rolling):
        reason = super()._rebalance_reason(day, nav, equity_value, notional, rolling)
        if reason:
            return reason
        sleeve_w = self.shares_held(self.p.sleeve) * self.price(self.p.sleeve) / nav
        if abs(sleeve_w - self.p.sleeve_weight) > self.p.drift_band:
            return f"sleeve weight {sleeve_w:.1%} drifted from {self.p.sleeve_weight:.1%}"
        return None
