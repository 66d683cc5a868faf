import datetime as dt
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from ecore.data.market import MarketData, load_market
from ecore.data.price_book import FuturesPriceBook
from ecore.data.bond_math import price_from_yield
from ecore.data.synthetic_futures import ALL_ROOTS, build_price_book, cf_from_term, conversion_factor
from ecore.data.calendar import treasury_calendar
from ecore.data.contracts import Contract, spec
from ecore.data.prices import round_to_tick

# ---------------------------------------------------------------------------------------------
# conversion factors (reference section 2.1)


def test_cme_conversion_factor_examples():
    assert conversion_factor(0.06, dt.date(2036, 6, 1), "ZNM26") == 1.0
    assert conversion_factor(0.06, dt.date(2046, 3, 15), "ZBH26") == 1.0
    assert cf_from_term(0.06, 7, 0, "ZF") == 1.0
    assert conversion_factor(0.04125, dt.date(2032, 11, 15), "ZNM26") == 0.9034
    assert conversion_factor(0.0375, dt.date(2028, 3, 31), "ZTM26") == 0.9631
    assert conversion_factor(0.0475, dt.date(2053, 11, 15), "UBM26") == 0.8332


def test_quarter_rounding_applies_to_note_and_bond_contracts_only():
    # 5 whole months: ZN rounds down to 3, ZF keeps 5
    assert cf_from_term(0.04, 6, 5, "ZN") == cf_from_term(0.04, 6, 3, "ZN")
    assert cf_from_term(0.04, 4, 5, "ZF") != cf_from_term(0.04, 4, 3, "ZF")


def test_par_bond_prices_at_par():
    # on a coupon date (nothing accrued, a whole period to the next coupon), 4 and 20 coupons left
    parts = (np.array([4, 20]), np.array([1.0, 1.0]), np.array([0.0, 0.0]))
    clean, dirty = price_from_yield(0.05, np.array([0.05, 0.05]), parts)
    assert clean == pytest.approx([100, 100], abs=1e-9)
    assert dirty == pytest.approx([100, 100], abs=1e-9)


# ---------------------------------------------------------------------------------------------
# the price book


@pytest.fixture(scope="module")
def market():
    return load_market()


@pytest.fixture(scope="module")
def book(market):
    return build_price_book(market, start="2015-01-01", end="2026-04-17")


def test_columns_and_labels(book):
    f = book.frame
    assert {"date", "contract", "settle", "source", "launched", "duration", "dv01"} <= set(f.columns)
    assert set(f["source"]) == {"synthetic"}
    assert {c.root for c in book.contracts()} == set(ALL_ROOTS)


def test_every_contract_from_listing_to_last_trading_day(market, book):
    cal = treasury_calendar()
    yield_days = set(market.yields.dropna(how="all").index.date)
    for code in ("ZNM25", "ZTH19", "UBZ24", "TWEU23", "Z3NH22", "TNM20", "ZBU21", "ZFZ18"):
        c = Contract.parse(code)
        s = book.series(code)
        expected = [d for d in cal.business_days_between(c.listing_day(), c.last_trading_day())
                    if d in yield_days]
        assert [d.date() for d in s.index] == expected, code
        assert s.index[-1].date() == c.last_trading_day()


def test_prices_are_on_the_tick_in_force(book):
    f = book.frame.sample(2000, random_state=1)
    for code, day, settle in zip(f["contract"], f["date"], f["settle"]):
        root = Contract.parse(code).root
        assert settle == round_to_tick(settle, root, day.date())
    zt_old = book.series("ZTH18")
    zt_new = book.series("ZTM19").loc["2019-02-01":]
    assert any((Fraction(x) / Fraction(1, 128)).denominator == 1 for x in zt_old)
    assert all((Fraction(x) / Fraction(1, 128)).denominator == 1 for x in zt_old)
    assert not all((Fraction(x) / Fraction(1, 128)).denominator == 1 for x in zt_new)


def test_launch_dates_are_marked(book):
    f = book.frame
    root = f["contract"].map(lambda c: Contract.parse(c).root)
    for r in ("TN", "UB", "Z3N", "TWE", "ZN"):
        rows = f[root == r]
        launched_on = pd.Timestamp(spec(r).launched)
        assert (rows.loc[rows["date"] < launched_on, "launched"] == False).all()  # noqa: E712
        assert (rows.loc[rows["date"] >= launched_on, "launched"] == True).all()  # noqa: E712
    assert (f.loc[root == "TN", "launched"] == False).any()  # noqa: E712  TN launched 2016


