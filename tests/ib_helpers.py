"""Shared pieces of the Interactive Brokers tests: a small strategy and a runner."""

from __future__ import annotations

import datetime as dt
import functools
import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

import backtrader as bt
import pandas as pd
import pytest

from ecore.engine.paper.config import PaperConfig
from ecore.engine.paper.run import run_paper
from ecore.brokers.ib.simulator import FakeGateway

CLIENTS = ["ib_insync", "ib_async"]

# Daily bars ending on 2025-03-13: the live bar the strategies decide on.
DAYS = ["20250310", "20250311", "20250312", "20250313"]
LIVE_DAY = dt.date(2025, 3, 13)


def bars(close: float) -> list:
    return [(d, close, close + 0.5, close - 0.5, close, 1000) for d in DAYS]


def live_day_now() -> dt.date:
    """The day whose bar a run started now decides on (the last completed session)."""
    from ecore.brokers.ib.feed import last_completed_session

    return last_completed_session(dt.datetime.now(ZoneInfo("America/New_York")))


def bars_to_now(gateway) -> dt.date:
    """Move every instrument's bars to the four business days ending on ``live_day_now()``, for
    runs of the command line (which reads the wall clock); returns that day."""
    from ecore.data.calendar import treasury_calendar

    live = live_day_now()
    cal = treasury_calendar()
    days = [cal.add_business_days(live, -k).strftime("%Y%m%d") for k in range(3, -1, -1)]
    for inst in gateway.instruments.values():
        if inst.bars:
            inst.bars = [(d, *bar[1:]) for d, bar in zip(days, inst.bars[-4:])]
    return live


def zn_gateway(gateway):
    """The gateway's instruments for most tests: ZNH25, ZNM25 and SPY, with daily bars."""
    gateway.znh = gateway.add_future("ZN", "202503", "20250320", price=110.5, bars=bars(110.5))
    gateway.znm = gateway.add_future("ZN", "202506", "20250618", price=110.0, bars=bars(110.0))
    gateway.spy = gateway.add_stock("SPY", price=560.0, bars=bars(560.0))
    return gateway


@functools.lru_cache(maxsize=1)
def _bundled_history():
    """The bundled data's history up to ``LIVE_DAY`` (its price books built once per session)."""
    from ecore.brokers.ib.local_history import LocalHistory
    from ecore.data.market import load_market

    return LocalHistory(load_market(), LIVE_DAY)


def bundled_prices(gateway) -> dict:
    """Give every instrument of ``gateway`` the bundled data's closes on its bar days (futures:
    the synthetic model's settlements), as a seeded history checks IB's bars against them;
    returns ``{name: last close}``."""
    local = _bundled_history()
    last = {}
    for inst in gateway.instruments.values():
        if not inst.bars:
            continue
        name = inst.localSymbol
        if inst.secType == "FUT":  # "ZN   JUN 25" -> "ZNM25"
            month = dt.datetime.strptime(name[5:].title(), "%b %y")
            name = f"{inst.symbol}{'FGHJKMNQUVXZ'[month.month - 1]}{month:%y}"
        closes = local.closes(name)
        inst.bars = [(d, c, c + 0.5, c - 0.5, c, v) for (d, *_, v), c in
                     ((bar, round(float(closes[pd.Timestamp(bar[0])]), 4)) for bar in inst.bars)]
        inst.price = last[name] = inst.bars[-1][4]
    return last


@pytest.fixture
def gateway():
    """A started fake gateway holding ZNH25, ZNM25 and SPY (import this fixture to use it)."""
    gw = zn_gateway(FakeGateway())
    gw.start()
    yield gw
    gw.stop()
    assert gw.errors == [], "the fake gateway failed to handle a message"


class TargetPositions(bt.Strategy):
    """On the live bar, order each feed to its target size (``targets``: {feed name: size}).

    ``limit`` (optional) = {feed name: limit price}. Records every order notification.
    """

    params = (("targets", {}), ("limit", {}), ("intent", None))

    def __init__(self):
        self.notes = []  # (instrument, status name, executed size, info reason)
        self.live_bars = 0

    def notify_order(self, order):
        self.notes.append((order.data._name, order.getstatusname(), order.executed.size,
                           order.info.get("reason", "")))

    def next(self):
        if self.data._laststatus != self.data.LIVE:
            return
        self.live_bars += 1
        for d in self.datas:
            if d._name not in self.p.targets:
                continue
            kwargs = {}
            if self.p.intent:
                kwargs["intent"] = self.p.intent
            if d._name in self.p.limit:
                kwargs.update(exectype=bt.Order.Limit, price=self.p.limit[d._name])
            self.order_target_size(data=d, target=self.p.targets[d._name], **kwargs)


