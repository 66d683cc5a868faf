import datetime as dt

import pytest

from ecore.data.contracts import Contract
from ecore.data.rolls import RollRule


def test_default_roll_is_five_business_days_before_first_notice():
    # ZNH25 first notice Fri 2025-02-28; five business days earlier is Fri 2025-02-21.
    assert RollRule().roll_day(Contract.parse("ZNH25")) == dt.date(2025, 2, 21)


def test_roll_day_skips_holidays():
    # ZNM21: notice Fri 2021-05-28 (Memorial Day the 31st); 5 bd back is Fri 2021-05-21.
    assert RollRule().roll_day(Contract.parse("ZNM21")) == dt.date(2021, 5, 21)
    # ZNH24 notice Thu 2024-02-29; back 5: 22 (Thu) -- Presidents' Day 02-19 is earlier.
    assert RollRule().roll_day(Contract.parse("ZNH24")) == dt.date(2024, 2, 22)


def test_held_contract_switches_on_the_roll_day():
    rule = RollRule()
    assert rule.held("ZN", "2025-02-20") == Contract.parse("ZNH25")
    assert rule.held("ZN", "2025-02-21") == Contract.parse("ZNM25")
    assert rule.next("ZN", "2025-02-20") == Contract.parse("ZNM25")


def test_spread_roll_window_ends_on_the_roll_day():
    window = RollRule(offset=5, spread_days=3).roll_window(Contract.parse("ZNH25"))
    assert window == [dt.date(2025, 2, 19), dt.date(2025, 2, 20), dt.date(2025, 2, 21)]


@pytest.mark.parametrize("offset", [0, 1, -3, 2.5])
def test_roll_into_first_intention_day_is_refused(offset):
    with pytest.raises(ValueError, match="first intention"):
        RollRule(offset=offset)
