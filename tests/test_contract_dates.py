"""Delivery-calendar dates of real contracts.

Each row's source says where the expected date comes from.  Three kinds of source:

* PUBLISHED: an exchange document or a calendar library's test data that states the date itself
  (CME Clearing advisories, QuantConnect LEAN's FuturesExpiryFunctionsTestData.xml).
* DERIVED: the CBOT rule applied to a holiday calendar.  "LEAN rule+MHDB agrees" means the same
  rule evaluated on QuantConnect LEAN's holiday data (Data/market-hours/market-hours-database.json,
  Future-cbot-[*] holidays + Future-cbot-ZN bankHolidays, incl. Juneteenth 2022-2026 and the
  full-close Good Fridays) gives the same date -- an independent derivation, NOT a published date.
* UNVERIFIED: no published date was found in the searched corpora (CME pages, advisories, LEAN,
  pandas_market_calendars, QuantLib, barchart mirrors); kept because the derivation agrees.

Rows marked KNOWN FAILURE are published dates the engine currently gets wrong; they are kept on
purpose so the discrepancy stays visible until the calendar is fixed.
"""

import datetime as dt

import pytest

from ecore.data.contracts import Contract

D = dt.date

CME_ADV_08_100 = ("PUBLISHED: CME Clearing Advisory 08-100 'June 2008 CBOT Financial Delivery Cycle', "
                  "https://www.cmegroup.com/tools-information/lookups/advisories/clearing/Chadv08100.html")
CME_ADV_08_356 = ("PUBLISHED: CME Clearing Advisory 08-356 'December 2008 Financial Delivery Cycle' "
                  "(2008-11-20; columns First Intent / First Delivery / Last Trade / Last Delivery)")
CME_ADV_15_056 = ("PUBLISHED: CME Clearing Advisory 15-056, "
                  "https://www.cmegroup.com/tools-information/lookups/advisories/clearing/Chadv15-056.html "
                  "(TUH5/3YRH5/FVH5 last delivery day is Friday 3 April 2015, Good Friday; "
                  "SIFMA recommended only a 12:00 early close that day)")
LEAN_XML = ("PUBLISHED (library test data): QuantConnect/Lean "
            "Tests/TestData/FuturesExpiryFunctionsTestData.xml")
LEAN_RULE = "DERIVED: CBOT rule; LEAN rule+MHDB agrees (QuantConnect/Lean Data/market-hours/market-hours-database.json)"

