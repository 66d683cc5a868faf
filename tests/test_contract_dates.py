"""Delivery-calendar dates of real contracts.

Each expected date is the CBOT rule applied to the exchange's trading calendar; the source column
says where the date was checked.  The Juneteenth and Good Friday cases are the ones calendar
libraries disagree on: CME trades those days, the cash Treasury market is shut, and CME's own
published last trading days skip them.
"""

import datetime as dt

import pytest

from ecore.engine.contracts import Contract

D = dt.date

# (code, field, expected, source)
KNOWN_DATES = [
    ("ZNH25", "last_trading_day", D(2025, 3, 20), "issue #3 / CME ZN calendar"),
    ("ZNH25", "first_notice_day", D(2025, 2, 28), "issue #3 / CME ZN calendar"),
    ("ZTH25", "last_trading_day", D(2025, 3, 31), "issue #3 / CME ZT calendar"),
    ("ZNH26", "first_intention_day", D(2026, 2, 26), "reference 1.3 H6 example"),
    ("ZNH26", "first_notice_day", D(2026, 2, 27), "reference 1.3 H6 example"),
    ("ZNH26", "first_delivery_day", D(2026, 3, 2), "reference 1.3 H6 example"),
    ("ZNH26", "last_trading_day", D(2026, 3, 20), "reference 1.3 H6 example"),
    ("ZTH26", "last_trading_day", D(2026, 3, 31), "reference 1.3 H6 example"),
    # Good Friday 2024-03-29 is the last weekday of March: ZT stops on Thursday the 28th.
    ("ZTH24", "last_trading_day", D(2024, 3, 28), "CBOT rule; Good Friday closed (CME holiday calendar)"),
    ("ZNH24", "last_trading_day", D(2024, 3, 19), "CBOT rule; Good Friday 03-29 not counted"),
    # Good Friday 2016-03-25 inside ZN's seven-day count (QuantConnect CBOT holiday list has it).
    ("ZNH16", "last_trading_day", D(2016, 3, 21), "CBOT rule; Good Friday 2016-03-25 closed"),
    ("ZBH16", "last_trading_day", D(2016, 3, 21), "CBOT rule; Good Friday 2016-03-25 closed"),
    # Juneteenth: CME open, bond market shut.  A CME-only calendar would give 06-19.
    ("ZNM24", "last_trading_day", D(2024, 6, 18), "CME: ZNM4 last trade 2024-06-18 (Juneteenth skipped)"),
    ("ZNM25", "last_trading_day", D(2025, 6, 18), "CME: ZNM5 last trade 2025-06-18 (Juneteenth skipped)"),
    ("UBM25", "last_trading_day", D(2025, 6, 18), "same rule as ZN"),
    ("ZNM23", "last_trading_day", D(2023, 6, 21), "CBOT rule; Juneteenth 06-19 outside the count"),
    ("ZNM22", "last_trading_day", D(2022, 6, 21), "CBOT rule; Juneteenth observed 06-20"),
    # Memorial Day 2021-05-31 is the last weekday of May: notice day moves to Friday the 28th.
    ("ZNM21", "first_notice_day", D(2021, 5, 28), "CBOT rule; Memorial Day closed"),
    ("ZNM21", "first_intention_day", D(2021, 5, 27), "CBOT rule; Memorial Day closed"),
    # Labor Day 2025-09-01 is the first weekday of September.
    ("ZBU25", "first_delivery_day", D(2025, 9, 2), "CBOT rule; Labor Day closed"),
    ("ZBU25", "first_intention_day", D(2025, 8, 28), "CBOT rule; Labor Day closed"),
    ("ZBU25", "last_trading_day", D(2025, 9, 19), "CBOT rule"),
    # Christmas inside the seven-day count.
    ("ZNZ24", "last_trading_day", D(2024, 12, 19), "CBOT rule; Christmas 12-25 closed"),
    # ZT delivers three business days after its last trading day; New Year's Day in between.
    ("ZTZ24", "last_trading_day", D(2024, 12, 31), "CBOT rule"),
    ("ZTZ24", "last_delivery_day", D(2025, 1, 6), "CBOT rule; New Year's Day closed"),
    ("ZFM25", "last_delivery_day", D(2025, 7, 3), "CBOT rule"),
    ("ZNU25", "last_delivery_day", D(2025, 9, 30), "CBOT rule: last business day of month"),
]


@pytest.mark.parametrize("code,field,expected,source", KNOWN_DATES, ids=[f"{c}-{f}" for c, f, *_ in KNOWN_DATES])
def test_known_contract_date(code, field, expected, source):
    assert getattr(Contract.parse(code), field)() == expected, source


def test_key_dates_are_in_delivery_order_for_every_root_and_year():
    from ecore.engine.contracts import SPECS

    for root in SPECS:
        for year in range(2000, 2031):
            for month in (3, 6, 9, 12):
                k = Contract(root, year, month).key_dates()
                assert k["first_intention_day"] < k["first_notice_day"] < k["first_delivery_day"]
                assert k["first_delivery_day"] <= k["last_trading_day"] <= k["last_delivery_day"]


def test_last_trading_day_is_never_a_juneteenth_or_good_friday():
    from ecore.engine.calendar import treasury_calendar
    from ecore.engine.contracts import SPECS

    cal = treasury_calendar()
    for root in SPECS:
        for year in range(2000, 2031):
            for month in (3, 6, 9, 12):
                ltd = Contract(root, year, month).last_trading_day()
                assert cal.is_business_day(ltd)
                assert (ltd.month, ltd.day) != (6, 19) or year < 2022
