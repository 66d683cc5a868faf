"""The price book's look-ups by (contract, day)."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ecore.data.price_book import FuturesPriceBook, PriceBookError


@pytest.fixture
def book():
    # ZNH25 on Mon 3, Tue 4 and Thu 6 Feb 2025 (no row on Wednesday); ZNM25 on Tue 4 only
    return FuturesPriceBook(pd.DataFrame({
        "date": ["2025-02-03", "2025-02-04", "2025-02-06", "2025-02-04"],
        "contract": ["ZNH25", "ZNH25", "ZNH25", "ZNM25"],
        "settle": [110.0, 110.5, 111.0, 108.25],
        "dv01": [64.0, 64.5, 65.0, 66.0],
    }))


def test_settle_is_the_rows_price_and_none_on_days_without_a_row(book):
    assert book.settle("ZNH25", dt.date(2025, 2, 4)) == 110.5
    assert book.settle("ZNM25", "2025-02-04") == 108.25
    assert book.settle("ZNH25", dt.date(2025, 2, 5)) is None  # a gap inside the contract's life
    assert book.settle("ZNH25", dt.date(2025, 2, 2)) is None  # before its first row
    assert book.settle("ZNH25", dt.date(2025, 2, 7)) is None  # after its last row
    assert book.settle("ZNU25", dt.date(2025, 2, 4)) is None  # a contract the book lacks


def test_value_reads_any_column_of_the_same_row(book):
    assert book.value("ZNH25", pd.Timestamp("2025-02-06"), "dv01") == 65.0
    assert book.value("ZNM25", "2025-02-03", "dv01") is None
    assert book.value("ZNH25", "2025-02-06", "duration") is None  # no such column


def test_arrays_and_span(book):
    days, dv01 = book.arrays("ZNH25", "dv01")
    assert list(days) == list(np.array(["2025-02-03", "2025-02-04", "2025-02-06"], dtype="datetime64[D]"))
    assert list(dv01) == [64.0, 64.5, 65.0]
    assert book.span() == (dt.date(2025, 2, 3), dt.date(2025, 2, 6))
    assert FuturesPriceBook.empty().span() == (None, None)
    with pytest.raises(KeyError, match="ZNU25"):
        book.arrays("ZNU25")


def test_duplicate_rows_are_refused():
    with pytest.raises(PriceBookError, match="duplicate price for ZNH25 on 2025-02-03"):
        FuturesPriceBook(pd.DataFrame({"date": ["2025-02-03", "2025-02-03"], "contract": ["ZNH25"] * 2,
                                       "settle": [110.0, 110.5]}))
