"""backtrader feeds for futures roots and equity closes, built from pandas.

* :class:`RootFeed` - one feed per futures root (data name = root, e.g. ``"ZN"``), whatever the
  number of years: lines ``close`` (settle of the contract held under a
  :class:`~ecore.data.rolls.RollRule`), ``held`` (its contract month as a number, 202503),
  ``next_close`` (settle of the contract it rolls into) and ``next`` (202506); ``open``, ``high``
  and ``low`` equal ``close``, ``volume`` and ``openinterest`` are 0.  Read the extra lines as
  ``data.lines.held[0]``, ``data.lines.next[0]`` (``data.next`` is backtrader's own method, so
  the ``next`` line is only reachable through ``data.lines``; ``data.held[0]`` and
  ``data.next_close[0]`` work directly).  :func:`contract_of` turns a month number back into
  a :class:`~ecore.data.contracts.Contract`.
* :class:`CloseFeed` - one feed per equity symbol (data name = symbol): ``close`` = dividend-
  adjusted close, ``open``/``high``/``low`` = close, volume 0.
* :class:`ContractFeed` - one fixed contract (data name = its code, "ZBM25"): ``close`` = its
  settle, from its first price to its last trading day.  Named for its root instead ("ZN" for
  ZNM25), it is a :class:`RootFeed` whose ``held`` never changes, so orders on it trade that
  contract and its position is the root's net, as a feed of that name is in paper trading.

:func:`build_feeds` builds any list of them (:func:`make_feeds`: roots, then symbols) on one
common date index (the union of the futures days and
the equity trading days in the window).  A day on which an instrument has no price of its own
(a bond-market holiday on which shares trade, or the reverse) repeats its last price.  Each feed
starts on the first day it has data: a root whose prices begin later (or a fund listed later)
simply has no bars before then.  backtrader calls a strategy's ``prenext`` - not ``next`` - until
every feed has delivered a bar, so a backtest whose window starts before some feed's data begins
effectively starts on the latest of the feeds' first days, unless the strategy handles
``prenext`` itself.  Feeds end on the last day every requested series has data (or ``end``).
"""

from __future__ import annotations

import datetime as dt

import backtrader as bt
import numpy as np
import pandas as pd

from .calendar import as_date
from .contracts import Contract, spec
from .rolls import RollRule
from .price_book import FuturesPriceBook


class ArrayPandasData(bt.feeds.PandasData):
    """``PandasData`` that reads its rows from numpy arrays extracted once at start.

    backtrader's own ``PandasData._load`` indexes the DataFrame with ``iloc`` for every field of
    every row, which was the largest single cost of a 25-year backtest; values and dates are the
    same.  Only a datetime index is supported (``datetime=None``), as the feeds here use.
    """

    def start(self):
        super().start()
        frame = self.p.dataname
        self._arrays = []
        for datafield in self.getlinealiases():
            if datafield == "datetime":
                continue
            colindex = self._colmapping[datafield]
            if colindex is None:
                continue
            values = frame.iloc[:, colindex].to_numpy(dtype=float)
            self._arrays.append((getattr(self.lines, datafield), values))
        index = frame.index
        if isinstance(index, pd.DatetimeIndex) and index.tz is None and (index == index.normalize()).all():
            # midnight, no time zone: bt.date2num is the day's ordinal, exactly
            self._datenums = (index.to_numpy().astype("datetime64[D]").astype(np.int64) + _EPOCH_ORDINAL).astype(float).tolist()
        else:
            self._datenums = [bt.date2num(t) for t in index.to_pydatetime()]

    # backtrader copies every line into ``tick_*`` attributes on every bar for resampling and
    # replay (and clears them before the next): on a feed without filters the bar is the tick,
    # and the one reader (BackBroker) falls back to the line itself when there is none.
    def _tick_fill(self, force=False):
        if self._filters:
            super()._tick_fill(force)

    def _tick_nullify(self):
        if self._filters:
            super()._tick_nullify()

    def _load(self):
        self._idx += 1
        i = self._idx
        if i >= len(self._datenums):
            return False
        for line, values in self._arrays:
            line[0] = values[i]
        self.lines.datetime[0] = self._datenums[i]
        return True


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def latest_day(datas, memo: dict) -> dt.date | None:
    """The day of the latest current bar among ``datas`` (those that have delivered one), or None;
    ``memo`` (a dict kept by the caller) remembers each datetime number's day, since converting it
    is the costly part and every feed of a day carries the same number."""
    best, holder = None, None
    for d in datas:
        if len(d):
            x = d.lines.datetime[0]
            if best is None or x > best:
                best, holder = x, d
    if holder is None:
        return None
    key = (best, holder.datetime._tz)
    day = memo.get(key)
    if day is None:
        day = memo[key] = holder.datetime.date(0)
    return day


