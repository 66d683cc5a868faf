"""History from the local data folder for the paper feeds, topped up by IB's bars.

IB serves no daily bars of a futures contract it no longer lists, so a root feed's history on
a paper account reaches back only to about the last expiry, and a strategy with a 252-day
lookback could not run with its backtested parameters.  :class:`LocalHistory` gives the feeds
the data folder's bars (bundled set or ``data``): shares' closes, and futures settlements from
the price book a backtest of that folder uses (the synthetic model, the folder's real
settlements over it).  A feed takes the local bars for the days before IB's first bar and IB's
bars from there on.

Where both have a bar, they must agree: the last ``OVERLAP_DAYS`` days of the overlap are
compared and a close more than ``TOLERANCE`` (relative: 1%) apart raises
:class:`HistoryMismatch` naming the instrument, the day and both closes.  1% because local share
closes are dividend-adjusted (IB's TRADES bars are not: an ETF's quarterly dividend is under 1%
of its price, and the recent days compared lie mostly after the last one) and the synthetic
futures model is within a few ticks of real settlements; a wrong symbol, a roll on a different
contract or a stale data folder is further apart.

The local days are needed only when IB sends fewer bars than asked for.  Then they must reach
IB's first bar: a trading day between the folder's last bar and IB's first (a data folder older
than IB's history reaches back) would be a hole in the history, and raises :class:`HistoryGap`
naming the instrument, both days and the fix.  Trading days are the instrument's market's:
NYSE's for a share (``data/stock_calendar.py``), the Treasury futures calendar for a futures
contract (``data/calendar.py``: the days both CBOT and the cash market are open, the days a
settlement exists for).
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd

from ...data.contracts import SPECS, Contract, ContractError, spec
from .errors import DataFailure

log = logging.getLogger(__name__)

TOLERANCE = 0.01
OVERLAP_DAYS = 5
HISTORY_MARGIN = dt.timedelta(days=800)  # calendar days of price book: 500+ trading days


class HistoryMismatch(DataFailure):
    """IB's daily bars and the local data folder's disagree beyond the stated tolerance."""


class HistoryGap(DataFailure):
    """The data folder's bars end before IB's first one with trading days missing between."""


def trading_calendar(instrument: str):
    """The calendar whose days ``instrument`` (a ticker, a futures code or root) has a daily
    bar on: the Treasury futures calendar for futures, NYSE's for shares."""
    from ...data.calendar import treasury_calendar
    from ...data.stock_calendar import stock_calendar

    try:
        Contract.parse(instrument)
        return treasury_calendar()
    except (ContractError, ValueError):
        pass
    try:
        spec(instrument)
        return treasury_calendar()
    except ContractError:
        return stock_calendar()


def refresh_hint(data_dir=None) -> str:
    """How to bring the data folder ``data_dir`` (None: the bundled set) up to date."""
    if data_dir:
        return f"run `ecore data download --out {data_dir}`"
    return 'run `ecore data download --out DIR` and set `data = "DIR"` in the config'


def check_no_gap(instrument: str, last_local: dt.date, first_ib: dt.date, source: str,
                 fix: str = refresh_hint()) -> None:
    """Raise ``HistoryGap`` when trading days of ``instrument`` lie strictly between the data
    folder's last bar ``last_local`` and IB's first bar ``first_ib``; ``fix`` says how to
    refresh the folder (``refresh_hint``)."""
    if first_ib <= last_local + dt.timedelta(days=1):
        return
    missing = trading_calendar(instrument).business_days_between(
        last_local + dt.timedelta(days=1), first_ib - dt.timedelta(days=1))
    if missing:
        raise HistoryGap(
            f"{instrument}: {source}'s daily bars end {last_local} and IB's begin {first_ib}; "
            f"the {len(missing)} trading day(s) between are in neither, so the history would "
            f"have a hole: {fix}")


def from_first_day(rows: list, first: dt.date, day_of) -> list:
    """The ``rows`` (sorted by ``day_of(row)``, a date) of a window starting on ``first``: those
    from ``first`` on, and when none is dated ``first`` (the instrument's market was shut that
    day: Good Friday for a share) the last one before it too, as a backtest starting on
    ``first`` carries that bar into its first day."""
    kept = [r for r in rows if day_of(r) >= first]
    if kept and day_of(kept[0]) == first:
        return kept
    return [r for r in rows if day_of(r) < first][-1:] + kept


