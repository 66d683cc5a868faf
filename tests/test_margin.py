"""Margin requirements as data: schedule, dated initial ratio, broker multiplier, volatility fallback."""

import numpy as np
import pandas as pd
import pytest

from ecore.brokers.margin import (
    MarginError,
    MarginModel,
    MarginSchedule,
    MarginScheduleError,
    continuous_changes,
    front_settlement_changes,
)
from ecore.data.price_book import FuturesPriceBook


def test_bundled_schedule_has_sources_and_published_points():
    s = MarginSchedule.bundled()
    f = s.frame()
    assert set(f.columns) == {"date", "root", "maintenance", "source"}
    assert (f["source"].str.len() > 10).all()
    p, stale = s.lookup("ZB", "2008-12-05")
    assert p.maintenance == 3200 and not stale
    assert s.lookup("ZB", "2008-12-03") is None  # before the first point


def test_schedule_point_expires_after_max_age():
    s = MarginSchedule.bundled(max_age_days=365)
    assert s.lookup("ZN", "2012-07-01")[0].maintenance == 1300
    assert s.lookup("ZN", "2012-08-01") is None
    assert s.lookup("ZN", "2012-08-01", allow_stale=True)[1] is True


def test_initial_ratio_is_dated_and_documented_gap():
    m = MarginModel(schedule=False, constant={"ZN": 1000})
    assert m.initial_ratio("2011-12-30") == 1.35
    assert m.initial_ratio("2014-06-30") == 1.35  # 2012-2015: last documented value (conservative)
    assert m.initial_ratio("2016-01-04") == 1.10
    assert m.initial("ZN", "2010-01-04") == pytest.approx(1350)
    assert m.initial("ZN", "2020-01-02") == pytest.approx(1100)


def test_cme_example_and_broker_multiplier():
    m = MarginModel.fixed({"ZN": 3200}, initial_ratio=1.25)
    assert m.maintenance("ZN", "2025-01-02") == 3200
    assert m.initial("ZN", "2025-01-02") == 4000
    ib = MarginModel.fixed({"ZN": 3200}, initial_ratio=1.25, broker_multiplier=1.5)
    assert ib.maintenance("ZN", "2025-01-02") == 4800
    assert ib.initial("ZN", "2025-01-02") == 6000


def test_schedule_wins_within_its_age_then_the_fallback():
    hist = {"ZN": pd.Series(0.5, index=pd.bdate_range("2010-01-01", "2013-12-31"))}
    m = MarginModel(history=hist, k=1.0)
    assert m.quote("ZN", "2011-08-01").basis == "schedule"
    assert m.maintenance("ZN", "2011-08-01") == 1300
    q = m.quote("ZN", "2013-01-02")
    assert q.basis == "volatility" and q.maintenance == pytest.approx(500)


def test_fallback_is_calibrated_per_root_on_the_published_points_its_history_covers():
    # Half-point days give a q99 of $500 per ZN contract; the bundled ZN point of 2011-07-26 is
    # $1,300, so k = 2.6 (the 2024 point lies beyond this history and is not used).
    hist = {"ZN": pd.Series(0.5, index=pd.bdate_range("2010-01-01", "2013-12-31")),
            "TN": pd.Series(0.5, index=pd.bdate_range("2010-01-01", "2013-12-31"))}
    m = MarginModel(history=hist)
    assert m.fallback_k("ZN") == (pytest.approx(2.6), "calibrated on 1 ZN point(s)")
    assert m.maintenance("ZN", "2013-01-02") == pytest.approx(1300)
    # TN has no published point: it takes ZN's k, its DV01 partner's
    assert m.fallback_k("TN")[0] == pytest.approx(2.6)
    assert "ZN's" in m.fallback_k("TN")[1]


def test_a_fallback_root_stays_in_dv01_order_with_a_partners_published_row():
    # TN on the fallback ($500 at k = 1) while ZN has its published $1,300 (2011-07-26 row):
    # TN is kept at ZN x DV01_TN / DV01_ZN = 1300 x 89 / 64.
    hist = {"TN": pd.Series(0.5, index=pd.bdate_range("2010-01-01", "2013-12-31"))}
    m = MarginModel(history=hist, k=1.0)
    q = m.quote("TN", "2011-08-01")
    assert q.maintenance == pytest.approx(1300 * 89 / 64)
    assert q.basis == "volatility, dv01 order with ZN"
    assert m.maintenance("TN", "2013-01-02") == pytest.approx(500)  # ZN's row has expired


