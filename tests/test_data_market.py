import time

import pandas as pd
import pytest

import ecore.data.market as market_mod
from ecore.data.build_bundled import SYMBOLS, YIELD_SERIES, build
from ecore.data.market import BUNDLED_DIR, MarketData, load_market


def test_bundled_loads_fast_and_spans_the_required_window():
    market_mod._BUNDLED_CACHE = None
    t0 = time.perf_counter()
    m = load_market()
    elapsed = time.perf_counter() - t0
    assert elapsed < 1.0, f"bundled data took {elapsed:.2f}s to load"
    assert list(m.yields.columns) == list(YIELD_SERIES)
    assert sorted(m.closes.columns) == sorted(SYMBOLS)
    for frame in (m.yields, m.closes):
        for col in frame.columns:
            s = frame[col].dropna()
            assert s.index[0] <= pd.Timestamp("2003-09-29"), col
            assert s.index[-1] >= pd.Timestamp("2026-04-17"), col
    assert m.real_futures is None
    assert "bundled" in m.source


def test_bundled_is_compressed_small_and_has_provenance():
    files = [p for p in BUNDLED_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 3 * 1024 * 1024
    data = [p for p in files if p.name != "PROVENANCE.md" and p.parent.name != "snapshot"]
    assert data and all(p.name.endswith(".csv.gz") for p in data)
    text = (BUNDLED_DIR / "PROVENANCE.md").read_text()
    for needle in ("c066afa28bdd0b3977f55bf9f3d572562484c00f", "712ab00cb7d01c788507bc417162a4269e29bf69",
                   "public domain", "redistribution"):
        assert needle in text


def test_bundled_set_is_what_the_build_script_makes(shared, tmp_path):
    build(shared / "data", tmp_path)
    for p in BUNDLED_DIR.rglob("*.csv.gz"):
        rebuilt = tmp_path / p.relative_to(BUNDLED_DIR)
        assert rebuilt.read_bytes() == p.read_bytes(), f"{p.name} is stale: rerun build_bundled"


def test_bundled_agrees_with_the_checks_in_the_shared_readme():
    # IVV +15.77 %/yr, AGG +2.66 %/yr from 2018-08-02 to 2022-03-31 (3.66 years)
    c = load_market().closes
    years = 3.66
    for sym, cagr in (("IVV", 0.1577), ("AGG", 0.0266)):
        r = (c.loc["2022-03-31", sym] / c.loc["2018-08-02", sym]) ** (1 / years) - 1
        assert r == pytest.approx(cagr, abs=0.0005)


def test_short_rate_is_decimal_and_filled_over_holidays():
    m = load_market()
    r = m.short_rate()
    assert r.loc["2026-04-17"] == pytest.approx(0.037)
    # Christmas 2025 (a Thursday) has no yield; the rate carries over from the day before
    assert pd.Timestamp("2025-12-25") not in m.yields.dropna(subset=["DGS3MO"]).index
    assert r.loc["2025-12-25"] == r.loc["2025-12-24"]
    assert r.isna().sum() == 0


def test_user_folder_with_same_layout(tmp_path):
    (tmp_path / "yields").mkdir()
    (tmp_path / "closes").mkdir()
    (tmp_path / "real_futures").mkdir()
    (tmp_path / "yields" / "DGS3MO.csv").write_text("DATE,DGS3MO\n2025-01-02,4.3\n2025-01-03,.\n2025-01-06,4.2\n")
    (tmp_path / "yields" / "DGS10.csv").write_text("observation_date,DGS10\n2025-01-02,4.5\n2025-01-06,4.6\n")
    (tmp_path / "closes" / "IVV.csv").write_text("Date,Close\n2025-01-02,500\n2025-01-03,505\n")
    (tmp_path / "real_futures" / "zn.csv").write_text(
        "date,contract,open,high,low,settle,volume,open_interest\n2025-01-02,ZNH25,,,,108-20,,\n")
    m = load_market(tmp_path)
    assert isinstance(m, MarketData)
    assert list(m.yields.columns) == ["DGS3MO", "DGS10"]
    assert m.closes["IVV"].iloc[-1] == 505
    assert m.real_futures.settle("ZNH25", "2025-01-02") == 108.625
    assert m.short_rate().loc["2025-01-03"] == pytest.approx(0.043)


def test_user_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_market(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="yields"):
        load_market(tmp_path)


def test_shared_folder_reads_as_a_data_folder(shared):
    # ``etf/`` is accepted in place of ``closes/``; shared/data has no real_futures/ folder
    with pytest.warns(Warning, match="DGS20"):  # the real 1987-1993 hole in DGS20 is reported
        m = load_market(shared / "data", symbols=["IVV", "AGG"])
    assert list(m.closes.columns) == ["IVV", "AGG"]


def test_shared_folder_brings_its_rates_and_infers_coupons_from_its_auctions(shared):
    with pytest.warns(Warning, match="DGS20"):
        m = load_market(shared / "data", symbols=["IVV"])
    assert {"SOFR", "DFF"} <= set(m.rates.columns)  # GCF.csv (newest first, not FRED) is left alone
    assert m.securities is not None and len(m.securities) == 1859
    assert not [i for i in m.issues if i.kind == "fallback"]
    # the shared DGS3 runs to 2026-06-24, two months past the other series: cut, and said
    assert m.yields.index[-1] == pd.Timestamp("2026-04-17")
    trimmed = [i for i in m.issues if i.kind == "trimmed"]
    assert len(trimmed) == 1 and "DGS3" in trimmed[0].message and "after 2026-04-17" in trimmed[0].message


def test_a_folder_without_rates_or_treasuries_uses_the_bundled_ones_and_says_so(tmp_path):
    (tmp_path / "yields").mkdir()
    (tmp_path / "yields" / "DGS3MO.csv").write_text("observation_date,DGS3MO\n2025-01-02,4.3\n2025-01-03,4.2\n")
    (tmp_path / "yields" / "DGS10.csv").write_text("observation_date,DGS10\n2025-01-02,4.5\n2025-01-03,4.6\n")
    m = load_market(tmp_path)
    assert m.rates is None and m.securities is None
    assert sorted(i.path.rsplit("/", 1)[-1] for i in m.issues if i.kind == "fallback") == ["rates", "treasuries"]


def test_rates_that_end_before_the_yields_are_reported(tmp_path):
    (tmp_path / "yields").mkdir()
    (tmp_path / "rates").mkdir()
    (tmp_path / "yields" / "DGS3MO.csv").write_text("observation_date,DGS3MO\n2025-01-02,4.3\n2025-01-03,4.2\n")
    (tmp_path / "yields" / "DGS10.csv").write_text("observation_date,DGS10\n2025-01-02,4.5\n2025-01-03,4.6\n")
    (tmp_path / "rates" / "SOFR.csv").write_text("observation_date,SOFR\n2025-01-02,4.31\n")
    with pytest.warns(Warning, match="overnight rate ends on 2025-01-02, before the yields"):
        m = load_market(tmp_path)
    assert [i.kind for i in m.issues] == ["stale", "fallback"]


def test_sofr_alone_cannot_finance_futures_before_it_existed(tmp_path):
    from ecore.data.synthetic_futures import build_price_book

    (tmp_path / "yields").symlink_to(BUNDLED_DIR / "yields")
    (tmp_path / "rates").mkdir()
    (tmp_path / "rates" / "SOFR.csv").write_text("observation_date,SOFR\n2018-04-03,1.83\n2018-04-04,1.74\n")
    with pytest.warns(Warning):  # SOFR ends long before the yields
        m = load_market(tmp_path)
    with pytest.raises(ValueError, match="overnight rate starts on 2018-04-03, after the first day to price "
                                         "\\(2010-01-04\\): rates/ needs DFF"):
        build_price_book(m, ["ZN"], "2010-01-04", "2010-03-31")


def test_short_rate_is_built_once_but_each_caller_gets_its_own_copy():
    import dataclasses

    m = load_market()
    a = m.short_rate()
    a.iloc[-1] = 99.0  # a caller changing its series changes nobody else's
    assert m.short_rate().loc["2026-04-17"] == pytest.approx(0.037)
    # A market with other yields (a stress scenario's) has its own short rate.
    shocked = dataclasses.replace(m, yields=m.yields + 1.0)
    assert shocked.short_rate().loc["2026-04-17"] == pytest.approx(0.047)
