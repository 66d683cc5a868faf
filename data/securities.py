"""The fixed-rate Treasury notes and bonds, from TreasuryDirect's auction history, with coupons
inferred from the yield curve.

Source: ``treasuries/auctions.csv`` (TreasuryDirect "Auctions Query" export: every note and bond
auction since 1979-10-31 with CUSIP, type, term, auction, issue and maturity dates and the
``Price per $100``; no coupon and no TIPS or floater flag).  The result, one row per CUSIP, is
what the deliverable baskets are built from (:mod:`ecore.data.baskets`); the bundled data set
holds it ready-made as ``treasuries/securities.csv.gz``.

Coupon rule (Treasury's): a new fixed-rate issue's coupon is its auction's high yield rounded
down to a multiple of 1/8 %, and never below 1/8 %.  The file has no yield, so:

* ``price``  - the first auction has a price (from 1994, complete from 1999): at any coupon c on
  the 1/8 grid the price fixes the yield y(c), and y(c) - c is nearly the same for every c.
  The coupon is the grid point whose y(c) is closest to the curve's par yield for the issue's
  term on the auction day: right whenever the curve is within about 6 bp of the high yield.
* ``reopen`` - no usable first-auction price but a later reopening has one: the coupon that
  prices the security at the reopening day's curve yield, rounded to the nearest 1/8 %.
* ``curve``  - neither: the curve's par yield on the auction day rounded down to 1/8 %.

TIPS and floating-rate notes are listed as notes or bonds without a flag and are dropped:

* TIPS: auctioned from 1997 and maturing on the 15th of January, April, July or October (not
  3-year notes, which since 2008 mature on the 15th of every month), or 30-year issues from
  2010 maturing on 15 February but issued late in the month (nominal bonds are issued on the
  15th).
* Floaters (from 2014): a CUSIP reopened with a "1-Year ..." term, or a 2-year CUSIP auctioned
  after another 2-year CUSIP of the same maturity (the floater's auction comes later the same
  week).

:func:`soma_check` measures the inference against the Federal Reserve's SOMA holdings, which
list coupons.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .bond_dates import CouponTable, end_of_month, to_days
from .bond_math import coupon_for_price, yield_from_price
from .curve import ParCurve

COUPON_STEP = 0.00125  # 1/8 %
MIN_COUPON = 0.00125
SECURITY_COLUMNS = ("cusip", "kind", "first_auction", "issue", "maturity", "term_months", "coupon_pct",
                    "coupon_source", "reissue", "reissue_term_months")


class SecurityFileError(ValueError):
    """A security or auction file that cannot be used; the message names the file and row."""


@dataclass(frozen=True)
class SecurityTable:
    """One row per fixed-rate note or bond CUSIP.  Dates are int64 day numbers, coupons decimals."""

    cusip: np.ndarray  # str
    is_bond: np.ndarray  # issued as a Bond (20- and 30-year, old 15-year), else a Note
    first_auction: np.ndarray
    issue: np.ndarray  # original issue day
    maturity: np.ndarray
    eom: np.ndarray  # pays on month ends (end-of-month rule)
    term_months: np.ndarray  # original term, issue to maturity, in whole months (rounded)
    coupon: np.ndarray
    source: np.ndarray  # how the coupon was found: 'price', 'reopen' or 'curve'
    # A later auction that sold the issue as a new security of another term (a 7-year note
    # reopened as the month's 5-year): its issue day and term in whole months; 0 where none.
    # Contract grades that cap the original term accept it from that day (CBOT 21101.A).
    reissue: np.ndarray = None
    reissue_term_months: np.ndarray = None

    def __post_init__(self):
        if self.reissue is None:
            object.__setattr__(self, "reissue", np.zeros(len(self.cusip), dtype=np.int64))
        if self.reissue_term_months is None:
            object.__setattr__(self, "reissue_term_months", np.zeros(len(self.cusip), dtype=np.int64))

    def __len__(self) -> int:
        return len(self.cusip)

    @property
    def maturity_sorted(self) -> bool:
        """Whether rows run in maturity order (baskets then search a window, not the table)."""
        return bool(np.all(self.maturity[1:] >= self.maturity[:-1]))

    def by_maturity(self) -> "SecurityTable":
        """The same securities in maturity order (then CUSIP)."""
        order = np.lexsort((self.cusip, self.maturity))
        return SecurityTable(*(getattr(self, f)[order] for f in self.__dataclass_fields__))

    def deliverable_from(self, idx, term_range) -> np.ndarray:
        """The day each security of ``idx`` joins a grade whose original term must lie in
        ``term_range`` (months, inclusive): its issue day when its own term does, the day of a
        reissue whose term does (a 7-year note sold as a 5-year), else 0 (never)."""
        lo, hi = term_range
        own = (self.term_months[idx] >= lo) & (self.term_months[idx] <= hi)
        re = (self.reissue[idx] > 0) & (self.reissue_term_months[idx] >= lo) & (self.reissue_term_months[idx] <= hi)
        return np.where(own, self.issue[idx], np.where(re, self.reissue[idx], 0))

    def frame(self) -> pd.DataFrame:
        """As a table with ISO dates and the coupon in percent (the bundled file's columns)."""
        d = lambda x: pd.to_datetime(x.astype("datetime64[D]")).strftime("%Y-%m-%d")
        return pd.DataFrame({"cusip": self.cusip, "kind": np.where(self.is_bond, "Bond", "Note"),
                             "first_auction": d(self.first_auction), "issue": d(self.issue),
                             "maturity": d(self.maturity), "term_months": self.term_months,
                             "coupon_pct": np.round(self.coupon * 100, 4), "coupon_source": self.source,
                             "reissue": np.where(self.reissue > 0, d(np.maximum(self.reissue, 0)), ""),
                             "reissue_term_months": self.reissue_term_months})

    @classmethod
    def from_frame(cls, f: pd.DataFrame) -> "SecurityTable":
        """The inverse of :meth:`frame`."""
        mat = to_days(f["maturity"].to_numpy(dtype=str))
        re = f["reissue"].fillna("").astype(str).to_numpy() if "reissue" in f.columns else np.full(len(f), "")
        reissue = np.where(re != "", to_days(np.where(re != "", re, "1970-01-01")), 0)
        reissue_term = (f["reissue_term_months"].fillna(0).to_numpy(np.int64) if "reissue_term_months" in f.columns
                        else np.zeros(len(f), dtype=np.int64))
        return cls(f["cusip"].to_numpy(str), (f["kind"] == "Bond").to_numpy(),
                   to_days(f["first_auction"].to_numpy(dtype=str)), to_days(f["issue"].to_numpy(dtype=str)),
                   mat, end_of_month(mat), f["term_months"].to_numpy(np.int64),
                   f["coupon_pct"].to_numpy(float) / 100.0, f["coupon_source"].to_numpy(str),
                   reissue, reissue_term)

    def index_of(self, cusip: str) -> int | None:
        """Row of ``cusip``, or None."""
        hit = np.flatnonzero(self.cusip == cusip)
        return int(hit[0]) if len(hit) else None


# ----------------------------------------------------------------------------------------------
# files


def read_securities(path) -> SecurityTable:
    """A security table written by :func:`write_securities` (``.csv`` or ``.csv.gz``)."""
    path = Path(path)
    try:
        f = pd.read_csv(path, dtype={"cusip": str, "kind": str, "coupon_source": str})
    except (OSError, ValueError, EOFError) as exc:
        raise SecurityFileError(f"{path}: cannot be read as CSV: {exc}") from None
    missing = [c for c in SECURITY_COLUMNS[:8] if c not in f.columns]  # the reissue columns are optional
    if missing:
        raise SecurityFileError(f"{path}, line 1: missing column(s) {', '.join(missing)}; "
                                f"expected {','.join(SECURITY_COLUMNS)}")
    for col in ("first_auction", "issue", "maturity"):
        bad = pd.to_datetime(f[col], format="%Y-%m-%d", errors="coerce").isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SecurityFileError(f"{path}, line {i + 2}, column {col!r}: {f[col].iat[i]!r} is not a date "
                                    "(YYYY-MM-DD)")
    bad = ~(f["coupon_pct"] >= 0) | (f["issue"] >= f["maturity"]).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise SecurityFileError(f"{path}, line {i + 2}: coupon {f['coupon_pct'].iat[i]!r} or dates "
                                f"{f['issue'].iat[i]} .. {f['maturity'].iat[i]} are not a security")
    if f["cusip"].duplicated().any():
        dup = f.loc[f["cusip"].duplicated(), "cusip"].iat[0]
        raise SecurityFileError(f"{path}: CUSIP {dup} appears twice")
    return SecurityTable.from_frame(f)


def write_securities(table: SecurityTable) -> bytes:
    """The CSV text (bytes) of a security table, oldest maturity first (stable, so a rebuild
    gives the same bytes)."""
    f = table.frame().sort_values(["maturity", "cusip"], kind="stable")
    return f.to_csv(index=False, lineterminator="\n").encode()


def read_auctions(path) -> pd.DataFrame:
    """Note and bond auctions of a TreasuryDirect export, oldest first: columns ``cusip, type,
    term, auction, issue, maturity, price`` (dates parsed, price NaN where ``null``)."""
    path = Path(path)
    try:
        a = pd.read_csv(path, encoding="utf-8-sig", usecols=range(7), na_values=["null"], dtype={0: str})
    except (OSError, ValueError, EOFError) as exc:
        raise SecurityFileError(f"{path}: cannot be read as a TreasuryDirect auction export: {exc}") from None
    a.columns = ["cusip", "type", "term", "auction", "issue", "maturity", "price"]
    a = a[a["type"].isin(["Note", "Bond"])].copy()
    for c in ("auction", "issue", "maturity"):
        parsed = pd.to_datetime(a[c], format="%Y-%m-%d", errors="coerce")
        if parsed.isna().any():
            i = int(np.flatnonzero(parsed.isna().to_numpy())[0])
            raise SecurityFileError(f"{path}, line {a.index[i] + 2}, column {c!r}: {a[c].iat[i]!r} is not a date")
        a[c] = parsed
    return a.sort_values(["auction", "cusip"], kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# classification and coupons


def first_auctions(auctions: pd.DataFrame) -> pd.DataFrame:
    """The first auction of each CUSIP with ``tips`` and ``frn`` flags (rules in the module text)."""
    first = auctions.groupby("cusip", sort=False).first().reset_index()
    md, mm = first["maturity"].dt.day, first["maturity"].dt.month
    tips = ((first["auction"] >= "1997-01-01") & (md == 15) & mm.isin([1, 4, 7, 10])
            & ~first["term"].str.startswith("3-Year"))
    tips |= ((first["auction"] >= "2010-01-01") & (md == 15) & (mm == 2)
             & first["term"].str.startswith("30-Year") & (first["issue"].dt.day >= 20))
    reopened_1y = set(auctions.loc[auctions["term"].str.startswith("1-Year"), "cusip"])
    frn = first["cusip"].isin(reopened_1y)
    two = first[(first["term"] == "2-Year") & (first["auction"] >= "2014-01-01")]
    later = two.sort_values("auction", kind="stable").duplicated("maturity", keep="first")
    frn |= first["cusip"].isin(two.loc[later[later].index, "cusip"])
    first["tips"] = tips.to_numpy()
    first["frn"] = frn.to_numpy()
    return first


def infer_coupons(auctions: pd.DataFrame, par: ParCurve) -> SecurityTable:
    """The fixed-rate securities of an auction history, coupons inferred from ``par``."""
    first = first_auctions(auctions)
    first = first[~first["tips"] & ~first["frn"]].reset_index(drop=True)
    mat = to_days(first["maturity"].values)
    eom = end_of_month(mat)
    issue = to_days(first["issue"].values)
    auction = to_days(first["auction"].values)
    coupons = CouponTable(mat, eom, issue)
    rows = np.arange(len(first))
    y_hat = par.par_yield(auction, (mat - issue) / 365.25)
    # a yield within 1e-7 of a grid point (float noise of an exact CMT print) counts as on it
    c_floor = np.maximum(np.floor(y_hat / COUPON_STEP + 1e-4) * COUPON_STEP, MIN_COUPON)

    # 1) first-auction price: y(c) - c is nearly constant, so one yield at c_floor serves all c
    price = first["price"].to_numpy(float)
    has_price = np.isfinite(price)
    at_issue = _parts(coupons, rows, issue)
    y0 = yield_from_price(c_floor, np.where(has_price, price, 100.0), at_issue, iterations=10)
    c_price = c_floor + COUPON_STEP * np.round((y_hat - y0) / COUPON_STEP)

    # 2) a later reopening's price
    priced = auctions[auctions["price"].notna()]
    re = priced.merge(first[["cusip", "auction"]], on="cusip", suffixes=("", "_first"))
    re = re[re["auction"] > re["auction_first"]].groupby("cusip").first().reindex(first["cusip"])
    has_reopen = re["price"].notna().to_numpy()
    r_day = np.where(has_reopen, to_days(re["auction"].fillna(first["auction"].set_axis(re.index)).values), auction)
    r_settle = np.where(has_reopen, to_days(re["issue"].fillna(first["issue"].set_axis(re.index)).values), issue)
    y_r = par.par_yield(r_day, (mat - r_settle) / 365.25)
    c_reopen = np.round(coupon_for_price(re["price"].fillna(100.0).to_numpy(), y_r,
                                         _parts(coupons, rows, r_settle)) / COUPON_STEP) * COUPON_STEP

    source = np.where(has_price, "price", np.where(has_reopen, "reopen", "curve"))
    coupon = np.where(has_price, c_price, np.where(has_reopen, c_reopen, c_floor))
    coupon = np.maximum(np.round(coupon / COUPON_STEP) * COUPON_STEP, MIN_COUPON)
    term_months = np.round((mat - issue) / (365.25 / 12)).astype(np.int64)
    # a later auction sold as a new issue of another whole-year term ("5-Year" for a 7-year note)
    whole = auctions[auctions["term"].str.fullmatch(r"\d+-Year")]
    whole = whole.merge(first[["cusip", "term"]], on="cusip", suffixes=("", "_first"))
    whole = whole[whole["term"] != whole["term_first"]].groupby("cusip").first().reindex(first["cusip"])
    has = whole["issue"].notna().to_numpy()
    reissue = np.where(has, to_days(whole["issue"].fillna(pd.Timestamp("1970-01-01")).values), 0)
    reissue_term = np.where(has, np.round((mat - reissue) / (365.25 / 12)), 0).astype(np.int64)
    return SecurityTable(first["cusip"].to_numpy(str), (first["type"] == "Bond").to_numpy(), auction, issue,
                         mat, eom, term_months, coupon, source, reissue, reissue_term)


def _parts(coupons: CouponTable, rows, day):
    _, left, acc = coupons.parts(rows, day)
    return left, 1.0 - acc, acc


def soma_check(table: SecurityTable, soma_path) -> dict:
    """How many of the fixed-rate notes and bonds in a SOMA holdings file (``Security Type`` =
    NotesBonds, ``Coupon (%)``) have the coupon the table infers: ``soma_fixed``, ``match``,
    ``match_pct``, counts by coupon source, and the ``mismatches`` and ``missing`` rows."""
    s = pd.read_csv(soma_path)
    s = s[s["Security Type"] == "NotesBonds"].copy()
    s["cusip"] = s["CUSIP"].str.strip("'")
    s = s.join(table.frame().set_index("cusip"), on="cusip")
    found = s["coupon_pct"].notna()
    ok = np.isclose(s["coupon_pct"], s["Coupon (%)"], atol=1e-6)
    out = {"soma_fixed": int(len(s)), "found": int(found.sum()), "match": int(ok.sum()),
           "match_pct": 100.0 * ok.sum() / max(len(s), 1)}
    for src in ("price", "reopen", "curve"):
        m = (s["coupon_source"] == src).to_numpy()
        out[src] = (int((ok & m).sum()), int(m.sum()))
    out["mismatches"] = s.loc[found & ~ok, ["cusip", "maturity", "first_auction", "coupon_source", "coupon_pct",
                                            "Coupon (%)"]]
    out["missing"] = s.loc[~found, ["cusip", "Maturity Date"]]
    return out