def test_contract_dv01_comes_from_the_price_books_cheapest_to_deliver():
    from ecore.data.market import load_market
    from ecore.data.synthetic_futures import build_price_book

    book = build_price_book(load_market(), ["ZN", "TN"], "2025-01-02", "2025-03-31")
    m = MarginModel(history=book, schedule=False)
    # 2025-02-03: the front ZN contract is ZNH25 (first intention day 2025-02-26)
    assert m.contract_dv01("ZN", "2025-02-03") == pytest.approx(book.value("ZNH25", "2025-02-03", "dv01"))
    assert m.contract_dv01("TN", "2025-02-03") > m.contract_dv01("ZN", "2025-02-03")


def _bad(tmp_path, body):
    p = tmp_path / "sched.csv"
    p.write_text("date,root,maintenance,source\n" + body)
    return p


@pytest.mark.parametrize(
    "body, words",
    [
        ("2020-01-02,ZN,1000,x\n2020-02-03,XX,1000,y\n", ["line 3", "unknown root"]),
        ("2020-01-02,ZN,-5,x\n", ["line 2", "positive"]),
        ("2020-01-02,ZN,,x\n", ["line 2", "missing maintenance"]),
        ("02/01/2020,ZN,1000,x\n", ["line 2", "unparseable date"]),
        ("2020-01-02,ZN,lots,x\n", ["line 2", "not a number"]),
    ],
)
def test_bad_schedule_file_names_file_and_row(tmp_path, body, words):
    p = _bad(tmp_path, body)
    with pytest.raises(MarginScheduleError) as e:
        MarginModel(schedule=p)
    msg = str(e.value)
    assert str(p) in msg
    for w in words:
        assert w in msg


def test_user_schedule_file(tmp_path):
    p = _bad(tmp_path, "# a comment\n2024-01-02,zn,\"2,125\",my broker\n")
    m = MarginModel(schedule=p)
    assert m.maintenance("ZN", "2024-05-01") == 2125
    assert m.quote("ZN", "2024-05-01").source == "my broker"


def test_no_margin_at_all_is_a_loud_error():
    m = MarginModel(schedule=False)
    with pytest.raises(MarginError, match="no margin for ZN"):
        m.maintenance("ZN", "2020-01-02")


def test_volatility_fallback_has_no_look_ahead():
    idx = pd.bdate_range("2020-01-01", periods=400)
    rng = np.random.default_rng(1)
    ch = pd.Series(rng.normal(0, 0.3, len(idx)), index=idx)
    day = idx[300]
    a = MarginModel(schedule=False, history={"ZN": ch}).maintenance("ZN", day)
    ch2 = ch.copy()
    ch2[ch2.index > day] = 50.0  # a crash after the day must not change the day's margin
    b = MarginModel(schedule=False, history={"ZN": ch2}).maintenance("ZN", day)
    assert a == b
    window = ch[ch.index <= day].iloc[-250:].abs() * 1000
    assert a == pytest.approx(np.quantile(window, 0.99))


def test_volatility_fallback_reproduces_reference_figure_for_zn(shared):
    """Reference section 3.3: ZN, 99% one-day move over the trailing 250 days to 2026-02-20 = $1,114.

    Roll days of the stitched front-month series are detected as the days the front contract
    switches: daily volume jumps or collapses more than tenfold (the expiring contract's volume
    collapses in its delivery month, the next contract's does not).
    """
    f = pd.read_csv(shared / "data/futures/ZN_front_continuous.csv", parse_dates=["Date"], index_col="Date")
    ch = continuous_changes(f["Close"], f["Volume"])
    # the switch of March 2025 (ZNH25 -> ZNM25 on its last trading day) is among the roll days
    assert np.isnan(ch.loc["2025-03-20"])
    m = MarginModel(schedule=False, history={"ZN": ch})
    got = m.maintenance("ZN", "2026-02-20")
    assert got == pytest.approx(1114, rel=0.05)
    # and the calendar-based roll detection (no volume) agrees
    ch_cal = continuous_changes(f["Close"], root="ZN")
    assert MarginModel(schedule=False, history={"ZN": ch_cal}).maintenance("ZN", "2026-02-20") == pytest.approx(1114, rel=0.05)
    # other dates of the table in section 3.3
    for day, ref in [("2011-07-22", 1237), ("2016-06-24", 1092), ("2023-12-19", 1469), ("2025-06-30", 1124)]:
        assert m.maintenance("ZN", day) == pytest.approx(ref, rel=0.05), day