class RootFeed(ArrayPandasData):
    """One futures root: the held contract's settle plus the held and next contract months."""

    lines = ("held", "next_close", "next")
    params = (
        ("datetime", None),
        ("open", "open"), ("high", "high"), ("low", "low"), ("close", "close"),
        ("volume", "volume"), ("openinterest", "openinterest"),
        ("held", "held"), ("next_close", "next_close"), ("next", "next"),
        ("timeframe", bt.TimeFrame.Days),
    )


class CloseFeed(ArrayPandasData):
    """One equity or ETF symbol from its adjusted closes.

    Line ``traded`` is 1 on the fund's own trading days and 0 on days the bar only repeats the
    last close (the stock market shut while Treasuries trade, e.g. Good Friday 2021): the
    margin broker fills no share order on those.
    """

    lines = ("traded",)
    params = (
        ("datetime", None),
        ("open", "open"), ("high", "high"), ("low", "low"), ("close", "close"),
        ("volume", "volume"), ("openinterest", "openinterest"), ("traded", "traded"),
        ("timeframe", bt.TimeFrame.Days),
    )


class ContractFeed(ArrayPandasData):
    """One fixed futures contract from its settlements (points)."""

    params = (
        ("datetime", None),
        ("open", "open"), ("high", "high"), ("low", "low"), ("close", "close"),
        ("volume", "volume"), ("openinterest", "openinterest"),
        ("timeframe", bt.TimeFrame.Days),
    )


def month_number(contract: Contract) -> int:
    return contract.year * 100 + contract.month


