"""Per-contract Treasury futures settlement prices synthesized from the Treasury yield curve.

Method (``shared/reference/treasury-futures.md`` section 2.3, "representative CTD"; the user's
page is ``docs/synthetic-futures.md``): for contract k of root s, whose delivery month starts on
D_k,

1. the representative cheapest-to-deliver bond matures ``ctd_years`` (``spec(s).ctd_years``)
   after D_k;
2. its coupon is the constant-maturity par yield for ``ctd_years + 0.75`` years on D_k minus nine
   months (about the listing day), rounded to 1/8 %; its CME conversion factor CF_k follows
   section 2.1 (:func:`conversion_factor`);
3. on each day t the bond's yield is the FRED CMT curve (DGS3MO...DGS30, linear, flat beyond
   the ends, missing tenors skipped) at its remaining term; it is priced semiannually (street
   convention) to a clean price P and dirty price P_d;
4. forward clean price ``P_fwd = P - (100 c h - P_d r h)`` with r = DGS3MO and h = years to D_k
   (0 inside the delivery month); futures price ``F = P_fwd / CF_k``, rounded to the tick in
   force on t.

Duration and DV01 come from the same bond (section 2.4): ``dv01 = face/100 * DV01(CTD per 100) /
CF_k`` dollars per contract per basis point and ``duration = dv01 / (F * face/100) * 1e4``.

Everything is vectorized with numpy over the days of one contract.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from .calendar import as_date, treasury_calendar
from .contracts import SPECS, Contract, nearest_listed, spec
from .loaders import tenor_years
from .market import MarketData
from .price_book import FuturesPriceBook

ALL_ROOTS = tuple(SPECS)  # ZT, Z3N, ZF, ZN, TN, TWE, ZB, UB
NOTIONAL_COUPON = 0.06
# The notional coupon was 8 % for contracts before March 2000 (reference section 1.1, notes).
OLD_NOTIONAL_COUPON = 0.08
SIX_PERCENT_FROM = (2000, 3)
COUPON_LOOKBACK_MONTHS = 9  # coupon fixed on D_k - 9 months (about the listing day)
COUPON_EXTRA_YEARS = 0.75  # coupon = par yield for ctd_years + 0.75 y (on-the-run issue at listing)
COUPON_STEP = 0.00125  # coupons are multiples of 1/8 %
YEAR_DAYS = 365.25
CURVE_SERIES = ("DGS3MO", "DGS6MO", "DGS1", "DGS2", "DGS3", "DGS5", "DGS7", "DGS10", "DGS20", "DGS30")


# ----------------------------------------------------------------------------------------------
# conversion factor (reference section 2.1)


def cf_from_term(coupon, n, z, root: str, notional: float = NOTIONAL_COUPON):
    """CME conversion factor from the whole years ``n`` and whole months ``z`` (0-11) between the
    first day of the delivery month and maturity.  Works on scalars and numpy arrays."""
    coupon = np.asarray(coupon, dtype=float)
    n = np.asarray(n)
    z = np.asarray(z)
    if spec(root).cf_rounds_to_quarter:
        z = (z // 3) * 3
        v = np.where(z < 7, z, 3)
    else:
        v = np.where(z < 7, z, z - 6)
    half = 1.0 + notional / 2
    a = 1.0 / half ** (v / 6.0)
    b = (coupon / 2) * (6 - v) / 6.0
    c = np.where(z < 7, 1.0 / half ** (2 * n), 1.0 / half ** (2 * n + 1))
    d = (coupon / notional) * (1 - c)
    cf = np.round(a * (coupon / 2 + c + d) - b, 4)
    return float(cf) if cf.ndim == 0 else cf


def conversion_factor(coupon: float, maturity, contract, notional: float | None = None) -> float:
    """CME conversion factor of a bond (``coupon`` as a decimal, 0.04125) maturing on
    ``maturity`` into ``contract`` (a :class:`Contract` or code such as ``"ZNM26"``).

    >>> conversion_factor(0.04125, dt.date(2032, 11, 15), "ZNM26")
    0.9034
    """
    c = contract if isinstance(contract, Contract) else Contract.parse(str(contract))
    mat = as_date(maturity)
    start = dt.date(c.year, c.month, 1)
    months = (mat.year - start.year) * 12 + (mat.month - start.month) - (1 if mat.day < start.day else 0)
    if months < 0:
        raise ValueError(f"bond maturing {mat} is not deliverable into {c.code}")
    if notional is None:
        notional = NOTIONAL_COUPON if (c.year, c.month) >= SIX_PERCENT_FROM else OLD_NOTIONAL_COUPON
    return cf_from_term(coupon, months // 12, months % 12, c.root, notional)


# ----------------------------------------------------------------------------------------------
# bond maths (semiannual, street convention), vectorized


def bond_prices(coupon: float, years, y):
    """(clean, dirty) price per 100 of a bond with ``years`` to maturity at yield ``y`` (decimals)."""
    years = np.asarray(years, dtype=float)
    y = np.asarray(y, dtype=float)
    periods = np.maximum(np.ceil(2 * years - 1e-9), 1.0)  # coupons still to be paid
    w = 2 * years - (periods - 1)  # fraction of a period to the next coupon, (0, 1]
    v = 1.0 / (1.0 + y / 2)
    small = np.abs(y) < 1e-9
    one_minus_v = np.where(small, 1.0, 1.0 - v)
    annuity = np.where(small, periods, (1.0 - v ** periods) / one_minus_v)
    dirty = v ** w * (100 * coupon / 2 * annuity + 100 * v ** (periods - 1))
    accrued = 100 * coupon / 2 * (1 - w)
    return dirty - accrued, dirty


def dv01_per_100(coupon: float, years, y):
    """Dollar value of one basis point per 100 face (positive), by central difference."""
    _, up = bond_prices(coupon, years, np.asarray(y) + 0.00005)
    _, down = bond_prices(coupon, years, np.asarray(y) - 0.00005)
    return down - up


# ----------------------------------------------------------------------------------------------
# the curve


class Curve:
    """CMT yields as decimals on the days used for pricing, interpolated linearly in maturity."""

    def __init__(self, market: MarketData):
        y = market.yields
        cols = [c for c in CURVE_SERIES if c in y.columns]
        if len(cols) < 2:
            raise ValueError(f"need at least two of {', '.join(CURVE_SERIES)} to build a curve; "
                             f"have {', '.join(y.columns)}")
        cal_days = treasury_calendar().days
        days = y.index.to_numpy().astype("datetime64[D]")
        on_cal = np.isin(days, cal_days)
        values = y[cols].to_numpy(dtype=float)[on_cal] / 100.0
        days = days[on_cal]
        short = market.short_rate()
        r = short.reindex(pd.DatetimeIndex(days.astype("datetime64[ns]"))).to_numpy(dtype=float)
        ok = ~np.isnan(r) & (np.isfinite(values).sum(axis=1) >= 1)
        self.days = days[ok]
        self.values = values[ok]
        self.short = r[ok]
        self.tenors = np.array([tenor_years(c) for c in cols])
        self.series = cols

    def at(self, rows: np.ndarray, years: np.ndarray) -> np.ndarray:
        """Yield (decimal) on day index ``rows`` at maturity ``years`` (arrays of equal length)."""
        vals = self.values[rows]
        have = np.isfinite(vals)
        t = self.tenors
        le = have & (t[None, :] <= years[:, None])
        ge = have & (t[None, :] >= years[:, None])
        k = len(t)
        lo = np.where(le.any(axis=1), k - 1 - np.argmax(le[:, ::-1], axis=1), -1)
        hi = np.where(ge.any(axis=1), np.argmax(ge, axis=1), -1)
        lo_i = np.where(lo < 0, hi, lo)
        hi_i = np.where(hi < 0, lo, hi)
        idx = np.arange(len(rows))
        y_lo = vals[idx, lo_i]
        y_hi = vals[idx, hi_i]
        t_lo, t_hi = t[lo_i], t[hi_i]
        span = t_hi - t_lo
        frac = np.where(span > 0, (years - t_lo) / np.where(span > 0, span, 1.0), 0.0)
        return y_lo + frac * (y_hi - y_lo)

    def row_on_or_before(self, day: np.datetime64) -> int:
        i = int(np.searchsorted(self.days, day, side="right")) - 1
        return max(i, 0)


# ----------------------------------------------------------------------------------------------
# one contract


def _tick_array(root: str, days: np.ndarray) -> np.ndarray:
    """The tick (points) in force on each day, as float (every tick is a binary fraction)."""
    hist = spec(root).tick_history
    starts = np.array([np.datetime64(d, "D") for d, _ in hist])
    ticks = np.array([float(t) for _, t in hist])
    i = np.searchsorted(starts, days, side="right") - 1
    return ticks[np.maximum(i, 0)]


def contract_prices(curve: Curve, contract: Contract, first: np.datetime64 | None = None,
                    last: np.datetime64 | None = None, from_listing: bool = True) -> dict | None:
    """Synthetic settle, duration and dv01 of one contract on its trading days within the curve.

    ``from_listing=False`` also prices the days before the contract's listing (the model is
    defined there too): paper trading needs the duration of a contract listed after the yields
    end, on the yields' last day.
    """
    s = contract.spec
    listing = np.datetime64(contract.listing_day(), "D") if from_listing else curve.days[0]
    ltd = np.datetime64(contract.last_trading_day(), "D")
    lo = listing if first is None else max(listing, first)
    hi = ltd if last is None else min(ltd, last)
    a = int(np.searchsorted(curve.days, lo, side="left"))
    b = int(np.searchsorted(curve.days, hi, side="right"))
    if b <= a:
        return None
    rows = np.arange(a, b)
    days = curve.days[a:b]
    delivery = np.datetime64(dt.date(contract.year, contract.month, 1), "D")
    # coupon: par yield for ctd_years + 0.75 on D_k - 9 months, to 1/8 %
    m = contract.year * 12 + contract.month - 1 - COUPON_LOOKBACK_MONTHS
    fix_day = np.datetime64(dt.date(m // 12, m % 12 + 1, 1), "D")
    fix_row = curve.row_on_or_before(fix_day)
    par = float(curve.at(np.array([fix_row]), np.array([s.ctd_years + COUPON_EXTRA_YEARS]))[0])
    coupon = max(COUPON_STEP, round(par / COUPON_STEP) * COUPON_STEP)
    months = int(math.floor(s.ctd_years * 12 + 1e-9))
    notional = NOTIONAL_COUPON if (contract.year, contract.month) >= SIX_PERCENT_FROM else OLD_NOTIONAL_COUPON
    cf = cf_from_term(coupon, months // 12, months % 12, contract.root, notional)

    to_delivery = (delivery - days).astype(float) / YEAR_DAYS  # years, negative inside the month
    tau = s.ctd_years + to_delivery
    y = curve.at(rows, tau)
    r = curve.short[a:b]
    clean, dirty = bond_prices(coupon, tau, y)
    h = np.maximum(to_delivery, 0.0)
    forward = clean - (100 * coupon * h - dirty * r * h)
    raw = forward / cf
    tick = _tick_array(contract.root, days)
    settle = np.round(raw / tick) * tick  # half to even, as engine.prices.round_to_tick
    dv01 = s.face_value / 100.0 * dv01_per_100(coupon, tau, y) / cf
    duration = dv01 / (raw * s.face_value / 100.0) * 1e4
    return {"days": days, "settle": settle, "duration": duration, "dv01": dv01,
            "coupon": coupon, "cf": cf}


def _contracts(root: str, first: dt.date, last: dt.date):
    c = nearest_listed(root, first)
    while c.listing_day() <= last:
        yield c
        c = c.next()


def build_price_book(market: MarketData, roots=None, start=None, end=None) -> FuturesPriceBook:
    """Synthetic settlements of every quarterly contract of ``roots`` (default all eight) from its
    listing day to its last trading day, restricted to ``start``...``end`` and to bond-market
    business days that have yields.  Real rows of ``market.real_futures`` replace synthetic ones
    for the same contract and day (``source = "real"``)."""
    roots = [spec(r).root for r in (roots or ALL_ROOTS)]
    curve = Curve(market)
    if len(curve.days) == 0:
        raise ValueError("the yields have no day with both a curve and a short rate")
    first = curve.days[0] if start is None else max(np.datetime64(as_date(start), "D"), curve.days[0])
    last = curve.days[-1] if end is None else min(np.datetime64(as_date(end), "D"), curve.days[-1])
    parts = []
    if first <= last:
        f_date, l_date = first.astype(dt.date), last.astype(dt.date)
        for root in roots:
            launched_on = np.datetime64(spec(root).launched, "D")
            for c in _contracts(root, f_date, l_date):
                p = contract_prices(curve, c, first, last)
                if p is None:
                    continue
                parts.append(pd.DataFrame({
                    "date": p["days"].astype("datetime64[ns]"),
                    "contract": c.code,
                    "settle": p["settle"],
                    "source": "synthetic",
                    "launched": p["days"] >= launched_on,
                    "duration": p["duration"],
                    "dv01": p["dv01"],
                }))
    columns = ["date", "contract", "settle", "source", "launched", "duration", "dv01"]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    real = market.real_futures
    if real is not None and len(real):
        frame = _overlay_real(frame, real.frame, roots, first, last)
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
    # real rows keep the synthetic duration and dv01 of the same contract and day when there is one
    for col in ("duration", "dv01"):
        key_r[col] = key_s[col].reindex(key_r.index).to_numpy()
    key_r["source"] = "real"
    key_r["launched"] = True
    kept = key_s[~key_s.index.isin(key_r.index)]
    out = pd.concat([kept, key_r[[c for c in key_r.columns]]], sort=False).reset_index()
    return out
