"""The daily Treasury curve: constant-maturity par yields smoothed into discount factors.

Why this shape of model.  The H.15 constant-maturity (CMT) yields are *par* yields read off
Treasury's own curve.  A monotone cubic (PCHIP, the Fritsch-Butland scheme of
``scipy.interpolate.PchipInterpolator``, evaluated here as shared Hermite weights so that all
days of one tenor pattern are two matrix products) through every published point reproduces them exactly and never overshoots between them, so
**levels** come from PCHIP.  Single CMT series are rounded to 0.01 % and carry tenor-specific
noise, which makes day-to-day changes of a bond priced between two tenors noisier than the
futures that track it; a Nelson-Siegel-Svensson fit through all tenors averages that out but
misses the published levels by several basis points at the kinks.  So **changes** are half
PCHIP, half Svensson (:class:`CurveSpec`): ``par = pchip + w (nss - pchip - ema(nss - pchip))``
where the trailing (causal) exponential average takes the Svensson fit's persistent misfit
back out.  The Svensson decays are held fixed, which makes each day's fit linear least squares
(one matrix product for all days sharing a pattern of available tenors) instead of a
non-linear fit per day.

The par curve is bootstrapped to discount factors on a monthly maturity grid, so that bonds
whose coupon is far from par (old 8 % bonds) are priced off the whole curve, and a bond's
coupon stream costs two look-ups in a running six-month sum (:class:`Curve`).

Units: maturities in years, yields as decimals (0.0425), discount factors per 1 of face.
Grid node ``j`` is the maturity ``j/12`` years, ``j = 0 .. GRID_MONTHS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .bond_dates import to_days
from .loaders import tenor_years

CURVE_SERIES = ("DGS1MO", "DGS3MO", "DGS6MO", "DGS1", "DGS2", "DGS3", "DGS5", "DGS7", "DGS10", "DGS20",
                "DGS30")
GRID_MONTHS = 366  # 30.5 years: a 30-year bond issued late in a month still fits
PAD = 6  # grid columns of negative maturity (-6..-1 months) with discount factor 1, see Curve
MAX_STALE_ROWS = 5  # curve days a tenor's last value is carried over a gap (one week)
# Business days of history the smoother runs through before the first priced day: its start
# then weighs 0.5 ** (750 / 20) < 1e-11, so a price does not depend on where a run begins.
WARMUP_DAYS = 750
BUILD_ROWS = 512  # curve days computed at a time (Curve.build)
BUILD_COLUMNS = 32  # grid columns smoothed at a time (Curve.build)


@dataclass(frozen=True)
class ParCurve:
    """CMT par yields (decimals) on the days with at least two tenors.

    ``values[i, k]`` is NaN where tenor ``k`` had no value within ``MAX_STALE_ROWS`` curve days
    of day ``i``."""

    days: np.ndarray  # int64 day numbers, ascending
    tenors: np.ndarray  # years, ascending
    series: tuple  # FRED ids of the columns
    values: np.ndarray  # (len(days), len(tenors))

    @classmethod
    def from_yields(cls, yields: pd.DataFrame, days=None) -> "ParCurve":
        """From CMT yields in percent (``MarketData.yields``: one column per FRED series),
        restricted to business ``days`` (day numbers) when given."""
        cols = sorted((c for c in yields.columns if c in CURVE_SERIES), key=tenor_years)
        if len(cols) < 2:
            raise ValueError(f"need at least two of {', '.join(CURVE_SERIES)} to build a curve; "
                             f"have {', '.join(yields.columns) or 'none'}")
        frame = yields[cols].dropna(how="all").ffill(limit=MAX_STALE_ROWS) / 100.0
        frame = frame[frame.notna().sum(axis=1) >= 2]
        d = to_days(frame.index.values)
        values = frame.to_numpy(dtype=float)
        if days is not None:
            keep = np.isin(d, np.asarray(days, dtype=np.int64))
            d, values = d[keep], values[keep]
        return cls(d, np.array([tenor_years(c) for c in cols]), tuple(cols), values)

    def rows_on_or_before(self, days) -> np.ndarray:
        """Row of the last curve day on or before each day (-1 before the first)."""
        return np.searchsorted(self.days, np.asarray(days, dtype=np.int64), side="right") - 1

    def pchip_grid(self, rows) -> np.ndarray:
        """PCHIP par yields on the monthly grid for ``rows``: shape (len(rows), GRID_MONTHS + 1);
        flat beyond the shortest and longest tenor present that day."""
        rows = np.asarray(rows)
        vals = self.values[rows]
        grid = np.arange(GRID_MONTHS + 1) / 12.0
        out = np.empty((len(rows), grid.size))
        for mask, sel in _row_blocks(_patterns(np.isfinite(vals))):
            x = self.tenors[mask]
            out[sel] = pchip(x, vals[np.ix_(sel, np.flatnonzero(mask))], grid)
        return out

    def par_yield(self, days, years) -> np.ndarray:
        """PCHIP par yield (decimal) at maturity ``years`` on each of ``days`` (the last curve day
        on or before each)."""
        rows = np.maximum(self.rows_on_or_before(days), 0)
        years = np.asarray(years, dtype=float) * np.ones(len(rows))
        vals = self.values[rows]
        out = np.empty(len(rows))
        for mask, sel in _patterns(np.isfinite(vals)):
            x = self.tenors[mask]
            y = vals[np.ix_(sel, np.flatnonzero(mask))]
            out[sel] = pchip_points(x, y, years[sel])
        return out


def _patterns(present: np.ndarray):
    """(tenor mask, row indices) for each distinct pattern of tenors present."""
    key = present.astype(np.int64) @ (1 << np.arange(present.shape[1], dtype=np.int64))
    uniq, inverse = np.unique(key, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(uniq) + 1))
    for p, k in enumerate(uniq):
        mask = ((int(k) >> np.arange(present.shape[1])) & 1).astype(bool)
        yield mask, order[bounds[p]:bounds[p + 1]]


def _row_blocks(patterns):
    """The (mask, rows) of ``patterns`` cut into blocks of at most BUILD_ROWS rows: each row's
    result is its own, and a whole history at once makes grid-sized (20 MB) temporaries."""
    for mask, sel in patterns:
        for a in range(0, len(sel), BUILD_ROWS):
            yield mask, sel[a:a + BUILD_ROWS]


def _pchip_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """PCHIP derivatives at the knots ``x`` for each row of ``y`` (Fritsch-Butland weighted
    harmonic means, one-sided three-point ends; the same as scipy's ``PchipInterpolator``)."""
    h = np.diff(x)
    m = np.diff(y, axis=1) / h
    if len(x) == 2:
        return np.repeat(m, 2, axis=1)
    d = np.zeros_like(y)
    w1 = 2 * h[1:] + h[:-1]
    w2 = h[1:] + 2 * h[:-1]
    ok = (np.sign(m[:, 1:]) == np.sign(m[:, :-1])) & (m[:, 1:] != 0) & (m[:, :-1] != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        d[:, 1:-1] = np.where(ok, (w1 + w2) / (w1 / m[:, :-1] + w2 / m[:, 1:]), 0.0)

    def edge(h0, h1, m0, m1):
        e = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
        e = np.where(np.sign(e) != np.sign(m0), 0.0, e)
        return np.where((np.sign(m0) != np.sign(m1)) & (np.abs(e) > 3 * np.abs(m0)), 3 * m0, e)

    d[:, 0] = edge(h[0], h[1], m[:, 0], m[:, 1])
    d[:, -1] = edge(h[-1], h[-2], m[:, -1], m[:, -2])
    return d


def _hermite_weights(x: np.ndarray, at: np.ndarray):
    """Interval index and cubic Hermite basis weights of the points ``at`` (clipped to the knots)."""
    at = np.clip(at, x[0], x[-1])
    i = np.clip(np.searchsorted(x, at, side="right") - 1, 0, len(x) - 2)
    h = x[i + 1] - x[i]
    t = (at - x[i]) / h
    t2, t3 = t * t, t * t * t
    return i, 2 * t3 - 3 * t2 + 1, -2 * t3 + 3 * t2, (t3 - 2 * t2 + t) * h, (t3 - t2) * h


def pchip(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Monotone piecewise-cubic (PCHIP) interpolation of each row of ``y`` (knots ``x``) at the
    common points ``at``, flat beyond the ends: shape (len(y), len(at)).  The points' Hermite
    weights are shared by every row, so all days of one tenor pattern cost two matrix products."""
    d = _pchip_slopes(x, y)
    i, a0, a1, b0, b1 = _hermite_weights(x, at)
    k = len(x)
    A = np.zeros((k, len(at)))
    B = np.zeros((k, len(at)))
    cols = np.arange(len(at))
    np.add.at(A, (i, cols), a0)
    np.add.at(A, (i + 1, cols), a1)
    np.add.at(B, (i, cols), b0)
    np.add.at(B, (i + 1, cols), b1)
    return y @ A + d @ B


def pchip_points(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """PCHIP of row ``r`` of ``y`` at its own point ``at[r]``, flat beyond the ends."""
    d = _pchip_slopes(x, y)
    i, a0, a1, b0, b1 = _hermite_weights(x, at)
    r = np.arange(len(y))
    return a0 * y[r, i] + a1 * y[r, i + 1] + b0 * d[r, i] + b1 * d[r, i + 1]


@dataclass(frozen=True)
class CurveSpec:
    """How the daily par curve is drawn through the CMT points (module text).

    ``weight`` of the Svensson fit in daily changes (0 = PCHIP alone); ``decays`` the two fixed
    Svensson decays (years); ``skip`` the series left out of the fit (the 1- and 3-month bills,
    whose money-market noise the long end should not inherit); ``halflife`` of the trailing
    average of the fit's misfit, in curve days."""

    weight: float = 0.5
    decays: tuple = (1.0, 5.0)
    skip: tuple = ("DGS1MO", "DGS3MO")
    halflife: float = 20.0


def svensson_loadings(t, decays) -> np.ndarray:
    """Svensson loadings (level, slope, two curvatures) at maturities ``t`` (years)."""
    t = np.maximum(np.asarray(t, dtype=float), 1e-6)
    l1, l2 = decays
    a, b = t / l1, t / l2
    e1, e2 = (1 - np.exp(-a)) / a, (1 - np.exp(-b)) / b
    return np.stack([np.ones_like(t), e1, e1 - np.exp(-a), e2 - np.exp(-b)], axis=-1)


def svensson_grid(par: ParCurve, rows, spec: CurveSpec) -> np.ndarray:
    """Least-squares Svensson par curve on the monthly grid for ``rows`` (NaN on days with
    fewer than five usable tenors)."""
    vals = par.values[rows].copy()
    vals[:, np.isin(par.series, spec.skip)] = np.nan
    grid_loadings = svensson_loadings(np.arange(GRID_MONTHS + 1) / 12.0, spec.decays)
    out = np.full((len(rows), GRID_MONTHS + 1), np.nan)
    for mask, sel in _patterns(np.isfinite(vals)):
        if mask.sum() < 5:
            continue
        solve = np.linalg.pinv(svensson_loadings(par.tenors[mask], spec.decays))  # coefficients = solve @ y
        to_grid = (grid_loadings @ solve).T
        for _, part in _row_blocks([(mask, sel)]):
            out[part] = vals[np.ix_(part, np.flatnonzero(mask))] @ to_grid
    return out


def trailing_average(x: np.ndarray, halflife: float) -> np.ndarray:
    """Exponential moving average along axis 0 (rows in time order), started at the first row."""
    a = 1.0 - 0.5 ** (1.0 / halflife)
    b = 1.0 - a
    y = np.empty_like(x)
    y[0] = x[0]
    # y_t = b^t (y_0 + a sum_{s<=t} b^-s x_s), evaluated in blocks short enough that b^-s stays
    # far from overflow: a cumulative sum per block instead of a Python loop over days
    block = max(1, int(200 * halflife))
    start = 1
    while start < len(x):
        stop = min(start + block, len(x))
        k = np.arange(1, stop - start + 1, dtype=float)[:, None]
        y[start:stop] = b ** k * (y[start - 1] + a * np.cumsum(x[start:stop] * b ** -k, axis=0))
        start = stop
    return y


def _subtract_trailing_average(x: np.ndarray, halflife: float) -> None:
    """``x -= trailing_average(x, halflife)`` in place, block by block (the grids are 20 MB:
    no second one is made)."""
    a = 1.0 - 0.5 ** (1.0 / halflife)
    b = 1.0 - a
    if not len(x):
        return
    last = x[0].copy()
    x[0] -= last
    block = max(1, int(200 * halflife))
    start = 1
    while start < len(x):
        stop = min(start + block, len(x))
        k = np.arange(1, stop - start + 1, dtype=float)[:, None]
        up, down = b ** k, b ** -k
        for c in range(0, x.shape[1], BUILD_COLUMNS):  # columns are independent: small temporaries
            cols = slice(c, c + BUILD_COLUMNS)
            y = up * (last[cols] + a * np.cumsum(x[start:stop, cols] * down, axis=0))
            last[cols] = y[-1]
            x[start:stop, cols] -= y
        start = stop


def _fill_forward(x: np.ndarray) -> None:
    """NaN cells take the value above them, or 0 with none above (pandas' ``ffill().fillna(0)``
    along axis 0), in place."""
    for i in np.flatnonzero(np.isnan(x).any(axis=1)):
        row = x[i]
        gap = np.isnan(row)
        row[gap] = x[i - 1][gap] if i > 0 else 0.0


def smoothed_par_grid(par: ParCurve, rows, spec: CurveSpec) -> np.ndarray:
    """Par yields on the monthly grid for consecutive ``rows`` under ``spec``."""
    base = par.pchip_grid(rows)
    if spec.weight == 0:
        return base
    dev = svensson_grid(par, rows, spec)
    dev -= base
    _fill_forward(dev)  # days without a fit keep the last misfit
    _subtract_trailing_average(dev, spec.halflife)
    dev *= spec.weight
    dev += base
    return dev


def bootstrap(par: np.ndarray) -> np.ndarray:
    """Discount factors on the monthly grid from par yields on it (same shape).

    Up to six months a par yield is a bill's bond-equivalent yield: ``D = 1 / (1 + y t)``.
    Beyond, node ``j`` is a par bond paying ``y/2`` on nodes ``j, j-6, ...`` whose first period
    is short (``m = j mod 6`` months): its clean price is 1, so
    ``(y/2) (S + D_j) + D_j = 1 + (y/2)(1 - m/6)`` with ``S`` the running six-month sum of the
    earlier nodes' discount factors."""
    P = np.ascontiguousarray(par.T)  # one maturity per row: the recursion runs over rows
    D = np.empty_like(P)
    S = np.zeros_like(P)
    D[0] = 1.0
    t = np.arange(P.shape[0]) / 12.0
    D[1:7] = 1.0 / (1.0 + P[1:7] * t[1:7, None])
    S[1:7] = D[1:7]
    for j in range(7, P.shape[0]):
        y2 = P[j] / 2.0
        accrued = 1.0 - (j % 6 or 6) / 6.0
        D[j] = (1.0 + y2 * (accrued - S[j - 6])) / (1.0 + y2)
        S[j] = D[j] + S[j - 6]
    return D.T


@dataclass(frozen=True)
class Curve:
    """Discount factors per day on the monthly grid, as running six-month sums.

    ``stride[i, c]`` is the sum of the discount factors of grid columns ``c, c-6, c-12, ...``
    on ``days[i]``, where column ``PAD + j`` is maturity ``j/12`` years and columns
    ``0 .. PAD-1`` (maturities -6..-1 months) hold 1: the value of one unit paid every six
    months back from a node, so a coupon stream costs two look-ups and a single discount factor
    is the difference of two."""

    days: np.ndarray  # int64 day numbers
    stride: np.ndarray  # (len(days), PAD + GRID_MONTHS + 1)

    @classmethod
    def build(cls, par: ParCurve, first_day=None, last_day=None, spec: CurveSpec = CurveSpec()) -> "Curve":
        """The curve on the days ``first_day .. last_day`` (day numbers) of ``par``; the smoother
        starts ``WARMUP_DAYS`` curve days earlier."""
        lo = 0 if first_day is None else int(np.searchsorted(par.days, first_day))
        hi = len(par.days) if last_day is None else int(np.searchsorted(par.days, last_day, side="right"))
        if hi <= lo:
            return cls(np.array([], dtype=np.int64), np.empty((0, PAD + GRID_MONTHS + 1)))
        w0 = max(lo - WARMUP_DAYS, 0)
        grid = smoothed_par_grid(par, np.arange(w0, hi), spec)[lo - w0:]
        stride = np.empty((hi - lo, PAD + GRID_MONTHS + 1))
        # a few hundred days at a time: each day's curve is its own, and whole-history
        # temporaries would be several copies of a 20 MB grid
        for a in range(0, hi - lo, BUILD_ROWS):
            block = stride[a:a + BUILD_ROWS]
            block[:, :PAD] = 1.0
            block[:, PAD:] = bootstrap(grid[a:a + BUILD_ROWS])
            for c in range(6, block.shape[1]):  # in place: column c-6 already holds its full sum
                block[:, c] += block[:, c - 6]
        return cls(par.days[lo:hi], stride)

    def dirty_price(self, rows, years_to_maturity, coupons_left, coupon, with_discount: bool = False):
        """Dirty price per 100 face of securities paying ``coupon`` (decimal, semiannual) with
        ``coupons_left`` payments, the last ``years_to_maturity`` from the row's day; with
        ``with_discount`` also the discount factor of the maturity date.

        Flows sit at ``T, T - 1/2, ...`` with ``T = (j0 + f)/12`` years; discount factors are
        linear between monthly nodes (error below 1e-6 of face) and every flow shares the
        weight ``f``, so the stream is two running-sum look-ups."""
        x = np.clip(np.asarray(years_to_maturity, dtype=float) * 12.0, 0.0, GRID_MONTHS - 1e-9)
        j0 = np.floor(x).astype(np.int64)
        f = x - j0
        flat = self.stride.ravel()
        base = np.asarray(rows, dtype=np.int64) * self.stride.shape[1] + j0 + PAD
        n6 = 6 * np.asarray(coupons_left, dtype=np.int64)
        a0, a1 = flat[base], flat[base + 1]
        # the running sum before the stream's first flow (none when the chain runs off the grid)
        on0 = j0 + PAD - n6 >= 0
        on1 = j0 + PAD + 1 - n6 >= 0
        l0 = np.where(on0, flat[np.where(on0, base - n6, 0)], 0.0)
        l1 = np.where(on1, flat[np.where(on1, base + 1 - n6, 0)], 0.0)
        p0, p1 = flat[base - 6], flat[base - 5]
        annuity = (1 - f) * (a0 - l0) + f * (a1 - l1)
        principal = (1 - f) * (a0 - p0) + f * (a1 - p1)
        dirty = 100.0 * (np.asarray(coupon) / 2.0 * annuity + principal)
        return (dirty, principal) if with_discount else dirty
