"""Each contract's deliverable basket: the real securities its contract grade accepts.

The grade of every root and contract month is data in the contract table
(:attr:`ecore.data.contracts.ContractSpec.grades`, ``excluded``); this module applies it to a
:class:`~ecore.data.securities.SecurityTable`.  Remaining term is counted in whole months from
the first day of the delivery month (rounded down, as the rulebook says), and a security must
be issued before the contract's last delivery day.  Where a grade caps the original term (ZT,
Z3N, ZF, TN, TWE), an older issue that Treasury reopened as a new security of an eligible term
(a 7-year note auctioned again as the month's 5-year or 2-year) joins the grade from that
reissue (CBOT rule 21101.A).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from .bond_dates import month_index, month_start, to_days
from .contracts import Contract
from .securities import SecurityTable


def remaining_months(maturity, contract: Contract) -> np.ndarray:
    """Whole months from the first day of ``contract``'s delivery month to ``maturity`` (day
    numbers): the term the grade and the conversion factor use."""
    return month_index(maturity) - ((contract.year - 1970) * 12 + contract.month - 1)


def basket(sec: SecurityTable, contract: Contract) -> np.ndarray:
    """Indices into ``sec`` of the securities deliverable into ``contract``, by maturity."""
    return basket_with_dates(sec, contract)[0]


def basket_with_dates(sec: SecurityTable, contract: Contract) -> tuple[np.ndarray, np.ndarray]:
    """(indices into ``sec`` of the securities deliverable into ``contract`` by maturity, the
    day number each becomes deliverable: its issue day, or for a grade capping the original term
    the day it was reissued as a security of an eligible term, CBOT rule 21101.A)."""
    s = contract.spec
    g = s.grade(contract.year, contract.month)
    month0 = (contract.year - 1970) * 12 + contract.month - 1
    # the maturity window first (the table is sorted by maturity when it comes from a file)
    lo_day = month_start(month0 + g.min_months)
    if sec.maturity_sorted:
        a = int(np.searchsorted(sec.maturity, lo_day))
        b = len(sec) if g.max_months is None else int(np.searchsorted(sec.maturity, month_start(month0 + g.max_months + 1)))
        idx = np.arange(a, b)
    else:
        idx = np.arange(len(sec))
    months = month_index(sec.maturity[idx]) - month0
    ok = months >= g.min_months
    if g.max_months is not None:
        ok &= months <= g.max_months
    bond = sec.is_bond[idx]
    ok &= (bond if "Bond" in g.kinds else False) | (~bond if "Note" in g.kinds else False)
    since = sec.issue[idx]
    if g.original_term_months is not None:
        since = sec.deliverable_from(idx, g.original_term_months)
        ok &= since > 0
    ok &= since < to_days([contract.last_delivery_day()])[0]
    for codes, cusip, _ in s.excluded:
        if contract.code in codes:
            ok &= sec.cusip[idx] != cusip
    idx, since = idx[ok], since[ok]
    order = np.argsort(sec.maturity[idx], kind="stable")
    return idx[order], since[order]


def issued_by(sec: SecurityTable, idx: np.ndarray, day) -> np.ndarray:
    """The members of ``idx`` already issued on ``day`` (a date)."""
    d = to_days([day if isinstance(day, (dt.date, str)) else str(day)])[0]
    return idx[sec.issue[idx] <= d]
