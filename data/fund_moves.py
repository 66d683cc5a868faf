"""How far a fund's dividend-adjusted close can plausibly move in one day, by kind of fund.

A move beyond the bound is far more often a data error than a market move: an unadjusted split
(3-for-2 looks like -33 %, 2-for-1 like -50 %, 1-for-2 like +100 %), a price in other units, a
typo.  The bounds are set from the real history of the bundled funds (and the shared set's IEF),
adjusted closes from Yahoo Finance, measured day over day:

==========  =========================  ===========================
kind        worst real fall            worst real rise
==========  =========================  ===========================
equity      EEM -16.17 % (2008-10-15)  EEM +22.77 % (2008-10-13)
            IVV -11.57 % (2020-03-16)  SPY +14.52 % (2008-10-13)
bond        AGG -6.84 % (2008-10-10)   AGG +3.87 % (2008-10-13)
            IEF -2.51 % (2020-03-17)   IEF +3.43 % (2009-03-18)
==========  =========================  ===========================

The bound is a fall of :data:`FALL_BOUNDS` (equity 25 %, bond 15 %) or the same move upwards in
log terms (a rise of 33.3 % for equity, 17.6 % for bond): about 1.5 times the worst real equity
day and twice the worst real bond day, while a 3-for-2 split (-33 %) and anything coarser is
caught for both kinds, and a 5-for-4 (-20 %) for bond funds.  A fund not in
:data:`BOND_FUNDS` is taken as an equity fund (the looser bound).
"""

from __future__ import annotations

import math

#: Largest plausible one-day fall of an adjusted close, by kind (a decimal: 0.25 = -25 %).
FALL_BOUNDS = {"equity": 0.25, "bond": 0.15}

#: Bond funds (U.S. Treasury, aggregate, corporate, municipal, TIPS) by symbol.
BOND_FUNDS = frozenset({
    "AGG", "BND", "IEF", "IEI", "SHY", "TLT", "GOVT", "SCHZ", "SCHR", "SCHO", "SCHQ", "BIV", "BSV",
    "BLV", "VGIT", "VGLT", "VGSH", "EDV", "SPTL", "SPTI", "SPTS", "SPAB", "TIP", "SCHP", "VTIP",
    "MUB", "LQD", "VCIT", "VCSH", "IGSB", "IGIB", "HYG", "JNK", "EMB", "BNDX", "IUSB", "FBND",
    "VBTLX", "VBMFX", "SHV", "BIL", "SGOV", "TLH", "ZROZ", "USIG", "ISTB",
})

#: Simple split ratios (new shares per old) a jump is compared with to name the likely cause.
SPLITS = ((2, 1), (3, 2), (4, 3), (5, 4), (3, 1), (4, 1), (5, 1), (10, 1), (1, 2), (2, 3), (1, 3), (1, 4),
          (1, 5), (1, 10))


def fund_kind(symbol: str) -> str:
    """``"bond"`` or ``"equity"`` for a fund's symbol."""
    return "bond" if str(symbol).upper() in BOND_FUNDS else "equity"


def log_bound(symbol: str) -> float:
    """The largest plausible absolute one-day log move of ``symbol``'s adjusted close."""
    return -math.log(1 - FALL_BOUNDS[fund_kind(symbol)])


def describe_bound(symbol: str) -> str:
    """``"a fall of 25% or a rise of 33% (equity fund)"`` for ``symbol``."""
    kind = fund_kind(symbol)
    fall = FALL_BOUNDS[kind]
    return f"a fall of {fall:.0%} or a rise of {1 / (1 - fall) - 1:.0%} in a day ({kind} fund bound)"


def likely_cause(before: float, after: float) -> str:
    """Words for what a jump from ``before`` to ``after`` most likely is."""
    ratio = after / before
    # The day's own market move rides on the split: the nearest simple ratio within 8 % (log)
    # of it (ratios of SPLITS lie at least 6.5 % apart).
    new, old = min(SPLITS, key=lambda s: abs(math.log(ratio * s[0] / s[1])))
    if abs(math.log(ratio * new / old)) < 0.08:
        if new > old:
            return f"likely an unadjusted {new}-for-{old} split"
        return f"likely an unadjusted {new}-for-{old} reverse split"
    if 0.009 < ratio < 0.011 or 90 < ratio < 110:
        return "likely a price in cents or a misplaced decimal point"
    return "likely a data error (a typo, another fund's prices)"
