"""Contract facts that changed over time: last-trading-day rules and deliverable grades."""

import datetime as dt

import pandas as pd

from ecore.data.contracts import (LTD_LAST_BUSINESS_DAY, LTD_SEVENTH_BEFORE_LAST, LTD_TWO_YEAR_ISSUE,
                                  TWO_YEAR_NOTE_ISSUES, Contract, spec)

D = dt.date


def test_old_two_year_rule_stops_two_business_days_before_the_new_note_is_issued():
    # ZTH04: the 2-year note auctioned in March 2004 was issued on Wednesday 2004-03-31.
    c = Contract.parse("ZTH04")
    assert c.ltd_rule == LTD_TWO_YEAR_ISSUE
    assert c.last_trading_day() == D(2004, 3, 29)
    assert c.last_delivery_day() == D(2004, 4, 1)


def test_old_two_year_rule_counts_business_days_across_good_friday():
    # Issued Monday 2002-04-01; Good Friday 2002-03-29 was closed, so two business days before
    # is Wednesday the 27th, the day before March's last business day.
    assert Contract.parse("ZTH02").last_trading_day() == D(2002, 3, 27)


def test_old_two_year_rule_without_an_auction_falls_back_to_the_last_business_day():
    # No 2-year note was auctioned in March 1996 (debt-limit impasse).
    assert (1996, 3) not in TWO_YEAR_NOTE_ISSUES
    assert Contract.parse("ZTH96").last_trading_day() == D(1996, 3, 29)


def test_two_year_contracts_follow_todays_rule_from_june_2004():
    c = Contract.parse("ZTM04")
    assert c.ltd_rule == LTD_LAST_BUSINESS_DAY
    assert c.last_trading_day() == D(2004, 6, 30)
    assert c.last_delivery_day() == D(2004, 7, 6)  # 3rd business day after, over 5 July


def test_five_year_contracts_stopped_seven_business_days_before_month_end_until_december_2006():
    old = Contract.parse("ZFZ06")
    assert old.ltd_rule == LTD_SEVENTH_BEFORE_LAST
    assert old.last_trading_day() == D(2006, 12, 19)
    assert old.last_delivery_day() == D(2006, 12, 29)
    new = Contract.parse("ZFH07")
    assert new.last_trading_day() == D(2007, 3, 30)
    assert new.last_delivery_day() == D(2007, 4, 4)


def test_listing_day_follows_the_old_rule_of_the_contract_three_quarters_earlier():
    # ZFU07 lists the day after ZFZ06 stopped trading (2006-12-19).
    assert Contract.parse("ZFU07").listing_day() == D(2006, 12, 20)


def test_two_year_issue_days_are_those_of_the_treasury_auction_history(shared):
    a = pd.read_csv(shared / "data" / "treasuries" / "auctions.csv", encoding="utf-8-sig", usecols=range(7))
    a.columns = ["cusip", "type", "term", "auction", "issue", "maturity", "price"]
    a = a[(a["type"] == "Note") & (a["term"] == "2-Year")]
    auction, issue = pd.to_datetime(a["auction"]), pd.to_datetime(a["issue"])
    quarterly = auction.dt.month.isin([3, 6, 9, 12]) & (auction >= "1990-06-01") & (auction <= "2004-03-31")
    expected = {(d.year, d.month): i.date() for d, i in zip(auction[quarterly], issue[quarterly])}
    assert TWO_YEAR_NOTE_ISSUES == expected
    assert len(expected) == 55


def test_five_year_grade_caps_the_original_term_not_the_remaining_term():
    s = spec("ZF")
    assert s.deliverable_max_years is None
    g = s.grade(2026, 6)
    assert g.original_term_months == (0, 63)
    assert (g.min_months, g.max_months) == (50, None)


def test_ten_year_grade_is_notes_only_and_narrowed_to_eight_years_from_september_2023():
    s = spec("ZN")
    assert s.grade(2023, 6).kinds == ("Note",)
    assert s.grade(2023, 6).max_months == 120
    assert s.grade(2023, 9).max_months == 96


def test_bond_grade_gained_a_25_year_cap_in_march_2011_and_excluded_the_2031_bond_in_2015():
    s = spec("ZB")
    assert s.grade(2010, 12).max_months is None
    assert s.grade(2011, 3).max_months == 299  # "less than 25 years"
    (codes, cusip, source), = s.excluded
    assert codes == ("ZBM15", "ZBU15", "ZBZ15") and cusip == "912810FP8" and "SER-7191" in source
