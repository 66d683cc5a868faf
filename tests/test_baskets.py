"""Deliverable baskets from the real securities under the contract grades."""

import datetime as dt

import numpy as np

from ecore.data.baskets import basket, remaining_months
from ecore.data.bond_dates import to_days
from ecore.data.contracts import Contract
from ecore.data.market import bundled_securities

SEC = bundled_securities()


def cusips(code):
    return list(SEC.cusip[basket(SEC, Contract.parse(code))])


def test_remaining_term_counts_whole_months_from_the_first_day_of_the_delivery_month():
    c = Contract.parse("TWEM26")
    # 15 May 2046 is 19 years 11 months 14 days after 1 June 2026: 239 whole months
    assert remaining_months(to_days(["2046-05-15", "2046-06-01"]), c).tolist() == [239, 240]


def test_ten_year_basket_of_december_2018_holds_the_cme_example_cheapest():
    # CME, "Hedging Repo Exposure in the Treasury Basis" (2019): the 2-7/8s of July 2025 were
    # cheapest to deliver into ZNZ18 on 2018-09-28.
    b = cusips("ZNZ18")
    assert "912828Y79" in b
    assert "912828XZ8" in b  # 30 June 2025: 6y6m29d, counted as 6y6m, the shortest eligible
    assert all(k == "Note" for k in np.where(SEC.is_bond[basket(SEC, Contract.parse("ZNZ18"))], "Bond", "Note"))


def test_a_note_settling_on_the_last_delivery_day_is_not_deliverable():
    # CME SER-4819 (2009): into March 2009 ten-year futures the 7-year note settled on 2 March
    # 2009 is deliverable, the one settled on 31 March (the last delivery day) is not.
    b = cusips("ZNH09")
    assert "912828KS8" in b
    assert "912828KT6" not in b


def test_the_2031_bond_left_the_2015_bond_baskets_only():
    assert "912810FP8" in cusips("ZBH15")
    for code in ("ZBM15", "ZBU15", "ZBZ15"):
        assert "912810FP8" not in cusips(code)
    assert "912810FP8" not in cusips("ZBH16")  # by then under 15 years left


def test_ultra_ten_takes_original_issue_ten_year_notes_only():
    b = basket(SEC, Contract.parse("TNM26"))
    assert set(SEC.term_months[b]) <= {117, 118, 119, 120, 121}
    assert "91282CPJ4" in list(SEC.cusip[b])  # 10-year note of 15 Nov 2035


def test_bond_basket_has_no_upper_limit_before_march_2011():
    longest = SEC.maturity[basket(SEC, Contract.parse("ZBZ10"))].max()
    assert longest > to_days([dt.date(2040, 1, 1)])[0]
    capped = SEC.maturity[basket(SEC, Contract.parse("ZBH11"))].max()
    assert capped < to_days([dt.date(2036, 3, 1)])[0]


def test_a_seven_year_note_reissued_as_a_five_year_joins_the_five_year_basket_from_the_reissue():
    # 912828M80, a 7-year note of 30 Nov 2015, was auctioned again as the 5-year note of
    # November 2017 (same coupon and maturity): CBOT 21101.A adds it to grades capping the
    # original term from that issue day, 30 Nov 2017.
    from ecore.data.baskets import basket_with_dates

    idx, since = basket_with_dates(SEC, Contract.parse("ZFU18"))
    k = list(SEC.cusip[idx]).index("912828M80")
    assert since[k] == to_days(["2017-11-30"])[0]
    assert SEC.issue[idx[k]] == to_days(["2015-11-30"])[0]
    # and a 7-year note never reissued stays out
    assert "912828M56" not in cusips("ZFU18")
