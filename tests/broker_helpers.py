"""Small fixtures for the margin-broker tests: price books, feeds and a scripted strategy."""

from __future__ import annotations

import datetime as dt

import backtrader as bt
import pandas as pd

from ecore.brokers.costs import CostModel
from ecore.brokers.simulated import MarginBroker
from ecore.data.price_book import FuturesPriceBook
from ecore.data.calendar import treasury_calendar
from ecore.brokers.margin import MarginModel


def days(start: str, n: int) -> list[dt.date]:
    """``n`` Treasury business days from ``start`` (inclusive)."""
    cal = treasury_calendar()
    d = cal.next_business_day(dt.date.fromisoformat(start), inclusive=True)
    out = [d]
    while len(out) < n:
        out.append(cal.next_business_day(out[-1]))
    return out


def book(prices: dict[str, list[float]], ds: list[dt.date], opens: dict[str, list[float]] | None = None) -> FuturesPriceBook:
    rows = []
    for code, settles in prices.items():
        for i, (d, s) in enumerate(zip(ds, settles)):
            if s is None:
                continue
            row = {"date": d, "contract": code, "settle": s}
            if opens and code in opens:
                row["open"] = opens[code][i]
            rows.append(row)
    return FuturesPriceBook(pd.DataFrame(rows))


def feed(name: str, ds: list[dt.date], closes: list[float], **extra) -> bt.feeds.PandasData:
    df = pd.DataFrame({"close": closes, **extra}, index=pd.DatetimeIndex(ds))
    for c in ("open", "high", "low"):
        df[c] = df["close"]
    df["volume"] = 0.0
    df["openinterest"] = 0.0
    if "held" in extra:
        return RootFeed(dataname=df, name=name)
    return bt.feeds.PandasData(dataname=df, name=name)


class RootFeed(bt.feeds.PandasData):
    """A stand-in for ecore.data.feeds.RootFeed: a ``held`` line with the contract month (202503)."""

    lines = ("held",)
    params = (("held", -1),)


class Script(bt.Strategy):
    """Runs ``actions[i](strategy)`` on bar ``i`` and records every notification."""

    params = (("actions", None), ("on_call", None))

    def __init__(self):
        self.orders = []
        self.trades = []
        self.calls = []
        self.values = []

    def next(self):
        i = len(self) - 1
        self.values.append(self.broker.getvalue())
        act = (self.p.actions or {}).get(i)
        if act is not None:
            act(self)

    def notify_order(self, order):
        self.orders.append(order)

    def notify_trade(self, trade):
        self.trades.append(trade)

    def notify_margin_call(self, call):
        self.calls.append(call)
        if self.p.on_call is not None:
            self.p.on_call(self, call)


def make_broker(pb, cash=1_000_000.0, model=None, costs=None, **kw) -> MarginBroker:
    return MarginBroker(cash=cash, price_book=pb,
                        margin_model=model or MarginModel.fixed({"ZN": 2000, "ZT": 1000, "ZB": 4000, "ZF": 1000}),
                        costs=costs or CostModel.zero(), **kw)


# Extra Cerebro settings for every scripted run (tests/test_broker_modes.py sets the runner's).
CEREBRO_KW: dict = {}


def run(broker, feeds, actions=None, on_call=None, analyzers=()):
    cerebro = bt.Cerebro(**{"stdstats": False, **CEREBRO_KW})
    cerebro.setbroker(broker)
    for f in feeds:
        cerebro.adddata(f)
    for a in analyzers:
        cerebro.addanalyzer(a, _name=a.__name__)
    cerebro.addstrategy(Script, actions=actions or {}, on_call=on_call)
    return cerebro.run()[0]


def rows(broker, kind=None, day=None, instrument=None):
    j = broker.journal()
    if kind is not None:
        j = j[j["kind"] == kind]
    if day is not None:
        j = j[j["date"] == pd.Timestamp(day)]
    if instrument is not None:
        j = j[j["instrument"] == instrument]
    return j


def assert_cash_journal_reconciles(journal: pd.DataFrame, daily: pd.DataFrame, opening: float = 10_000_000) -> None:
    """A run's journal.csv and daily.csv agree to the cent: the cash balance is the opening cash
    plus every cash movement, ends at the last day's cash, the shares account at the last day's
    shares value, and NAV is cash plus shares every day."""
    cash = journal[journal["account"] == "cash"]
    assert cash["balance"].iloc[0] - cash["amount"].iloc[0] == opening
    assert (opening + cash["amount"].cumsum() - cash["balance"]).abs().max() < 0.01
    assert abs(cash["balance"].iloc[-1] - daily["cash"].iloc[-1]) < 0.01
    shares = journal[journal["account"] == "shares"]
    assert abs(shares["amount"].sum() - daily["shares_value"].iloc[-1]) < 0.01
    assert (daily["nav"] - daily["cash"] - daily["shares_value"]).abs().max() < 0.01
