"""Per-contract Treasury futures settlement prices from each contract's real deliverable basket.

The model (``docs/synthetic-futures.md`` gives it in full, with its validation):

1. the fixed-rate notes and bonds from TreasuryDirect's auction history, coupons inferred from
   the curve (:mod:`ecore.data.securities`), make each contract's basket under the contract
   grade of the contract table (:mod:`ecore.data.baskets`);
2. every basket security is priced on a smooth curve fitted to the constant-maturity yields
   (:mod:`ecore.data.curve`), carried to delivery at overnight repo plus the root's dated
   implied-repo spread (:mod:`ecore.data.repo`, :mod:`ecore.data.implied_repo`) and divided by
   its CME conversion factor; the cheapest of these is the futures price and its security the
   cheapest to deliver (:mod:`ecore.data.basket_pricer`);
3. duration and DV01 come from the cheapest to deliver.

:class:`FuturesModel` holds the inputs built once from a :class:`~ecore.data.market.MarketData`;
:func:`build_price_book` is the one call most users need.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import sys

import numpy as np
import pandas as pd

from .basket_pricer import Financing, Market, RootPrices, contracts_between, price_root
from .bond_dates import CouponTable, to_days
from .bond_math import OLD_NOTIONAL_COUPON, SIX_PERCENT_FROM, NOTIONAL_COUPON
from .bond_math import cf_from_term as _cf_from_term
from .calendar import as_date, treasury_calendar
from .contracts import SPECS, Contract, spec
from .curve import Curve, CurveSpec, ParCurve
from .implied_repo import ImpliedRepoSpread
from .market import MarketData, market_rates, market_securities
from .price_book import FuturesPriceBook
from .repo import financing_rate, repo_on

ALL_ROOTS = tuple(SPECS)  # ZT, Z3N, ZF, ZN, TN, TWE, ZB, UB
CONTRACTS_AT_ONCE = 24  # six years of quarterly contracts per pricing call
BOOK_COLUMNS = ["date", "contract", "settle", "source", "launched", "duration", "dv01", "ctd", "cf"]


# ----------------------------------------------------------------------------------------------
# conversion factor (reference section 2.1)


def cf_from_term(coupon, n, z, root: str, notional: float = NOTIONAL_COUPON):
    """CME conversion factor from the whole years ``n`` and whole months ``z`` (0-11) between the
    first day of the delivery month and maturity, under ``root``'s rounding rule.  Scalars or
    numpy arrays."""
    return _cf_from_term(coupon, n, z, spec(root).cf_rounds_to_quarter, notional)


def conversion_factor(coupon: float, maturity, contract, notional: float | None = None) -> float:
    """CME conversion factor of a security (``coupon`` as a decimal, 0.04125) maturing on
    ``maturity`` into ``contract`` (a :class:`Contract` or a code such as ``"ZNM26"``).

    >>> conversion_factor(0.04125, dt.date(2032, 11, 15), "ZNM26")
    0.9034
    """
    c = contract if isinstance(contract, Contract) else Contract.parse(str(contract))
    mat = as_date(maturity)
    start = dt.date(c.year, c.month, 1)
    months = (mat.year - start.year) * 12 + (mat.month - start.month) - (1 if mat.day < start.day else 0)
    if months < 0:
        raise ValueError(f"a security maturing {mat} is not deliverable into {c.code}")
    if notional is None:
        notional = NOTIONAL_COUPON if (c.year, c.month) >= SIX_PERCENT_FROM else OLD_NOTIONAL_COUPON
    return cf_from_term(coupon, months // 12, months % 12, c.root, notional)


# ----------------------------------------------------------------------------------------------
# the model's inputs


class FuturesModel:
    """The pricing inputs of a :class:`MarketData` over ``start`` .. ``end``: the fitted curve,
    the financing rate of each root and the security table.

    ``spread``: an :class:`ImpliedRepoSpread` (default: the bundled table), or ``False`` to
    finance at repo alone.  ``curve_spec``: how the curve is drawn (:class:`CurveSpec`)."""

    def __init__(self, market: MarketData, start=None, end=None, spread=None,
                 curve_spec: CurveSpec = CurveSpec(), span_only: bool = False):
        cal_days = treasury_calendar().days.astype("datetime64[D]").astype(np.int64)
        self.par = ParCurve.from_yields(market.yields, cal_days)
        if len(self.par.days) == 0:
            raise ValueError(f"{market.source or 'the market data'}: the yields have no business day with two "
                             "tenors")
        lo = self.par.days[0] if start is None else max(to_days([as_date(start)])[0], self.par.days[0])
        hi = self.par.days[-1] if end is None else min(to_days([as_date(end)])[0], self.par.days[-1])
        day = lambda d: np.datetime64(int(d), "D").astype(dt.date)
        # first and last priced day (None when the span has no curve day)
        self.first = day(self.par.days[np.searchsorted(self.par.days, lo)]) if lo <= hi else None
        self.last = day(self.par.days[np.searchsorted(self.par.days, hi, side="right") - 1]) if lo <= hi else None
        if span_only:  # the span alone (what a caller needs to choose its dates), nothing built
            return
        self.curve = Curve.build(self.par, lo, hi, curve_spec)
        sec = market_securities(market)
        self.securities = sec if sec.maturity_sorted else sec.by_maturity()
        rate = financing_rate(market_rates(market))
        repo = repo_on(self.curve.days, rate)
        if np.isnan(repo).any():
            raise ValueError(f"{market.source or 'the market data'}: the overnight rate starts on "
                             f"{rate.index[0].date()}, after the first day to price ({self.first}): rates/ needs "
                             "DFF (or EFFR) for the years before SOFR; `ecore data download` fetches it")
        if spread is None:
            spread = ImpliedRepoSpread.bundled()
        spreads = {} if spread is False else {r: spread.on(r, self.curve.days) for r in ALL_ROOTS}
        self.spread = spread
        sec = self.securities
        self.market = Market(self.curve, Financing(repo, spreads), sec, CouponTable(sec.maturity, sec.eom, sec.issue),
                             self.par.par_yield)

    def prices(self, root: str, start=None, end=None, from_listing: bool = True,
               contracts=None) -> RootPrices:
        """Every contract of ``root`` priced on the curve days within ``start`` .. ``end``
        (default the model's span); see :func:`ecore.data.basket_pricer.price_root`."""
        if self.first is None:
            return price_root(root, self.market, dt.date(2000, 1, 1), dt.date(1999, 1, 1), contracts=[])
        first = self.first if start is None else max(as_date(start), self.first)
        last = self.last if end is None else min(as_date(end), self.last)
        if first > last:
            return price_root(root, self.market, first, last, contracts=[])
        if contracts is None:
            contracts = contracts_between(spec(root).root, first, last, from_listing)
        # a few years of contracts at a time: the (contract, day, issue) arrays of 26 years of
        # bond contracts would take about 200 MB at once
        parts = [price_root(root, self.market, first, last, from_listing, contracts[i:i + CONTRACTS_AT_ONCE])
                 for i in range(0, max(len(contracts), 1), CONTRACTS_AT_ONCE)]
        return parts[0] if len(parts) == 1 else concat_prices(parts)

    def frame(self, prices: RootPrices) -> pd.DataFrame:
        """One root's prices as price-book rows."""
        codes = np.array(prices.codes, dtype=object)[prices.contract] if len(prices.day) else np.array([], dtype=object)
        launched_on = to_days([spec(prices.root).launched])[0]
        cusips = np.append(self.securities.cusip.astype(object), "")
        return pd.DataFrame({
            "date": prices.day.astype("datetime64[D]").astype("datetime64[ns]"),
            "contract": codes,
            "settle": prices.settle,
            "source": "synthetic",
            "launched": prices.day >= launched_on,
            "duration": prices.duration,
            "dv01": prices.dv01,
            "ctd": cusips[prices.ctd],
            "cf": prices.cf,
        })


def concat_prices(parts: list[RootPrices]) -> RootPrices:
    """One root's prices priced in several calls, as one."""
    offsets = np.cumsum([0] + [len(p.codes) for p in parts[:-1]])
    cat = lambda name: np.concatenate([getattr(p, name) for p in parts])
    return RootPrices(parts[0].root, tuple(c for p in parts for c in p.codes),
                      np.concatenate([p.contract + o for p, o in zip(parts, offsets)]), cat("day"), cat("raw"),
                      cat("settle"), cat("ctd"), cat("delivery"), cat("cf"), cat("rate"), cat("dv01"), cat("duration"))


def build_price_book(market: MarketData, roots=None, start=None, end=None, spread=None) -> FuturesPriceBook:
    """Synthetic settlements of every quarterly contract of ``roots`` (default all eight) from its
    listing day to its last trading day, restricted to ``start`` ... ``end`` and to bond-market
    business days that have yields.  Real rows of ``market.real_futures`` replace synthetic ones
    for the same contract and day (``source = "real"``; they keep the model's duration, dv01,
    ctd and cf).  ``spread``: see :class:`FuturesModel`."""
    roots = [spec(r).root for r in (roots or ALL_ROOTS)]
    model = FuturesModel(market, start, end, spread=spread)
    book = book_from_model(model, roots, market.real_futures)
    del model
    release_freed_memory()
    return book


def release_freed_memory() -> None:
    """Hand the heap pages freed by the pricing back to the operating system (glibc only; a no-op
    elsewhere).  Pricing 26 years of contracts allocates and frees tens of MB of numpy
    temporaries; glibc keeps such freed blocks in the process (its mmap threshold rises after
    the first large free), and the backtest's Python objects, which live in separate arenas,
    cannot reuse them: without this, peak memory of a full run is about 30-50 MB higher."""
    global _malloc_trim
    if _malloc_trim is None:
        _malloc_trim = False
        if sys.platform.startswith("linux"):
            try:
                _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
            except (OSError, AttributeError):  # musl and others: nothing to trim
                pass
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None


def book_from_model(model: FuturesModel, roots, real=None) -> FuturesPriceBook:
    """The price book of ``roots`` over the model's span, real rows laid over it."""
    parts = [model.frame(model.prices(r)) for r in roots]
    parts = [p for p in parts if len(p)]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=BOOK_COLUMNS)
    if real is not None and len(real) and model.first is not None:
        frame = _overlay_real(frame, real.frame, roots, np.datetime64(model.first), np.datetime64(model.last))
    return FuturesPriceBook(frame)


def _overlay_real(synth: pd.DataFrame, real: pd.DataFrame, roots, first, last) -> pd.DataFrame:
    r = real.copy()
    r_root = r["contract"].map(lambda code: Contract.parse(code).root)
    d = r["date"].to_numpy().astype("datetime64[D]")
    r = r[r_root.isin(roots).to_numpy() & (d >= first) & (d <= last)]
    if r.empty:
        return synth
    key_s = synth.set_index(["contract", "date"])
    key_r = r.set_index(["contract", "date"])
    # real rows keep the model's risk and cheapest to deliver of the same contract and day
    for col in ("duration", "dv01", "ctd", "cf"):
        key_r[col] = key_s[col].reindex(key_r.index).to_numpy()
    key_r["source"] = "real"
    key_r["launched"] = True
    kept = key_s[~key_s.index.isin(key_r.index)]
    return pd.concat([kept, key_r], sort=False).reset_index()
