"""All the market data a backtest reads: yields, equity closes, optional real futures settlements.

A data folder (the bundled set, a ``--data DIR`` folder, or what ``ecore data download`` writes)
has this layout; files may be plain ``.csv`` or gzip-compressed ``.csv.gz``::

    DIR/yields/DGS3MO.csv ... DGS30.csv    FRED format: observation_date,DGS10 (or DATE,DGS10)
    DIR/closes/IVV.csv, AGG.csv, ...        Date,Close (adjusted) or Yahoo-style with Adj Close
    DIR/real_futures/*.csv                  optional: date,contract,open,high,low,settle,volume,open_interest

(``etf/`` is accepted in place of ``closes/``.)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .loaders import (DEFAULT_MAX_GAP_DAYS, DataWarning, Issue, load_closes_folder, load_futures_folder,
                      load_yields)
from .price_book import FuturesPriceBook

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"
SHORT_RATE_SERIES = "DGS3MO"


@dataclass(frozen=True)
class MarketData:
    """Yields (percent, one column per FRED series), adjusted closes (one column per symbol),
    optional real futures settlements, and where they came from."""

    yields: pd.DataFrame
    closes: pd.DataFrame
    real_futures: FuturesPriceBook | None = None
    source: str = ""
    issues: tuple[Issue, ...] = field(default=(), repr=False)

    def short_rate(self) -> pd.Series:
        """Decimal annual short rate (DGS3MO / 100) on every weekday of the yields' span,
        forward-filled over bond-market holidays and missing values."""
        if SHORT_RATE_SERIES not in self.yields.columns:
            raise ValueError(f"{self.source or 'the market data'}: no yields/{SHORT_RATE_SERIES}.csv: the "
                             "3-month bill rate is the short rate for cash and futures carry")
        s = self.yields[SHORT_RATE_SERIES].dropna()
        if s.empty:
            raise ValueError(f"{SHORT_RATE_SERIES} has no values")
        days = pd.bdate_range(s.index[0], self.yields.index[-1], name="date")
        out = (s / 100.0).reindex(days.union(s.index)).ffill()
        out.name = "short_rate"
        return out

    def span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return self.yields.index[0], self.yields.index[-1]


_BUNDLED_CACHE: MarketData | None = None


def load_market(data_dir=None, symbols=None, max_gap_days: int | None = DEFAULT_MAX_GAP_DAYS) -> MarketData:
    """Read a data folder (layout in the module text); ``None`` = the bundled data set.

    Non-fatal findings (gaps) are in ``MarketData.issues``; for a user folder they are also
    announced as :class:`DataWarning` s.  ``symbols`` restricts the closes read.
    """
    global _BUNDLED_CACHE
    if data_dir is None:
        if _BUNDLED_CACHE is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                _BUNDLED_CACHE = _load(BUNDLED_DIR, None, max_gap_days, "bundled data set (ecore/data/bundled)")
        m = _BUNDLED_CACHE
        closes = m.closes if not symbols else m.closes[[s.upper() for s in symbols]]
        return MarketData(m.yields.copy(), closes.copy(), None, m.source, m.issues)
    return _load(Path(data_dir), symbols, max_gap_days, str(data_dir))


def _load(root: Path, symbols, max_gap_days, label: str) -> MarketData:
    if not root.is_dir():
        raise FileNotFoundError(f"data folder {root} does not exist")
    ydir = root / "yields"
    if not ydir.is_dir():
        raise FileNotFoundError(f"{root}: no yields/ folder (FRED files such as yields/DGS10.csv)")
    yields = load_yields(ydir, max_gap_days=max_gap_days)
    cdir = root / "closes"
    if not cdir.is_dir() and (root / "etf").is_dir():
        cdir = root / "etf"
    if cdir.is_dir():
        closes = load_closes_folder(cdir, symbols, max_gap_days=max_gap_days)
    elif symbols:
        raise FileNotFoundError(f"{root}: no closes/ folder for {', '.join(symbols)}")
    else:
        closes = pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
    fdir = root / "real_futures"
    real = load_futures_folder(fdir, max_gap_days=max_gap_days) if fdir.is_dir() else None
    issues = tuple(yields.attrs.get("issues", [])) + tuple(closes.attrs.get("issues", []))
    if real is not None:
        issues += tuple(real.frame.attrs.get("issues", []))
    return MarketData(yields, closes, real, label, issues)
