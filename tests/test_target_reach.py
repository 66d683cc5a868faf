"""The ladder's reach against the target duration: a target in years the ladder can only miss is
refused before the run; the dated "agg" target, which moves with the index, is held as near as
the ladder gets where it dips out of reach, and the run says so in one line."""

from __future__ import annotations

import warnings

import pytest

from ecore.engine.cli.main import main
from ecore.engine.validation.plausibility import TargetOutOfReach


def test_the_index_duration_dipping_out_of_reach_is_one_warning_line(tmp_path, capsys, monkeypatch):
    # 2016: the Aggregate index's duration (about 5.4 years) sat below the default ladder's
    # shortest mix (about 5.6 years on the basket model's durations).
    monkeypatch.chdir(tmp_path)
    status = main(["backtest", "--start", "2016-03-01", "--end", "2016-09-30", "--out", "res", "--quiet"])
    assert status == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "target_duration" in line]
    assert len(said) == 1
    assert said[0].startswith('ecore backtest: warning: params.target_duration: "agg" is out of the ladder\'s reach')
    assert "years off" in said[0] and "give ZT more weight in params.ladder" in said[0]  # what to do about it
    assert ".py:" not in said[0]  # no Python source line
    assert (tmp_path / "res" / "metrics.json").exists()


def test_a_target_in_reach_runs_without_a_word_about_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.toml").write_text('[params]\ntarget_duration = 6.0\n')
    status = main(["backtest", "--config", "run.toml", "--start", "2021-01-04", "--end", "2021-03-31",
                   "--out", "res", "--quiet"])
    assert status == 0
    assert "target_duration" not in capsys.readouterr().err
