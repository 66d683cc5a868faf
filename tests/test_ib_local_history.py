"""Paper feeds seed their history from the data folder and top up from IB: the local days
before IB's first bar, IB's from there on, and a named error when the two disagree."""

import dataclasses
import datetime as dt
import re

import pandas as pd
import pytest

from ecore.brokers.ib.local_history import TOLERANCE, HistoryGap, HistoryMismatch, LocalHistory
from ecore.data.market import load_market

TODAY = dt.date(2024, 3, 15)


@pytest.fixture(scope="module")
def local():
    return LocalHistory(load_market(), TODAY)


def ivv_rows(local, days, shift=1.0):
    s = local.closes("IVV").iloc[-days:]
    return [(d.date(), v * shift, v * shift, v * shift, v * shift, 100) for d, v in s.items()]


def test_local_days_come_before_ibs_first_bar_and_ibs_bars_are_kept(local):
    ib = ivv_rows(local, 20)
    rows = local.seed("IVV", ib, 300)
    assert len(rows) == 300
    assert rows[-20:] == ib  # IB's bars as IB sent them
    assert rows[-21][0] < ib[0][0]  # then the folder's, before IB's first day
    assert rows[-1][0] == TODAY


def test_a_contract_ib_no_longer_lists_has_its_settlements_from_the_price_book(local):
    expired = local.closes("ZNH23")  # expired a year before TODAY
    # its whole life (listed mid-2022) up to its last trading day, 2023-03-22
    assert expired.index[0].date() < dt.date(2022, 9, 1)
    assert expired.index[-1].date() == dt.date(2023, 3, 22)


def test_ib_and_local_closes_apart_by_more_than_the_tolerance_is_a_named_error(local):
    ib = ivv_rows(local, 20, shift=1 + 2 * TOLERANCE)
    with pytest.raises(HistoryMismatch, match=r"IVV: IB's close [0-9.]+ on 2024-03-\d\d and the local data's [0-9.]+ differ by more than 1%"):
        local.seed("IVV", ib, 300)


def test_within_the_tolerance_the_histories_join(local):
    ib = ivv_rows(local, 20, shift=1 + TOLERANCE / 2)
    assert len(local.seed("IVV", ib, 300)) == 300


def test_seeding_is_on_by_default_and_seed_history_false_turns_it_off(tmp_path):
    from ecore.engine.paper.config import PaperConfig, load_config

    assert PaperConfig(strategy="EfficientCore").seed_history is True
    path = tmp_path / "p.toml"
    path.write_text('strategy = "EfficientCore"\n')
    assert load_config(path).seed_history is True
    path.write_text('strategy = "EfficientCore"\n[schedule]\nseed_history = false\n')
    assert load_config(path).seed_history is False
    path.write_text('strategy = "EfficientCore"\n[schedule]\nseed_history = "yes"\n')
    with pytest.raises(ValueError, match="schedule.seed_history: 'yes' must be true or false"):
        load_config(path)


def stale(local, last_day):
    """``local``'s history with the data folder's closes ending on ``last_day``."""
    market = dataclasses.replace(local.market,
                                 closes=local.market.closes.loc[:pd.Timestamp(last_day)])
    return LocalHistory(market, TODAY)


def test_a_folder_ending_before_ibs_first_bar_with_trading_days_between_is_a_named_gap(local):
    ib = ivv_rows(local, 20)  # 2024-02-16 (Presidents' Day 02-19 closed) to 2024-03-15
    assert ib[0][0] == dt.date(2024, 2, 16)
    # February 1, 2, 5-9, 12-15: 11 NYSE days in neither history
    with pytest.raises(HistoryGap, match=re.escape(
            "IVV: the local data's daily bars end 2024-01-31 and IB's begin 2024-02-16; the 11 "
            "trading day(s) between are in neither, so the history would have a hole: run "
            "`ecore data download --out DIR` and set `data = \"DIR\"` in the config")):
        stale(local, dt.date(2024, 1, 31)).seed("IVV", ib, 300)


def test_no_gap_matters_when_ibs_bars_alone_are_as_many_as_asked_for(local):
    ib = ivv_rows(local, 20)
    assert stale(local, dt.date(2024, 1, 31)).seed("IVV", ib, 20) == ib


def test_days_the_stock_market_is_shut_between_the_folder_and_ib_are_no_gap(local):
    # Good Friday 2023-04-07: NYSE shut (the bond market and CBOT open): no share bar is missing
    ib = [row for row in ivv_rows(local, 260) if row[0] >= dt.date(2023, 4, 10)]
    rows = stale(local, dt.date(2023, 4, 6)).seed("IVV", ib, 300)
    assert len(rows) == 300
    assert [r[0] for r in rows[-len(ib) - 1:-len(ib) + 1]] == [dt.date(2023, 4, 6),
                                                                dt.date(2023, 4, 10)]


def test_without_ibs_bars_the_folders_are_not_a_history(local):
    # IB's refusal or silence is the feed's to report, never covered by local bars
    assert local.seed("IVV", [], 300) == []


def test_a_window_opening_on_a_day_an_instruments_market_is_shut_carries_its_last_bar():
    from ecore.brokers.ib.local_history import from_first_day

    good_friday = dt.date(2023, 4, 7)
    ivv = [dt.date(2023, 4, 5), dt.date(2023, 4, 6), dt.date(2023, 4, 10)]
    zn = [dt.date(2023, 4, 6), dt.date(2023, 4, 7), dt.date(2023, 4, 10)]
    same = lambda d: d  # noqa: E731
    # the stock market shut: the Thursday's bar opens the window, as in a backtest
    assert from_first_day(ivv, good_friday, same) == ivv[1:]
    # the bond market open: nothing before the first day
    assert from_first_day(zn, good_friday, same) == zn[1:]
    # the window opens on the last day, before a share has traded in it
    assert from_first_day(ivv[:2], good_friday, same) == [dt.date(2023, 4, 6)]