def test_dv01_scaling_for_roots_without_data():
    hist = {"ZN": pd.Series(1.0, index=pd.bdate_range("2024-01-01", periods=300)),
            "ZB": pd.Series(2.0, index=pd.bdate_range("2024-01-01", periods=300))}
    m = MarginModel(schedule=False, history=hist)
    day = "2025-02-03"
    assert m.maintenance("ZN", day) == pytest.approx(1000)
    assert m.maintenance("TN", day) == pytest.approx(1000 * 89 / 64)
    assert m.maintenance("Z3N", day) == pytest.approx(1000 * 56 / 64)
    assert m.maintenance("UB", day) == pytest.approx(2000 * 169 / 127)
    assert m.maintenance("TWE", day) == pytest.approx(2000 * 145 / 127)
    assert m.quote("TN", day).basis == "dv01 from ZN"
    with pytest.raises(MarginError):
        m.maintenance("ZT", day)  # no schedule, no history, no DV01 rule for ZT


def test_front_changes_from_price_book_ignore_rolls():
    ds = pd.bdate_range("2025-02-03", periods=20)
    rows = []
    for i, d in enumerate(ds):
        rows.append({"date": d, "contract": "ZNH25", "settle": 110 + 0.25 * i})
        rows.append({"date": d, "contract": "ZNM25", "settle": 108 + 0.25 * i})  # 2 points below
    book = FuturesPriceBook(pd.DataFrame(rows))
    ch = front_settlement_changes(book, "ZN")
    # ZNH25 is front until its first intention day (2025-02-27), then ZNM25: never a 2-point jump
    assert ch.dropna().abs().max() == pytest.approx(0.25)
    m = MarginModel(schedule=False, history=book, min_observations=5)
    assert m.maintenance("ZN", ds[-1]) == pytest.approx(250)


def _quotes_or_nan(m, root, days):
    out = []
    for d in days:
        try:
            q = m.quote(root, d.astype("datetime64[D]").item())
            out.append((q.maintenance, q.initial))
        except MarginError:
            out.append((np.nan, np.nan))
    return np.array(out)


def test_requirement_arrays_give_the_quotes_numbers_on_every_day():
    # 2009-2025 mixes every rule: ZN and ZB on their schedule rows and on the volatility fallback,
    # TN (calmer than ZN) kept in DV01 order with ZN's row, UB/TWE/Z3N scaled by DV01, ZF on its
    # 2020 row then stale, ZT with nothing at all
    rng = np.random.default_rng(7)
    idx = pd.bdate_range("2009-06-01", "2013-12-31")
    hist = {"ZN": pd.Series(rng.normal(0, 0.4, len(idx)), index=idx),
            "ZB": pd.Series(rng.normal(0, 0.9, len(idx)), index=idx),
            "TN": pd.Series(rng.normal(0, 0.3, len(idx)), index=idx)}
    m = MarginModel(history=hist, broker_multiplier=1.25)
    days = np.arange(np.datetime64("2009-01-01"), np.datetime64("2026-01-01"), 4)
    for root in ("ZT", "Z3N", "ZF", "ZN", "TN", "TWE", "ZB", "UB"):
        maintenance, initial = m.requirement_arrays(root, days)
        expected = _quotes_or_nan(m, root, days)
        np.testing.assert_array_equal(np.c_[maintenance, initial], expected, err_msg=root)


def test_requirement_arrays_follow_the_price_books_front_contract():
    from ecore.data.market import load_market
    from ecore.data.synthetic_futures import build_price_book

    book = build_price_book(load_market(), ["ZN", "TN"], "2024-01-02", "2025-03-31")
    m = MarginModel(history=book, schedule=False)
    days = np.arange(np.datetime64("2024-01-01"), np.datetime64("2025-04-01"))
    for root in ("ZN", "TN"):
        np.testing.assert_array_equal(np.c_[m.requirement_arrays(root, days)], _quotes_or_nan(m, root, days))


def test_requirement_is_the_quote_and_asks_an_overriding_subclass():
    hist = {"ZN": pd.Series(0.5, index=pd.bdate_range("2010-01-01", "2013-12-31"))}
    m = MarginModel(history=hist, k=1.0)
    for day in ("2011-08-01", "2013-01-02", "2030-06-03"):  # schedule, fallback, stale 2024 row
        q = m.quote("ZN", day)
        assert m.requirement("ZN", day) == (q.maintenance, q.initial)

    class Doubled(MarginModel):
        def quote(self, root, day):
            q = super().quote(root, day)
            return type(q)(q.root, q.day, 2 * q.maintenance, 2 * q.initial, q.ratio, q.basis)

    assert Doubled(history=hist, k=1.0).requirement("ZN", "2013-01-02") == (1000, 1000 * 1.35)
    with pytest.raises(MarginError, match="no margin for ZN"):
        MarginModel(schedule=False).requirement("ZN", "2020-01-02")
