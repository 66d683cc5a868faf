"""Margin on an IB paper account, defined as the simulated broker defines it.

* Margin equity is ``cash + share_collateral x shares' value`` (``brokers/account.py``): IB's
  TotalCashValue plus that share of the rest of its net liquidation value (the shares; futures
  carry no value once settled), less the market value of short shares (their proceeds are locked).  IB's own figure for the same thing is its ExcessLiquidity plus
  MaintMarginReq (the equity its maintenance check uses); when IB's is lower, the stricter one
  wins and :class:`MarginEquity` says so.
* A margin call is what ``brokers/margin_calls.py`` issues: maintenance above margin equity
  calls for the amount back to initial margin, due ``call_deadline_days`` business days later;
  the strategy hears of it through ``notify_margin_call(call)`` before it decides that day.
* Before an order that adds risk is sent (or shown by a dry run), margin equity after it must
  cover the initial margin of the resulting positions, as ``brokers/fills.py`` requires in a
  backtest: by ecore's margin model (the run's ``margin_model``) and by IB's what-if, the
  stricter one binding (:class:`InitialCheck`); else the order ends with status Margin
  (``pretrade.py`` makes the check, with the run's commission and slippage).
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


def margin_equity(state, share_collateral: float, shorts: float = 0.0) -> MarginEquity:
    """Margin equity of an ``AccountState`` (dollars) under ``share_collateral`` (0..1);
    ``shorts``: the short share positions' market value (dollars, positive), whose sale proceeds
    in cash back nothing else (``brokers/short_sales.py``)."""
    shares = state.net_liquidation - state.cash  # longs less shorts
    ours = state.cash + float(share_collateral) * (shares + shorts) - shorts
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


MODEL, WHAT_IF = "ecore's margin model", "IB's what-if"


@dataclasses.dataclass(frozen=True)
class InitialCheck:
    """The pre-trade initial-margin check of one order, in dollars: margin equity after the
    order (``equity_after``) against the initial margin of the resulting futures positions by
    ecore's margin model (``ours``, the backtest's figure) and by IB's what-if margin per
    contract (``ib``); the stricter (higher) one binds.  None: that figure was unavailable."""

    equity_after: float
    ours: float | None
    ib: float | None

    @property
    def binding(self) -> str:
        """Which figure binds: ``MODEL`` or ``WHAT_IF`` (IB's only when strictly higher)."""
        if self.ib is not None and (self.ours is None or self.ib > self.ours + TOLERANCE):
            return WHAT_IF
        return MODEL

    @property
    def required(self) -> float:
        figures = [f for f in (self.ours, self.ib) if f is not None]
        return max(figures) if figures else 0.0

    @property
    def passes(self) -> bool:
        return self.equity_after >= self.required - TOLERANCE

    def reason(self) -> str:
        """Why the order is refused (status Margin), naming the figure that bound."""
        text = (f"margin: equity after the trade ${self.equity_after:,.2f} < initial margin "
                f"${self.required:,.2f} of the resulting positions by {self.binding} (short "
                f"${self.required - self.equity_after:,.2f})")
        if self.binding == WHAT_IF and self.ours is not None:
            text += f"; {MODEL} asks ${self.ours:,.2f}"
        return text

    def note(self) -> str:
        """For ``margin_notes`` when IB's what-if was the stricter figure, else ""."""
        if self.binding != WHAT_IF or self.ours is None:
            return ""
        return (f"initial margin ${self.ib:,.2f} from {WHAT_IF}, stricter than {MODEL}'s "
                f"${self.ours:,.2f}: IB's figure was used")


def model_initial(model, sizes: dict[str, float], day) -> float:
    """Initial margin (dollars) of ``sizes`` (``{futures code: contracts}``) on ``day`` by
    ``model`` (a ``MarginModel``), as ``Account.requirements`` gives the backtest's."""
    from ...data.contracts import Contract

    return sum(abs(q) * model.initial(Contract.parse(code).root, day)
               for code, q in sizes.items() if q)
