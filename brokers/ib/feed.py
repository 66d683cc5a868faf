"""``IBDailyFeed``: a live daily-bar backtrader feed for one instrument, from IB.

On start it asks IB for the last ``history_days`` daily bars (``reqHistoricalData``, 1 day,
TRADES, regular hours) and replays them: all but the newest with status DELAYED (warm-up; the
broker sends no order on them), the newest with status LIVE (the bar the strategy decides on).
Then:

* ``once=True``: it ends as soon as ``should_stop()`` says the run is over (the broker is idle,
  i.e. the day's orders are filled, rejected or cancelled), or after ``once_timeout`` seconds;
* ``once=False``: every day at ``schedule`` (a ``datetime.time`` in ``timezone``) it asks IB for
  the last few bars again and delivers any newer than the last one, as LIVE bars; between
  checks it keeps the IB connection serviced so fills and notifications flow.

Prices are IB's decimals (points for futures, dollars for shares).

Data failures are loud: an error on the history request (162 no market-data permission, 10197
competing session...), no answer within the request time-out, no bars, fewer than half the days
asked for, or a newest bar older than the last closed session (``sessions.py``)
raise ``DataFailure`` naming the instrument and IB's code and text.  With ``local_history``
(``local_history.py``: the paper default) the days before IB's first bar come from the data
folder, checked against IB's (``HistoryMismatch``, ``HistoryGap``), and the half-the-days rule
applies to the history they make together.  At start-up that stops the
run; in long-running mode a failed daily check is retried every ``retry_interval`` seconds
instead of skipping the day.  A request IB throttles (162 pacing) or leaves unanswered is asked
again first, with a doubling back-off (``history_retries``, ``history_backoff``).

A bar of a session that has not closed (IB sends today's bar so far during the session) is
never used: a run started before the close decides on the last closed session's bar and says
so (``session.notices``); in long-running mode a check before the close waits for it.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import logging
import time
from zoneinfo import ZoneInfo

import backtrader as bt

from .errors import DataFailure, RequestFailed, describe
from .session import IBSession
from .sessions import last_closed_session, session_close

log = logging.getLogger(__name__)

NEW_YORK = ZoneInfo("America/New_York")
def last_completed_session(now: dt.datetime) -> dt.date:
    """The latest day whose futures and share sessions had both closed at ``now`` (aware):
    the bar day a run started at ``now`` decides on (``sessions.py``)."""
    return min(last_closed_session("FUT", now), last_closed_session("STK", now))


def next_run(now: dt.datetime, at: dt.time) -> dt.datetime:
    """The first weekday ``at`` o'clock strictly after ``now`` (same time zone as ``now``)."""
    candidate = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if candidate <= now:
        candidate += dt.timedelta(days=1)
    while candidate.weekday() >= 5:
        candidate += dt.timedelta(days=1)
    return candidate


