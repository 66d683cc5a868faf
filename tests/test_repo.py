"""Futures carry: the overnight repo series and the dated implied-repo spread table."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ecore.data.bond_dates import to_days
from ecore.data.implied_repo import ImpliedRepoSpread, SpreadTableError
from ecore.data.market import bundled_rates
from ecore.data.repo import financing_rate, repo_on


def test_fed_funds_until_sofr_starts_then_sofr():
    rates = pd.DataFrame({"DFF": [5.0, 5.1, 5.2], "SOFR": [np.nan, 1.80, 1.83]},
                         index=pd.to_datetime(["2018-03-30", "2018-04-02", "2018-04-03"]))
    s = financing_rate(rates)
    assert s.to_dict() == {pd.Timestamp("2018-03-30"): 5.0, pd.Timestamp("2018-04-02"): 5.1,
                           pd.Timestamp("2018-04-03"): 1.83}


def test_without_sofr_fed_funds_runs_on():
    rates = pd.DataFrame({"DFF": [2.0, 2.1]}, index=pd.to_datetime(["2019-01-02", "2019-01-03"]))
    assert financing_rate(rates).tolist() == [2.0, 2.1]


def test_sofr_spikes_are_smoothed_by_a_five_day_median():
    s = financing_rate(bundled_rates())
    days = to_days(pd.bdate_range("2019-09-10", "2019-09-20").values)
    raw = repo_on(days, s, smooth_days=1)
    smooth = repo_on(days, s)
    k = list(days).index(to_days(["2019-09-17"])[0])
    assert raw[k] == pytest.approx(0.0525)  # the repo spike of 17 September 2019
    assert smooth[k] < 0.024


def test_a_spread_applies_from_its_date_to_the_next_row_of_the_same_root(tmp_path):
    path = tmp_path / "spread.csv"
    path.write_text("# comment\ndate,root,spread_bp,source\n2018-04-03,ZN,60,test\n2022-01-03,ZN,80,test\n"
                    "2018-04-03,ZT,30,test\n")
    table = ImpliedRepoSpread.from_csv(path)
    days = to_days(["2018-04-02", "2018-04-03", "2021-12-31", "2022-01-03"])
    assert table.on("ZN", days).tolist() == [0.0, 0.006, 0.006, 0.008]
    assert table.on("UB", days).tolist() == [0.0] * 4


@pytest.mark.parametrize("row, words", [
    ("2018-13-01,ZN,60,x", "line 3: unparseable date '2018-13-01'"),
    ("2018-04-03,ZZ,60,x", "line 3: unknown root 'ZZ'"),
    ("2018-04-03,ZN,sixty,x", "line 3: spread_bp 'sixty' is not a number"),
    ("2018-04-03,ZN,900,x", "line 3: spread_bp 900.0 is outside -500..500"),
])
def test_a_bad_spread_row_is_one_clear_error(tmp_path, row, words):
    path = tmp_path / "spread.csv"
    path.write_text(f"date,root,spread_bp,source\n2018-04-03,ZT,30,x\n{row}\n")
    with pytest.raises(SpreadTableError, match=words):
        ImpliedRepoSpread.from_csv(path)


def test_the_bundled_spread_table_covers_every_root_in_three_regimes():
    table = ImpliedRepoSpread.bundled()
    assert {p.root for p in table.points} == {"ZT", "Z3N", "ZF", "ZN", "TN", "TWE", "ZB", "UB"}
    assert {p.date for p in table.points} == {dt.date(2000, 1, 1), dt.date(2008, 1, 1), dt.date(2018, 4, 3)}
    assert all(p.source for p in table.points)
