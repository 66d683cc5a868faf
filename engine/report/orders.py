"""The orders a strategy placed, as a table: the same columns whichever broker took them
(``MarginBroker`` in a backtest, ``IBBroker`` in paper), so the two can be compared through
public interfaces (``BacktestRun.orders``, ``PaperRun.orders``)."""

from __future__ import annotations

import backtrader as bt
import pandas as pd

ORDER_COLUMNS = ("date", "instrument", "size", "kind", "status", "reason")


def order_table(orders) -> pd.DataFrame:
    """One row per backtrader order of the strategy (forced orders of the broker left out):
    ``date`` (the day it was decided), ``instrument`` (contract code or symbol), ``size``
    (signed: contracts or shares), ``kind`` (rebalance, roll, margin_call, ... else "trade"),
    ``status`` (backtrader's name: Completed, Accepted, Margin, Rejected...), ``reason``."""
    from ...strategies.orders import order_instrument

    rows = []
    for o in orders:
        info = o.info
        if info.get("forced"):
            continue
        try:
            day = bt.num2date(o.created.dt).date()
        except (ValueError, OverflowError):
            day = None
        size = abs(o.size) if o.isbuy() else -abs(o.size)
        rows.append({"date": pd.Timestamp(day) if day else pd.NaT,
                     "instrument": order_instrument(o), "size": float(size),
                     "kind": info.get("kind") or info.get("intent") or "trade",
                     "status": o.getstatusname(), "reason": info.get("reason", "")})
    return pd.DataFrame(rows, columns=list(ORDER_COLUMNS))
