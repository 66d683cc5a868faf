"""``IBRootFeed``: one live daily feed per Treasury futures root, as ``ecore.data.feeds.RootFeed``.

The feed is named by the root ("ZN") and carries, on each day, the contract held under a
:class:`~ecore.data.rolls.RollRule`: lines ``close`` (and ``open``/``high``/``low``/
``volume``) from IB's daily bar of the held contract, ``held`` (its month as a number, 202506),
``next_close`` (the close of the contract it rolls into; its last earlier close when that
contract has no bar that day) and ``next`` (202509).  Strategies written against the backtest
feed read the same lines (``data.lines.next[0]``: ``data.next`` is backtrader's method).

On every read it asks IB for the daily bars of the contracts held and next on the feed's
"today" (the schedule clock's date), of every contract held on an earlier bar's day (after a
roll inside the history window) and of the root's contracts the account holds, and hands them
to the run's :class:`~ecore.data.paper_book.PaperPriceBook`, so the strategy prices every
contract it may trade at IB's settles.  Days whose held contract IB no longer lists (expired)
are left out of the warm-up history.
"""

from __future__ import annotations

import logging

import pandas as pd

from ...data.feeds import month_number
from ...data.contracts import Contract, spec
from ...data.rolls import RollRule
from .contracts import UnknownContract, futures_contract
from .errors import DataFailure
from .feed import IBDailyFeed
from .local_history import HistoryMismatch, check_no_gap

log = logging.getLogger(__name__)


class IBRootFeed(IBDailyFeed):
    """Daily bars of the contract held in ``instrument`` (a root, "ZN") under ``roll_rule``."""

    lines = ("held", "next_close", "next")
    params = (
        ("roll_rule", None),  # RollRule; default RollRule()
        ("price_book", None),  # PaperPriceBook receiving IB's settlements, or None
    )

    def __init__(self):
        super().__init__()
        self.root = spec(self.p.instrument).root
        if self.root != self.p.instrument:
            raise ValueError(f"instrument: {self.p.instrument!r} is not a futures root "
                             f"(did you mean {self.root!r}?)")
        self.rule = self.p.roll_rule or RollRule()

    def _fetch(self, duration: str) -> list:
        today = self._now().date()
        held_now = self.rule.held(self.root, today)
        required = {held_now, held_now.next()}
        held_by_account = {c for c in map(futures_contract, self.p.session.positions())
                           if c is not None and c.root == self.root}
        bars: dict[Contract, dict] = {}
        for contract in sorted(required | held_by_account):
            # the held contract's bars are the day's decision: a full, fresh history; the
            # contract a roll buys and those the account holds price it: IB must answer with
            # bars (a refused or unanswered request stops the run, never a model price)
            bars[contract] = self._bars_by_day(
                contract, duration, required=True if contract == held_now else "answer")
        # A roll inside the history window: the bars before it belong to the earlier contract.
        while True:
            days = sorted({d for by_day in bars.values() for d in by_day})
            wanted = {c for d in days for c in (self.rule.held(self.root, d),
                                                self.rule.next(self.root, d))}
            missing = sorted(wanted - set(bars))
            if not missing:
                break
            for contract in missing:
                try:
                    bars[contract] = self._bars_by_day(contract, duration, required=False)
                except (UnknownContract, DataFailure) as exc:
                    if self.p.local_history is not None and not isinstance(exc, HistoryMismatch):
                        # IB no longer lists it: the data folder's settlements stand in
                        bars[contract] = self._local_bars(contract, duration)
                        continue
                    log.info("%s: %s; its days are left out of the warm-up history", self.root, exc)
                    bars[contract] = {}
        self._to_price_book(bars)
        rows = []
        for day in days:
            if self._last_day is not None and day <= self._last_day:
                continue
            held, nxt = self.rule.held(self.root, day), self.rule.next(self.root, day)
            bar = bars[held].get(day)
            if bar is None:
                continue
            earlier = [d for d in bars[nxt] if d <= day]
            next_close = bars[nxt][max(earlier)][3] if earlier else float("nan")
            rows.append((day, *bar, month_number(held), next_close, month_number(nxt)))
        if self._last_day is None and self.p.local_history is not None:
            self._check_continuous(rows, int(duration.split()[0]))
        return rows

    def _check_continuous(self, rows: list, asked: int) -> None:
        """The newest ``asked`` rows of a seeded history have no hole: a trading day between
        two of them (a data folder ending before IB's bars of the contracts still listed
        begin) raises ``HistoryGap``; a hole further back, before the days asked for, is
        harmless."""
        for i in range(len(rows) - 1, max(0, len(rows) - asked), -1):
            check_no_gap(self.root, rows[i - 1][0], rows[i][0], self.p.local_history.source,
                         self.p.local_history.refresh)

    def _bars_by_day(self, contract: Contract, duration: str, required) -> dict:
        """``{day: (open, high, low, close, volume)}`` of one contract from IB (``required``
        as in ``_daily_bars``); a contract that is not required and has no bars (the warm-up
        history's earlier contracts) is logged and left empty."""
        try:
            rows = self._daily_bars(contract.code, duration, required=required)
        except DataFailure as exc:
            if required:
                raise
            log.info("%s: %s", self.root, exc)
            rows = []
        return {day: (o, h, lo, c, v) for day, o, h, lo, c, v in rows}

    def _local_bars(self, contract: Contract, duration: str) -> dict:
        """``{day: (open, high, low, close, volume)}`` of ``contract`` from the data folder."""
        closes = self.p.local_history.closes(contract.code).iloc[-int(duration.split()[0]):]
        return {d.date(): (v, v, v, v, 0.0) for d, v in closes.items()}

    def _to_price_book(self, bars: dict) -> None:
        if self.p.price_book is None:
            return
        rows = [{"date": day, "contract": contract.code, "open": o, "high": h, "low": lo,
                 "settle": c, "volume": v}
                for contract, by_day in bars.items() for day, (o, h, lo, c, v) in by_day.items()]
        if rows:
            # IB's daily-bar close is taken as the day's settlement price.
            self.p.price_book.add_settlements(pd.DataFrame(rows))

    def _set_lines(self, row) -> None:
        super()._set_lines(row)
        held, next_close, nxt = row[6:9]
        self.lines.held[0] = held
        self.lines.next_close[0] = next_close
        self.lines.next[0] = nxt
