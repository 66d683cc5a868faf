import datetime as dt

import pytest

from ecore.data.contracts import SPECS, Contract, ContractError, nearest_listed, spec


def test_zn_contract_is_100k_face_and_1000_dollars_a_point():
    s = spec("ZN")
    assert (s.face_value, s.point_value, s.multiplier) == (100_000, 1_000, 1_000)


def test_zt_and_z3n_are_200k_face_and_2000_dollars_a_point():
    assert spec("ZT").point_value == 2_000 and spec("ZT").face_value == 200_000
    assert spec("Z3N").point_value == 2_000


@pytest.mark.parametrize(
    "root,tick_32nds,tick_value",
    [("ZT", 1 / 8, 7.8125), ("Z3N", 1 / 8, 7.8125), ("ZF", 1 / 4, 7.8125), ("ZN", 1 / 2, 15.625),
     ("TN", 1 / 2, 15.625), ("TWE", 1, 31.25), ("ZB", 1, 31.25), ("UB", 1, 31.25)],
)
def test_current_tick_sizes(root, tick_32nds, tick_value):
    s = spec(root)
    assert float(s.tick() * 32) == tick_32nds
    assert s.tick_value() == tick_value


def test_zt_tick_was_a_quarter_32nd_before_2019():
    assert float(spec("ZT").tick(dt.date(2018, 6, 1)) * 32) == 0.25
    assert float(spec("ZT").tick(dt.date(2020, 6, 1)) * 32) == 0.125


def test_every_root_trades_march_june_september_december():
    assert all(s.months == (3, 6, 9, 12) for s in SPECS.values())
    assert set(SPECS) == {"ZT", "Z3N", "ZF", "ZN", "TN", "TWE", "ZB", "UB"}


@pytest.mark.parametrize(
    "text,expected",
    [("ZNH25", ("ZN", 2025, 3)), ("ZNH2025", ("ZN", 2025, 3)), ("ZN 202503", ("ZN", 2025, 3)),
     ("zn 202503", ("ZN", 2025, 3)), ("ZN MAR 25", ("ZN", 2025, 3)), ("ZN   MAR 25", ("ZN", 2025, 3)),
     ("Z3NU24", ("Z3N", 2024, 9)), ("TWEZ26", ("TWE", 2026, 12)), ("TNM5", ("TN", 2025, 6)),
     ("UBH99", ("UB", 1999, 3))],
)
def test_parse_codes(text, expected):
    c = Contract.parse(text, reference=dt.date(2025, 1, 1))
    assert (c.root, c.year, c.month) == expected


def test_one_digit_year_resolves_near_the_reference_date():
    assert Contract.parse("ZNH5", reference=dt.date(2004, 6, 1)).year == 2005
    assert Contract.parse("ZNH5", reference=dt.date(2024, 6, 1)).year == 2025
    assert Contract.parse("ZNZ3", reference=dt.date(2024, 6, 1)).year == 2023


def test_every_code_format_round_trips():
    for root in SPECS:
        for year in (1999, 2005, 2025, 2031):
            for month in (3, 6, 9, 12):
                c = Contract(root, year, month)
                ref = dt.date(year, 1, 1)
                assert Contract.parse(c.code) == c
                assert Contract.parse(c.short_code, reference=ref) == c
                assert Contract.parse(c.dated_code) == c
                assert Contract.parse(c.ib_local_symbol) == c
                assert Contract.from_ib(root, c.ib_contract_month) == c


def test_ib_formats():
    c = Contract("ZN", 2025, 3)
    assert c.ib_contract_month == "202503"
    assert c.ib_local_symbol == "ZN   MAR 25"
    assert Contract.from_ib("ZN", "20250320") == c


def test_ordering_and_next():
    h, m = Contract.parse("ZNH25"), Contract.parse("ZNM25")
    assert h < m
    assert h.next() == m and m.previous() == h
    assert Contract.parse("ZNZ25").next() == Contract.parse("ZNH26")
    assert sorted([Contract.parse("ZNZ24"), m, h]) == [Contract.parse("ZNZ24"), h, m]


@pytest.mark.parametrize(
    "text,words",
    [("XXH25", "unknown contract root 'XX'"), ("ZNA25", "unknown month letter 'A'"),
     ("ZNF25", "not listed for month 1"), ("ZN 202513", "month 13"), ("ZN", "malformed"),
     ("", "empty"), ("ZN FOO 25", "unknown month 'FOO'")],
)
def test_bad_codes_name_the_input(text, words):
    with pytest.raises(ContractError) as e:
        Contract.parse(text)
    assert words in str(e.value)


def test_nearest_listed_moves_on_after_last_trading_day():
    assert nearest_listed("ZN", "2025-03-20") == Contract.parse("ZNH25")
    assert nearest_listed("ZN", "2025-03-21") == Contract.parse("ZNM25")
    assert nearest_listed("ZT", "2025-03-31") == Contract.parse("ZTH25")
    assert nearest_listed("ZT", "2025-12-31") == Contract.parse("ZTZ25")


def test_contracts_before_launch_are_flagged():
    assert not Contract.parse("TNH15").is_launched()
    assert Contract.parse("TNM16").is_launched()
    assert not Contract.parse("TWEM21").is_launched()


def test_tick_history_follows_the_exchange_notices():
    # ZB: half-32nds from 2008-03-03 to 2009-08-30 (CME Chadv08-26, Q2009-188).
    assert float(spec("ZB").tick(dt.date(2008, 3, 2)) * 32) == 1
    assert float(spec("ZB").tick(dt.date(2008, 3, 3)) * 32) == 0.5
    assert float(spec("ZB").tick(dt.date(2009, 8, 31)) * 32) == 1
    # ZF quarter-32nds from 2008-03-03; ZN half-32nds from 1999-06-27.
    assert float(spec("ZF").tick(dt.date(2008, 3, 3)) * 32) == 0.25
    assert float(spec("ZN").tick(dt.date(1999, 6, 25)) * 32) == 1
