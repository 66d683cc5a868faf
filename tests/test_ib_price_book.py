"""The paper run's price book: IB's settlements over the synthetic model, with the model's
durations - carried forward, and logged, when the yields end before IB's bars."""

import datetime as dt
import logging

import pandas as pd
import pytest

from ecore.data.market import MarketData, load_market
from ecore.data.paper_book import PaperPriceBook
from ecore.data.synthetic_futures import build_price_book

DAY = dt.date(2025, 3, 13)


def ib_rows(code: str, days, settle: float) -> pd.DataFrame:
    return pd.DataFrame({"date": list(days), "contract": code, "settle": settle,
                         "open": settle, "high": settle, "low": settle, "volume": 900})


def market_until(last: str) -> MarketData:
    """The bundled data with its yields cut after ``last`` (YYYY-MM-DD)."""
    m = load_market()
    return MarketData(m.yields.loc[:last], m.closes, None, f"bundled yields to {last}")


def test_an_ib_settle_replaces_the_synthetic_one_and_keeps_that_day_s_duration():
    market = load_market()
    model = build_price_book(market, roots=["ZN"], start=dt.date(2025, 3, 1), end=DAY)
    book = PaperPriceBook(market, ["ZN"], start=dt.date(2025, 3, 1), end=DAY)
    book.add_settlements(ib_rows("ZNM25", [DAY], 110.5))

    duration = model.value("ZNM25", DAY, "duration")
    assert book.settle("ZNM25", DAY) == 110.5
    assert book.value("ZNM25", DAY, "source") == "real"
    assert book.value("ZNM25", DAY, "duration") == pytest.approx(duration, abs=1e-12)
    # dv01 at IB's price: duration x 110.5 points x $1,000 per point / 10,000 per basis point
    assert book.value("ZNM25", DAY, "dv01") == pytest.approx(duration * 110.5 * 1000 / 1e4)
    # the day before keeps its synthetic row, and so do the other contracts
    day_before = dt.date(2025, 3, 12)
    assert book.settle("ZNM25", day_before) == model.settle("ZNM25", day_before)
    assert book.settle("ZNU25", DAY) == model.settle("ZNU25", DAY)


def test_a_later_bar_of_the_same_day_replaces_the_earlier_one():
    book = PaperPriceBook(load_market(), ["ZN"], start=dt.date(2025, 3, 1), end=DAY)
    book.add_settlements(ib_rows("ZNM25", [DAY], 110.5))
    book.add_settlements(ib_rows("ZNM25", [DAY], 110.25))
    assert book.settle("ZNM25", DAY) == 110.25
    assert len(book.frame[(book.frame["contract"] == "ZNM25") & (book.frame["date"] == pd.Timestamp(DAY))]) == 1


def test_after_the_yields_end_the_last_model_duration_is_carried_forward_and_logged(caplog):
    last_yield = dt.date(2025, 3, 7)  # a Friday; IB has bars for the next four business days
    market = market_until(last_yield.isoformat())
    on_last_yield = build_price_book(load_market(), roots=["ZN"], start=dt.date(2025, 3, 1),
                                     end=DAY).value("ZNM25", last_yield, "duration")
    book = PaperPriceBook(market, ["ZN"], start=dt.date(2025, 3, 1), end=DAY)
    days = [dt.date(2025, 3, d) for d in (10, 11, 12, 13)]
    with caplog.at_level(logging.WARNING, logger="ecore.data.paper_book"):
        book.add_settlements(ib_rows("ZNM25", days, 110.5))
        book.add_settlements(ib_rows("ZNM25", days, 110.5))  # re-read: not logged again

    assert book.yields_end == last_yield
    for day in days:
        assert book.value("ZNM25", day, "duration") == pytest.approx(on_last_yield, abs=1e-12)
    [message] = [r.getMessage() for r in caplog.records]
    assert message.startswith("ZNM25: the yields end on 2025-03-07, before IB's bar of 2025-03-13; "
                              "its duration on 2025-03-07")
    assert "carried forward" in message


def test_a_contract_listed_after_the_yields_end_still_gets_a_model_duration():
    # ZNU25 is listed on 2024-12-20, months after these yields end
    book = PaperPriceBook(market_until("2024-06-28"), ["ZN"], start=dt.date(2025, 3, 1), end=DAY)
    book.add_settlements(ib_rows("ZNU25", [DAY], 110.25))
    # a 10-year note future's modified duration is about six years
    assert 5.0 < book.value("ZNU25", DAY, "duration") < 7.5


def test_settlements_without_a_settle_column_name_it():
    book = PaperPriceBook(load_market(), ["ZN"], start=dt.date(2025, 3, 1), end=DAY)
    with pytest.raises(ValueError, match=r"settlements: missing column\(s\) settle"):
        book.add_settlements(pd.DataFrame({"date": [DAY], "contract": ["ZNM25"], "close": [110.5]}))