class IBDailyFeed(bt.feed.DataBase):
    """Daily bars of ``instrument`` (a futures code or a ticker) from an ``IBSession``."""

    params = (
        ("session", None),
        ("instrument", ""),
        ("history_days", 30),
        ("once", True),
        ("once_timeout", 60.0),  # seconds to wait for the day's orders in --once mode
        ("should_stop", None),  # callable -> bool
        ("schedule", dt.time(17, 0)),  # after CBOT's settlement and the stock close
        ("timezone", "America/New_York"),
        ("poll", 0.02),  # seconds between checks while waiting
        ("clock", None),  # callable(tz) -> aware datetime; default: the wall clock
        ("retry_interval", 300.0),  # seconds between retries of a failed daily check
        ("history_retries", 3),  # a throttled (162 pacing) or unanswered history request
        ("history_backoff", 15.0),  # seconds before asking again, doubled each time
        ("local_history", None),  # LocalHistory: the data folder's bars before IB's first
    )

    def __init__(self):
        if not isinstance(self.p.session, IBSession):
            raise ValueError("session: an IBSession is required")
        if not self.p.instrument:
            raise ValueError("instrument: a futures code or ticker is required")
        self._queue: collections.deque = collections.deque()
        self._last_day: dt.date | None = None
        self._backfilled_at: float | None = None
        self._next_check: dt.datetime | None = None
        self._retry_at = 0.0
        self._unfinished_close: dt.datetime | None = None  # close of a session still open

    def islive(self):
        return True

    def haslivedata(self):
        return bool(self._queue)

    def start(self):
        super().start()
        self.p.session.ensure_connected()
        bars = self._fetch(f"{int(self.p.history_days)} D")
        if self.p.local_history is not None and self.p.local_history.first_day is None:
            # (a rehearsal's --history-from cuts the history on purpose: it warms up as the
            # backtest of its window does)
            self._check_length(bars)
        self._queue.extend(bars)
        self.put_notification(self.DELAYED)
        self._next_check = next_run(self._now(), self.p.schedule)

    def _check_length(self, bars: list) -> None:
        """A seeded history (IB's bars and the data folder's) of fewer than half the
        ``history_days`` asked for is not usable, as IB's alone is not (``_daily_bars``); one
        shorter than asked is said (``session.notices``)."""
        asked = int(self.p.history_days)
        source = self.p.local_history.source
        if len(bars) < max(1, asked // 2) and asked > 5:
            raise DataFailure(
                f"{self.p.instrument}: {len(bars)} daily bars of the {asked} asked for "
                f"(history_days), IB's and {source}'s together; fewer than half, so the "
                f"history is not usable: give the data folder {self.p.instrument}'s closes "
                f"({self.p.local_history.refresh}) or ask for fewer history_days")
        if len(bars) < asked:
            note = (f"{self.p.instrument}: {len(bars)} daily bars of the {asked} asked for "
                    f"(history_days), IB's and {source}'s together")
            if note not in self.p.session.notices:
                self.p.session.notices.append(note)
                log.warning(note)

    def _now(self) -> dt.datetime:
        tz = ZoneInfo(self.p.timezone)
        return self.p.clock(tz) if self.p.clock is not None else dt.datetime.now(tz)

    def _fetch(self, duration: str) -> list:
        """Rows ``(day, open, high, low, close, volume)`` newer than the last delivered bar."""
        return [bar for bar in self._daily_bars(self.p.instrument, duration)
                if self._last_day is None or bar[0] > self._last_day]

    def _daily_bars(self, instrument: str, duration: str, required=True) -> list:
        """IB's daily bars of ``instrument`` over ``duration`` (e.g. "30 D"), oldest first, as
        ``(day, open, high, low, close, volume)``, of closed sessions only (``sessions.py``:
        today's bar so far is left out, and said); the contract is qualified on first use.

        A request IB throttles (162 pacing violation) or leaves unanswered is asked again up to
        ``history_retries`` times, after ``history_backoff`` seconds, doubled each time (IB's
        pacing rules: no identical request within 15 s).  Raises ``DataFailure`` when IB still
        answers with an error or not at all, or (``required`` True) sends no bars, fewer than
        half the days asked for, or none for the last closed session; ``required="answer"``
        asks only for an answer with bars (the contract a roll buys, a contract held)."""
        retries = max(0, int(self.p.history_retries)) if required else 0
        for attempt in range(retries + 1):
            try:
                return self._daily_bars_once(instrument, duration, required)
            except DataFailure as exc:
                if not getattr(exc, "retry", False) or attempt == retries:
                    raise
                wait = float(self.p.history_backoff) * 2 ** attempt
                log.warning("%s; asking again in %g s (%d of %d)", exc, wait, attempt + 1,
                            retries)
                self.p.session.pump(wait)
        raise AssertionError("unreachable")

    def _daily_bars_once(self, instrument: str, duration: str, required) -> list:
        session = self.p.session
        for attempt in (1, 2):
            try:
                contract = session.qualify(instrument)
                session.contract_errors.pop(contract.conId, None)
                started = time.monotonic()
                bars = session.ib.reqHistoricalData(
                    contract, endDateTime="", durationStr=duration, barSizeSetting="1 day",
                    whatToShow="TRADES", useRTH=True, formatDate=1,
                    timeout=session.request_timeout)
                break
            except (asyncio.TimeoutError, TimeoutError):  # the library's own request time-out
                bars = []
                break
            except ConnectionError:
                if attempt == 2:
                    raise
                # the socket closed under the request: reconnect (a complete picture again)
                # and ask once more
                session.ensure_connected()
        out = []
        for bar in bars or []:
            day = bar.date if isinstance(bar.date, dt.date) else dt.date.fromisoformat(str(bar.date)[:10])
            if isinstance(day, dt.datetime):
                day = day.date()
            out.append((day, bar.open, bar.high, bar.low, bar.close, bar.volume))
        error = session.contract_errors.get(contract.conId)
        if not out and error is not None:
            failure = DataFailure(f"{instrument}: daily bars refused: {describe(*error)}")
            failure.retry = error[0] == 162 and "pacing" in error[1].lower()
            raise failure
        if not out and time.monotonic() - started >= 0.9 * session.request_timeout:
            failure = DataFailure(f"{instrument}: IB did not answer the daily-bar request "
                                  f"within {session.request_timeout:g} s")
            failure.retry = True
            raise failure
        out = self._closed_only(instrument, contract.secType, out)
        if self.p.local_history is not None and duration.endswith(" D"):
            # the data folder's days before IB's first closed session's bar (checked against
            # IB's on the overlap), so that the closed sessions make up the days asked for
            out = self.p.local_history.seed(instrument, out, int(duration.split()[0]))
        if not required:
            return out
        if not out:
            raise DataFailure(f"{instrument}: IB returned no daily bars for the last {duration}")
        if required == "answer":
            return out
        asked = int(duration.split()[0])
        # with seeding the whole history is checked once built (start: _check_length)
        if len(out) < max(1, asked // 2) and asked > 5 and self.p.local_history is None:
            raise DataFailure(f"{instrument}: IB returned {len(out)} daily bars for the last "
                              f"{duration}; fewer than half, so the history is not usable")
        done = last_closed_session(contract.secType, self._now())
        if out[-1][0] < done:
            raise DataFailure(f"{instrument}: IB's newest daily bar is {out[-1][0]}, older than "
                              f"the last completed session {done}")
        return out

    def _closed_only(self, instrument: str, sec_type: str, out: list) -> list:
        """``out`` without the bars of sessions that have not closed (today's bar so far),
        saying so once per run: the decision is on the last closed session's bar, and a
        long-running run checks again when today's session closes."""
        now = self._now()
        closed = last_closed_session(sec_type, now)
        kept = [bar for bar in out if bar[0] <= closed]
        if len(kept) < len(out):
            day = out[-1][0]
            close = session_close(sec_type, day)
            self._unfinished_close = close
            local = close.astimezone(now.tzinfo) if close is not None else None
            note = (f"{instrument}: the {day} session has not closed (it closes "
                    f"{local:%H:%M %Z}); its bar so far is not used, decided on {closed}'s "
                    "closed session") if local is not None else \
                (f"{instrument}: IB's bar of {day} is of a session that has not closed; not used")
            notes = self.p.session.notices
            if note not in notes:
                notes.append(note)
                log.warning(note)
        return kept

    def _set_lines(self, row) -> None:
        """Write one queued row into the lines (subclasses with more lines extend this)."""
        day, o, h, lo, c, v = row[:6]
        self.lines.datetime[0] = bt.date2num(dt.datetime.combine(day, dt.time(0)))
        self.lines.open[0], self.lines.high[0] = o, h
        self.lines.low[0], self.lines.close[0] = lo, c
        self.lines.volume[0], self.lines.openinterest[0] = v, 0.0

    def _load(self):
        if self._queue:
            row = self._queue.popleft()
            if not self._queue and self._laststatus != self.LIVE:
                self.put_notification(self.LIVE)
            self._last_day = row[0]
            self._set_lines(row)
            return True
        if self._backfilled_at is None:
            self._backfilled_at = time.monotonic()
        if self.p.should_stop is not None and self.p.should_stop():
            return False
        if self.p.once:
            if time.monotonic() - self._backfilled_at > self.p.once_timeout:
                # said once a run, not once a feed (the summary lists the working orders)
                session = self.p.session
                if not session.said_still_working:
                    session.said_still_working = True
                    log.warning("orders still working after %.0f s; stopping (they stay at IB: "
                                "the summary lists them)", self.p.once_timeout)
                return False
        else:
            now = self._now()
            if now >= self._next_check and time.monotonic() >= self._retry_at:
                try:
                    self.p.session.ensure_connected()
                    self._unfinished_close = None
                    self._queue.extend(self._fetch("5 D"))
                    self._next_check = next_run(now, self.p.schedule)
                    if not self._queue and self._unfinished_close is not None:
                        # checked before the close: wait for it rather than skip the day
                        self._next_check = self._unfinished_close.astimezone(now.tzinfo) + \
                            dt.timedelta(minutes=5)
                except (ConnectionError, TimeoutError, DataFailure, RequestFailed) as exc:
                    # never skip the day: ask again after a pause
                    self._retry_at = time.monotonic() + self.p.retry_interval
                    log.error("%s: daily check failed (%s); retrying in %g s",
                              self.p.instrument, exc, self.p.retry_interval)
                if self._queue:
                    return self._load()
        self.p.session.pump(self.p.poll)
        return None
