"""What a backtest records whatever the strategy: every fill, and refused or forced orders.

:class:`FillRecorder` is a backtrader analyzer the runner adds to the Cerebro run; it sees every
order notification of its strategy (those of the roll keeper and the broker's forced orders
included: they are owned by the strategy), so ``trades.csv`` and the events of the report do not
depend on what a strategy keeps itself.
"""

from __future__ import annotations

import backtrader as bt

from ...brokers.refusals import category as refusal_category
from ...data.contracts import Contract, ContractError
from ...strategies.orders import order_instrument
from ..report.results import TRADE_KINDS


class FillRecords:
    """The rows a run's recorders append to: ``trades`` (one per fill, columns of
    ``ecore.engine.report.results.TRADE_COLUMNS``) and ``events`` (rejection, forced_liquidation)."""

    def __init__(self):
        self.trades: list[dict] = []
        self.events: list[dict] = []


class FillRecorder(bt.Analyzer):
    """Appends each completed, refused, cancelled or expired order of its strategy to ``records``."""

    params = dict(records=None)

    def start(self):
        self._last_key, self._last_day = None, None

    def _day(self):
        # The latest bar of the feeds: a feed that has ended (an expired contract) stays on its last day.
        # Orders come in bunches on one day: convert the feeds' datetimes once per set of bars.
        datas = self.strategy.datas
        key = tuple(d.datetime[0] if len(d) else None for d in datas)
        if key != self._last_key:
            self._last_key = key
            self._last_day = max(d.datetime.date(0) for d in datas if len(d))
        return self._last_day

    def notify_order(self, order):
        if order.status in (order.Submitted, order.Accepted, order.Partial):
            return
        records = self.p.records
        info = order.info
        instrument = order_instrument(order)
        day = self._day()
        if order.status == order.Completed:
            size = float(order.executed.size)
            price = float(order.executed.price)
            kind = "forced" if info.get("forced") else info.get("kind", "trade")
            records.trades.append(
                {"date": day, "instrument": instrument, "size": size, "price": price,
                 "value": size * price * _multiplier(instrument), "commission": float(order.executed.comm),
                 "kind": kind if kind in TRADE_KINDS else "trade",
                 "slippage": float(info.get("slippage", 0.0))})
            if info.get("forced"):
                records.events.append({"date": day, "kind": "forced_liquidation", "detail": (
                    f"{instrument} {size:+g} at {price:g}: {info.get('reason', '')}").strip()})
        elif order.status in (order.Margin, order.Rejected):
            reason = info.get("reason", order.getstatusname())
            status = "margin" if order.status == order.Margin else "rejected"
            records.events.append({"date": day, "kind": "rejection",
                                   "detail": f"{instrument} {order.size:+g}: {reason}",
                                   "reason": info.get("refusal") or refusal_category(str(reason), status)})
        elif order.status in (order.Canceled, order.Expired):
            # the strategy's own cancellations and orders past their validity: recorded, not refusals
            kind = "cancelled" if order.status == order.Canceled else "expired"
            records.events.append({"date": day, "kind": kind,
                                   "detail": f"{instrument} {order.size:+g}: {order.getstatusname()}"})


def _multiplier(instrument: str) -> float:
    """Dollars per point of a futures contract; 1 for a share."""
    try:
        return Contract.parse(instrument).spec.multiplier
    except (ContractError, ValueError):
        return 1
