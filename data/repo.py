"""The overnight rate that finances a futures position's deliverable security (repo).

Sources (FRED, percent, in a data folder's ``rates/``):

* ``SOFR`` - the Secured Overnight Financing Rate, business days from 2018-04-03: overnight
  Treasury repo, the carry rate of a cash-and-carry position;
* ``DFF`` - the effective federal funds rate, every calendar day since 1954 (or ``EFFR``, the
  same rate on business days from 2000-07-03): the overnight rate before SOFR exists.

:func:`financing_rate` splices them (fed funds before ``SOFR_START``, SOFR from it).  SOFR's
month-, quarter- and year-end spikes (5.25 % on 2019-09-17) are real overnight prints, but a
futures price carries a bond for weeks or months, so :func:`repo_on` takes the median of the
last ``smooth_days`` business days.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .bond_dates import to_days
from .loaders import data_files, load_yields

SOFR_START = "2018-04-03"
RATE_SERIES = ("SOFR", "DFF", "EFFR")  # files read from rates/; others there (GCF.csv) are left alone
FED_FUNDS = ("DFF", "EFFR")  # preferred first
SMOOTH_DAYS = 5


def load_rates(folder, max_gap_days: int | None = 10, warn: bool = True) -> pd.DataFrame:
    """The FRED overnight-rate files of a ``rates/`` folder (``SOFR``, ``DFF``, ``EFFR``; ``.csv``
    or ``.csv.gz``), percent, one column each; validated like yield files."""
    folder = Path(folder)
    names = {p.name.split(".")[0].upper(): p for p in data_files(folder)}
    wanted = [s for s in RATE_SERIES if s in names]
    if not wanted:
        raise FileNotFoundError(f"{folder}: no SOFR.csv or DFF.csv (FRED overnight rates for futures carry)")
    parts = [load_yields(names[s], max_gap_days=max_gap_days, warn=warn) for s in wanted]
    out = pd.concat(parts, axis=1, sort=True)
    out.attrs["issues"] = [i for p in parts for i in p.attrs.get("issues", [])]
    return out


def financing_rate(rates: pd.DataFrame) -> pd.Series:
    """The overnight financing rate in percent, indexed by date: the effective fed funds rate
    before ``SOFR_START`` and SOFR from it (fed funds throughout when there is no SOFR)."""
    ff_col = next((c for c in FED_FUNDS if c in rates.columns), None)
    ff = rates[ff_col].dropna() if ff_col else pd.Series(dtype=float)
    sofr = rates["SOFR"].dropna() if "SOFR" in rates.columns else pd.Series(dtype=float)
    if sofr.empty:
        out = ff
    elif ff.empty:
        out = sofr
    else:
        out = pd.concat([ff[ff.index < SOFR_START], sofr[sofr.index >= SOFR_START]])
    if out.empty:
        raise ValueError("no overnight rate: rates/ needs SOFR or the effective fed funds rate (DFF)")
    out.name = "repo"
    return out.sort_index()


def repo_on(days, repo_pct: pd.Series, smooth_days: int = SMOOTH_DAYS) -> np.ndarray:
    """Repo (decimal) on each business day number in ``days`` (ascending): the latest print on
    or before the day, then the median of the last ``smooth_days`` such values; NaN before the
    first print."""
    idx = to_days(repo_pct.index.values)
    vals = repo_pct.to_numpy(float) / 100.0
    pos = np.searchsorted(idx, np.asarray(days, dtype=np.int64), side="right") - 1
    r = np.where(pos >= 0, vals[np.maximum(pos, 0)], np.nan)
    if smooth_days > 1:
        r = pd.Series(r).rolling(smooth_days, min_periods=1).median().to_numpy()
    return r
