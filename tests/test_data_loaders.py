import gzip
import warnings

import numpy as np
import pytest

from ecore.data.loaders import (DataFileError, DataWarning, load_closes, load_closes_folder,
                                load_futures_settlements, load_yields)


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def error_of(fn, *args, **kw):
    with pytest.raises(DataFileError) as info:
        fn(*args, **kw)
    return info.value


# ---------------------------------------------------------------------------------------------
# closes


def test_date_close_file(tmp_path):
    p = write(tmp_path, "ivv.csv", "Date,Close\n2024-01-02,100.5\n2024-01-03,101\n")
    s = load_closes(p)
    assert s.name == "IVV"
    assert list(s) == [100.5, 101.0]
    assert s.index[0].date().isoformat() == "2024-01-02"


def test_yahoo_style_uses_adjusted_close(tmp_path):
    p = write(tmp_path, "SPY.csv",
              "Date,Open,High,Low,Close,Adj Close,Volume\n"
              "2024-01-02,10,11,9,10.5,9.5,100\n"
              "2024-01-03,null,null,null,null,null,null\n"
              "2024-01-04,10,11,9,10.7,9.7,100\n")
    with pytest.warns(DataWarning, match="line 3"):
        s = load_closes(p)
    assert list(s) == [9.5, 9.7]
    assert s.attrs["missing"] == 1  # counted, not silently dropped
    assert s.attrs["issues"][0].line == 3


def test_gzip_file(tmp_path):
    p = tmp_path / "AGG.csv.gz"
    p.write_bytes(gzip.compress(b"Date,Close\n2024-01-02,100\n"))
    assert load_closes(p).name == "AGG"


@pytest.mark.parametrize("body,line,column,words", [
    ("Date,Close\n2024-01-03,1\n2024-01-02,2\n", 3, "Date", "increasing order"),
    ("Date,Close\n2024-01-02,1\n2024-01-02,2\n", 3, "Date", "duplicate date 2024-01-02"),
    ("Date,Close\n2024-01-02,1\n2024-01-03,0\n", 3, "Close", "not positive"),
    ("Date,Close\n2024-01-02,1\n2024-01-03,-4\n", 3, "Close", "not positive"),
    ("Date,Close\n2024-01-02,abc\n", 2, "Close", "not a number"),
    ("Date,Close\n2024-01-02,1\n02/01/2024,2\n", 3, "Date", "not a date"),
])
def test_closes_bad_input_names_file_line_column(tmp_path, body, line, column, words):
    p = write(tmp_path, "bad.csv", body)
    e = error_of(load_closes, p)
    assert e.path.endswith("bad.csv") and e.line == line and e.column == column
    assert f"bad.csv, line {line}, column '{column}'" in str(e)
    assert words in str(e)


def test_closes_missing_column(tmp_path):
    e = error_of(load_closes, write(tmp_path, "x.csv", "Day,Price\n2024-01-02,1\n"))
    assert "x.csv, line 1" in str(e)


def test_closes_gap_is_a_counted_warning(tmp_path):
    p = write(tmp_path, "gap.csv", "Date,Close\n2024-01-02,1\n2024-01-03,1\n2024-02-01,1\n")
    with pytest.warns(DataWarning, match="gap.csv"):
        s = load_closes(p, max_gap_days=10)
    assert len(s) == 3  # nothing dropped
    (gap,) = s.attrs["issues"]
    assert gap.kind == "gap" and gap.line == 4 and "20 business days" in gap.message
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_closes(p, max_gap_days=30).attrs["issues"]) == 0


def test_closes_folder(tmp_path):
    write(tmp_path, "A.csv", "Date,Close\n2024-01-02,1\n2024-01-03,1.1\n")
    write(tmp_path, "B.csv", "Date,Close\n2024-01-03,5\n")
    f = load_closes_folder(tmp_path)
    assert list(f.columns) == ["A", "B"]
    assert np.isnan(f.loc["2024-01-02", "B"])
    with pytest.raises(FileNotFoundError, match="C"):
        load_closes_folder(tmp_path, ["A", "C"])


# ---------------------------------------------------------------------------------------------
# yields


def test_fred_current_format(tmp_path):
    p = write(tmp_path, "DGS10.csv", "observation_date,DGS10\n2024-01-01,\n2024-01-02,3.95\n2024-01-03,3.91\n")
    y = load_yields(p)
    assert list(y.columns) == ["DGS10"]
    assert len(y) == 2 and y.attrs["missing"] == 1  # the holiday is counted
    assert y["DGS10"].iloc[0] == 3.95


def test_fred_old_format_with_dots(tmp_path):
    p = write(tmp_path, "DGS2.csv", "DATE,DGS2\n2001-01-01,.\n2001-01-02,5.10\n")
    y = load_yields(p)
    assert list(y["DGS2"]) == [5.10] and y.attrs["missing"] == 1


def test_yields_folder_orders_tenors(tmp_path):
    write(tmp_path, "DGS10.csv", "observation_date,DGS10\n2024-01-02,4\n")
    write(tmp_path, "DGS3MO.csv", "observation_date,DGS3MO\n2024-01-02,5\n")
    write(tmp_path, "DGS2.csv", "DATE,DGS2\n2024-01-02,4.5\n")
    assert list(load_yields(tmp_path).columns) == ["DGS3MO", "DGS2", "DGS10"]


