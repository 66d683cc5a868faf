"""Paper runs seed their history from the data folder by default, so a strategy runs with the
parameters it was backtested with; the run stops before trading (exit 2, one line, nothing sent)
when the folder's bars disagree with IB's, leave a hole before IB's first bar, or the two
together are too short a history."""

import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import backtrader as bt
import pandas as pd
import pytest

from ecore.brokers.ib.errors import DataFailure
from ecore.brokers.ib.local_history import HistoryGap, LocalHistory
from ecore.brokers.ib.simulator import FakeGateway
from ecore.data.contracts import Contract
from ecore.engine.cli.main import main
from ecore.engine.paper.config import load_config
from ecore.engine.paper.run import run_paper
from ecore.engine.paper.simulate import start_simulator
from ib_helpers import DAYS, run, write_target_config

DAY = dt.date(2024, 3, 15)
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def simulator():
    """The simulator on the bundled data on 2024-03-15 (dry runs only: its state never moves)."""
    gateway, _ = start_simulator(None, DAY, port=0)
    yield gateway
    gateway.stop()


def at(day):
    return lambda tz: dt.datetime.combine(day, dt.time(17), ZoneInfo("America/New_York")).astimezone(tz)


def trend_on_zn(gateway, tmp_path, **kw):
    """The TreasuryTrend paper example as written (lookback 252, history_days 300), on ZN."""
    config = load_config(EXAMPLES / "treasury_trend_paper.toml")
    return dataclasses.replace(config, instruments=("ZN",), port=gateway.port, client="ib_async",
                               journal=tmp_path / "j.sqlite", kill_file=tmp_path / "STOP",
                               request_timeout=5.0, **kw)


def test_the_trend_example_decides_with_its_backtested_lookback_on_the_folders_older_bars(
        simulator, tmp_path):
    config = trend_on_zn(simulator, tmp_path)
    assert config.seed_history and config.history_days == 300  # the example does not say
    result = run_paper(config, dry_run=True, clock=at(DAY))
    zn = result.strategy.datas[0]
    assert result.strategy.p.lookback == 252
    # IB lists ZNH24 (the oldest contract trading on 2024-03-15) from its listing day on: the
    # bars before it are the data folder's settlements of the contracts held then
    first = bt.num2date(zn.datetime.array[0]).date()
    assert first < Contract.parse("ZNH24").listing_day()
    assert len(zn) >= 253  # SumN(252) of daily returns: the strategy has decided
    assert [o.intent.instrument for o in result.broker.dry_run_orders] == ["ZNM24"]


def test_with_seeding_off_the_same_example_has_too_short_a_history(simulator, tmp_path):
    config = trend_on_zn(simulator, tmp_path, seed_history=False)
    with pytest.raises(DataFailure, match=r"ZNM24: IB returned \d+ daily bars for the last 300 D; "
                                          "fewer than half"):
        run_paper(config, dry_run=True, clock=at(DAY))


def test_a_hole_between_the_folders_bars_and_ibs_stops_a_root_feed(simulator, tmp_path,
                                                                    monkeypatch):
    # the data folder's settlements end 2023-06-30 (a stale folder's yields are refused before
    # connecting, freshness.py; this is the hole such a folder would leave)
    closes = LocalHistory.closes
    monkeypatch.setattr(LocalHistory, "closes",
                        lambda self, name: closes(self, name).loc[:pd.Timestamp("2023-06-30")])
    # the contracts held from July to 2023-11-21 (ZNU23, ZNZ23) IB no longer lists; ZNH24,
    # held from its roll day 2023-11-22, it does: the 102 weekdays of 2023-07-03..11-21 less
    # July 4, Labor Day and Columbus Day are 99 Treasury business days between
    with pytest.raises(HistoryGap, match=r"ZN: the bundled data's daily bars end 2023-06-30 and "
                                         r"IB's begin 2023-11-22; the 99 trading day\(s\) between "
                                         "are in neither"):
        run_paper(trend_on_zn(simulator, tmp_path), dry_run=True, clock=at(DAY))


def test_ib_closes_unlike_the_folders_stop_ecore_paper_with_one_line_and_nothing_sent(
        tmp_path, capsys):
    gateway = FakeGateway()
    # SPY at $100 in March 2025, when it traded near $560
    gateway.add_stock("SPY", price=100.0, bars=[(d, 100.0, 100.0, 100.0, 100.0, 1000) for d in DAYS])
    gateway.start()
    try:
        cfg = write_target_config(tmp_path, gateway.port, "ib_async", targets="{ SPY = 10 }",
                                  seed_history=True)
        cfg.write_text(cfg.read_text().replace('["SPY", "ZNM25"]', '["SPY"]'))
        status = main(["paper", "--config", str(cfg), "--once", "--at", "2025-03-13T17:00"])
    finally:
        gateway.stop()
    err = capsys.readouterr().err
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "SPY: IB's close 100 on 2025-03-10 and the bundled data's " in lines[0]
    assert "differ by more than 1%" in lines[0]
    assert gateway.placed == []


def test_an_instrument_neither_ib_nor_the_folder_reaches_back_for_is_too_short(tmp_path):
    gateway = FakeGateway()
    gateway.add_stock("XYZ", price=20.0, bars=[(d, 20.0, 20.0, 20.0, 20.0, 1000) for d in DAYS])
    gateway.start()
    try:
        with pytest.raises(DataFailure, match=r"XYZ: 4 daily bars of the 10 asked for \(history_days\), "
                                              "IB's and the bundled data's together; fewer than half"):
            run(gateway, "ib_async", tmp_path, ["XYZ"], {"XYZ": 1}, history_days=10,
                seed_history=True)
    finally:
        gateway.stop()
    assert gateway.placed == []


def test_a_history_shorter_than_asked_but_usable_is_said(tmp_path):
    gateway = FakeGateway()
    gateway.add_stock("XYZ", price=20.0, bars=[(d, 20.0, 20.0, 20.0, 20.0, 1000) for d in DAYS])
    gateway.start()
    try:
        result = run(gateway, "ib_async", tmp_path, ["XYZ"], {"XYZ": 1}, history_days=6,
                     seed_history=True)
    finally:
        gateway.stop()
    assert ("XYZ: 4 daily bars of the 6 asked for (history_days), IB's and the bundled data's "
            "together") in result.summary.notices
    assert [o.orderRef for o in gateway.placed] == ["ecore-20250313-XYZ-target-1"]