# (code, field, expected, source)
KNOWN_DATES = [
    ("ZNH25", "last_trading_day", D(2025, 3, 20), "project issue #3 (not re-checked here); " + LEAN_RULE),
    ("ZNH25", "first_notice_day", D(2025, 2, 28), "project issue #3 (not re-checked here); CBOT rule"),
    ("ZTH25", "last_trading_day", D(2025, 3, 31), "project issue #3 (not re-checked here); CBOT rule"),
    ("ZNH26", "first_intention_day", D(2026, 2, 26), "DERIVED: reference 1.3 H6 example (rule, no holidays)"),
    ("ZNH26", "first_notice_day", D(2026, 2, 27), "DERIVED: reference 1.3 H6 example (rule, no holidays)"),
    ("ZNH26", "first_delivery_day", D(2026, 3, 2), "DERIVED: reference 1.3 H6 example (rule, no holidays)"),
    ("ZNH26", "last_trading_day", D(2026, 3, 20), "DERIVED: reference 1.3 H6 example; " + LEAN_RULE),
    ("ZTH26", "last_trading_day", D(2026, 3, 31), "DERIVED: reference 1.3 H6 example (rule, no holidays)"),
    # Good Friday 2024-03-29 is the last weekday of March: ZT stops on Thursday the 28th.
    ("ZTH24", "last_trading_day", D(2024, 3, 28), "UNVERIFIED; " + LEAN_RULE + " (Good Friday 2024-03-29 full close)"),
    ("ZNH24", "last_trading_day", D(2024, 3, 19), "UNVERIFIED; " + LEAN_RULE),
    # Good Friday 2016-03-25 inside ZN's seven-day count.
    ("ZNH16", "last_trading_day", D(2016, 3, 21), "UNVERIFIED; " + LEAN_RULE + " (LEAN lists 2016-03-25 as CBOT holiday)"),
    ("ZBH16", "last_trading_day", D(2016, 3, 21), "UNVERIFIED; " + LEAN_RULE),
    # Juneteenth: CME Globex open (halted at noon), SIFMA full close.  No CME-published date for
    # these was found in the corpora; the 06-18 dates rest on the rule counting only days on which
    # the cash market is open, which is also what LEAN does (Juneteenth in bankHolidays).
    ("ZNM24", "last_trading_day", D(2024, 6, 18), "UNVERIFIED (CME date not found); " + LEAN_RULE),
    ("ZNM25", "last_trading_day", D(2025, 6, 18), "UNVERIFIED (CME date not found); " + LEAN_RULE),
    ("UBM25", "last_trading_day", D(2025, 6, 18), "UNVERIFIED; same rule as ZN; " + LEAN_RULE),
    ("ZNM23", "last_trading_day", D(2023, 6, 21), "UNVERIFIED; " + LEAN_RULE + "; Juneteenth 06-19 outside the count"),
    ("ZNM22", "last_trading_day", D(2022, 6, 21), "UNVERIFIED; " + LEAN_RULE + "; Juneteenth observed 06-20"),
    # Memorial Day 2021-05-31 is the last weekday of May: notice day moves to Friday the 28th.
    ("ZNM21", "first_notice_day", D(2021, 5, 28), "UNVERIFIED; CBOT rule; Memorial Day closed"),
    ("ZNM21", "first_intention_day", D(2021, 5, 27), "UNVERIFIED; CBOT rule; Memorial Day closed"),
    # Labor Day 2025-09-01 is the first weekday of September.
    ("ZBU25", "first_delivery_day", D(2025, 9, 2), "UNVERIFIED; CBOT rule; Labor Day closed"),
    ("ZBU25", "first_intention_day", D(2025, 8, 28), "UNVERIFIED; CBOT rule; Labor Day closed"),
    ("ZBU25", "last_trading_day", D(2025, 9, 19), "UNVERIFIED; " + LEAN_RULE),
    # Christmas inside the seven-day count.
    ("ZNZ24", "last_trading_day", D(2024, 12, 19), "UNVERIFIED; " + LEAN_RULE + "; Christmas 12-25 closed"),
    # ZT delivers three business days after its last trading day; New Year's Day in between.
    ("ZTZ24", "last_trading_day", D(2024, 12, 31), "UNVERIFIED; " + LEAN_RULE),
    ("ZTZ24", "last_delivery_day", D(2025, 1, 6), "UNVERIFIED; CBOT rule; New Year's Day closed "
     "(same pattern as published ZTZ08 -> 2009-01-06 below)"),
    ("ZFM25", "last_delivery_day", D(2025, 7, 3), "UNVERIFIED; CBOT rule (same pattern as published ZFM08 below)"),
    ("ZNU25", "last_delivery_day", D(2025, 9, 30), "UNVERIFIED; CBOT rule: last business day of month"),
    # ---- Published dates ---------------------------------------------------------------------
    # June 2008 delivery cycle (CME Clearing).
    ("ZNM08", "first_delivery_day", D(2008, 6, 2), CME_ADV_08_100),
    ("ZNM08", "last_trading_day", D(2008, 6, 19), CME_ADV_08_100),
    ("ZNM08", "last_delivery_day", D(2008, 6, 30), CME_ADV_08_100),
    ("ZBM08", "last_trading_day", D(2008, 6, 19), CME_ADV_08_100),
    ("ZTM08", "last_trading_day", D(2008, 6, 30), CME_ADV_08_100),
    ("ZTM08", "last_delivery_day", D(2008, 7, 3), CME_ADV_08_100),
    ("ZFM08", "last_delivery_day", D(2008, 7, 3), CME_ADV_08_100),
    # December 2008 delivery cycle: Thanksgiving before FND, Christmas in the ZN count, New Year
    # inside ZT's three-day delivery tail.
    ("ZNZ08", "first_intention_day", D(2008, 11, 26), CME_ADV_08_356),
    ("ZNZ08", "first_delivery_day", D(2008, 12, 1), CME_ADV_08_356),
    ("ZNZ08", "last_trading_day", D(2008, 12, 19), CME_ADV_08_356),
    ("ZNZ08", "last_delivery_day", D(2008, 12, 31), CME_ADV_08_356),
    ("ZBZ08", "last_trading_day", D(2008, 12, 19), CME_ADV_08_356),
    ("ZTZ08", "first_intention_day", D(2008, 11, 26), CME_ADV_08_356),
    ("ZTZ08", "last_trading_day", D(2008, 12, 31), CME_ADV_08_356),
    ("ZTZ08", "last_delivery_day", D(2009, 1, 6), CME_ADV_08_356),
    ("ZFZ08", "last_delivery_day", D(2009, 1, 6), CME_ADV_08_356),
    # KNOWN FAILURE: Good Friday 2015 was a SIFMA early close (jobs report), not a full close, and
    # CME counted it as a business day.  The engine's calendar (pandas_market_calendars SIFMA_US
    # treats every Good Friday up to 2020 as a full holiday) gives 2015-04-06.
    ("ZTH15", "last_delivery_day", D(2015, 4, 3), "KNOWN FAILURE; " + CME_ADV_15_056),
    ("Z3NH15", "last_delivery_day", D(2015, 4, 3), "KNOWN FAILURE; " + CME_ADV_15_056),
    ("ZFH15", "last_delivery_day", D(2015, 4, 3), "KNOWN FAILURE; " + CME_ADV_15_056),
    ("ZTH15", "last_trading_day", D(2015, 3, 31), CME_ADV_15_056 + " (LTD = last business day of March)"),
    # LEAN expiry test data (last trade dates).
    ("ZBM17", "last_trading_day", D(2017, 6, 21), LEAN_XML),
    ("ZBU17", "last_trading_day", D(2017, 9, 20), LEAN_XML),
    ("ZBZ17", "last_trading_day", D(2017, 12, 19), LEAN_XML),
    ("ZNM17", "last_trading_day", D(2017, 6, 21), LEAN_XML),
    ("ZNU17", "last_trading_day", D(2017, 9, 20), LEAN_XML),
    ("ZNZ17", "last_trading_day", D(2017, 12, 19), LEAN_XML),
    ("ZFM17", "last_trading_day", D(2017, 6, 30), LEAN_XML),
    ("ZFU17", "last_trading_day", D(2017, 9, 29), LEAN_XML),
    ("ZFZ17", "last_trading_day", D(2017, 12, 29), LEAN_XML),
    ("ZTM17", "last_trading_day", D(2017, 6, 30), LEAN_XML),
    ("ZTU17", "last_trading_day", D(2017, 9, 29), LEAN_XML),
    ("ZTZ17", "last_trading_day", D(2017, 12, 29), LEAN_XML),
    ("UBH20", "last_trading_day", D(2020, 3, 20), LEAN_XML),
    ("UBM20", "last_trading_day", D(2020, 6, 19), LEAN_XML),
    ("UBU20", "last_trading_day", D(2020, 9, 21), LEAN_XML),
    ("TNH20", "last_trading_day", D(2020, 3, 20), LEAN_XML),
    ("TNM20", "last_trading_day", D(2020, 6, 19), LEAN_XML),
    ("TNU20", "last_trading_day", D(2020, 9, 21), LEAN_XML),
]


@pytest.mark.parametrize("code,field,expected,source", KNOWN_DATES, ids=[f"{c}-{f}" for c, f, *_ in KNOWN_DATES])
def test_known_contract_date(code, field, expected, source):
    assert getattr(Contract.parse(code), field)() == expected, source


def test_key_dates_are_in_delivery_order_for_every_root_and_year():
    from ecore.data.contracts import SPECS

    for root in SPECS:
        for year in range(2000, 2031):
            for month in (3, 6, 9, 12):
                k = Contract(root, year, month).key_dates()
                assert k["first_intention_day"] < k["first_notice_day"] < k["first_delivery_day"]
                assert k["first_delivery_day"] <= k["last_trading_day"] <= k["last_delivery_day"]


def test_last_trading_day_is_never_a_juneteenth_or_good_friday():
    from ecore.data.calendar import treasury_calendar
    from ecore.data.contracts import SPECS

    cal = treasury_calendar()
    for root in SPECS:
        for year in range(2000, 2031):
            for month in (3, 6, 9, 12):
                ltd = Contract(root, year, month).last_trading_day()
                assert cal.is_business_day(ltd)
                assert (ltd.month, ltd.day) != (6, 19) or year < 2022
