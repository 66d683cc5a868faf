"""The futures price book of a paper run: IB's daily settlements over the synthetic model.

Strategies read each contract's settle (points) and modified duration (years) from a
:class:`~ecore.data.price_book.FuturesPriceBook`.  In a paper run the settles of the contracts
the root feeds read are IB's (the close of IB's daily bar, added with :meth:`add_settlements`);
every other contract-day keeps the synthetic model's row
(:func:`~ecore.data.synthetic_futures.build_price_book` over the yields).  IB publishes no
futures duration, so an IB row takes the model's:

* on a day the yields cover, the model's duration of that contract and day - the same number
  ``build_price_book`` gives a real row (it keeps the synthetic duration of the same contract
  and day);
* on a day after the yields end, the model's duration on the yields' last day, carried forward
  and logged once per contract: a future's duration moves by hundredths of a year per week, far
  less than the ladder's rounding to whole contracts.  ``ecore data download`` refreshes the
  yields.

The model is evaluated for a contract even before its listing day, so a contract first listed
after the yields end still gets a duration.  ``dv01`` (dollars per contract per basis point)
follows from that duration at IB's settle: duration x settle x multiplier / 10,000.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd

from .calendar import as_date
from .contracts import Contract, spec
from .market import MarketData
from .price_book import FuturesPriceBook
from .synthetic_futures import FuturesModel, book_from_model

log = logging.getLogger(__name__)

# Synthetic rows built before the first IB bar, so every contract has a model row to carry
# forward even when the yields end well before the run (calendar days).
MODEL_LEAD = dt.timedelta(days=14)

SETTLEMENT_COLUMNS = ("date", "contract", "settle")


class PaperPriceBook(FuturesPriceBook):
    """Synthetic prices of ``roots`` from ``start`` to ``end`` (dates), over which IB's
    settlements are laid as real rows as the feeds read them."""

    def __init__(self, market: MarketData, roots, start, end):
        everything = FuturesModel(market, end=end, span_only=True)
        self.yields_end: dt.date = everything.last
        first = min(as_date(start), self.yields_end - MODEL_LEAD)
        self._model = FuturesModel(market, first, end)
        self._synthetic = book_from_model(self._model, [spec(r).root for r in roots], market.real_futures).frame
        self._real = pd.DataFrame(columns=list(SETTLEMENT_COLUMNS))
        self._carried: set[str] = set()
        super().__init__(self._synthetic)

    def add_settlements(self, rows: pd.DataFrame) -> None:
        """Lay IB's rows (``date``, ``contract``, ``settle`` points; ``open``, ``high``,
        ``low``, ``volume`` optional) over the book; a later row for the same contract and day
        replaces an earlier one (a bar re-read the next day)."""
        missing = [c for c in SETTLEMENT_COLUMNS if c not in rows.columns]
        if missing:
            raise ValueError(f"settlements: missing column(s) {', '.join(missing)}")
        if rows.empty:
            return
        new = rows.copy()
        new["date"] = pd.to_datetime(new["date"]).dt.normalize()
        new["source"] = "real"
        new["launched"] = True
        new["duration"] = np.nan
        for code, part in new.groupby("contract"):
            new.loc[part.index, "duration"] = self._model_durations(code, part["date"])
        multiplier = new["contract"].map(lambda code: spec(Contract.parse(code).root).multiplier)
        new["dv01"] = new["duration"] * new["settle"] * multiplier / 1e4
        self._real = _replace_rows(self._real, new)
        FuturesPriceBook.__init__(self, _replace_rows(self._synthetic, self._real))

    def _model_durations(self, code: str, dates: pd.Series) -> np.ndarray:
        """The model's duration (years) of ``code`` on each of ``dates``; after the yields end,
        its duration on their last day."""
        days = dates.to_numpy().astype("datetime64[D]")
        curve_end = np.datetime64(self.yields_end, "D")
        lo, hi = days.min(), min(days.max(), curve_end)
        contract = Contract.parse(code)
        model = self._model.prices(contract.root, min(lo, curve_end).astype(dt.date), hi.astype(dt.date),
                                   from_listing=False, contracts=[contract])
        if len(model.day) == 0:
            log.warning("%s: the synthetic model has no duration for %s to %s", code, lo, hi)
            return np.full(len(days), np.nan)
        # a bar on a bond-market holiday takes the model's duration of the business day before
        model_days = model.day.astype("datetime64[D]")
        i = np.searchsorted(model_days, days, side="right") - 1
        out = np.where(i >= 0, model.duration[np.maximum(i, 0)], np.nan)
        late = days > curve_end
        if late.any() and code not in self._carried:
            self._carried.add(code)
            log.warning("%s: the yields end on %s, before IB's bar of %s; its duration on %s "
                        "(%.2f years) is carried forward (refresh with `ecore data download`)",
                        code, self.yields_end, days[late].max(), self.yields_end, out[late][-1])
        return out


def _replace_rows(base: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """``base`` without the (contract, date) pairs of ``rows``, plus ``rows``."""
    if base.empty:
        return rows.reset_index(drop=True)
    keys = pd.MultiIndex.from_frame(rows[["contract", "date"]])
    kept = base[~pd.MultiIndex.from_frame(base[["contract", "date"]]).isin(keys)]
    return pd.concat([kept, rows], ignore_index=True, sort=False)
