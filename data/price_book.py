"""Daily settlement prices of individual futures contracts, with fast look-up by (contract, date).

This is the one object through which the margin broker, the strategies and the reports see
futures prices.  It holds one row per contract and trading day (long format, as users receive
tabular data from pandas) and says for each row whether the price is real or synthesized from
yields, and whether the product had been launched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .calendar import as_date
from .contracts import Contract

REQUIRED_COLUMNS = ("date", "contract", "settle")
# Optional columns and their meaning:
#   source       "synthetic" or "real"
#   launched     False for days before the product existed (synthetic only)
#   duration     modified duration of the futures contract (years)
#   dv01         dollars per contract per basis point of yield
#   open, high, low, volume, open_interest   as delivered by real data
OPTIONAL_COLUMNS = ("source", "launched", "duration", "dv01", "open", "high", "low", "volume", "open_interest")


class PriceBookError(ValueError):
    """Malformed price-book input."""


@dataclass(frozen=True)
class _Series:
    days: np.ndarray  # datetime64[D], sorted
    settle: np.ndarray  # float64, points


class FuturesPriceBook:
    """Settlement prices (points) per contract code (``ZNH25``) and day.

    ``frame`` is a long DataFrame with at least ``date``, ``contract`` (codes such as ``ZNH25``)
    and ``settle``; see :data:`OPTIONAL_COLUMNS` for the rest.
    """

    def __init__(self, frame: pd.DataFrame):
        missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
        if missing:
            raise PriceBookError(f"price book is missing column(s): {', '.join(missing)}")
        f = frame.copy()
        f["date"] = pd.to_datetime(f["date"]).dt.normalize()
        f["contract"] = f["contract"].astype(str)
        if f.duplicated(["contract", "date"]).any():
            dup = f[f.duplicated(["contract", "date"], keep=False)].iloc[0]
            raise PriceBookError(
                f"duplicate price for {dup['contract']} on {dup['date'].date().isoformat()}"
            )
        bad = f[~(f["settle"] > 0)]
        if len(bad):
            row = bad.iloc[0]
            raise PriceBookError(
                f"non-positive or missing settle {row['settle']!r} for {row['contract']} on "
                f"{row['date'].date().isoformat()}"
            )
        f = f.sort_values(["contract", "date"], kind="stable").reset_index(drop=True)
        self._frame = f
        self._series: dict[str, _Series] = {}
        self._rows: dict[str, tuple[int, int]] = {}
        codes = f["contract"].to_numpy()
        days = f["date"].to_numpy().astype("datetime64[D]")
        settles = f["settle"].to_numpy(dtype=float)
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.array([], dtype=int)
        ends = np.r_[starts[1:], len(codes)]
        for a, b in zip(starts, ends):
            self._series[codes[a]] = _Series(days[a:b], settles[a:b])
            self._rows[codes[a]] = (int(a), int(b))
        self._contracts = {code: Contract.parse(code) for code in self._series}
        self._columns: dict[str, np.ndarray] = {}
        self._settles = settles
        self._dense: dict[str, tuple[int, np.ndarray]] = {}

    @classmethod
    def empty(cls) -> "FuturesPriceBook":
        """A book with no prices (a portfolio without futures)."""
        return cls(pd.DataFrame({
            "date": pd.Series(dtype="datetime64[ns]"), "contract": pd.Series(dtype=str),
            "settle": pd.Series(dtype=float),
        }))

    # ------------------------------------------------------------------------------------------
    @property
    def frame(self) -> pd.DataFrame:
        """The long table (a copy is not made: do not mutate)."""
        return self._frame

    def contracts(self, root: str | None = None) -> list[Contract]:
        """Contracts present, sorted by expiry; only those of ``root`` when given."""
        cs = sorted(self._contracts.values())
        return [c for c in cs if root is None or c.root == root]

    def __contains__(self, contract) -> bool:
        return _code(contract) in self._series

    def _row(self, code: str, day) -> int | None:
        """Row number of (code, day).  The broker and the strategies ask for every held contract on
        every day: each contract's rows are found through a dense array over its calendar days
        (built on first use, a few kB per contract) rather than a (code, date) dict of every row."""
        dense = self._dense.get(code)
        if dense is None:
            s = self._series.get(code)
            if s is None:
                return None
            dense = self._dense[code] = _dense_rows(s.days, self._rows[code][0])
        if type(day) is not dt.date:
            day = as_date(day)
        k = day.toordinal() - dense[0]
        if 0 <= k < len(dense[1]):
            i = dense[1][k]
            return None if i < 0 else int(i)
        return None

    def settle(self, contract, day) -> float | None:
        """Settlement price (points) of ``contract`` on ``day``; None when there is none."""
        i = self._row(_code(contract), day)
        return None if i is None else float(self._settles[i])

    def arrays(self, contract, column: str = "settle") -> tuple[np.ndarray, np.ndarray]:
        """(days as datetime64[D], values) of one contract's column, without copying the book."""
        code = _code(contract)
        if code not in self._rows:
            raise KeyError(f"no prices for {code}")
        a, b = self._rows[code]
        return self._series[code].days, self._column(column)[a:b]

    def _column(self, column: str) -> np.ndarray:
        values = self._columns.get(column)
        if values is None:
            # Looked up every day of a backtest: one numpy array per column, made once.
            values = self._columns[column] = self._frame[column].to_numpy()
        return values

    def last_settle(self, contract, day) -> tuple[dt.date, float] | None:
        """The latest (date, settle) of ``contract`` on or before ``day``."""
        s = self._series.get(_code(contract))
        if s is None:
            return None
        x = np.datetime64(as_date(day), "D")
        i = int(np.searchsorted(s.days, x, side="right")) - 1
        if i < 0:
            return None
        return s.days[i].astype(dt.date), float(s.settle[i])

    def value(self, contract, day, column: str):
        """Any column's value for (contract, day), or None."""
        if column not in self._frame.columns:
            return None
        i = self._row(_code(contract), day)
        if i is None:
            return None
        return self._column(column)[i]

    def series(self, contract, column: str = "settle") -> pd.Series:
        """One contract's column indexed by date."""
        code = _code(contract)
        if code not in self._rows:
            raise KeyError(f"no prices for {code}")
        a, b = self._rows[code]
        part = self._frame.iloc[a:b]
        return pd.Series(part[column].to_numpy(), index=pd.DatetimeIndex(part["date"]), name=code)

    def span(self) -> tuple[dt.date | None, dt.date | None]:
        """(first, last) day with any price; (None, None) for an empty book."""
        if not self._series:
            return None, None
        return (min(s.days[0] for s in self._series.values()).astype(dt.date),
                max(s.days[-1] for s in self._series.values()).astype(dt.date))

    def first_day(self, contract) -> dt.date | None:
        s = self._series.get(_code(contract))
        return None if s is None else s.days[0].astype(dt.date)

    def last_day(self, contract) -> dt.date | None:
        s = self._series.get(_code(contract))
        return None if s is None else s.days[-1].astype(dt.date)

    def __len__(self) -> int:
        return len(self._frame)


def _dense_rows(days: np.ndarray, first_row: int) -> tuple[int, np.ndarray]:
    """(ordinal of the first day, row number per calendar day from it, -1 on days without a row)."""
    if not len(days):
        return 0, np.array([], dtype=np.int32)
    offsets = (days - days[0]).astype(np.int64)
    rows = np.full(int(offsets[-1]) + 1, -1, dtype=np.int32)
    rows[offsets] = np.arange(first_row, first_row + len(days), dtype=np.int32)
    return days[0].astype(dt.date).toordinal(), rows


def _code(contract) -> str:
    if isinstance(contract, Contract):
        return contract.code
    return str(contract)
