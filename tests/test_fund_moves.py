"""Issue 22, item 4: a fund's one-day move beyond the bound of its kind stops the run naming the
file, day and likely cause, unless accepted; the bounds hold every real day of the bundled funds."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pandas as pd
import pytest

from ecore.data.fund_moves import FALL_BOUNDS, describe_bound, fund_kind, likely_cause, log_bound
from ecore.data.market import BUNDLED_DIR


def _adjusted(path):
    with gzip.open(path, "rt") as fh:
        frame = pd.read_csv(fh)
    col = next(c for c in frame.columns if c.lower() in ("adj close", "close"))
    return pd.to_numeric(frame[col], errors="coerce").dropna().to_numpy()


@pytest.mark.parametrize("path", sorted((BUNDLED_DIR / "closes").glob("*.csv.gz")), ids=lambda p: p.name)
def test_every_real_day_of_the_bundled_funds_is_inside_its_kind_bound(path):
    closes = _adjusted(path)
    worst = float(np.max(np.abs(np.diff(np.log(closes)))))
    symbol = path.name.split(".")[0]
    assert worst < log_bound(symbol)
    # and with room: the worst real day is at most three quarters of the bound
    assert worst < 3 / 4 * log_bound(symbol)


def test_the_worst_real_days_stated_in_the_docstring_are_the_measured_ones():
    eem = _adjusted(BUNDLED_DIR / "closes" / "EEM.csv.gz")
    agg = _adjusted(BUNDLED_DIR / "closes" / "AGG.csv.gz")
    assert np.min(eem[1:] / eem[:-1] - 1) == pytest.approx(-0.1617, abs=5e-5)
    assert np.max(eem[1:] / eem[:-1] - 1) == pytest.approx(0.2277, abs=5e-5)
    assert np.min(agg[1:] / agg[:-1] - 1) == pytest.approx(-0.0684, abs=5e-5)


@pytest.mark.parametrize("symbol,kind", [("AGG", "bond"), ("ief", "bond"), ("IVV", "equity"), ("XYZ", "equity")])
def test_a_fund_kind_is_bond_for_bond_funds_and_equity_otherwise(symbol, kind):
    assert fund_kind(symbol) == kind


@pytest.mark.parametrize("ratio,caught_equity,caught_bond", [
    (2 / 3, True, True),     # 3-for-2 split: -33 %
    (0.5, True, True),       # 2-for-1: -50 %
    (2.0, True, True),       # 1-for-2 reverse split: +100 %
    (0.8, False, True),      # 5-for-4: -20 %
    (0.87, False, False),    # -13 %: a bad real day for an equity fund, inside a bond fund's bound
    (1.25, False, True),     # +25 %
])
def test_the_bound_catches_unadjusted_splits(ratio, caught_equity, caught_bond):
    move = abs(math.log(ratio))
    assert (move > log_bound("IVV") - 1e-12) is caught_equity
    assert (move > log_bound("AGG") - 1e-12) is caught_bond


def test_the_bound_is_a_fall_and_the_same_rise_in_log_terms():
    assert FALL_BOUNDS == {"equity": 0.25, "bond": 0.15}
    assert math.exp(log_bound("IVV")) - 1 == pytest.approx(1 / 3)
    assert describe_bound("AGG") == "a fall of 15% or a rise of 18% in a day (bond fund bound)"


@pytest.mark.parametrize("before,after,words", [
    (300.0, 200.0, "3-for-2 split"),
    (300.0, 155.0, "2-for-1 split"),   # with a 3 % market move on the day
    (80.0, 160.0, "1-for-2 reverse split"),
    (300.0, 30000.0, "price in cents"),
    (300.0, 120.0, "data error"),
])
def test_the_likely_cause_of_a_jump_is_named(before, after, words):
    assert words in likely_cause(before, after)


def test_an_accepted_split_runs(tmp_path, monkeypatch, capsys):
    from ecore.engine.cli.main import main

    monkeypatch.chdir(tmp_path)
    for kind in ("yields", "closes"):
        (tmp_path / "d" / kind).mkdir(parents=True)
        for path in sorted((BUNDLED_DIR / kind).glob("*.csv.gz")):
            with gzip.open(path, "rt") as fh:
                frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
            day = frame.iloc[:, 0]
            frame = frame[(day >= "2020-06-01") & (day <= "2021-12-31")].copy()
            if path.name.startswith("IVV"):
                col = frame.columns[-1]
                after = frame.iloc[:, 0] >= "2021-02-03"
                frame.loc[after, col] = (pd.to_numeric(frame.loc[after, col]) * 2 / 3).map(repr)
            frame.to_csv(tmp_path / "d" / kind / path.name[:-3], index=False)
    argv = ["backtest", "--data", "d", "--start", "2021-01-04", "--end", "2021-06-30", "--quiet", "--out", "out"]
    assert main(argv) == 2
    assert "likely an unadjusted 3-for-2 split" in capsys.readouterr().err
    assert main([*argv, "--accept-jumps"]) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "3-for-2 split" in err  # accepted, still said once
