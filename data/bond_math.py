"""Street-convention Treasury yield arithmetic and CME conversion factors, vectorised.

Prices are per 100 of face value; coupons and yields are decimals (0.04125).  A security's
position in its coupon schedule is given as ``parts = (n, w, acc)``: ``n`` coupons left
(maturity included), ``w`` the fraction of the current half-year period still to run and
``acc = 1 - w`` the fraction accrued (:meth:`ecore.data.bond_dates.CouponTable.parts`).
Yields compound semiannually (street convention): the dirty price is

    dirty = v^w * (100 c/2 * (1 - v^n) / (1 - v) + 100 v^(n-1)),   v = 1 / (1 + y/2)

and clean = dirty - 100 c/2 * acc.
"""

from __future__ import annotations

import numpy as np

NOTIONAL_COUPON = 0.06
# The notional coupon was 8 % for contracts before March 2000 (reference section 1.1, notes).
OLD_NOTIONAL_COUPON = 0.08
SIX_PERCENT_FROM = (2000, 3)


def price_from_yield(coupon, y, parts) -> tuple[np.ndarray, np.ndarray]:
    """(clean, dirty) price per 100 at yield ``y`` (decimals)."""
    n, w, acc = parts
    coupon = np.asarray(coupon, dtype=float)
    y = np.asarray(y, dtype=float)
    v = 1.0 / (1.0 + y / 2.0)
    small = np.abs(y) < 1e-10
    annuity = np.where(small, n, (1.0 - v ** n) / np.where(small, 1.0, 1.0 - v))
    dirty = v ** w * (100.0 * coupon / 2.0 * annuity + 100.0 * v ** (np.asarray(n) - 1))
    return dirty - 100.0 * coupon / 2.0 * acc, dirty


def yield_from_price(coupon, clean, parts, guess=None, iterations: int = 8) -> np.ndarray:
    """Yield (decimal) at which the clean price per 100 is ``clean``: Newton's method on the
    price, from ``guess`` (default the coupon); eight steps reach 1e-12 for any Treasury."""
    y = np.array(coupon if guess is None else guess, dtype=float, copy=True)
    for _ in range(iterations):
        p, _ = price_from_yield(coupon, y, parts)
        p2, _ = price_from_yield(coupon, y + 1e-6, parts)
        y = y - (p - clean) * 1e-6 / (p2 - p)
    return y


def coupon_for_price(clean, y, parts) -> np.ndarray:
    """The coupon (decimal, not rounded) at which a security priced at yield ``y`` has clean
    price ``clean``; exact, because the clean price is linear in the coupon."""
    p0, _ = price_from_yield(0.0, y, parts)
    p1, _ = price_from_yield(0.01, y, parts)
    return 0.01 * (np.asarray(clean, dtype=float) - p0) / (p1 - p0)


def dv01_from_yield(coupon, y, parts) -> np.ndarray:
    """Dollar value of one basis point per 100 face (positive): central difference of the
    dirty price over +-0.5 bp of yield."""
    _, up = price_from_yield(coupon, np.asarray(y) + 5e-5, parts)
    _, down = price_from_yield(coupon, np.asarray(y) - 5e-5, parts)
    return down - up


def cf_from_term(coupon, n, z, rounds_to_quarter: bool, notional: float = NOTIONAL_COUPON):
    """CME conversion factor (reference section 2.1) from the whole years ``n`` and whole months
    ``z`` (0-11) between the first day of the delivery month and maturity.  The note-and-bond
    contracts (ZN, TN, TWE, ZB, UB) round ``z`` down to a quarter; ZT, Z3N and ZF keep it.
    Scalars or numpy arrays."""
    coupon = np.asarray(coupon, dtype=float)
    n = np.asarray(n)
    z = np.asarray(z)
    if rounds_to_quarter:
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


def notional_coupon(year: int, month: int) -> float:
    """The contract's notional coupon: 6 % from the March-2000 contracts, 8 % before."""
    return NOTIONAL_COUPON if (year, month) >= SIX_PERCENT_FROM else OLD_NOTIONAL_COUPON
