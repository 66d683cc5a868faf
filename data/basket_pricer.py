"""Futures prices of every quarterly contract from its deliverable basket.

For contract k, each business day t it is priced on and each deliverable security i already
issued on t (:func:`ecore.data.baskets.basket`):

    P_i(t)   dirty price on the fitted curve (:meth:`ecore.data.curve.Curve.dirty_price`), per 100
    Fd_i(T)  = P_i(t) (1 + r (T - t)/360) - sum over coupons t < t_c <= T of C/2 (1 + r (T - t_c)/360)
    F_i(T)   = (Fd_i(T) - AI_i(T)) / CF_i                                            points

r is the financing rate on t (:class:`Financing`: overnight repo plus the root's implied-repo
spread), ACT/360, held flat to delivery; coupons received before delivery are reinvested at r.
T is the cheaper for the short of the first delivery day (or t, inside the delivery month) and
the last delivery day: the timing option reduced to its two corners (positive carry favours
the last day, negative carry the first).  The futures price is F(t) = min_i min_T F_i(T); the
minimising security is the cheapest to deliver (CTD).  The quality option before delivery and
the wild-card and end-of-month options are not valued (docs/synthetic-futures.md gives their
likely size).

Risk comes from the CTD: ``dv01 = face/100 * DV01_i(t) (1 + r h) / CF_i`` dollars per contract per
basis point (DV01_i from the CTD's own yield, street convention; h = (T - t)/360) and
``duration = dv01 / (F face/100) * 1e4`` years.

A contract none of whose deliverable securities has been issued yet on a day (a product's
synthetic history before such issues existed, or days past the security table's last auction)
is priced from a *stand-in*: a hypothetical note maturing ``ctd_years`` after the first delivery
day with the curve's par coupon nine months earlier (the representative bond of the contract
table); such rows have no CUSIP.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .baskets import basket_with_dates, remaining_months
from .bond_dates import CouponTable, add_months, end_of_month, to_days
from .bond_math import cf_from_term, dv01_from_yield, notional_coupon, yield_from_price
from .contracts import Contract, nearest_listed, spec
from .curve import Curve
from .securities import COUPON_STEP, MIN_COUPON, SecurityTable


@dataclass(frozen=True)
class Financing:
    """The carry rate of each curve day: overnight repo plus each root's implied-repo spread.

    ``repo``: decimals, one per curve day.  ``spread``: ``{root: decimals per curve day}``; a root
    absent from it is financed at repo."""

    repo: np.ndarray
    spread: dict

    def rate(self, root: str, rows) -> np.ndarray:
        r = self.repo[rows]
        s = self.spread.get(root)
        return r if s is None else r + s[rows]


@dataclass(frozen=True)
class Market:
    """Everything the pricer reads, aligned on the curve's days."""

    curve: Curve
    financing: Financing
    securities: SecurityTable
    coupons: CouponTable  # of ``securities``
    par_yield: object  # callable (day numbers, years) -> par yields: the stand-in's coupon

    def row_of(self, days) -> np.ndarray:
        return np.searchsorted(self.curve.days, np.asarray(days, dtype=np.int64))


@dataclass(frozen=True)
class RootPrices:
    """One row per (contract, day), contract-major; arrays of equal length."""

    root: str
    codes: tuple  # contract codes, indexed by ``contract``
    contract: np.ndarray  # index into ``codes``
    day: np.ndarray  # int64 day numbers
    raw: np.ndarray  # futures price, points, unrounded
    settle: np.ndarray  # rounded to the tick in force
    ctd: np.ndarray  # index of the CTD in the security table, -1 for a stand-in
    delivery: np.ndarray  # day number of the cheaper delivery day
    cf: np.ndarray  # conversion factor of the CTD
    rate: np.ndarray  # financing rate used (decimal, ACT/360)
    dv01: np.ndarray  # dollars per contract per bp
    duration: np.ndarray  # years


def contracts_between(root: str, first: dt.date, last: dt.date, from_listing: bool = True) -> list[Contract]:
    """Contracts of ``root`` trading at some point between ``first`` and ``last``; with
    ``from_listing=False`` also the ones listed after ``last`` whose delivery month is within
    a year of it (priced before their listing)."""
    out, c = [], nearest_listed(root, first)
    horizon = last if from_listing else last + dt.timedelta(days=400)
    while (c.listing_day() if from_listing else dt.date(c.year, c.month, 1)) <= horizon:
        out.append(c)
        c = c.next()
    return out


