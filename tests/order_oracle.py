"""Run one strategy on ``MarginBroker`` and on backtrader's ``BackBroker`` on the same bars, and
record what a user sees: fills, the statuses each order went through, closed trades and the
value every day.  Both sides get zero costs, zero interest and cash enough for the margin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import backtrader as bt
import pandas as pd

from ecore.brokers.costs import CostModel
from ecore.brokers.margin import MarginModel
from ecore.brokers.simulated import MarginBroker
from ecore.data.calendar import treasury_calendar
from ecore.data.price_book import FuturesPriceBook

SHARED_FUTURES = Path(__file__).resolve().parents[2] / "shared" / "data" / "futures"
CONTRACT = "ZNH25"  # a contract name: the feed trades one futures contract (multiplier 1000)
SHARE = "BOND"  # a share name
MARGIN = 2000.0  # dollars per contract on both brokers


class Record(bt.Analyzer):
    """Every notification, closed trade and end-of-day value of a run."""

    def start(self):
        self.notes, self.trades, self.values = [], [], []

    def notify_order(self, order):
        fill = None
        if order.status in (order.Completed, order.Partial):
            fill = (bt.num2date(order.executed.dt).date(), round(order.executed.price, 9), order.executed.size)
        self.notes.append((order.ref, order.getstatusname(), fill))

    def notify_trade(self, trade):
        if trade.isclosed:
            self.trades.append((bt.num2date(trade.dtopen).date(), bt.num2date(trade.dtclose).date(),
                                round(trade.pnl, 2)))

    def next(self):
        self.values.append((self.data.datetime.date(0), round(self.strategy.broker.getvalue(), 2)))

    def get_analysis(self):
        return self


@dataclass(frozen=True)
class Outcome:
    """What a run did; orders are numbered in the order they were made (refs differ per run)."""

    statuses: dict  # order number -> tuple of statuses, in notification order
    fills: tuple  # (order number, date, price, size)
    trades: tuple
    values: tuple

    def summary(self) -> str:
        return f"{len(self.statuses)} orders, {len(self.fills)} fills, {len(self.trades)} trades"


def _outcome(rec: Record) -> Outcome:
    number = {ref: i for i, ref in enumerate(sorted({n[0] for n in rec.notes}))}
    statuses: dict = {}
    fills = []
    for ref, status, fill in rec.notes:
        statuses.setdefault(number[ref], []).append(status)
        if fill is not None:
            fills.append((number[ref], *fill))
    return Outcome({k: tuple(v) for k, v in statuses.items()}, tuple(fills), tuple(rec.trades), tuple(rec.values))


def flat(bars: pd.DataFrame) -> pd.DataFrame:
    """The same closes with open, high and low equal to the close (a closes-only feed)."""
    out = bars.copy()
    out["open"] = out["high"] = out["low"] = out["close"]
    return out


def frame(closes, opens=None, highs=None, lows=None, start="2024-01-02") -> pd.DataFrame:
    """Hand-made bars on Treasury business days from ``start``."""
    cal = treasury_calendar()
    d = cal.next_business_day(dt.date.fromisoformat(start), inclusive=True)
    ds = [d]
    while len(ds) < len(closes):
        ds.append(cal.next_business_day(ds[-1]))
    f = pd.DataFrame({"close": closes}, index=pd.DatetimeIndex(ds))
    f["open"] = opens if opens is not None else f["close"]
    f["high"] = highs if highs is not None else f[["open", "close"]].max(axis=1)
    f["low"] = lows if lows is not None else f[["open", "close"]].min(axis=1)
    return f


@lru_cache(maxsize=4)
def real_ohlc(root: str = "ZN", start: str = "2021-01-01", end: str = "2023-12-31") -> pd.DataFrame:
    """Real front-month OHLC of ``root`` from ../shared, on Treasury business days; high and low
    widened to hold open and close (as the broker's bar does), so both brokers see one bar."""
    f = pd.read_csv(SHARED_FUTURES / f"{root}_front_continuous.csv", parse_dates=["Date"], index_col="Date")
    f = f.rename(columns=str.lower)[["open", "high", "low", "close"]].dropna()
    f = f.loc[start:end]
    cal = treasury_calendar()
    f = f[[cal.is_business_day(d.date()) for d in f.index]]
    f["high"] = f[["open", "high", "low", "close"]].max(axis=1)
    f["low"] = f[["open", "high", "low", "close"]].min(axis=1)
    return f


def bundled_closes(symbol: str = "SPY", start: str = "2018-01-01", end: str = "2019-12-31") -> pd.DataFrame:
    """Bundled dividend-adjusted closes as closes-only bars."""
    from ecore.data.market import load_market

    s = load_market().closes[symbol].dropna().loc[start:end]
    return flat(pd.DataFrame({"close": s.astype(float)}))


def _feed(bars: pd.DataFrame, name: str):
    df = bars[["open", "high", "low", "close"]].copy()
    df["volume"] = 0.0
    df["openinterest"] = 0.0
    return bt.feeds.PandasData(dataname=df, name=name)


def _book(bars: pd.DataFrame) -> FuturesPriceBook:
    rows = pd.DataFrame({"date": bars.index.date, "contract": CONTRACT, "settle": bars["close"].to_numpy(),
                         "open": bars["open"].to_numpy(), "high": bars["high"].to_numpy(),
                         "low": bars["low"].to_numpy()})
    return FuturesPriceBook(rows)


def run(strategy, bars: pd.DataFrame, broker: str, kind: str = "share", cash: float = 1_000_000.0,
        **params) -> Outcome:
    """Run ``strategy(**params)`` on ``bars`` traded as a share or one futures contract, on
    ``broker`` "margin" (MarginBroker; Market orders at the open when the bars have a range, as
    backtrader fills them) or "back" (BackBroker)."""
    cerebro = bt.Cerebro(stdstats=False)
    name = CONTRACT if kind == "future" else SHARE
    cerebro.adddata(_feed(bars, name))
    if broker == "margin":
        ranged = bool((bars["open"] != bars["close"]).any())
        fill = {"futures_fill": "open", "share_fill": "open"} if ranged else {}
        cerebro.setbroker(MarginBroker(cash=cash, price_book=_book(bars), costs=CostModel.zero(), short_rate=0.0,
                                       margin_model=MarginModel.fixed({"ZN": MARGIN}), **fill))
    else:
        cerebro.broker = bt.brokers.BackBroker(cash=cash)
        if kind == "future":
            cerebro.broker.setcommission(commission=0.0, margin=MARGIN, mult=1000.0)
    cerebro.addstrategy(strategy, **params)
    cerebro.addanalyzer(Record, _name="record")
    strat = cerebro.run()[0]
    return _outcome(strat.analyzers.record)


def both(strategy, bars, kind="share", **params) -> tuple[Outcome, Outcome]:
    return run(strategy, bars, "margin", kind, **params), run(strategy, bars, "back", kind, **params)