class LocalHistory:
    """Daily bars of the data folder's ``market`` (``ecore.data.market.MarketData``) up to
    ``today``; futures from a price book built per root on first use.  ``first_day``: no bar
    before it, IB's included (a replay's window start: the paper strategy warms up exactly as
    a backtest starting that day)."""

    def __init__(self, market, today: dt.date, source: str = "the local data",
                 first_day: dt.date | None = None, data_dir=None):
        self.market = market
        self.refresh = refresh_hint(data_dir)  # how to bring the folder up to date
        self.today = today
        self.first_day = first_day
        self.source = source
        self._books: dict[str, object] = {}

    def closes(self, instrument: str) -> pd.Series:
        """Closes (dollars, or points for a futures code) by day, up to ``today``; empty when
        the folder has none."""
        try:
            c = Contract.parse(instrument)
        except (ContractError, ValueError):
            c = None
        if c is None:
            if instrument not in self.market.closes.columns:
                return pd.Series(dtype=float)
            s = self.market.closes[instrument].dropna()
        else:
            s = self._book(c.root).series(c.code)
        s = s[s.index <= pd.Timestamp(self.today)]
        if self.first_day is not None:
            days = [d.date() for d in s.index]
            s = s.iloc[len(days) - len(from_first_day(days, self.first_day, lambda d: d)):]
        return s

    def _book(self, root: str):
        from ...data.synthetic_futures import build_price_book

        if "*" not in self._books:
            self._books["*"] = None  # tried once
            # every root in one build: a quarter of the time of one build per root (0.22 s
            # against 1.0 s for the six ladder roots), and a ladder strategy reads them all
            try:
                book = build_price_book(self.market, roots=list(SPECS),
                                        start=self.today - HISTORY_MARGIN, end=self.today)
                self._books.update(dict.fromkeys(SPECS, book))
            except (KeyError, ValueError) as exc:  # a folder missing a root's yields
                log.info("price book of all roots not built (%s); building per root", exc)
        root = spec(root).root
        if root not in self._books:
            self._books[root] = build_price_book(self.market, roots=[root],
                                                 start=self.today - HISTORY_MARGIN,
                                                 end=self.today)
        return self._books[root]

    def seed(self, instrument: str, ib_rows: list, count: int) -> list:
        """IB's rows ``(day, open, high, low, close, volume)`` with the local days before the
        first of them prepended, ``count`` rows in all at most; raises ``HistoryMismatch``
        when the two disagree on the overlap, and ``HistoryGap`` when local days are needed
        (IB sent fewer than ``count``) and trading days lie between the last of them and IB's
        first.  No IB rows: none (IB's refusal or silence is the feed's to report, never
        covered by local bars); no local bars: IB's rows as they are."""
        if self.first_day is not None:
            ib_rows = from_first_day(ib_rows, self.first_day, lambda row: row[0])
        if not ib_rows:
            return []
        local = self.closes(instrument)
        if local.empty:
            return ib_rows
        by_day = {d.date(): float(v) for d, v in local.items()}
        overlap = [(row[0], row[4]) for row in ib_rows if row[0] in by_day][-OVERLAP_DAYS:]
        for day, ib_close in overlap:
            mine = by_day[day]
            if abs(ib_close - mine) > TOLERANCE * abs(mine):
                raise HistoryMismatch(
                    f"{instrument}: IB's close {ib_close:g} on {day} and {self.source}'s "
                    f"{mine:g} differ by more than {TOLERANCE:.0%}; check the data folder "
                    "(ecore data download) or the instrument")
        if count and len(ib_rows) >= count:
            return list(ib_rows[-count:])  # IB alone reaches back far enough
        first = ib_rows[0][0]
        older = [(d, v, v, v, v, 0.0) for d, v in by_day.items() if d < first]
        if older:
            check_no_gap(instrument, older[-1][0], first, self.source, self.refresh)
        rows = older + list(ib_rows)
        return rows[-count:] if count else rows