def _ticks(root: str, days: np.ndarray) -> np.ndarray:
    hist = spec(root).tick_history
    starts = to_days([d for d, _ in hist])
    ticks = np.array([float(t) for _, t in hist])
    return ticks[np.maximum(np.searchsorted(starts, days, side="right") - 1, 0)]


def forward_price(dirty, half, r, t, T, i_t, i_T, acc_T, dates) -> np.ndarray:
    """Clean forward price per 100 for delivery on ``T`` of a security bought at ``dirty`` on
    ``t``, financed at ``r`` (ACT/360) with coupons of ``half`` (per 100) reinvested at ``r``:
    ``i_t`` and ``i_T`` index the next coupon after each day in ``dates``, ``acc_T`` is the
    fraction of a period accrued at ``T``."""
    last = len(dates) - 1
    d1 = dates[np.minimum(i_t, last)]
    d2 = dates[np.minimum(i_t + 1, last)]
    paid = i_T - i_t  # coupons in (t, T]: 0, 1 or 2 within a contract's life
    income = half * ((paid >= 1) * (1 + r * (T - d1) / 360.0) + (paid >= 2) * (1 + r * (T - d2) / 360.0))
    return dirty * (1 + r * (T - t) / 360.0) - income - half * acc_T


def _stand_ins(m: Market, cs: list[Contract]) -> tuple[np.ndarray, np.ndarray]:
    """(maturity day numbers, coupons) of the contracts' stand-in securities (module text)."""
    first = to_days([dt.date(c.year, c.month, 1) for c in cs])
    years = np.array([c.spec.ctd_years for c in cs])
    maturity = first + np.round(years * 365.25).astype(np.int64)
    par = m.par_yield(add_months(first, -9), years + 0.75)
    return maturity, np.maximum(MIN_COUPON, np.round(par / COUPON_STEP) * COUPON_STEP)


