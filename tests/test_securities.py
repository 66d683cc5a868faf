"""The note and bond table: TIPS and floaters left out, coupons inferred from the curve."""

import numpy as np
import pytest

from ecore.data.calendar import treasury_calendar
from ecore.data.curve import ParCurve
from ecore.data.market import bundled_securities, load_market
from ecore.data.securities import (SecurityFileError, first_auctions, infer_coupons, read_auctions, read_securities,
                                   soma_check, write_securities)


@pytest.fixture(scope="module")
def auctions(shared):
    return read_auctions(shared / "data" / "treasuries" / "auctions.csv")


@pytest.fixture(scope="module")
def table(auctions):
    cal = treasury_calendar().days.astype("datetime64[D]").astype(np.int64)
    return infer_coupons(auctions, ParCurve.from_yields(load_market().yields, cal))


def coupon_of(table, cusip):
    return round(float(table.coupon[table.index_of(cusip)]) * 100, 4)


def test_inferred_coupons_of_the_shared_readmes_examples(table):
    assert coupon_of(table, "912828J27") == 2.0  # 10-year note issued 2015-02-17
    assert coupon_of(table, "912810QN1") == 4.75  # 30-year bond issued 2011-02-15


def test_inferred_coupons_equal_somas_for_at_least_95_percent(table, shared):
    check = soma_check(table, shared / "data" / "treasuries" / "soma-holdings-2022-02-16.csv")
    assert check["soma_fixed"] == 322
    assert check["found"] == 322  # no fixed-rate note or bond mistaken for a TIPS or floater
    assert check["match_pct"] >= 95.0
    assert check["match"] == 312


def test_a_note_sold_again_as_a_new_issue_of_another_term_records_that_reissue(table):
    k = table.index_of("912828M80")  # 7-year note of 2015, auctioned as the 5-year of Nov 2017
    assert table.term_months[k] == 84
    assert str(table.reissue[k].astype("datetime64[D]")) == "2017-11-30"
    assert table.reissue_term_months[k] == 60
    assert int((table.reissue > 0).sum()) == 26  # of the 28 reissues in the history, two are TIPS


def test_tips_and_floaters_are_left_out(auctions, table):
    first = first_auctions(auctions).set_index("cusip")
    assert first.loc["912828ZK9", "frn"]  # 2-year floater of April 2020, reopened as "1-Year 10-Month"
    assert first.loc["912828H45", "tips"]  # 10-year TIPS maturing 15 January 2025
    assert table.index_of("912828ZK9") is None and table.index_of("912828H45") is None


def test_the_bundled_table_is_the_inference_on_the_shared_auctions(table):
    bundled = bundled_securities()
    mine = table.by_maturity()
    assert list(bundled.cusip) == list(mine.cusip)
    assert np.allclose(bundled.coupon, mine.coupon, rtol=0, atol=1e-12)


def test_a_written_table_reads_back_the_same(table, tmp_path):
    path = tmp_path / "securities.csv"
    path.write_bytes(write_securities(table))
    back = read_securities(path)
    assert np.array_equal(back.cusip, table.by_maturity().cusip)
    assert np.array_equal(back.maturity, table.by_maturity().maturity)


def test_a_bad_security_file_names_file_line_and_column(tmp_path):
    path = tmp_path / "securities.csv"
    path.write_text("cusip,kind,first_auction,issue,maturity,term_months,coupon_pct,coupon_source\n"
                    "912828J27,Note,2015-02-11,2015-02-17,2025-02-15,120,2.0,price\n"
                    "912810QN1,Bond,2011-02-10,2011-02-31,2041-02-15,360,4.75,price\n")
    with pytest.raises(SecurityFileError, match=r"securities.csv, line 3, column 'issue': '2011-02-31' is not a date"):
        read_securities(path)