def clock_at(day: dt.date, at: dt.time = dt.time(17, 0)):
    """The schedule clock of a run at ``at`` (New York) on ``day``."""
    return lambda tz: dt.datetime.combine(day, at, tzinfo=ZoneInfo("America/New_York")).astimezone(tz)


def config(gateway, lib_name: str, tmp_path, instruments, targets, **kw) -> PaperConfig:
    params = {"targets": targets} if targets is not None else {}
    params.update(kw.pop("params", {}))
    kw.setdefault("request_timeout", 1.0)
    kw.setdefault("timeout", 2.0)
    kw.setdefault("history_days", len(DAYS))
    # zn_gateway's made-up prices (ZNM25 110, SPY 560) are not the bundled data's: IB's bars only
    kw.setdefault("seed_history", False)
    return PaperConfig(
        strategy=kw.pop("strategy", "ib_helpers.TargetPositions"), instruments=tuple(instruments),
        port=gateway.port, client_id=kw.pop("client_id", 7), client=lib_name,
        journal=tmp_path / "journal.sqlite", kill_file=tmp_path / "STOP",
        strategy_params=params, **kw)


def run(gateway, lib_name, tmp_path, instruments, targets, **kw):
    """One ``--once`` paper run against the fake gateway, at 17:00 New York on ``LIVE_DAY``
    unless ``clock`` says otherwise."""
    run_kw = {k: kw.pop(k) for k in ("dry_run", "kill_switch", "once_timeout", "once", "clock",
                                     "retry_rejected")
              if k in kw}
    run_kw.setdefault("once_timeout", 10.0)
    run_kw.setdefault("clock", clock_at(LIVE_DAY))
    return run_paper(config(gateway, lib_name, tmp_path, instruments, targets, **kw), **run_kw)


class RollSpread(bt.Strategy):
    """On the live bar, roll ``size`` contracts with one calendar-spread order (on the last feed)."""

    params = (("spread", ("ZNH25", "ZNM25")), ("size", 3), ("limit", None))

    def __init__(self):
        self.notes = []

    def notify_order(self, order):
        self.notes.append((order.data._name, order.getstatusname(), order.executed.size,
                           order.info.get("reason", "")))

    def next(self):
        if self.data._laststatus != self.data.LIVE:
            return
        kwargs = {}
        if self.p.limit is not None:
            kwargs.update(exectype=bt.Order.Limit, price=self.p.limit)
        self.buy(data=self.datas[-1], size=self.p.size,
                 spread=self.p.spread, **kwargs)


def write_target_config(tmp_path, port: int, lib_name: str, ib: str = "",
                        targets: str = "{ ZNM25 = 3, SPY = 200 }", schedule: str = "",
                        extra: str = "", seed_history: bool = False) -> Path:
    """``tmp_path/paper.toml``: TargetPositions on SPY and ZNM25 against the fake gateway at
    ``port`` with client id 9; ``ib`` and ``schedule`` are more lines of those tables, ``extra``
    more tables after them; ``seed_history`` False: zn_gateway's made-up prices (ZNM25 110,
    SPY 560) are not the bundled data's, so IB's bars only."""
    cfg = tmp_path / "paper.toml"
    cfg.write_text(textwrap.dedent(f"""
        [ib]
        port = {port}
        client_id = 9
        client = "{lib_name}"
        journal = "journal.sqlite"
        """) + textwrap.dedent(ib) + textwrap.dedent(f"""\
        [strategy]
        class = "ib_helpers.TargetPositions"
        instruments = ["SPY", "ZNM25"]
        params = {{ targets = {targets} }}
        [schedule]
        history_days = 4
        seed_history = {str(seed_history).lower()}
        """) + textwrap.dedent(schedule) + textwrap.dedent(extra))
    return cfg
