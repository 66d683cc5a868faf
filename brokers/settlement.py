"""Daily settlement: futures pay or receive variation margin, shares are marked to their close.

Futures carry no market value: each day at the settlement price the change since the last mark,
``contracts x multiplier x (S_t - S_prev)``, moves cash.  A contract with no settlement that day
keeps its old mark (counted as a stale mark) and catches up at its next price.  Shares move only
the journal's shares account, so NAV = cash + shares at market.
"""

from __future__ import annotations

import datetime as dt

from . import journal as J
from .account import Account


def settle_futures(account: Account, day: dt.date) -> None:
    """Book the day's variation margin of every futures position."""
    for code, fp in account.futures.items():
        if not fp.size:
            continue
        s = account.book.settle(fp.contract, day)
        if s is None:
            account.counters["stale_marks"] += 1
            continue
        vm = fp.size * fp.contract.spec.multiplier * (s - fp.mark)
        if vm:
            account.journal.post(day, J.VARIATION_MARGIN, code, vm,
                                 note=f"{fp.size} x {fp.contract.spec.multiplier} x ({s} - {fp.mark})")
        fp.mark, fp.mark_day = s, day


def mark_shares(account: Account, day: dt.date) -> None:
    """Mark every share position to its feed's close (the shares account moves, cash does not)."""
    for sym, sp in account.shares.items():
        if sp.data is None or not len(sp.data):
            continue
        new = sp.size * float(sp.data.close[0])
        delta = new - sp.value
        if abs(delta) > 0:
            account.journal.post(day, J.SHARE_MARK, sym, delta, account=J.SHARES,
                                 note=f"{sp.size} x {float(sp.data.close[0])}")
            sp.value = new