def test_duration_and_dv01_are_near_the_reference_table(book):
    # Reference section 2.4 (2026-04-17 curve) comes from a representative bond maturing
    # ctd_years after delivery; the real cheapest-to-deliver is longer for ZB (the cheap
    # 20-year sector: a 2045 bond), so allow 15 %.
    table = {"ZT": (1.73, 36), "Z3N": (2.64, 56), "ZF": (3.85, 42), "ZN": (5.75, 64), "TN": (7.75, 89),
             "TWE": (12.50, 145), "ZB": (10.87, 127), "UB": (14.44, 169)}
    for root, (dur, dv01) in table.items():
        code = f"{root}M26"
        d = book.value(code, "2026-04-17", "duration")
        v = book.value(code, "2026-04-17", "dv01")
        assert d == pytest.approx(dur, rel=0.15), root
        assert v == pytest.approx(dv01, rel=0.15), root
        settle = book.settle(code, "2026-04-17")
        assert d == pytest.approx(v / (settle * spec(root).face_value / 100) * 1e4, rel=0.01)


def test_the_book_names_the_cheapest_to_deliver_and_its_conversion_factor(book):
    # ZNM26 on 2026-04-17: the 3-1/2 % note of 15 Feb 2033 (6 years 8 months from 1 June 2026,
    # counted as 6y6m for ZN): CME's formula gives 0.8671.
    assert book.value("ZNM26", "2026-04-17", "ctd") == "91282CGM7"
    assert book.value("ZNM26", "2026-04-17", "cf") == conversion_factor(0.035, dt.date(2033, 2, 15), "ZNM26") == 0.8671
    # ZTM26: the 3-5/8 % note of 31 March 2028 (1y9m, months kept for ZT)
    assert book.value("ZTM26", "2026-04-17", "ctd") == "91282CGT2"
    assert book.value("ZTM26", "2026-04-17", "cf") == conversion_factor(0.03625, dt.date(2028, 3, 31), "ZTM26")


def test_real_rows_override_synthetic(market):
    real = FuturesPriceBook(pd.DataFrame({
        "date": ["2025-01-02", "2025-01-03"], "contract": ["ZNH25", "ZNH25"], "settle": [108.625, 108.5],
        "source": "real", "launched": True}))
    m = MarketData(market.yields, market.closes, real, "test")
    b = build_price_book(m, ["ZN"], "2024-12-01", "2025-01-31")
    assert b.settle("ZNH25", "2025-01-02") == 108.625
    assert b.value("ZNH25", "2025-01-02", "source") == "real"
    assert b.value("ZNH25", "2025-01-06", "source") == "synthetic"
    assert b.value("ZNH25", "2025-01-02", "dv01") > 0
    assert len(b.series("ZNH25").loc["2025-01-02":"2025-01-03"]) == 2


# ---------------------------------------------------------------------------------------------
# acceptance: synthetic front-contract returns against the real continuous front month

THRESHOLDS = {"ZT": 0.85, "ZF": 0.93, "ZN": 0.93, "ZB": 0.93}


def front_returns_fit(book, real: pd.Series, root: str):
    f = book.frame
    f = f[f["contract"].map(lambda c: Contract.parse(c).root) == root].copy()
    ltd = {c: Contract.parse(c).last_trading_day() for c in f["contract"].unique()}
    f["ltd"] = f["contract"].map(ltd)
    front = f.sort_values(["date", "ltd"]).groupby("date").first()  # nearest contract still trading
    days = front.index.intersection(real.index)
    days = days[(days >= "2005-01-01") & (days <= "2025-12-31")]
    fr, rl = front.loc[days], real.loc[days].to_numpy()
    codes = fr["contract"].to_numpy()
    synth = fr["settle"].to_numpy()[1:] / fr["settle"].to_numpy()[:-1] - 1
    actual = rl[1:] / rl[:-1] - 1
    keep = np.ones(len(synth), bool)
    for i in np.flatnonzero(codes[1:] != codes[:-1]):  # 3 trading days either side of each roll
        keep[max(0, i - 3): i + 4] = False
    keep &= np.isfinite(actual)
    corr = np.corrcoef(synth[keep], actual[keep])[0, 1]
    beta = np.cov(actual[keep], synth[keep])[0, 1] / np.var(synth[keep], ddof=1)
    return corr, beta, int(keep.sum())


def test_synthetic_front_contract_tracks_real_futures(shared, market):
    book = build_price_book(market, ["ZT", "ZF", "ZN", "ZB"], "2004-06-01", "2026-01-31")
    for root, threshold in THRESHOLDS.items():
        real = pd.read_csv(shared / "data" / "futures" / f"{root}_front_continuous.csv",
                           parse_dates=["Date"], index_col="Date")["Close"]
        corr, beta, n = front_returns_fit(book, real, root)
        print(f"{root}: corr {corr:.3f} beta {beta:.3f} over {n} days")
        assert n > 4000
        assert corr >= threshold, (root, corr)
        assert 0.85 <= beta <= 1.15, (root, beta)


def test_pricing_a_few_years_of_contracts_at_a_time_changes_nothing(market, monkeypatch):
    import ecore.data.synthetic_futures as sf

    whole = build_price_book(market, ["ZB"], "2005-01-01", "2026-04-17").frame
    monkeypatch.setattr(sf, "CONTRACTS_AT_ONCE", 5)
    chunked = build_price_book(market, ["ZB"], "2005-01-01", "2026-04-17").frame
    assert len(whole) > 5000
    assert whole.equals(chunked)
