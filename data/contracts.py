"""U.S. Treasury futures: the contract-specification table and the quarterly contract value object.

Facts come from the CME/CBOT contract-specification pages as collected in
``shared/reference/treasury-futures.md`` (sections 1.1, 1.3 and 1.4).  Everything a contract needs
to know about itself (multiplier, tick, delivery-calendar rules, deliverable basket, Interactive
Brokers identifiers) lives in :data:`SPECS`; nothing else in the engine hard-codes these numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

from .calendar import TreasuryCalendar, as_date, in_force, treasury_calendar

MONTH_CODES = {"F": 1, "G": 2, "H": 3, "J": 4, "K": 5, "M": 6, "N": 7, "Q": 8, "U": 9, "V": 10, "X": 11, "Z": 12}
MONTH_LETTERS = {v: k for k, v in MONTH_CODES.items()}
MONTH_ABBR = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
QUARTERLY_MONTHS = (3, 6, 9, 12)

# Last-trading-day rules (CBOT rulebook chapters 18-21, 26, 39, 40).
LTD_LAST_BUSINESS_DAY = "last business day of the contract month"
LTD_SEVENTH_BEFORE_LAST = "7th business day before the last business day of the contract month"
LTD_TWO_YEAR_ISSUE = ("the earlier of the 2nd business day before the issue day of the 2-year note auctioned "
                      "in the contract month and the last business day of the contract month")
# Last-delivery-day rules.
LDD_THIRD_AFTER_LTD = "3rd business day after the last trading day"
LDD_LAST_BUSINESS_DAY = "last business day of the contract month"
# The first contract month of every product's history (dated steps start here).
FIRST = (1950, 1)

# Issue day of the 2-year note auctioned in each quarterly month while ZT's old last-trading-day
# rule was in force (TreasuryDirect auction history, shared/data/treasuries/auctions.csv: every
# "2-Year" Note auction in Mar/Jun/Sep/Dec from the product's launch; none in March 1996, when the
# debt-limit impasse cancelled it).  Key: contract month "YYYY-MM"; value: issue day.
_TWO_YEAR_ISSUES = """
1990-06 1990-07-02 1990-09 1990-10-01 1990-12 1990-12-31 1991-03 1991-04-01 1991-06 1991-07-01
1991-09 1991-09-30 1991-12 1991-12-31 1992-03 1992-03-31 1992-06 1992-06-30 1992-09 1992-09-30
1992-12 1992-12-31 1993-03 1993-03-31 1993-06 1993-06-30 1993-09 1993-09-30 1993-12 1993-12-31
1994-03 1994-03-31 1994-06 1994-06-30 1994-09 1994-09-30 1994-12 1995-01-03 1995-03 1995-03-31
1995-06 1995-06-30 1995-09 1995-10-02 1995-12 1996-01-02 1996-06 1996-07-01 1996-09 1996-09-30
1996-12 1996-12-31 1997-03 1997-03-31 1997-06 1997-06-30 1997-09 1997-09-30 1997-12 1997-12-31
1998-03 1998-03-31 1998-06 1998-06-30 1998-09 1998-09-30 1998-12 1998-12-31 1999-03 1999-03-31
1999-06 1999-06-30 1999-09 1999-09-30 1999-12 1999-12-31 2000-03 2000-03-31 2000-06 2000-06-30
2000-09 2000-10-02 2000-12 2001-01-02 2001-03 2001-04-02 2001-06 2001-07-02 2001-09 2001-10-01
2001-12 2001-12-31 2002-03 2002-04-01 2002-06 2002-07-01 2002-09 2002-09-30 2002-12 2002-12-31
2003-03 2003-03-31 2003-06 2003-06-30 2003-09 2003-09-30 2003-12 2003-12-31 2004-03 2004-03-31
"""
TWO_YEAR_NOTE_ISSUES: dict[tuple[int, int], dt.date] = {
    (int(m[:4]), int(m[5:])): dt.date.fromisoformat(d)
    for m, d in zip(_TWO_YEAR_ISSUES.split()[::2], _TWO_YEAR_ISSUES.split()[1::2])
}


@dataclass(frozen=True)
class DeliverableGrade:
    """The securities a contract accepts for delivery (its CBOT contract-grade rule).

    Remaining term is counted in whole months from the first day of the delivery month, rounded
    down, as the rulebook says ("1 year 10 months 17 days shall be taken to be 1 year 10
    months"); "not more than 2 years from the last day of the delivery month" (ZT) is then the
    same as at most 24 whole months.  A security must also be issued before the contract's last
    delivery day (CME SER-4819: an issue settling on or after it is not deliverable)."""

    kinds: tuple[str, ...]  # as issued: "Note" and/or "Bond"
    min_months: int  # shortest remaining term, whole months
    max_months: int | None = None  # longest remaining term (inclusive), None: no limit
    original_term_months: tuple[int, int] | None = None  # (shortest, longest) term at issue

    def describe(self) -> str:
        """One line in the rulebook's words."""
        def ym(m):
            return f"{m // 12}y{m % 12}m" if m % 12 else f"{m // 12}y"
        parts = [" and ".join(k.lower() + "s" for k in self.kinds)]
        if self.original_term_months is not None:
            lo, hi = self.original_term_months
            parts.append(f"original term {ym(lo)}-{ym(hi)}")
        rng = f"remaining >= {ym(self.min_months)}"
        if self.max_months is not None:
            rng += f" and <= {ym(self.max_months)}"
        parts.append(rng + " (whole months from the first day of the delivery month)")
        return ", ".join(parts)


class ContractError(ValueError):
    """An unknown root, month or malformed contract code."""


@dataclass(frozen=True)
class ContractSpec:
    """One Treasury futures product.

    Money in dollars, prices in points (par = 100), ticks as exact fractions of a point.
    """

    root: str
    name: str
    face_value: int  # dollars of face value per contract
    point_value: int  # dollars per 1.00 point of price (= face / 100)
    # (first trade date, tick in points) pairs, oldest first: the tick in force on a date.
    tick_history: tuple[tuple[dt.date, Fraction], ...]
    calendar_spread_tick: Fraction
    ltd_rule: str  # today's rule; older contracts may follow an earlier one (ltd_history)
    last_delivery_rule: str
    deliverable: str  # the grade as CME words it
    deliverable_min_years: float  # shortest remaining term in the basket (years)
    deliverable_max_years: float | None  # longest (None: no upper bound)
    launched: dt.date  # first listed trade date of the product in its current form
    clearing_code: str
    ib_symbol: str
    ib_trading_class: str
    ib_exchange: str = "CBOT"
    months: tuple[int, ...] = QUARTERLY_MONTHS
    # Conversion-factor rule: months beyond whole years are rounded down to a quarter for the
    # note-and-bond contracts (ZN, TN, TWE, ZB, UB) and kept whole for ZT, Z3N, ZF.
    cf_rounds_to_quarter: bool = True
    # Remaining term of the representative cheapest-to-deliver bond at the first delivery day
    # (years): the stand-in the pricer uses while none of a contract's deliverables is issued.
    ctd_years: float = 0.0
    # Contract grade by first contract month it applies to, oldest first: ((year, month), grade).
    grades: tuple[tuple[tuple[int, int], DeliverableGrade], ...] = ()
    # Issues the exchange removed from the grade: ((contract codes), CUSIP, source).
    excluded: tuple[tuple[tuple[str, ...], str, str], ...] = ()
    # Last-trading and last-delivery rules by first contract month, oldest first; the last
    # entry is today's (ltd_rule, last_delivery_rule).
    ltd_history: tuple[tuple[tuple[int, int], str, str], ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def tick(self, on: dt.date | None = None) -> Fraction:
        """Minimum outright price increment (points) in force on ``on`` (today's when None)."""
        if on is None:
            return self.tick_history[-1][1]
        return in_force(self.tick_history, on)

    def tick_value(self, on: dt.date | None = None) -> float:
        """Dollars per tick per contract."""
        return float(self.tick(on) * self.point_value)

    @property
    def multiplier(self) -> int:
        """Dollars per point; backtrader's and Interactive Brokers' ``multiplier``."""
        return self.point_value

    def grade(self, year: int, month: int) -> DeliverableGrade:
        """The contract grade in force for the (year, month) contract."""
        return in_force_month(self.grades, year, month)

    def delivery_rules(self, year: int, month: int) -> tuple[str, str]:
        """(last-trading-day rule, last-delivery-day rule) of the (year, month) contract."""
        hist = self.ltd_history or ((FIRST, self.ltd_rule, self.last_delivery_rule),)
        rule = hist[0]
        for h in hist:
            if (year, month) >= h[0]:
                rule = h
        return rule[1], rule[2]


def in_force_month(steps, year: int, month: int):
    """The value of dated steps ``((first (year, month), value), ...)`` (oldest first) for the
    (year, month) contract."""
    value = steps[0][1]
    for start, v in steps:
        if (year, month) >= start:
            value = v
    return value


NOTE = ("Note",)
BOND = ("Bond",)


_32 = Fraction(1, 32)
_EPOCH = dt.date(1970, 1, 1)

SPECS: dict[str, ContractSpec] = {
    s.root: s
    for s in (
        ContractSpec(
            root="ZT", name="2-Year U.S. Treasury Note", face_value=200_000, point_value=2_000,
            # 1/4 of 1/32 until the tick was halved in January 2019 (exact first day [U]: 2019-01-14).
            tick_history=((_EPOCH, _32 / 4), (dt.date(2019, 1, 14), _32 / 8)),
            calendar_spread_tick=_32 / 8,
            ltd_rule=LTD_LAST_BUSINESS_DAY, last_delivery_rule=LDD_THIRD_AFTER_LTD,
            deliverable="original term <= 5y3m; remaining >= 1y9m from the first day of the delivery "
            "month and <= 2y from the last day of the delivery month",
            deliverable_min_years=1.75, deliverable_max_years=2.0,
            launched=dt.date(1990, 6, 22), clearing_code="26", ib_symbol="ZT", ib_trading_class="ZT",
            cf_rounds_to_quarter=False, ctd_years=1.80,
            grades=((FIRST, DeliverableGrade(NOTE, 21, 24, (0, 63))),),
            # Old rule [S: CBOT spec as archived on tradefutures.cc and futures.tradingcharts.com];
            # today's rule from the Jun-2004 contract [M: the real front-month series in
            # shared/data/futures switches one business day before month end through ZTH04 and at
            # month end from ZTM04; exact amendment not found, U].
            ltd_history=((FIRST, LTD_TWO_YEAR_ISSUE, LDD_THIRD_AFTER_LTD),
                         ((2004, 6), LTD_LAST_BUSINESS_DAY, LDD_THIRD_AFTER_LTD)),
        ),
        ContractSpec(
            root="Z3N", name="3-Year U.S. Treasury Note", face_value=200_000, point_value=2_000,
            tick_history=((_EPOCH, _32 / 8),),
            calendar_spread_tick=_32 / 8,
            ltd_rule=LTD_LAST_BUSINESS_DAY, last_delivery_rule=LDD_THIRD_AFTER_LTD,
            deliverable="original term <= 7y; remaining >= 2y9m from the first day of the delivery "
            "month and <= 3y from the last day of the delivery month",
            deliverable_min_years=2.75, deliverable_max_years=3.0,
            launched=dt.date(2020, 7, 13), clearing_code="3YR", ib_symbol="Z3N", ib_trading_class="Z3N",
            cf_rounds_to_quarter=False, ctd_years=2.80,
            grades=((FIRST, DeliverableGrade(NOTE, 33, 36, (0, 63))),
                    ((2020, 9), DeliverableGrade(NOTE, 33, 36, (0, 84)))),
            notes=("relaunched 2020-07-13 (first listed 2009, delisted); earlier dates are synthetic only",),
        ),
        ContractSpec(
            root="ZF", name="5-Year U.S. Treasury Note", face_value=100_000, point_value=1_000,
            # 1/2 of 1/32 until trade date 2008-03-03, then 1/4 of 1/32 (CME notices Chadv08-26,
            # Q2008-035; rule filing CFTC 15113).
            tick_history=((_EPOCH, _32 / 2), (dt.date(2008, 3, 3), _32 / 4)),
            calendar_spread_tick=_32 / 8,
            ltd_rule=LTD_LAST_BUSINESS_DAY, last_delivery_rule=LDD_THIRD_AFTER_LTD,
            deliverable="original term <= 5y3m; remaining >= 4y2m from the first day of the delivery month",
            # 5y3m is a cap on the *original* term, not on the remaining term (corrected; the
            # table had deliverable_max_years=5.25).
            deliverable_min_years=4 + 2 / 12, deliverable_max_years=None,
            launched=dt.date(1988, 5, 20), clearing_code="25", ib_symbol="ZF", ib_trading_class="ZF",
            cf_rounds_to_quarter=False, ctd_years=4.20,
            grades=((FIRST, DeliverableGrade(NOTE, 50, None, (0, 63))),),
            # Old rule [S: CBOT 5-year spec as archived on tradefutures.cc: "Seventh business day
            # preceding the last business day of the delivery month", last delivery "last business
            # day of the delivery month"]; today's rule from the Mar-2007 contract [M: the real
            # front-month series switches six business days before month end through ZFZ06 and
            # at month end from ZFM07 (ZFH07 is ambiguous); exact amendment not found, U].
            ltd_history=((FIRST, LTD_SEVENTH_BEFORE_LAST, LDD_LAST_BUSINESS_DAY),
                         ((2007, 3), LTD_LAST_BUSINESS_DAY, LDD_THIRD_AFTER_LTD)),
        ),
        ContractSpec(
            root="ZN", name="10-Year U.S. Treasury Note", face_value=100_000, point_value=1_000,
            # Whole 32nds until half-32nds from 1999-06-27 (CBOT notice, 1999).
            tick_history=((_EPOCH, _32), (dt.date(1999, 6, 27), _32 / 2)),
            calendar_spread_tick=_32 / 4,
            ltd_rule=LTD_SEVENTH_BEFORE_LAST, last_delivery_rule=LDD_LAST_BUSINESS_DAY,
            deliverable="notes with remaining >= 6y6m and <= 8y from the first day of the delivery month "
            "(<= 10y before the Sep-2023 contract)",
            deliverable_min_years=6.5, deliverable_max_years=8.0,
            launched=dt.date(1982, 5, 3), clearing_code="21", ib_symbol="ZN", ib_trading_class="ZN",
            ctd_years=6.60,
            # Notes only: CBOT rule 19101.A grades "U.S. Treasury notes" (CME SER-4819, 2009); the
            # reference notes' "notes and bonds" (CME article, 2026) was corrected.  The 8-year
            # cap from Sep-2023 is the CME article's [U on the exact first contract].
            grades=((FIRST, DeliverableGrade(NOTE, 78, 120)),
                    ((2023, 9), DeliverableGrade(NOTE, 78, 96))),
        ),
        ContractSpec(
            root="TN", name="Ultra 10-Year U.S. Treasury Note", face_value=100_000, point_value=1_000,
            tick_history=((_EPOCH, _32 / 2),),
            calendar_spread_tick=_32 / 4,
            ltd_rule=LTD_SEVENTH_BEFORE_LAST, last_delivery_rule=LDD_LAST_BUSINESS_DAY,
            deliverable="original-issue 10-year notes, remaining >= 9y5m and <= 10y from the first day "
            "of the delivery month",
            deliverable_min_years=9 + 5 / 12, deliverable_max_years=10.0,
            launched=dt.date(2016, 1, 11), clearing_code="TN", ib_symbol="TN", ib_trading_class="TN",
            ctd_years=9.50,
            grades=((FIRST, DeliverableGrade(NOTE, 113, 120, (117, 121))),),
        ),
        ContractSpec(
            root="TWE", name="20-Year U.S. Treasury Bond", face_value=100_000, point_value=1_000,
            tick_history=((_EPOCH, _32),),
            calendar_spread_tick=_32 / 4,
            ltd_rule=LTD_SEVENTH_BEFORE_LAST, last_delivery_rule=LDD_LAST_BUSINESS_DAY,
            deliverable="original-issue 20-year and 30-year bonds, remaining >= 19y2m and <= 19y11m "
            "from the first day of the delivery month",
            deliverable_min_years=19 + 2 / 12, deliverable_max_years=19 + 11 / 12,
            launched=dt.date(2022, 3, 7), clearing_code="TWE", ib_symbol="TWE", ib_trading_class="TWE",
            ctd_years=19.25,
            grades=((FIRST, DeliverableGrade(BOND, 230, 240, (236, 241))),
                    ((2022, 9), DeliverableGrade(BOND, 230, 239, (236, 361)))),
            notes=("first contract Jun-2022, which delivered original 20-year bonds with 19y2m-20y "
                   "remaining; the 20s-and-30s grade applies from Sep-2022",),
        ),
        ContractSpec(
            root="ZB", name="U.S. Treasury Bond", face_value=100_000, point_value=1_000,
            # Half-32nds from trade date 2008-03-03 (CME Chadv08-26, Q2008-035) back to whole
            # 32nds from 2009-08-31 (CME Q2009-188).
            tick_history=((_EPOCH, _32), (dt.date(2008, 3, 3), _32 / 2), (dt.date(2009, 8, 31), _32)),
            calendar_spread_tick=_32 / 4,
            ltd_rule=LTD_SEVENTH_BEFORE_LAST, last_delivery_rule=LDD_LAST_BUSINESS_DAY,
            deliverable="remaining >= 15y and < 25y from the first day of the delivery month "
            "(no upper bound before the Mar-2011 contract)",
            deliverable_min_years=15.0, deliverable_max_years=25.0,
            launched=dt.date(1977, 8, 22), clearing_code="17", ib_symbol="ZB", ib_trading_class="ZB",
            ctd_years=15.25,
            grades=((FIRST, DeliverableGrade(BOND, 180)), ((2011, 3), DeliverableGrade(BOND, 180, 299))),
            excluded=((("ZBM15", "ZBU15", "ZBZ15"), "912810FP8",
                       "CME 'U.S. T-Bond Futures Delivery Basket' page and SER-7191 (2014): the 5-3/8% Feb-2031 "
                       "bond excluded from the Jun, Sep and Dec 2015 contracts"),),
        ),
        ContractSpec(
            root="UB", name="Ultra U.S. Treasury Bond", face_value=100_000, point_value=1_000,
            tick_history=((_EPOCH, _32),),
            calendar_spread_tick=_32 / 4,
            ltd_rule=LTD_SEVENTH_BEFORE_LAST, last_delivery_rule=LDD_LAST_BUSINESS_DAY,
            deliverable="remaining >= 25y from the first day of the delivery month",
            deliverable_min_years=25.0, deliverable_max_years=None,
            launched=dt.date(2010, 1, 11), clearing_code="UBE", ib_symbol="UB", ib_trading_class="UB",
            ctd_years=25.25,
            grades=((FIRST, DeliverableGrade(BOND, 300)),),
        ),
    )
}

# Longest first, so that "Z3NH25" is not read as a root "Z" or "Z3".
_ROOTS_BY_LENGTH = sorted(SPECS, key=len, reverse=True)


def spec(root: str) -> ContractSpec:
    """The specification of ``root`` (``"ZN"``); a clear error for anything else."""
    try:
        return SPECS[root.upper()]
    except (KeyError, AttributeError):
        raise ContractError(
            f"unknown contract root {root!r}; known roots: {', '.join(SPECS)}"
        ) from None


def _expand_year(digits: str, text: str, reference: dt.date | None) -> int:
    if len(digits) == 4:
        return int(digits)
    if len(digits) == 2:
        yy = int(digits)
        return 2000 + yy if yy < 70 else 1900 + yy
    if len(digits) == 1:
        # Exchanges reuse one-digit years every decade: take the year ending in this digit
        # nearest to (and at most two years before) the reference date, as traders read "ZNH5".
        ref = (reference or dt.date.today()).year
        d = int(digits)
        year = ref - 2 + ((d - (ref - 2)) % 10)
        return year
    raise ContractError(f"malformed year in contract code {text!r}")


_LETTER_CODE = re.compile(r"^(?P<root>[A-Z0-9]+?)\s*(?P<month>[A-Z])(?P<year>\d{1,2}|\d{4})$")
_NUMERIC_CODE = re.compile(r"^(?P<root>[A-Z0-9]+?)\s*(?P<year>\d{4})(?P<month>\d{2})$")
_ABBR_CODE = re.compile(r"^(?P<root>[A-Z0-9]+?)\s+(?P<month>[A-Z]{3})\s*'?(?P<year>\d{2}|\d{4})$")


@dataclass(frozen=True, order=True)
class Contract:
    """One quarterly contract, e.g. ``Contract("ZN", 2025, 3)`` for ZNH25.

    Ordered by root, then expiry.  Key dates come from the rule in the spec table and the
    Treasury business-day calendar.
    """

    root: str
    year: int
    month: int

    def __post_init__(self):
        s = spec(self.root)
        object.__setattr__(self, "root", s.root)
        if not isinstance(self.year, int) or not 1950 <= self.year <= 2099:
            raise ContractError(f"contract year out of range: {self.year!r}")
        if self.month not in s.months:
            letters = ", ".join(MONTH_LETTERS[m] for m in s.months)
            raise ContractError(
                f"{s.root} is not listed for month {self.month!r}; listed months: {letters}"
            )

    # ----- parsing and formatting -------------------------------------------------------------
    @classmethod
    def parse(cls, text: str, reference: dt.date | None = None) -> "Contract":
        """Parse ``ZNH25``, ``ZNH5``, ``ZNH2025``, ``ZN 202503``, ``ZN MAR 25`` or ``ZN   MAR 25``.

        One-digit years are resolved near ``reference`` (default today).
        """
        if reference is None and isinstance(text, str):
            return _parse_cached(text)
        return cls._parse(text, reference)

    @classmethod
    def _parse(cls, text: str, reference: dt.date | None = None) -> "Contract":
        if not isinstance(text, str) or not text.strip():
            raise ContractError(f"empty contract code {text!r}")
        raw = text
        t = text.strip().upper()
        for pattern, kind in ((_NUMERIC_CODE, "num"), (_ABBR_CODE, "abbr"), (_LETTER_CODE, "letter")):
            m = pattern.match(t)
            if not m:
                continue
            root = m.group("root").strip()
            if root not in SPECS:
                # Try splitting a known root off a run of letters ("ZNH25" matched lazily).
                raise ContractError(
                    f"unknown contract root {root!r} in {raw!r}; known roots: {', '.join(SPECS)}"
                )
            if kind == "num":
                year, month = int(m.group("year")), int(m.group("month"))
                if not 1 <= month <= 12:
                    raise ContractError(f"month {month:02d} is not a month in {raw!r}")
            elif kind == "abbr":
                abbr = m.group("month")
                if abbr not in MONTH_ABBR:
                    raise ContractError(f"unknown month {abbr!r} in {raw!r}")
                month = MONTH_ABBR.index(abbr) + 1
                year = _expand_year(m.group("year"), raw, reference)
            else:
                letter = m.group("month")
                if letter not in MONTH_CODES:
                    raise ContractError(
                        f"unknown month letter {letter!r} in {raw!r}; letters are "
                        f"{''.join(MONTH_CODES)}"
                    )
                month = MONTH_CODES[letter]
                year = _expand_year(m.group("year"), raw, reference)
            return cls(root, year, month)
        # No pattern matched: say which part is wrong when the root is recognisable.
        for root in _ROOTS_BY_LENGTH:
            if t.startswith(root):
                raise ContractError(
                    f"malformed contract code {raw!r}: expected e.g. {root}H25, {root}H5, "
                    f"{root} 202503 or {root} MAR 25"
                )
        raise ContractError(f"unknown contract root in {raw!r}; known roots: {', '.join(SPECS)}")

    @classmethod
    def from_ib(cls, symbol: str, last_trade_date_or_month: str) -> "Contract":
        """From Interactive Brokers' ``symbol`` and ``lastTradeDateOrContractMonth`` (YYYYMM[DD])."""
        ym = str(last_trade_date_or_month).strip()
        if not re.fullmatch(r"\d{6}(\d{2})?", ym):
            raise ContractError(f"malformed lastTradeDateOrContractMonth {last_trade_date_or_month!r}")
        # A full date is the last trading day, which falls inside the contract month for every
        # Treasury contract, so the first six digits name the contract either way.
        return cls(spec(symbol).root, int(ym[:4]), int(ym[4:6]))

    @property
    def spec(self) -> ContractSpec:
        return SPECS[self.root]

    @property
    def month_letter(self) -> str:
        return MONTH_LETTERS[self.month]

    @property
    def code(self) -> str:
        """``ZNH25``."""
        return f"{self.root}{self.month_letter}{self.year % 100:02d}"

    @property
    def short_code(self) -> str:
        """``ZNH5`` (CME Globex style; ambiguous across decades)."""
        return f"{self.root}{self.month_letter}{self.year % 10}"

    @property
    def ib_contract_month(self) -> str:
        """``202503``: Interactive Brokers' ``lastTradeDateOrContractMonth`` before qualification."""
        return f"{self.year:04d}{self.month:02d}"

    @property
    def dated_code(self) -> str:
        """``ZN 202503``."""
        return f"{self.root} {self.ib_contract_month}"

    @property
    def ib_local_symbol(self) -> str:
        """``ZN   MAR 25``: root left-justified in five characters, then month and year."""
        return f"{self.root:<5}{MONTH_ABBR[self.month - 1]} {self.year % 100:02d}"

    def __str__(self) -> str:
        return self.code

    # ----- sequence ---------------------------------------------------------------------------
    def next(self) -> "Contract":
        """The following listed contract (ZNH25 -> ZNM25 -> ZNU25 -> ZNZ25 -> ZNH26)."""
        months = self.spec.months
        i = months.index(self.month)
        if i + 1 < len(months):
            return Contract(self.root, self.year, months[i + 1])
        return Contract(self.root, self.year + 1, months[0])

    def previous(self) -> "Contract":
        months = self.spec.months
        i = months.index(self.month)
        if i > 0:
            return Contract(self.root, self.year, months[i - 1])
        return Contract(self.root, self.year - 1, months[-1])

    # ----- key dates ----------------------------------------------------------------------------
    def _cal(self, calendar: TreasuryCalendar | None) -> TreasuryCalendar:
        return calendar or treasury_calendar()

    def first_delivery_day(self, calendar: TreasuryCalendar | None = None) -> dt.date:
        """First business day of the contract month."""
        if calendar is None:
            return self._default_dates()["first_delivery_day"]
        return self._cal(calendar).first_business_day_of_month(self.year, self.month)

    def first_notice_day(self, calendar: TreasuryCalendar | None = None) -> dt.date:
        """Last business day of the month before the contract month."""
        if calendar is None:
            return self._default_dates()["first_notice_day"]
        cal = self._cal(calendar)
        return cal.previous_business_day(dt.date(self.year, self.month, 1))

    def first_intention_day(self, calendar: TreasuryCalendar | None = None) -> dt.date:
        """First position (intention) day: 2 business days before the first delivery day.

        From this day longs can be assigned delivery; the broker never holds a contract into it.
        """
        if calendar is None:
            return self._default_dates()["first_intention_day"]
        cal = self._cal(calendar)
        return cal.add_business_days(self.first_delivery_day(cal), -2)

    @property
    def ltd_rule(self) -> str:
        """The last-trading-day rule this contract follows (old contracts: the rule of their day)."""
        return self.spec.delivery_rules(self.year, self.month)[0]

    @property
    def last_delivery_rule(self) -> str:
        return self.spec.delivery_rules(self.year, self.month)[1]

    def last_trading_day(self, calendar: TreasuryCalendar | None = None) -> dt.date:
        if calendar is None:
            return self._default_dates()["last_trading_day"]
        cal = self._cal(calendar)
        last_bd = cal.last_business_day_of_month(self.year, self.month)
        rule = self.ltd_rule
        if rule == LTD_LAST_BUSINESS_DAY:
            return last_bd
        if rule == LTD_TWO_YEAR_ISSUE:
            issue = TWO_YEAR_NOTE_ISSUES.get((self.year, self.month))
            if issue is None:
                return last_bd
            return min(last_bd, cal.add_business_days(cal.next_business_day(issue, inclusive=True), -2))
        return cal.add_business_days(last_bd, -7)

    def last_delivery_day(self, calendar: TreasuryCalendar | None = None) -> dt.date:
        if calendar is None:
            return self._default_dates()["last_delivery_day"]
        cal = self._cal(calendar)
        if self.last_delivery_rule == LDD_THIRD_AFTER_LTD:
            return cal.add_business_days(self.last_trading_day(cal), 3)
        return cal.last_business_day_of_month(self.year, self.month)

    def listing_day(self, calendar: TreasuryCalendar | None = None) -> dt.date:
        """First trading day, given three consecutive quarterly months are listed: the business
        day after the contract three quarters earlier stops trading."""
        c = self
        for _ in range(3):
            c = c.previous()
        if calendar is None:
            return treasury_calendar().next_business_day(c.last_trading_day())
        return calendar.next_business_day(c.last_trading_day(calendar))

    def _default_dates(self) -> dict[str, dt.date]:
        return _default_key_dates(self.root, self.year, self.month)

    def key_dates(self, calendar: TreasuryCalendar | None = None) -> dict[str, dt.date]:
        """First intention, first notice, first delivery, last trading and last delivery day."""
        if calendar is None:
            return dict(self._default_dates())
        cal = calendar
        return {
            "first_intention_day": self.first_intention_day(cal),
            "first_notice_day": self.first_notice_day(cal),
            "first_delivery_day": self.first_delivery_day(cal),
            "last_trading_day": self.last_trading_day(cal),
            "last_delivery_day": self.last_delivery_day(cal),
        }

    def is_launched(self, on=None) -> bool:
        """Whether the product traded at all on ``on`` (default: this contract's last trading day)."""
        day = as_date(on) if on is not None else self.last_trading_day()
        return day >= self.spec.launched


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Contract:
    # Codes are parsed on every order and every day of a backtest; Contract is immutable.
    return Contract._parse(text)


@lru_cache(maxsize=None)
def _default_key_dates(root: str, year: int, month: int) -> dict[str, dt.date]:
    """Key dates on the default calendar, computed once per contract (looked up daily by the
    broker and strategies)."""
    return Contract(root, year, month).key_dates(treasury_calendar())


def parse_contract(text: str, reference: dt.date | None = None) -> Contract:
    """Shorthand for :meth:`Contract.parse`."""
    return Contract.parse(text, reference)


def root_of_name(name: str | None) -> str | None:
    """The futures root a feed or instrument name trades ("ZN" for "ZN" or "ZNH25"), or None
    for anything else (a share's symbol)."""
    if not name:
        return None
    try:
        return Contract.parse(name).root
    except (ContractError, ValueError):
        pass
    try:
        return spec(name).root
    except ContractError:
        return None


def nearest_listed(root: str, on) -> Contract:
    """The front contract in the market's sense: the nearest one still trading on ``on``."""
    day = as_date(on)
    s = spec(root)
    month = next((m for m in s.months if m >= day.month), None)
    c = Contract(s.root, day.year, month) if month else Contract(s.root, day.year + 1, s.months[0])
    while c.last_trading_day() < day:
        c = c.next()
    return c