def contract_of(root: str, number) -> Contract:
    """``contract_of("ZN", 202503)`` → ``Contract("ZN", 2025, 3)``."""
    n = int(number)
    return Contract(spec(root).root, n // 100, n % 100)


# ----------------------------------------------------------------------------------------------


def held_contracts(root: str, days: np.ndarray, rule: RollRule) -> list[Contract]:
    """``rule.held(root, day)`` for every day of a sorted ``datetime64[D]`` array, vectorized:
    the held contract is the first one whose roll day is after the day."""
    contracts, idx = _held_index(root, days, rule)
    return [contracts[i] for i in idx]


def _held_index(root: str, days: np.ndarray, rule: RollRule) -> tuple[list[Contract], np.ndarray]:
    """The contracts held over ``days`` in order, and for each day the index of its one."""
    if len(days) == 0:
        return [], np.array([], dtype=np.intp)
    first = rule.held(root, days[0].astype(dt.date))
    contracts = [first]
    rolls = [np.datetime64(rule.roll_day(first), "D")]
    while rolls[-1] <= days[-1]:
        contracts.append(contracts[-1].next())
        rolls.append(np.datetime64(rule.roll_day(contracts[-1]), "D"))
    return contracts, np.searchsorted(np.array(rolls), days, side="right")


def _asof(book: FuturesPriceBook, codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Settle of contract ``codes[i]`` on ``days[i]`` or, failing that, its last earlier settle."""
    out = np.full(len(days), np.nan)
    for code in pd.unique(codes):
        if code not in book:
            continue
        mask = codes == code
        sd, sv = book.arrays(code)
        sv = sv.astype(float)
        i = np.searchsorted(sd, days[mask], side="right") - 1
        vals = np.where(i >= 0, sv[np.maximum(i, 0)], np.nan)
        out[mask] = vals
    return out


def root_frame(book: FuturesPriceBook, root: str, index: pd.DatetimeIndex, rule: RollRule,
               from_day: dt.date | None = None) -> pd.DataFrame:
    """The RootFeed's table on ``index``, trimmed to start on the first day with a price (and not
    before ``from_day``, a product's launch)."""
    days = index.to_numpy().astype("datetime64[D]")
    contracts, idx = _held_index(root, days, rule)
    nexts = [c.next() for c in contracts]
    held_codes = np.array([c.code for c in contracts], dtype=object)[idx]
    next_codes = np.array([c.code for c in nexts], dtype=object)[idx]
    close = _asof(book, held_codes, days)
    next_close = _asof(book, next_codes, days)
    frame = pd.DataFrame({
        "open": close, "high": close, "low": close, "close": close,
        "volume": 0.0, "openinterest": 0.0,
        "held": np.array([month_number(c) for c in contracts], dtype=float)[idx],
        "next_close": next_close,
        "next": np.array([month_number(c) for c in nexts], dtype=float)[idx],
    }, index=index)
    valid = np.isfinite(close)
    if from_day is not None:
        valid &= days >= np.datetime64(from_day, "D")
    valid = np.flatnonzero(valid)
    if len(valid) == 0:
        return frame.iloc[0:0]
    return frame.iloc[valid[0]:]


def contract_frame(book: FuturesPriceBook, code: str, index: pd.DatetimeIndex, as_root: bool = False) -> pd.DataFrame:
    """One contract's table on ``index``, from its first settlement to its last (its last trading
    day); with ``as_root`` also the RootFeed lines, ``held`` fixed on the contract."""
    contract = Contract.parse(code)
    days = index.to_numpy().astype("datetime64[D]")
    close = _asof(book, np.full(len(days), contract.code), days)
    series = book.series(contract.code)
    last = np.datetime64(series.index[-1], "D") if len(series) else np.datetime64("NaT")
    frame = pd.DataFrame({"open": close, "high": close, "low": close, "close": close,
                          "volume": 0.0, "openinterest": 0.0}, index=index)
    if as_root:
        nxt = contract.next()
        frame["held"] = float(month_number(contract))
        frame["next_close"] = _asof(book, np.full(len(days), nxt.code), days)
        frame["next"] = float(month_number(nxt))
    valid = np.flatnonzero(np.isfinite(close) & (days <= last))
    if len(valid) == 0:
        return frame.iloc[0:0]
    return frame.iloc[valid[0]:valid[-1] + 1]


def close_frame(closes: pd.Series, index: pd.DatetimeIndex) -> pd.DataFrame:
    s = closes.dropna()
    v = s.reindex(index, method="ffill") if len(s) else pd.Series(np.nan, index=index)
    v = v[v.index >= s.index[0]] if len(s) else v.iloc[0:0]
    traded = v.index.isin(s.index).astype(float)
    return pd.DataFrame({"open": v, "high": v, "low": v, "close": v, "volume": 0.0, "openinterest": 0.0,
                         "traded": traded}, index=v.index)


def make_feeds(market, book: FuturesPriceBook, roots=(), symbols=(), start=None, end=None,
               roll_rule: RollRule | None = None) -> dict[str, bt.feeds.PandasData]:
    """RootFeeds for ``roots`` and CloseFeeds for ``symbols`` on one common date index.

    Returns ``{name: feed}`` in the order roots then symbols; add them with
    ``for name, feed in feeds.items(): cerebro.adddata(feed, name=name)``.
    """
    specs = [(spec(r).root, spec(r).root, "root") for r in roots] + [(s.upper(), s.upper(), "symbol") for s in symbols]
    return build_feeds(market, book, specs, start, end, roll_rule)


def build_feeds(market, book: FuturesPriceBook, specs, start=None, end=None, roll_rule: RollRule | None = None,
                from_launch: bool = False) -> dict[str, bt.feeds.PandasData]:
    """One feed per ``(name, instrument, kind)`` of ``specs``, in that order, on one common date
    index (the union of the days of every instrument within ``start``..``end``; without ``end``,
    up to the last day every instrument has data).

    ``kind`` is "root" (a :class:`RootFeed` of ``instrument`` under ``roll_rule``; starting at the
    product's launch with ``from_launch``), "contract" (a :class:`ContractFeed` of the contract
    code, or a fixed-contract RootFeed when named for its root) or "symbol" (a :class:`CloseFeed`
    of ``market.closes[instrument]``).
    """
    rule = roll_rule or RollRule()
    specs = [(name, inst, kind) for name, inst, kind in specs]
    missing = [inst for _, inst, kind in specs if kind == "symbol" and inst not in market.closes.columns]
    if missing:
        raise KeyError(f"no closes for {', '.join(missing)} in {market.source or 'the market data'} "
                       f"(have: {', '.join(market.closes.columns)})")
    parts: list[pd.DatetimeIndex] = []
    lasts: list[pd.Timestamp] = []
    for _, inst, kind in specs:
        if kind == "root":
            days = [book.arrays(c)[0] for c in book.contracts(inst)]
            if not days:
                raise KeyError(f"the price book has no {inst} contracts")
            d = pd.DatetimeIndex(np.unique(np.concatenate(days)).astype("datetime64[ns]"))
        elif kind == "contract":
            if inst not in book:
                raise KeyError(f"the price book has no prices for {inst}")
            d = pd.DatetimeIndex(book.series(inst).index)
        else:
            d = pd.DatetimeIndex(market.closes[inst].dropna().index)
        parts.append(d)
        lasts.append(d.max())
    if not parts:
        return {}
    index = parts[0]
    for p in parts[1:]:
        index = index.union(p)
    lo = pd.Timestamp(as_date(start)) if start is not None else index[0]
    hi = pd.Timestamp(as_date(end)) if end is not None else min(lasts)
    index = index[(index >= lo) & (index <= hi)].sort_values()
    index = pd.DatetimeIndex(index.astype("datetime64[ns]"), name="date")
    feeds: dict[str, bt.feeds.PandasData] = {}
    for name, inst, kind in specs:
        if kind == "root":
            launched = spec(inst).launched if from_launch else None
            feeds[name] = RootFeed(dataname=root_frame(book, inst, index, rule, launched), name=name)
        elif kind == "contract":
            as_root = name != inst
            frame = contract_frame(book, inst, index, as_root=as_root)
            feeds[name] = (RootFeed if as_root else ContractFeed)(dataname=frame, name=name)
        else:
            feeds[name] = CloseFeed(dataname=close_frame(market.closes[inst], index), name=name)
    return feeds
