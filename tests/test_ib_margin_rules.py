"""Margin on the IB paper broker means what it means on the simulated broker: margin equity is
cash plus ``share_collateral`` of the shares (IB's own figure when stricter), and equity below
maintenance issues the call ``brokers/margin_calls.py`` issues."""

import datetime as dt

from ecore.brokers.ib.account import AccountState
from ecore.brokers.ib.margin_rules import margin_call_due, margin_equity
from ecore.data.calendar import treasury_calendar

# $10M account: $1M cash, $9M of shares; IB's equity for margin is its whole net liquidation.
STATE = AccountState(net_liquidation=10_000_000.0, cash=1_000_000.0,
                     excess_liquidity=9_900_000.0, initial_margin=120_000.0,
                     maintenance_margin=100_000.0)


def test_margin_equity_is_cash_when_shares_are_not_collateral():
    e = margin_equity(STATE, 0.0)
    assert (e.value, e.source) == (1_000_000.0, "ecore")


def test_share_collateral_counts_that_share_of_the_shares():
    assert margin_equity(STATE, 0.5).value == 1_000_000.0 + 0.5 * 9_000_000.0


def test_ibs_figure_wins_when_it_is_stricter_and_says_so():
    poor = AccountState(10_000_000.0, 1_000_000.0, 400_000.0, 120_000.0, 100_000.0)
    e = margin_equity(poor, 1.0)
    assert (e.value, e.source) == (500_000.0, "IB")
    assert "from IB" in e.describe()


def test_equity_below_maintenance_calls_for_the_amount_back_to_initial_due_next_day():
    call = margin_call_due(dt.date(2024, 3, 28), 90_000.0, STATE, treasury_calendar())
    assert call.amount == 120_000.0 - 90_000.0
    assert call.deadline == dt.date(2024, 4, 1)  # Good Friday 2024 is a bond holiday


def test_equity_at_maintenance_issues_no_call():
    assert margin_call_due(dt.date(2024, 3, 27), 100_000.0, STATE, treasury_calendar()) is None
