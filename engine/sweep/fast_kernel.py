"""The fast path's day loop compiled with numba: one parameter set per outer iteration; the
caller runs slices of the sets on threads (the compiled code releases the GIL).

:func:`ecore.engine.sweep.fast.evaluate_reference` runs the same rules as numpy vectors over the
sets, but pays Python and numpy dispatch on ~100 tiny operations a day (about 1 s per pass over
2000-2026 whatever the number of sets).  Here every quantity is a scalar of one set, so a pass
costs milliseconds.  The arithmetic is the reference's, operation for operation and in the same
order (sums over roots as numpy's ``sum(axis=1)`` associates them), so the NAV paths are
bit-identical; ``tests/test_sweep_fast_kernel.py`` holds the two to that.

Imported only by the fast path: a plain backtest never loads numba.  The compiled machine code is
cached on disk (``cache=True``) next to this file, or, when the package directory is read-only
and ``NUMBA_CACHE_DIR`` is unset, in the user's cache directory (see :func:`_cache_dir`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _cache_dir() -> str | None:
    """Where numba should cache compiled code when the package's own ``__pycache__`` is not
    writable (site-packages installed by root): ``$XDG_CACHE_HOME/ecore/numba`` (``~/.cache``), else
    a per-user folder of the temporary directory.  None when numba's default place works or the
    user set ``NUMBA_CACHE_DIR``."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    here = Path(__file__).resolve().parent
    pycache = here / "__pycache__"
    if os.access(pycache if pycache.is_dir() else here, os.W_OK):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for candidate in (os.path.join(base, "ecore", "numba"),
                      os.path.join(tempfile.gettempdir(), f"ecore-numba-{os.getuid() if hasattr(os, 'getuid') else 'user'}")):
        try:
            os.makedirs(candidate, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate
    return None


_fallback = _cache_dir()
if _fallback is not None:  # numba reads its configuration once, on import
    os.environ["NUMBA_CACHE_DIR"] = _fallback

import numba as nb  # noqa: E402
import numpy as np  # noqa: E402

# error_model="numpy": a float division by zero gives inf/nan as in numpy (the reference relies on
# it under np.errstate), not a ZeroDivisionError.  No fastmath: it would reorder the arithmetic.
_jit = nb.njit(cache=True, error_model="numpy", nogil=True)
# The small accessors are inlined into the day loop: as calls they pass every array as a struct
# of seven words (default set: 5.2 -> 4.3 ms of CPU, at load 3).
_inline = nb.njit(cache=True, error_model="numpy", nogil=True, inline="always")


@_inline
def _np_sum(a, n):
    """``a[:n].sum()`` associated as numpy's ``sum(axis=1)`` does over a short row: one running
    sum below 8 terms, eight interleaved partial sums from 8 on (pairwise summation)."""
    if n < 8:
        res = -0.0
        for i in range(n):
            res += a[i]
        return 0.0 + res
    r0 = a[0]
    r1 = a[1]
    r2 = a[2]
    r3 = a[3]
    r4 = a[4]
    r5 = a[5]
    r6 = a[6]
    r7 = a[7]
    i = 8
    stop = n - n % 8
    while i < stop:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[i]
        i += 1
    return 0.0 + res


@_inline
def _share_fill(size, px, bps, sh_comm, sh_min, sh_max_pct):
    """(fill price, commission) of ``size`` shares against the close ``px``, dollars: slippage in
    basis points against the trader, a per-share commission with its minimum and its cap as a
    share of the trade value (``CostModel``'s share rules)."""
    fill = px * (1 + bps) if size > 0 else px * (1 - bps)
    a = np.abs(size)
    fee = 0.0
    if a > 0 and sh_comm != 0:
        fee = max(sh_comm * a, sh_min)
    if sh_max_pct:
        fee = min(fee, sh_max_pct * a * fill)
    return fill, fee


@_inline
def _drop_flat(n, cur, R):
    """A root with no contracts left holds no contract (``cur`` -1), and its count is +0.0, not
    the -0.0 a sale to zero leaves, as the reference path sets it."""
    for r in range(R):
        if n[r] == 0:
            n[r] = 0.0
            cur[r] = -1


@_inline
def _requirements(n, mm, im, t, buf, R):
    """(maintenance, initial) margin of the positions ``n`` on day ``t``, dollars: each summed as
    numpy sums a row (``_np_sum``), as the reference path does."""
    for r in range(R):
        buf[r] = np.abs(n[r]) * mm[t, r]
    maint = _np_sum(buf, R)
    for r in range(R):
        buf[r] = np.abs(n[r]) * im[t, r]
    return maint, _np_sum(buf, R)


@_inline
def _settle(c, t, lo, hi, off, flat):
    """Settlement of contract ``c`` on day ``t`` from its packed block (NaN outside it)."""
    if c < 0:
        c = 0
    if t < lo[c] or t >= hi[c]:
        return np.nan
    return flat[off[c] + t - lo[c]]


@_inline
def _settle_ff(c, t, lo, hi, off, flat, tail):
    """Last settlement of contract ``c`` on or before day ``t`` (NaN before its first)."""
    if c < 0:
        c = 0
    if t < lo[c]:
        return np.nan
    if t >= hi[c]:
        return tail[c]
    return flat[off[c] + t - lo[c]]


@_jit
def _solve_ladder(dur, per, tmpl, nl, target_dur, target_notional, out, w, lows):
    """Whole contract counts of one ladder into ``out[:nl]``: ``fast._solve_ladders`` for one set
    (the exhaustive rounding of :func:`ecore.strategies.ladder.build_ladder`)."""
    total = 0.0
    for j in range(nl):
        total = total + tmpl[j]
    for j in range(nl):
        w[j] = tmpl[j] / total
    if nl > 1:
        s = 0
        lg = 0
        for j in range(1, nl):  # first of equal values, as argmin/argmax
            if dur[j] < dur[s]:
                s = j
            if dur[j] > dur[lg]:
                lg = j
        current = 0.0
        for j in range(nl):
            current = current + (tmpl[j] / total) * dur[j]
        slope = dur[lg] - dur[s]
        if slope > 0:
            w0s = tmpl[s] / total
            w0l = tmpl[lg] / total
            x = (target_dur - current) / slope
            if x < -w0l:
                x = -w0l
            if x > w0s:
                x = w0s
            w[s] = w0s - x
            w[lg] = w0l + x
    # Each leg's notional and dollar duration at its floor and one contract above, computed once
    # (the same products the exhaustive search would form for every combination).
    np0 = np.empty(nl)
    np1 = np.empty(nl)
    dd0 = np.empty(nl)
    dd1 = np.empty(nl)
    ns = np.empty(nl)
    ds = np.empty(nl)
    for j in range(nl):
        lows[j] = np.floor(w[j] * target_notional / per[j])
        np0[j] = lows[j] * per[j]
        np1[j] = (lows[j] + 1) * per[j]
        dd0[j] = np0[j] * dur[j]
        dd1[j] = np1[j] * dur[j]
    best = np.inf
    bestm = -1
    nan_seen = False
    prune = target_dur == target_dur  # a NaN target makes every cost NaN: no bound applies
    # Combinations in itertools.product order (leg 0 the most significant bit).  The running sums
    # over legs 0..j are kept per leg and, from one combination to the next, only the legs whose
    # bit changed are re-added: the same additions in the same order as summing every leg afresh.
    for m in range(1 << nl):
        if m == 0:
            first = 0
        else:
            first = nl - 1
            x = m
            while (x & 1) == 0:  # the trailing legs flipped from 1 to 0, and the one above them
                x >>= 1
                first -= 1
        for j in range(first, nl):
            notional = 0.0 if j == 0 else ns[j - 1]
            dd = 0.0 if j == 0 else ds[j - 1]
            if (m >> (nl - 1 - j)) & 1:
                ns[j] = notional + np1[j]
                ds[j] = dd + dd1[j]
            else:
                ns[j] = notional + np0[j]
                ds[j] = dd + dd0[j]
        notional = ns[nl - 1]
        dd = ds[nl - 1]
        if notional > 0:
            b = (notional - target_notional) / (target_notional * 0.01)
            bb = b * b
            if prune and bestm >= 0 and bb >= best:
                continue  # cost = a*a + bb >= bb >= best: cannot be the first minimum
            a = (dd / notional - target_dur) / 0.1
            cost = a * a + bb
        else:
            cost = np.inf
        if cost != cost:  # argmin stops at the first NaN
            nan_seen = True
            break
        if bestm < 0 or cost < best:
            best = cost
            bestm = m
    if nan_seen or not np.isfinite(best):
        for j in range(nl):
            out[j] = np.rint(w[j] * target_notional / per[j])
    else:
        for j in range(nl):
            out[j] = lows[j] + ((bestm >> (nl - 1 - j)) & 1)


@_jit
def _ladder_for(t, legs, nl, tgt_settle, tgt_dur, mult, template, im,
                target_dur, target_notional, mb, me, counts, per, dur, tmpl, w, lows):
    """The day's ladder for one set, cut to the margin budget (``fast.evaluate_reference``'s
    ``ladder_for``): counts into ``counts[:nl]``; returns (notional, initial margin)."""
    for j in range(nl):
        r = legs[j]
        per[j] = tgt_settle[t, r] * mult[r]
        dur[j] = tgt_dur[t, r]
        tmpl[j] = template[r]
    _solve_ladder(dur, per, tmpl, nl, target_dur, target_notional, counts, w, lows)
    initial = 0.0
    for j in range(nl):
        initial = initial + np.abs(counts[j]) * im[t, legs[j]]
    budget = mb * me
    if initial > budget and initial > 0:
        factor = (0.0 if budget < 0.0 else budget) / initial
        for j in range(nl):
            c = counts[j]
            sign = 1.0 if c > 0 else (-1.0 if c < 0 else 0.0)
            counts[j] = sign * np.floor(np.abs(c) * factor)
        initial = 0.0
        for j in range(nl):
            initial = initial + np.abs(counts[j]) * im[t, legs[j]]
    notional = 0.0
    for j in range(nl):
        notional = notional + counts[j] * per[j]
    return notional, initial


@_jit
def _run_set(k, ew, fn, band, scale, mb, expense, bonds_first, meet, on_roll, on_quarter, agg_target,
             fixed_target, charge, close, traded, accrual, business, fill_ord, deadline_ord, day_ord, agg,
             quarter, template, mult, launched_ord, tick, im, mm, code_month, roll_ord, next_code,
             target_code, tgt_settle, tgt_dur, lo, hi, off, flat_settle, flat_ff, ff_tail, cash0, borrow_spread,
             sc,
             liquidate_all, include_unlaunched, fut_comm, slip, bps, sh_comm, sh_min, sh_max_pct,
             nav_out, calls_out, forced_out, refused_out):
    """One parameter set over every day: ``fast.evaluate_reference`` for the set ``k``."""
    T = close.shape[0]
    R = mult.shape[0]
    target_eq = ew * scale
    target_fut = fn * scale
    cash = cash0
    shares = 0.0
    cur = np.full(R, -1, np.int64)
    n = np.zeros(R)
    mark = np.zeros(R)
    pa = np.zeros(R)
    pa_code = np.full(R, -1, np.int64)
    pb = np.zeros(R)
    pb_code = np.full(R, -1, np.int64)
    pr = np.zeros(R)
    ps = 0.0
    pc = 0.0
    started = False
    last_q = -1
    refused = 0
    calls = 0
    forced = 0
    call_open = False
    call_deadline = 0
    buf = np.empty(R)
    legs = np.empty(R, np.int64)
    counts = np.empty(R)
    per = np.empty(R)
    dur = np.empty(R)
    tmpl = np.empty(R)
    w = np.empty(R)
    lows = np.empty(R)
    held = np.empty(R, np.int64)
    order = np.empty(R, np.int64)
    sizes = np.empty(R)
    plan = np.zeros(R)
    has_plan = np.zeros(R, np.bool_)
    rolling = np.zeros(R, np.bool_)
    target_n = np.zeros(R)
    in_ladder = np.zeros(R, np.bool_)

    for t in range(T):
        if t:
            rate = accrual[t, 0]
            gap = accrual[t, 1]
            if cash > 0:
                cash = cash + cash * rate * gap / 360.0
            else:
                cash = cash + cash * (rate + borrow_spread) * gap / 360.0
            if charge:
                cash = cash + -(cash + shares * close[t - 1]) * expense * gap / 365.0
            for r in range(R):  # one leg after the other, as the broker posts them
                if cur[r] >= 0 and n[r] != 0:
                    px = _settle(cur[r], t, lo, hi, off, flat_settle)
                    if np.isfinite(px):
                        cash = cash + n[r] * mult[r] * (px - mark[r])
                        mark[r] = px
            bus = business[t]
            tr = traded[t]
            for phase in range(4):
                # 0: closes of old contracts; 1: reductions; 2: a leg's roll part then its resize
                # (margin-checked); share sales between 1 and 2, purchases after 2.
                if phase == 2 and tr:
                    for which in range(2):  # the strategy's sales, then a margin call's
                        size = ps if which == 0 else pc
                        if size < 0:
                            fill, fee = _share_fill(size, close[t], bps, sh_comm, sh_min, sh_max_pct)
                            if shares + size < -1e-12:
                                refused += 1
                            else:
                                cash = cash - size * fill - fee
                                shares = shares + size
                            if which == 0:
                                ps = 0.0
                            else:
                                pc = 0.0
                if phase == 3:
                    if tr and ps > 0:
                        size = ps
                        px = close[t]
                        fill, fee = _share_fill(size, px, bps, sh_comm, sh_min, sh_max_pct)
                        bad = shares + size < -1e-12
                        for r in range(R):
                            buf[r] = np.abs(n[r]) * im[t, r]
                        im_now = _np_sum(buf, R)
                        me = cash + sc * shares * close[t]
                        if (cash - size * fill - fee < 0) or (me - size * fill - fee + sc * size * px < im_now):
                            bad = True
                        if bad:
                            refused += 1
                        else:
                            cash = cash - size * fill - fee
                            shares = shares + size
                        ps = 0.0
                    continue
                if not bus:
                    continue
                for r in range(R):
                    for part in range(2 if phase == 2 else 1):
                        if phase == 0:
                            size = pa[r]
                            code = pa_code[r]
                        elif phase == 1:
                            size = pb[r]
                            code = pb_code[r]
                            if size == 0 or code != cur[r] or n[r] == 0:
                                continue
                            new = n[r] + size
                            if not (np.abs(new) <= np.abs(n[r]) and n[r] * new >= 0):
                                continue
                        else:
                            size = pr[r] if part == 0 else pb[r]
                            code = pb_code[r]
                        if size == 0:
                            continue
                        # fill_future: one order of ``size`` contracts of ``code`` on root r
                        px = _settle(code, t, lo, hi, off, flat_settle)
                        if not np.isfinite(px):
                            refused += 1
                        else:
                            sgn = 1.0 if size > 0 else -1.0
                            fill = px + sgn * slip * tick[t, r]
                            comm = fut_comm * np.abs(size)
                            vm = size * mult[r] * (px - fill)
                            same = cur[r] == code
                            ok = True
                            if phase == 2:
                                for q in range(R):
                                    buf[q] = np.abs(n[q]) * im[t, q]
                                new_n = n[r] + size if same else size
                                im_after = _np_sum(buf, R) - buf[r] + np.abs(new_n) * im[t, r]
                                if cash + sc * shares * close[t] + vm - comm < im_after:
                                    refused += 1
                                    ok = False
                            if ok:
                                cash = cash + vm - comm
                                n[r] = n[r] + size if same else size
                                cur[r] = code
                                mark[r] = px
                        if phase == 0:
                            pa[r] = 0.0
                        elif phase == 1:
                            pb[r] = 0.0
                        elif part == 0:
                            pr[r] = 0.0
                        else:
                            pb[r] = 0.0
            _drop_flat(n, cur, R)
        # ----- margin: calls met, liquidated at their deadline, or issued -----
        equity = cash + sc * shares * close[t]
        maint, init = _requirements(n, mm, im, t, buf, R)
        if call_open:
            if equity >= init:
                call_open = False
            elif day_ord[t] >= call_deadline:
                # MarginBroker._liquidation_plan
                nh = 0
                for r in range(R):
                    plan[r] = 0.0
                    has_plan[r] = False
                    if cur[r] >= 0 and n[r] != 0:
                        held[nh] = r
                        nh += 1
                for i in range(nh):
                    order[i] = held[i]
                if liquidate_all:
                    for i in range(nh):
                        plan[held[i]] = -n[held[i]]
                        has_plan[held[i]] = True
                else:
                    # largest initial requirement first; equal ones in root order (stable sort)
                    for i in range(1, nh):
                        j = i
                        while j > 0 and -im[t, order[j]] < -im[t, order[j - 1]]:
                            tmp = order[j]
                            order[j] = order[j - 1]
                            order[j - 1] = tmp
                            j -= 1
                    for i in range(nh):
                        sizes[held[i]] = n[held[i]]
                    spent = 0.0
                    eq_k = cash + sc * shares * close[t]
                    done = False
                    for i in range(nh):
                        r = order[i]
                        per_contract = fut_comm + slip * tick[t, r] * mult[r]
                        while sizes[r] != 0 and not done:
                            im_k = 0.0
                            for q in range(nh):
                                im_k += np.abs(sizes[held[q]]) * im[t, held[q]]
                            if eq_k - spent >= im_k:
                                done = True
                                break
                            step = -1.0 if sizes[r] > 0 else 1.0
                            sizes[r] += step
                            plan[r] = plan[r] + step
                            has_plan[r] = True
                            spent += per_contract
                        if done:
                            break
                for i in range(nh):  # in the order the plan was made
                    r = order[i]
                    q = plan[r]
                    if not has_plan[r] or q == 0:
                        continue
                    px = _settle(cur[r], t, lo, hi, off, flat_settle)
                    if not np.isfinite(px):
                        px = mark[r]
                    step_px = slip * tick[t, r]
                    fill = px + (np.abs(step_px) if q >= 0 else -np.abs(step_px))
                    cash += q * mult[r] * (px - fill) - fut_comm * np.abs(q)
                    n[r] += q
                    mark[r] = px
                    forced += 1
                call_open = False
                _drop_flat(n, cur, R)
                equity = cash + sc * shares * close[t]
                maint, init = _requirements(n, mm, im, t, buf, R)
        if not call_open and maint > 0 and equity < maint:
            call_open = True
            call_deadline = deadline_ord[t]
            calls += 1
            if sc < 1:
                amount = init - equity
                sell = min(shares, np.ceil(amount * 1.01 / (1 - sc) / close[t]))
                if meet and sell > 0:
                    pc = pc - sell
        nav = cash + shares * close[t]
        nav_out[k, t] = nav

        # ----- the strategy's decision on the close -----
        if not business[t]:
            continue
        if ps != 0 or pc != 0:
            continue
        busy = False
        for r in range(R):
            if pa[r] != 0 or pb[r] != 0 or pr[r] != 0:
                busy = True
        if busy:
            continue
        for r in range(R):
            if cur[r] >= 0:
                buf[r] = n[r] * _settle_ff(cur[r], t, lo, hi, off, flat_ff, ff_tail) * mult[r]
            else:
                buf[r] = 0.0
        notional = _np_sum(buf, R)
        eq_value = shares * close[t]
        eq_w = eq_value / nav
        fut_w = notional / nav
        any_rolling = False
        for r in range(R):
            c = cur[r] if cur[r] >= 0 else 0
            rolling[r] = cur[r] >= 0 and n[r] != 0 and fill_ord[t] >= roll_ord[c]
            any_rolling = any_rolling or rolling[r]
        nl = 0
        for r in range(R):
            code = target_code[t, r]
            if (include_unlaunched or launched_ord[r] <= day_ord[t]) \
                    and np.isfinite(tgt_settle[t, r]) and np.isfinite(tgt_dur[t, r]):
                legs[nl] = r
                nl += 1
        tdur = agg[t] if agg_target else fixed_target
        me = cash + sc * shares * close[t]

        reason = not started
        drift = started and np.abs(eq_w - target_eq) > band
        if drift and not (eq_w > target_eq):
            # underweight shares that cash and margin cannot buy back into the band: no rebalance
            held_im = 0.0
            for r in range(R):
                held_im = held_im + (np.abs(n[r]) * im[t, r] if cur[r] >= 0 and n[r] != 0 else 0.0)
            out = cash
            if sc < 1:
                out = min(out, (me - held_im / mb) / (1 - sc))
            spend = max(out, 0.0) * 0.998
            drift = eq_value + spend >= (target_eq - band) * nav
        reason = reason or drift
        if started and not reason and np.abs(fut_w - target_fut) > band and nl > 0:
            ladder_notional, _ = _ladder_for(t, legs, nl, tgt_settle, tgt_dur, mult, template, im, tdur, fn * scale * nav, mb, me, counts,
                                             per, dur, tmpl, w, lows)
            changes = False
            for j in range(nl):
                r = legs[j]
                have = n[r] if cur[r] == target_code[t, r] else 0.0
                if have != counts[j]:
                    changes = True
            if changes and np.abs(ladder_notional - notional) > band * nav:
                reason = True
        if started and on_roll and any_rolling:
            reason = True
        if started and not reason and on_quarter:
            if last_q >= 0 and quarter[t] != last_q:
                reason = True
            last_q = quarter[t]

        if reason and nl > 0:
            _, ladder_im = _ladder_for(t, legs, nl, tgt_settle, tgt_dur, mult, template, im, tdur, fn * scale * nav, mb, me, counts,
                                       per, dur, tmpl, w, lows)
            for r in range(R):
                target_n[r] = 0.0
                in_ladder[r] = False
            for j in range(nl):
                target_n[legs[j]] = counts[j]
                in_ladder[legs[j]] = True
            for r in range(R):
                code = target_code[t, r]
                live = cur[r] >= 0 and n[r] != 0
                close_old = live and (cur[r] != code or not in_ladder[r])
                if close_old:
                    pa[r] = -n[r]
                    pa_code[r] = cur[r]
                if in_ladder[r]:
                    have = n[r] if live and cur[r] == code else 0.0
                    delta = target_n[r] - have
                    rolled = n[r] if close_old else 0.0
                    part = 0.0
                    if rolled != 0 and delta != 0 and ((rolled > 0) == (delta > 0)):
                        part = delta if np.abs(delta) <= np.abs(rolled) else rolled
                    pr[r] = part
                    pb[r] = delta - part
                    pb_code[r] = code
            trade_eq = (not started) or (not bonds_first) or (np.abs(eq_w - target_eq) > band)
            want = np.floor(target_eq * nav / close[t])
            delta = want - shares if trade_eq else 0.0
            if delta > 0:  # purchases sized to the cash and margin the new ladder leaves
                out = cash
                if sc < 1:
                    out = min(out, (me - ladder_im / mb) / (1 - sc))
                cap = np.floor(max(out, 0.0) * 0.998 / close[t])
                delta = min(delta, cap)
            ps = delta
            started = True
        elif not reason and any_rolling:
            # a roll with no rebalance moves each leg to the next quarterly contract
            for r in range(R):
                if not rolling[r]:
                    continue
                old = cur[r]
                target = target_code[t, r]
                new = target if code_month[target] > code_month[old] else next_code[old]
                pa[r] = -n[r]
                pa_code[r] = old
                pb[r] = n[r]
                pb_code[r] = new
    calls_out[k] = calls
    forced_out[k] = forced
    refused_out[k] = refused


@_jit
def run_sets(first, stop, ew, fn, band, scale, mb, expense, bonds_first, meet, on_roll, on_quarter, agg_target,
             fixed_target, charge, close, traded, accrual, business, fill_ord, deadline_ord, day_ord, agg,
             quarter, template, mult, launched_ord, tick, im, mm, code_month, roll_ord, next_code,
             target_code, tgt_settle, tgt_dur, lo, hi, off, flat_settle, flat_ff, ff_tail, cash0, borrow_spread,
             sc,
             liquidate_all, include_unlaunched, fut_comm, slip, bps, sh_comm, sh_min, sh_max_pct,
             nav_out, calls_out, forced_out, refused_out):
    """The parameter sets ``first`` to ``stop - 1`` (of arrays of length K): ``tgt_settle``
    and ``tgt_dur`` [T, R] are the settlement and duration of each day's target contract (shared by
    every set), the packed prices serve the contracts a set holds.  NAV paths
    into ``nav_out`` [K, T].  ``tick``, ``im``, ``mm`` and ``target_code`` are [T, R] (a day's roots
    side by side), ``nav_out`` one set's path contiguous: a [T, K] row per day costs a cache miss a
    day), counts of margin calls, forced orders and refused orders per set."""
    for k in range(first, stop):
        _run_set(k, ew[k], fn[k], band[k], scale[k], mb[k], expense[k], bonds_first[k], meet[k], on_roll[k],
                 on_quarter[k], agg_target[k], fixed_target[k], charge, close, traded, accrual, business,
                 fill_ord, deadline_ord, day_ord, agg, quarter, template, mult, launched_ord, tick, im, mm,
                 code_month, roll_ord, next_code, target_code, tgt_settle, tgt_dur, lo, hi, off, flat_settle,
                 flat_ff, ff_tail, cash0, borrow_spread, sc, liquidate_all, include_unlaunched, fut_comm, slip, bps,
                 sh_comm, sh_min, sh_max_pct, nav_out, calls_out, forced_out, refused_out)
