"""Margin on an IB paper account, defined as the simulated broker defines it.

* Margin equity is ``cash + share_collateral x shares' value`` (``brokers/account.py``): IB's
  TotalCashValue plus that share of the rest of its net liquidation value (the shares; futures
  carry no value once settled).  IB's own figure for the same thing is its ExcessLiquidity plus
  MaintMarginReq (the equity its maintenance check uses); when IB's is lower, the stricter one
  wins and :class:`MarginEquity` says so.
* A margin call is what ``brokers/margin_calls.py`` issues: maintenance above margin equity
  calls for the amount back to initial margin, due ``call_deadline_days`` business days later;
  the strategy hears of it through ``notify_margin_call(call)`` before it decides that day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from ..margin_calls import MarginCall

TOLERANCE = 0.005  # dollars: figures equal to the cent count as equal


@dataclasses.dataclass(frozen=True)
class MarginEquity:
    """Margin equity in dollars (``value``), ecore's definition (``ours``), IB's (``ib``), and
    which one was used (``source``: "ecore" or "IB")."""

    value: float
    ours: float
    ib: float | None
    source: str

    def describe(self) -> str:
        if self.source == "IB":
            return (f"margin equity ${self.value:,.2f} from IB (excess liquidity + maintenance "
                    f"margin), stricter than ecore's cash + share collateral ${self.ours:,.2f}")
        return f"margin equity ${self.value:,.2f} (cash + share collateral)"


def margin_equity(state, share_collateral: float) -> MarginEquity:
    """Margin equity of an ``AccountState`` (dollars) under ``share_collateral`` (0..1)."""
    shares = state.net_liquidation - state.cash
    ours = state.cash + float(share_collateral) * shares
    ib = None
    if state.excess_liquidity or state.maintenance_margin:
        ib = state.excess_liquidity + state.maintenance_margin
    if ib is not None and ib < ours - TOLERANCE:
        return MarginEquity(ib, ours, ib, "IB")
    return MarginEquity(ours, ours, ib, "ecore")


def margin_call_due(day: dt.date, equity: float, state, calendar,
                    deadline_days: int = 1) -> MarginCall | None:
    """The call ``brokers/margin_calls.py`` would issue on ``day``: equity below IB's
    maintenance requirement calls for the amount back to its initial requirement."""
    mm, im = state.maintenance_margin, state.initial_margin
    if mm > 0 and equity < mm:
        deadline = calendar.add_business_days(day, int(deadline_days))
        return MarginCall(day, im - equity, deadline, equity, mm, im)
    return None
