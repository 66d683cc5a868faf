"""Issue 22, item 2: a data folder holds one file per series.  Two files for one series
(``.csv`` beside ``.csv.gz``, or names differing in case) are an error naming both, never a silent
pick; an entry with a data file's name that is a folder, a broken link or a link loop is named;
``ecore data download`` replaces the series' file whatever its extension was."""

from __future__ import annotations

import gzip
import os

import pytest

from ecore.data.loaders import DataFileError, data_files, load_closes_folder, load_yields
from ecore.data.market import load_market

from test_data_download import server  # noqa: F401  (server is a fixture)


def _yield_file(folder, name, value="1.5"):
    folder.mkdir(parents=True, exist_ok=True)
    text = f"observation_date,DGS10\n2020-01-02,{value}\n2020-01-03,{value}\n"
    if name.endswith(".gz"):
        (folder / name).write_bytes(gzip.compress(text.encode()))
    else:
        (folder / name).write_text(text)


def test_csv_beside_csv_gz_of_one_series_is_an_error_naming_both(tmp_path):
    _yield_file(tmp_path, "DGS10.csv", "1.5")
    _yield_file(tmp_path, "DGS10.csv.gz", "2.5")
    with pytest.raises(DataFileError, match=r"two files for the series DGS10: DGS10.csv and DGS10.csv.gz"):
        load_yields(tmp_path)


def test_two_files_differing_only_in_case_are_an_error_naming_both(tmp_path):
    (tmp_path / "IVV.csv").write_text("Date,Close\n2020-01-02,300\n")
    (tmp_path / "ivv.csv").write_text("Date,Close\n2020-01-02,301\n")
    with pytest.raises(DataFileError, match=r"two files for the series IVV: IVV.csv and ivv.csv"):
        load_closes_folder(tmp_path)


def test_a_folder_with_a_data_file_name_is_named_not_reported_as_a_missing_symbol(tmp_path):
    (tmp_path / "IVV.csv").mkdir()
    with pytest.raises(DataFileError, match=r"IVV.csv: is a folder, not a data file"):
        data_files(tmp_path)


def test_a_link_loop_with_a_data_file_name_is_named(tmp_path):
    os.symlink(tmp_path / "B.csv", tmp_path / "A.csv")
    os.symlink(tmp_path / "A.csv", tmp_path / "B.csv")
    with pytest.raises(DataFileError, match=r"A.csv: is a link loop, not a data file"):
        data_files(tmp_path)


def test_a_broken_link_with_a_data_file_name_is_named(tmp_path):
    os.symlink(tmp_path / "gone.csv.gz", tmp_path / "SPY.csv")
    with pytest.raises(DataFileError, match=r"SPY.csv: is a broken link, not a data file"):
        data_files(tmp_path)


def test_hidden_and_other_files_are_not_series(tmp_path):
    (tmp_path / ".IVV.csv.part").write_text("x")
    (tmp_path / "README.txt").write_text("x")
    (tmp_path / "IVV.csv").write_text("Date,Close\n2020-01-02,300\n")
    assert [p.name for p in data_files(tmp_path)] == ["IVV.csv"]


def test_two_files_of_the_treasury_table_are_an_error(tmp_path):
    import shutil

    from ecore.data.market import BUNDLED_DIR

    d = tmp_path / "d"
    shutil.copytree(BUNDLED_DIR / "yields", d / "yields")
    (d / "treasuries").mkdir()
    (d / "treasuries" / "securities.csv").write_text("x\n")
    (d / "treasuries" / "securities.csv.gz").write_bytes(gzip.compress(b"x\n"))
    with pytest.raises(DataFileError, match=r"two files for securities: securities.csv and securities.csv.gz"):
        load_market(d)


def test_download_replaces_an_older_csv_gz_of_the_series(server, tmp_path):  # noqa: F811
    from ecore.data.download import download_yield

    _yield_file(tmp_path / "yields", "DGS10.csv.gz", "9.99")
    assert download_yield("DGS10", tmp_path, None, f"{server}/fred").ok
    assert sorted(p.name for p in (tmp_path / "yields").iterdir()) == ["DGS10.csv"]
    assert 9.99 not in load_yields(tmp_path / "yields")["DGS10"].tolist()


def test_a_failed_download_keeps_the_older_file_of_the_series(server, tmp_path):  # noqa: F811
    from ecore.data.download import download_yield

    _yield_file(tmp_path / "yields", "DGS30.csv.gz", "3.0")  # the server answers 404 for DGS30
    assert not download_yield("DGS30", tmp_path, None, f"{server}/fred").ok
    assert sorted(p.name for p in (tmp_path / "yields").iterdir()) == ["DGS30.csv.gz"]
