"""Paper feeds seed their history from the data folder and top up from IB: the local days
before IB's first bar, IB's from there on, and a named error when the two disagree."""

import datetime as dt

import pytest

from ecore.brokers.ib.local_history import TOLERANCE, HistoryMismatch, LocalHistory
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


def test_the_paper_config_turns_seeding_on(tmp_path):
    from ecore.engine.paper.config import load_config

    path = tmp_path / "p.toml"
    path.write_text('strategy = "EfficientCore"\n[schedule]\nseed_history = true\n')
    assert load_config(path).seed_history is True
    path.write_text('strategy = "EfficientCore"\n[schedule]\nseed_history = "yes"\n')
    with pytest.raises(ValueError, match="schedule.seed_history: 'yes' must be true or false"):
        load_config(path)
