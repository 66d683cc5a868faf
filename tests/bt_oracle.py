"""Run one backtrader strategy on backtrader's own ``BackBroker`` and on ``MarginBroker`` configured
alike, and record what a strategy sees: every order notification, every trade notification and
the value and cash at the end of each bar (to the cent).

Bars are our own: the bundled closes of a symbol (``flat_bars``: open = high = low = close, where
a market order fills at the next bar's open on BackBroker and at its close on MarginBroker, the
same price) or hand-made OHLC bars.
"""

from __future__ import annotations

import functools

import backtrader as bt
import pandas as pd

from ecore.brokers.costs import CostModel
from ecore.brokers.short_sales import ShortSaleRules
from ecore.brokers.simulated import MarginBroker


@functools.lru_cache(maxsize=8)
def _closes(symbol: str, start: str, end: str) -> pd.Series:
    from ecore.data.market import load_market

    s = load_market().closes[symbol].dropna()
    return s[(s.index >= start) & (s.index <= end)]


def flat_bars(symbol: str = "SPY", start: str = "2005-01-01", end: str = "2008-12-31", spread: float = 0.0) -> pd.DataFrame:
    """Daily bars of ``symbol``'s bundled closes: open = close; high and low ``spread`` (a
    fraction) either side of it (0: a flat bar)."""
    c = _closes(symbol, start, end)
    return pd.DataFrame({"open": c, "high": c * (1 + spread), "low": c * (1 - spread), "close": c,
                         "volume": 1e6, "openinterest": 0.0}, index=c.index)


def gap_bars(symbol: str = "SPY", start: str = "2005-01-01", end: str = "2008-12-31") -> pd.DataFrame:
    """Bars whose open is the previous close moved halfway to today's close (open != close)."""
    c = _closes(symbol, start, end)
    prev = c.shift(1).fillna(c)
    o = (prev + c) / 2
    return pd.DataFrame({"open": o, "high": pd.concat([o, c], axis=1).max(axis=1) * 1.002,
                         "low": pd.concat([o, c], axis=1).min(axis=1) * 0.998, "close": c,
                         "volume": 1e6, "openinterest": 0.0}, index=c.index)


def feed(frame: pd.DataFrame, name: str = "SPY"):
    return bt.feeds.PandasData(dataname=frame, name=name)


class Recorder(bt.Analyzer):
    """Every notification and the end-of-bar value and cash, rounded to the cent."""

    def start(self):
        self.orders, self.trades, self.daily = [], [], []

    def notify_order(self, order):
        ex = order.executed
        self.orders.append((
            order.getstatusname(), "buy" if order.isbuy() else "sell", order.data._name,
            round(order.created.size, 6),
            bt.num2date(ex.dt).date().isoformat() if ex.dt else None,
            round(ex.size, 6), round(ex.price, 4), round(ex.value, 2), round(ex.comm, 2), round(ex.pnl, 2),
        ))

    def notify_trade(self, trade):
        self.trades.append((trade.status, trade.data._name, round(trade.size, 6), round(trade.price, 4),
                            round(trade.pnl, 2), round(trade.pnlcomm, 2), trade.barlen))

    def next(self):
        b = self.strategy.broker
        self.daily.append((self.strategy.datetime.date(0).isoformat(), round(b.getvalue(), 2),
                           round(b.getcash(), 2)))

    def get_analysis(self):
        return {"orders": self.orders, "trades": self.trades, "daily": self.daily}


def margin_broker(**kw) -> MarginBroker:
    """A MarginBroker with no costs of its own, no interest and no borrow fee: what BackBroker
    charges is what the strategy's settings charge."""
    kw.setdefault("costs", CostModel.zero())
    kw.setdefault("short_sale_rules", ShortSaleRules.bundled(borrow_fee=0.0))
    return MarginBroker(**kw)


def run(strategy, datas, broker=None, configure=None, cerebro_kw=None, run_kw=None, sizer=None,
        opt=None, **params):
    """Run ``strategy`` on ``datas`` (frames or (frame, name) pairs); ``broker`` None = BackBroker.
    ``configure(cerebro)`` applies broker settings.  Returns the list of each strategy's
    Recorder analysis (one per optstrategy combination)."""
    cerebro = bt.Cerebro(stdstats=False, **(cerebro_kw or {}))
    if broker is not None:
        cerebro.setbroker(broker)
    for d in datas:
        frame, name = d if isinstance(d, tuple) else (d, "SPY")
        cerebro.adddata(feed(frame, name), name=name)
    if sizer is not None:
        cerebro.addsizer(sizer[0], **sizer[1])
    if opt is not None:
        cerebro.optstrategy(strategy, **opt, **params)
    else:
        cerebro.addstrategy(strategy, **params)
    cerebro.addanalyzer(Recorder, _name="rec")
    if configure is not None:
        configure(cerebro)
    out = cerebro.run(**(run_kw or {}))
    if opt is not None:
        return [r[0].analyzers.rec.get_analysis() for r in out]
    return [out[0].analyzers.rec.get_analysis()]


def both(strategy, datas, configure=None, broker_kw=None, **kw):
    """(BackBroker's records, MarginBroker's records) of the same run."""
    ours = margin_broker(**(broker_kw or {}))
    return run(strategy, datas, None, configure, **kw), run(strategy, datas, ours, configure, **kw)