def price_root(root: str, m: Market, first: dt.date, last: dt.date, from_listing: bool = True,
               contracts: list[Contract] | None = None) -> RootPrices:
    """Price every contract of ``root`` on every curve day from its listing day (or ``first``)
    to its last trading day (or ``last``).  ``from_listing=False`` prices days before listing
    too (a contract first listed after the data end still gets a duration)."""
    root = spec(root).root
    sec, curve = m.securities, m.curve
    cs = contracts if contracts is not None else contracts_between(root, first, last, from_listing)
    lo_day, hi_day = to_days([first, last])
    face = spec(root).face_value
    n_sec = len(sec)

    # the curve rows each contract is priced on
    spans = []
    for c in cs:
        kd = c.key_dates()
        start = to_days([c.listing_day()])[0] if from_listing else lo_day
        a = int(np.searchsorted(curve.days, max(start, lo_day)))
        b = int(np.searchsorted(curve.days, min(to_days([kd["last_trading_day"]])[0], hi_day), side="right"))
        if b > a:
            spans.append((c, a, b, kd))
    if not spans:
        empty = np.array([], dtype=np.int64)
        f = np.array([], dtype=float)
        return RootPrices(root, (), empty, empty, f, f, empty, empty, f, f, f, f)
    stand_mat, stand_cpn = _stand_ins(m, [c for c, _, _, _ in spans])

    # slots: one per (contract, basket member); each basket ends with the contract's stand-in
    # (index n_sec + k).  Pairs: one per (contract, day, member), contract-major, then day.
    slot_parts, cf_parts, row_parts, pair_slot_parts, size_parts, since_parts = [], [], [], [], [], []
    first_delivery, last_delivery = [], []
    n_slots = 0
    for k, (c, a, b, kd) in enumerate(spans):
        members, since = basket_with_dates(sec, c)
        idx = np.r_[members, n_sec + k]
        since_parts.append(np.r_[since, np.iinfo(np.int32).min // 2])
        mats = np.r_[sec.maturity[idx[:-1]], stand_mat[k]]
        months = remaining_months(mats, c)
        cpns = np.r_[sec.coupon[idx[:-1]], stand_cpn[k]]
        cf_parts.append(np.atleast_1d(cf_from_term(cpns, months // 12, months % 12, c.spec.cf_rounds_to_quarter,
                                                   notional_coupon(c.year, c.month))))
        ndays, nb = b - a, idx.size
        slot_parts.append(idx)
        first_delivery.append(np.full(nb, to_days([kd["first_delivery_day"]])[0]))
        last_delivery.append(np.full(nb, to_days([kd["last_delivery_day"]])[0]))
        row_parts.append(np.repeat(np.arange(a, b), nb))
        pair_slot_parts.append(np.tile(np.arange(n_slots, n_slots + nb), ndays))
        size_parts.append(np.full(ndays, nb))
        n_slots += nb
    slot_bond = np.concatenate(slot_parts)
    slot_since = np.concatenate(since_parts)  # the day each member becomes deliverable
    slot_cf = np.concatenate(cf_parts)
    slot_fd = np.concatenate(first_delivery)
    slot_ld = np.concatenate(last_delivery)
    slot_k = np.repeat(np.arange(len(spans)), [len(x) for x in slot_parts])
    row = np.concatenate(row_parts)
    slot = np.concatenate(pair_slot_parts)
    sizes = np.concatenate(size_parts)

    # the securities table extended by the stand-ins
    all_mat = np.r_[sec.maturity, stand_mat]
    all_cpn = np.r_[sec.coupon, stand_cpn]
    coupons = m.coupons.extended(stand_mat, end_of_month(stand_mat), add_months(stand_mat, -12 * 40))
    dates = coupons.dates
    # coupon position at the two corner delivery days, once per slot
    i_fd, _, acc_fd = coupons.parts(slot_bond, slot_fd)
    i_ld, _, acc_ld = coupons.parts(slot_bond, slot_ld)

    # -- spot, per pair
    bond = slot_bond[slot]
    cf = slot_cf[slot]
    t = curve.days[row]
    cpn = all_cpn[bond]
    i_t, left, acc_t = coupons.parts(bond, t)
    dirty, principal_df = curve.dirty_price(row, (all_mat[bond] - t) / 365.25, left, cpn, with_discount=True)
    half = 100.0 * cpn / 2.0
    r = m.financing.rate(root, row)

    inside = t > slot_fd[slot]  # inside the delivery month the first corner is today
    T1 = np.where(inside, t, slot_fd[slot])
    F1 = forward_price(dirty, half, r, t, T1, i_t, np.where(inside, i_t, i_fd[slot]),
                       np.where(inside, acc_t, acc_fd[slot]), dates) / cf
    T2 = slot_ld[slot]
    F2 = forward_price(dirty, half, r, t, T2, i_t, i_ld[slot], acc_ld[slot], dates) / cf
    late = F2 < F1
    F = np.where(late, F2, F1)
    # a stand-in only where no real deliverable security is issued that day
    is_stand = bond >= n_sec
    issued = slot_since[slot] <= t
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    real_count = np.add.reduceat((issued & ~is_stand).astype(np.int64), starts)
    gid = np.repeat(np.arange(len(sizes)), sizes)
    F = np.where(np.where(is_stand, real_count[gid] == 0, issued), F, np.inf)

    # -- cheapest to deliver per (contract, day)
    fmin = np.minimum.reduceat(F, starts)
    n = len(F)
    j = np.minimum.reduceat(np.where(F == fmin[gid], np.arange(n), n), starts)

    # -- risk from the CTD, from its own yield (a zero yield off the curve is Newton's start)
    tj, bj, rj = t[j], bond[j], r[j]
    Tj = np.where(late[j], T2[j], T1[j])
    clean = dirty[j] - half[j] * acc_t[j]
    parts = (left[j], 1.0 - acc_t[j], acc_t[j])
    years = np.maximum((all_mat[bj] - tj) / 365.25, 1 / 365.25)
    guess = 2.0 * (principal_df[j] ** (-1.0 / (2.0 * years)) - 1.0)
    y = yield_from_price(cpn[j], clean, parts, guess=guess, iterations=3)  # 5e-9 of dv01 from 8 steps
    dv01_bond = dv01_from_yield(cpn[j], y, parts) * (1 + rj * (Tj - tj) / 360.0)
    dv01 = face / 100.0 * dv01_bond / cf[j]
    duration = dv01 / (fmin * face / 100.0) * 1e4
    tick = _ticks(root, tj)
    ctd = np.where(bj >= n_sec, -1, bj)
    return RootPrices(root, tuple(c.code for c, _, _, _ in spans), slot_k[slot[j]], tj, fmin,
                      np.round(fmin / tick) * tick, ctd, Tj, cf[j], rj, dv01, duration)


def basket_on(m: Market, contract: Contract, day: int, futures_price: float | None = None):
    """Every deliverable security of ``contract`` on the curve day ``day`` (a day number), as a
    DataFrame in maturity order: ``row`` (index in the security table), ``cf``, ``issued``,
    ``clean`` and ``yield`` on the curve, ``delivery`` (the cheaper corner day), ``converted``
    (forward clean / CF, points: the futures price it implies) and ``implied_repo`` (decimal,
    ACT/360: the financing rate at which buying it and delivering it into ``futures_price``
    breaks even; at the model's own price when ``futures_price`` is None).  ``ctd`` marks the
    cheapest issued one."""
    import pandas as pd

    sec = m.securities
    row = int(np.searchsorted(m.curve.days, day, side="right")) - 1
    if row < 0:
        raise ValueError("the day is before the curve")
    t = int(m.curve.days[row])
    idx, since = basket_with_dates(sec, contract)
    n = len(idx)
    months = remaining_months(sec.maturity[idx], contract)
    cf = np.atleast_1d(cf_from_term(sec.coupon[idx], months // 12, months % 12, contract.spec.cf_rounds_to_quarter,
                                    notional_coupon(contract.year, contract.month)))
    kd = contract.key_dates()
    fd, ld = to_days([kd["first_delivery_day"], kd["last_delivery_day"]])
    rows = np.full(n, row)
    tt = np.full(n, t)
    i_t, left, acc_t = m.coupons.parts(idx, tt)
    cpn = sec.coupon[idx]
    dirty, _ = m.curve.dirty_price(rows, (sec.maturity[idx] - t) / 365.25, left, cpn, with_discount=True)
    half = 100.0 * cpn / 2.0
    r = m.financing.rate(contract.root, rows)
    corners = []
    for T in (max(fd, t), max(ld, t)):
        TT = np.full(n, T)
        i_T, _, acc_T = m.coupons.parts(idx, TT)
        corners.append((TT, i_T, acc_T, forward_price(dirty, half, r, tt, TT, i_t, i_T, acc_T, m.coupons.dates) / cf))
    late = corners[1][3] < corners[0][3]
    T, i_T, acc_T, converted = (np.where(late, a, b) for a, b in zip(corners[1], corners[0]))
    issued = since <= t
    clean = np.where(issued, dirty - half * acc_t, np.nan)  # not yet deliverable: no price
    parts = (left, 1.0 - acc_t, acc_t)
    y = np.full(n, np.nan)
    if issued.any():
        y[issued] = yield_from_price(cpn[issued], clean[issued], tuple(p[issued] for p in parts), guess=cpn[issued])
    converted = np.where(issued, converted, np.nan)
    model_f = float(np.nanmin(converted)) if issued.any() else float("nan")
    F = model_f if futures_price is None else float(futures_price)
    # coupons received before delivery (not reinvested: the market's implied-repo convention)
    income = half * (i_T - i_t)
    invoice = F * cf + half * acc_T
    days = np.maximum(T - t, 1)
    implied = np.where(issued, ((invoice + income) / dirty - 1.0) * 360.0 / days, np.nan)
    out = pd.DataFrame({
        "row": idx, "cusip": sec.cusip[idx], "coupon": cpn, "maturity": sec.maturity[idx].astype("datetime64[D]"),
        "issue": since.astype("datetime64[D]"), "issued": issued, "cf": cf, "clean": clean, "yield": y,
        "delivery": T.astype("datetime64[D]"), "converted": converted, "implied_repo": implied,
    })
    out["ctd"] = issued & (converted == model_f)
    out.attrs.update({"day": np.datetime64(t, "D"), "repo": float(m.financing.repo[row]),
                      "rate": float(r[0]) if n else float(m.financing.repo[row]), "futures_price": F,
                      "model_price": model_f})
    return out