@pytest.mark.parametrize("body,line,column,words", [
    ("observation_date,DGS10\n2024-01-03,4\n2024-01-02,4\n", 3, "observation_date", "increasing order"),
    ("observation_date,DGS10\n2024-01-02,4\n2024-01-02,4.1\n", 3, "observation_date", "duplicate date"),
    ("observation_date,DGS10\n2024-01-02,4\n2024-01-03,26.5\n", 3, "DGS10", "outside -1.0...25.0"),
    ("DATE,DGS10\n2024-01-02,-1.5\n", 2, "DGS10", "outside"),
    ("DATE,DGS10\n2024-01-02,4\n2024-01-03,n/a\n", 3, "DGS10", "not a number"),
])
def test_yields_bad_input_names_file_line_column(tmp_path, body, line, column, words):
    p = write(tmp_path, "DGS10.csv", body)
    e = error_of(load_yields, p)
    assert f"DGS10.csv, line {line}, column '{column}'" in str(e)
    assert words in str(e)


def test_yields_gap_warning(tmp_path):
    p = write(tmp_path, "DGS10.csv", "observation_date,DGS10\n2024-01-02,4\n2024-03-01,4\n")
    with pytest.warns(DataWarning, match="DGS10.csv"):
        y = load_yields(p, max_gap_days=5)
    assert y.attrs["issues"][0].line == 3 and len(y) == 2


def test_yields_wrong_header(tmp_path):
    e = error_of(load_yields, write(tmp_path, "DGS10.csv", "when,DGS10\n2024-01-02,4\n"))
    assert "line 1" in str(e)


def test_shared_fred_files_load(shared):
    y = load_yields(shared / "data" / "yields", ["DGS3MO", "DGS10"], max_gap_days=None)
    assert y.index[-1].date().isoformat() == "2026-04-17"
    assert y.attrs["missing"] > 0


# ---------------------------------------------------------------------------------------------
# real futures settlements

HEADER = "date,contract,open,high,low,settle,volume,open_interest\n"


def test_futures_long_format(tmp_path):
    p = write(tmp_path, "f.csv", HEADER
              + "2025-01-02,ZNH25,108.5,108.75,108.25,108-20,1000,5000\n"
              + "2025-01-02,ZNM25,,,,108-08+,,\n"
              + "2025-01-03,ZNH25,108.5,108.75,108.25,108.5,1000,5000\n"
              + "2025-01-03,ZN 202506,,,,108.25,,\n")
    book = load_futures_settlements(p)
    assert book.settle("ZNH25", "2025-01-02") == 108.625
    assert book.settle("ZNM25", "2025-01-02") == 108 + 8.5 / 32
    assert book.settle("ZNM25", "2025-01-03") == 108.25
    assert set(book.frame["source"]) == {"real"}


def test_futures_one_digit_year_read_near_row_date(tmp_path):
    p = write(tmp_path, "f.csv", HEADER + "2015-01-02,ZNH5,,,,127.5,,\n")
    assert load_futures_settlements(p).contracts()[0].code == "ZNH15"


@pytest.mark.parametrize("row2,column,words", [
    ("2025-01-03,ZQH25,,,,108,,\n", "contract", "unknown contract code 'ZQH25'"),
    ("2025-01-03,ZNF25,,,,108,,\n", "contract", "unknown contract code 'ZNF25'"),
    ("2025-01-03,ZNH25,,,,0,,\n", "settle", "not positive"),
    ("2025-01-03,ZNH25,,,,,,\n", "settle", "empty"),
    ("2025-01-03,ZNH25,-1,,,108,,\n", "open", "not positive"),
    ("2025-01-02,ZNH25,,,,108,,\n", "date", "duplicate date 2025-01-02 for ZNH25"),
    ("2025-01-01,ZNH25,,,,108,,\n", "date", "increasing order"),
])
def test_futures_bad_input_names_file_line_column(tmp_path, row2, column, words):
    p = write(tmp_path, "fut.csv", HEADER + "2025-01-02,ZNH25,,,,108,,\n" + row2)
    e = error_of(load_futures_settlements, p)
    assert f"fut.csv, line 3, column '{column}'" in str(e)
    assert words in str(e)


def test_futures_interleaved_contracts_checked_per_contract(tmp_path):
    p = write(tmp_path, "fut.csv", HEADER
              + "2025-01-02,ZNH25,,,,108,,\n2025-01-02,ZFH25,,,,106,,\n2025-01-03,ZNH25,,,,108,,\n")
    assert len(load_futures_settlements(p)) == 3


def test_futures_gap_warning(tmp_path):
    p = write(tmp_path, "fut.csv", HEADER + "2025-01-02,ZNH25,,,,108,,\n2025-02-20,ZNH25,,,,109,,\n")
    with pytest.warns(DataWarning):
        book = load_futures_settlements(p, max_gap_days=10)
    assert book.frame.attrs["issues"][0].line == 3
    assert len(book) == 2


def test_ragged_row_and_truncated_gzip(tmp_path):
    e = error_of(load_closes, write(tmp_path, "ragged.csv", "Date,Close\n2024-01-02,1\n2024-01-03,1,2\n"))
    assert "ragged.csv, line 3" in str(e)
    p = tmp_path / "T.csv.gz"
    p.write_bytes(gzip.compress(b"Date,Close\n" + b"2024-01-02,1\n" * 500)[:40])
    e = error_of(load_closes, p)
    assert "T.csv.gz" in str(e)


def test_a_close_that_jumps_by_half_in_a_day_is_reported_with_its_line(tmp_path):
    import warnings

    from ecore.data.loaders import DataWarning, load_closes

    f = tmp_path / "IVV.csv"
    f.write_text("Date,Close\n2019-06-17,290.0\n2019-06-18,5000.0\n2019-06-19,291.0\n")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        s = load_closes(f)
    jumps = [i for i in s.attrs["issues"] if i.kind == "jump"]
    assert [i.line for i in jumps] == [3, 4]
    assert any(issubclass(w.category, DataWarning) and "line 3" in str(w.message) for w in seen)
    assert len(s) == 3  # reported, never dropped
