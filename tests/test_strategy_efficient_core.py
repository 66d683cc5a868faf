"""EfficientCore on the bundled data: rolls, rebalancing rules and the ladder, checked by hand."""

import datetime as dt

import pandas as pd
import pytest

from ecore.data.contracts import Contract
from ecore.strategies.ladder import aggregate_index_duration
from ecore.data.rolls import RollRule
from ecore.engine.backtest.runner import BacktestConfig, run_backtest
from ecore.strategies.efficient_core import exceeds_band


@pytest.fixture(scope="module")
def spring_2021():
    """April-June 2021: the June contracts roll around Memorial Day (2021-05-31)."""
    return run_backtest(BacktestConfig(start=dt.date(2021, 4, 1), end=dt.date(2021, 6, 30), benchmark=False)).result


@pytest.fixture(scope="module")
def ntsx_window():
    """The NTSX validation window, 2018-08-02 to 2022-03-31."""
    return run_backtest(BacktestConfig(start=dt.date(2018, 8, 2), end=dt.date(2022, 3, 31), benchmark=False)).result


def test_every_leg_rolls_five_business_days_before_first_notice_with_a_holiday(spring_2021):
    # June 2021 contracts: first notice Fri 2021-05-28 (Memorial Day is Monday the 31st), so the
    # roll trades settle five business days earlier, Fri 2021-05-21.
    rolls = spring_2021.trades[spring_2021.trades["kind"] == "roll"]
    assert set(pd.to_datetime(rolls["date"]).dt.date) == {dt.date(2021, 5, 21)}
    for root in ("ZT", "ZF", "ZN", "TN", "ZB", "UB"):
        sold = rolls[(rolls["instrument"] == f"{root}M21") & (rolls["size"] < 0)]
        assert len(sold) == 1, root
    assert RollRule().roll_day(Contract.parse("ZNM21")) == dt.date(2021, 5, 21)


def test_new_contracts_are_bought_on_the_roll_day(spring_2021):
    t = spring_2021.trades
    bought = t[(pd.to_datetime(t["date"]).dt.date == dt.date(2021, 5, 21)) & (t["size"] > 0)]
    assert {i[:-3] for i in bought["instrument"]} <= {"ZT", "ZF", "ZN", "TN", "ZB", "UB"}
    assert all(i.endswith("U21") for i in bought["instrument"])


def test_no_contract_is_held_into_first_intention_day(ntsx_window):
    held = ntsx_window.trades.groupby("instrument")["date"].max()
    for code, last_trade in held.items():
        if code[-3] in "HMUZ" and code[:-3] in ("ZT", "ZF", "ZN", "TN", "ZB", "UB"):
            assert pd.Timestamp(last_trade).date() < Contract.parse(code).first_intention_day()


def test_a_six_point_drift_triggers_a_rebalance_and_four_points_do_not():
    assert exceeds_band(0.96, 0.90, 0.05)
    assert exceeds_band(0.54, 0.60, 0.05)
    assert not exceeds_band(0.94, 0.90, 0.05)
    assert not exceeds_band(0.56, 0.60, 0.05)


def test_drift_rebalances_happen_when_the_weights_leave_the_band(ntsx_window):
    drift = ntsx_window.events[ntsx_window.events["detail"].str.contains("drifted", na=False)]
    assert len(drift) >= 1
    daily = ntsx_window.daily.set_index("date")
    for _, e in drift.iterrows():
        row = daily.loc[pd.Timestamp(e["date"])]
        assert abs(row["equity_weight"] - 0.90) > 0.05 or abs(row["futures_weight"] - 0.60) > 0.05


def test_bonds_first_trades_no_shares_when_futures_restore_the_targets(ntsx_window):
    futures_drift = ntsx_window.events[ntsx_window.events["detail"].str.startswith("futures weight", na=False)]
    assert len(futures_drift) >= 1
    trades = ntsx_window.trades
    share_days = set(pd.to_datetime(trades.loc[trades["instrument"] == "IVV", "date"]).dt.date)
    from ecore.data.calendar import treasury_calendar

    for day in pd.to_datetime(futures_drift["date"]).dt.date:
        assert treasury_calendar().next_business_day(day) not in share_days


def test_without_bonds_first_every_rebalance_trades_shares():
    r = run_backtest(BacktestConfig(start=dt.date(2021, 4, 1), end=dt.date(2021, 6, 30), benchmark=False,
                                    params={"bonds_first": False})).result
    share_trades = r.trades[r.trades["instrument"] == "IVV"]
    assert len(share_trades) >= 2  # the initial buy and the quarterly rebalance on the roll


def test_ladder_duration_is_within_a_quarter_year_of_the_aggregate_index(ntsx_window):
    daily = ntsx_window.daily.dropna(subset=["ladder_duration"]).set_index("date")
    rebalance_fills = pd.to_datetime(ntsx_window.trades.loc[ntsx_window.trades["kind"] == "rebalance", "date"]).unique()
    for day in rebalance_fills:
        got = daily.loc[day, "ladder_duration"]
        assert abs(got - aggregate_index_duration(day)) <= 0.25, (day, got)


def test_futures_notional_stays_near_sixty_percent(ntsx_window):
    w = ntsx_window.daily["futures_weight"].iloc[5:]
    # Within the 5-point band plus one day's move before the rebalance fills (2020-03-12, when
    # shares fell 9.5% in a day, touched 70.5%).
    assert w.between(0.50, 0.72).all()
    assert abs(w.mean() - 0.60) < 0.02


def test_equity_fund_is_a_parameter():
    r = run_backtest(BacktestConfig(start=dt.date(2021, 4, 1), end=dt.date(2021, 5, 1), benchmark=False,
                                    params={"equity": "EFA"})).result
    assert set(r.trades.loc[~r.trades["instrument"].str[-3:].str.match(r"[HMUZ]\d\d"), "instrument"]) == {"EFA"}


def test_a_roll_spread_over_three_days_moves_a_slice_each_day():
    r = run_backtest(BacktestConfig(start=dt.date(2021, 4, 1), end=dt.date(2021, 6, 30), benchmark=False,
                                    params={"roll_spread_days": 3})).result
    rolls = r.trades[(r.trades["kind"] == "roll") & (r.trades["instrument"] == "ZNM21")]
    # The three business days ending on the roll day, 2021-05-19, 20 and 21.
    assert sorted(pd.to_datetime(rolls["date"]).dt.date.unique()) == [
        dt.date(2021, 5, 19), dt.date(2021, 5, 20), dt.date(2021, 5, 21)]
    assert (rolls["size"] < 0).all()
    # Bought at the start, sold in three slices: nothing left in the June contract.
    assert r.trades.loc[r.trades["instrument"] == "ZNM21", "size"].sum() == 0


def test_ladder_duration_is_reported_on_days_the_treasury_market_is_shut(ntsx_window):
    # Columbus Day 2018-10-08: shares trade, Treasuries do not; the last durations stand.
    daily = ntsx_window.daily.set_index("date")
    assert daily.loc["2018-10-08", "ladder_duration"] == pytest.approx(daily.loc["2018-10-05", "ladder_duration"])
    assert (daily["ladder_duration"].iloc[1:] > 4).all()
