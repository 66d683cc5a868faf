"""Issue 22, item 5: outputs touch only files the command wrote: a folder in an output's place
(``out/report.html/``) or a file no manifest lists is never replaced, and an output folder
inside a data folder (or holding it) is refused, each before the run, in one line, exit 2."""

from __future__ import annotations

import json

import pytest

from ecore.engine.cli.main import main
from ecore.engine.report.staged_output import MANIFEST, OutputConflict, StagedFolder, check_targets

RUN = ["backtest", "--strategy", "SixtyForty", "--start", "2021-01-04", "--end", "2021-02-26",
       "--no-benchmark", "--quiet"]


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ECORE_DEBUG", raising=False)
    return tmp_path


def one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_a_user_folder_named_like_an_output_is_kept_with_its_contents(here, capsys):
    (here / "out" / "report.html").mkdir(parents=True)
    (here / "out" / "report.html" / "precious.txt").write_text("mine")
    assert main([*RUN, "--out", "out"]) == 2
    assert "out/report.html is a folder, where this command writes its report.html" in one_error(capsys)
    assert (here / "out" / "report.html" / "precious.txt").read_text() == "mine"
    assert sorted(p.name for p in (here / "out").iterdir()) == ["report.html"]


def test_a_file_no_manifest_lists_is_never_replaced(here, capsys):
    (here / "out").mkdir()
    (here / "out" / "daily.csv").write_text("my own daily notes")
    assert main([*RUN, "--out", "out"]) == 2
    assert "out/daily.csv exists and no ecore run wrote it" in one_error(capsys)
    assert (here / "out" / "daily.csv").read_text() == "my own daily notes"


def test_a_file_an_earlier_run_wrote_is_replaced(here, capsys):
    assert main([*RUN, "--out", "out"]) == 0
    first = (here / "out" / "daily.csv").read_text()
    assert main([*RUN, "--end", "2021-03-31", "--out", "out"]) == 0
    assert (here / "out" / "daily.csv").read_text() != first
    assert "daily.csv" in json.loads((here / "out" / MANIFEST).read_text())["backtest"]


def test_the_commit_itself_refuses_a_folder_that_appeared_during_the_run(tmp_path):
    out = tmp_path / "out"
    with StagedFolder(out, "backtest") as stage:
        stage.path("daily.csv").write_text("new")
        (out / "daily.csv").mkdir()
        (out / "daily.csv" / "keep.txt").write_text("mine")
        with pytest.raises(OutputConflict, match="is a folder"):
            stage.commit(["daily.csv"])
    assert (out / "daily.csv" / "keep.txt").read_text() == "mine"


def test_check_targets_passes_an_empty_or_missing_folder(tmp_path):
    check_targets(tmp_path / "nowhere", ["daily.csv"])
    check_targets(tmp_path, ["daily.csv"])


def test_an_output_folder_inside_the_data_folder_is_refused(here, capsys, small_data_copy):
    assert main([*RUN, "--data", "d", "--out", "d/results"]) == 2
    line = one_error(capsys)
    assert "--out: d/results is inside the data folder d" in line
    assert not (here / "d" / "results").exists()


def test_an_output_folder_holding_the_data_folder_is_refused(here, capsys, small_data_copy):
    assert main([*RUN, "--data", "d", "--out", "."]) == 2
    assert "holds the data folder d" in one_error(capsys)


def test_a_sweep_folder_inside_the_data_folder_is_refused(here, capsys, small_data_copy):
    (here / "s.toml").write_text('strategy = "SixtyForty"\ndata = "d"\nstart = 2021-01-04\nend = 2021-02-26\n'
                                 "[grid]\nequity_weight = [0.5, 0.6]\n")
    assert main(["sweep", "s.toml", "--out", "d/sw", "--no-progress"]) == 2
    assert "--out: d/sw is inside the data folder" in one_error(capsys)
    assert not (here / "d" / "sw").exists()


@pytest.mark.parametrize("argv,flag", [
    (["backtest", "--out", "", "--quiet"], "--out"),
    (["backtest", "--out=", "--quiet"], "--out"),
    (["backtest", "--config", "", "--quiet"], "--config"),
    (["backtest", "--data", " ", "--quiet"], "--data"),
    (["sweep", "s.toml", "--out", ""], "--out"),
    (["data", "download", "--out", ""], "--out"),
    (["sweep", ""], "FILE"),
])
def test_an_empty_path_is_refused_not_taken_as_the_current_folder(here, capsys, argv, flag):
    (here / "s.toml").write_text('strategy = "SixtyForty"\n[grid]\nequity_weight = [0.5]\n')
    before = sorted(p.name for p in here.iterdir())
    assert main(argv) == 2
    assert f"{flag}: an empty path" in one_error(capsys)
    assert sorted(p.name for p in here.iterdir()) == before


@pytest.fixture
def small_data_copy(here):
    import gzip

    import pandas as pd

    from ecore.data.market import BUNDLED_DIR

    for kind in ("yields", "closes"):
        (here / "d" / kind).mkdir(parents=True)
        for path in sorted((BUNDLED_DIR / kind).glob("*.csv.gz")):
            with gzip.open(path, "rt") as fh:
                frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
            day = frame.iloc[:, 0]
            frame[(day >= "2020-06-01") & (day <= "2021-12-31")].to_csv(here / "d" / kind / path.name[:-3], index=False)
    return here / "d"
