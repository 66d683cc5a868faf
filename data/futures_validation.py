"""How close the synthetic futures are to real ones: the validation table of docs/synthetic-futures.md.

Compares a price book with the real continuous front-month series (``shared/data/futures/
<root>_front_continuous.csv``: ``Date,Close,...``, the front contract stitched without adjustment,
switching to the next contract the day after the last trading day).

Held days.  Under ``RollRule(offset=5)`` the strategy holds contract k from the day after the
roll of k-1 to its own roll day (five business days before first notice).  The real series still
quotes k-1 until k-1's last trading day, so the days compared for contract k are
``LTD(k-1) + 3 business days < d <= roll_day(k)`` (the switch and two days after it left out);
a daily return counts when it and the previous common day both lie in the window.

Metrics per root and period, on held days:

* ``real_minus_syn`` - annualised mean daily return, real minus synthetic, %/yr (252 days);
* ``vol_ratio`` - standard deviation of synthetic / real daily returns; ``corr`` their correlation;
* ``level_gap`` - median of (real - synthetic) / real price, %;
* ``spread_corr`` - correlation over contract switches of the calendar spread: the real one is
  the continuous series' jump from LTD(k-1) to the next day less contract k's synthetic change
  that day; the synthetic one is F_k - F_(k-1) on LTD(k-1).

Run ``python3 -m ecore.data.futures_validation [--shared DIR]`` for the table.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .bond_dates import to_days
from .calendar import treasury_calendar
from .contracts import Contract
from .rolls import RollRule

PERIODS = {"2001-2026": ("2001-01-01", "2026-12-31"), "2018-2026": ("2018-01-01", "2026-12-31")}
ROOTS = ("ZT", "ZF", "ZN", "ZB")
# The acceptance thresholds.
MAX_RETURN_GAP = 0.20  # %/yr, either way
VOL_RATIO = (0.95, 1.05)
MIN_CORR = {"2001-2026": 0.95, "2018-2026": 0.97}
MAX_LEVEL_GAP = 0.5  # %, either way
MIN_SPREAD_CORR = 0.7


def read_real_front(path) -> pd.Series:
    """A continuous front-month file's closes (points) indexed by day number; non-positive or
    missing closes left out."""
    s = pd.read_csv(path, parse_dates=["Date"], index_col="Date")["Close"]
    s = s[s > 0].dropna()
    s.index = to_days(s.index.values)
    return s.sort_index()


@dataclass(frozen=True)
class HeldWindow:
    """The days contract ``code`` is compared on: ``start < d <= end`` (day numbers); ``switch``
    is the previous contract's last trading day (the real series' last day on it)."""

    code: str
    previous: str
    start: int
    end: int
    switch: int


def held_windows(codes, roll_offset: int = 5) -> list[HeldWindow]:
    """The comparison window of each contract after the first of ``codes`` (one root, any order)."""
    cal = treasury_calendar()
    rule = RollRule(offset=roll_offset)
    cs = sorted({Contract.parse(c) for c in codes})
    out = []
    for prev, cur in zip(cs[:-1], cs[1:]):
        if prev.next() != cur:
            continue
        ltd = prev.last_trading_day()
        start, end, switch = to_days([cal.add_business_days(ltd, 3), rule.roll_day(cur), ltd])
        out.append(HeldWindow(cur.code, prev.code, int(start), int(end), int(switch)))
    return out


def _contract_prices(book_frame: pd.DataFrame, root: str) -> pd.Series:
    f = book_frame[book_frame["contract"].str.fullmatch(rf"{root}[HMUZ]\d\d")]
    return pd.Series(f["settle"].to_numpy(float),
                     index=pd.MultiIndex.from_arrays([f["contract"].to_numpy(), to_days(f["date"].values)])).sort_index()


def held_returns(book_frame: pd.DataFrame, root: str, real: pd.Series) -> pd.DataFrame:
    """Daily returns on held days (module text): one row per day with ``day`` (day number),
    ``contract``, ``real`` and ``synthetic`` returns and both ``real_price`` and ``synthetic_price``."""
    px = _contract_prices(book_frame, root)
    parts = []
    for w in held_windows(px.index.get_level_values(0).unique()):
        sc = px.loc[w.code]
        days = np.intersect1d(sc.index.values, real.index.values)
        days = days[(days > w.start) & (days <= w.end)]
        if len(days) < 2:
            continue
        r = real.loc[days].to_numpy()
        s = sc.loc[days].to_numpy()
        parts.append(pd.DataFrame({"day": days[1:], "contract": w.code, "real": r[1:] / r[:-1] - 1,
                                   "synthetic": s[1:] / s[:-1] - 1, "real_price": r[1:], "synthetic_price": s[1:]}))
    out = pd.concat(parts, ignore_index=True)
    return out[np.isfinite(out["real"]) & np.isfinite(out["synthetic"])]


def spread_switches(book_frame: pd.DataFrame, root: str, real: pd.Series) -> pd.DataFrame:
    """The calendar spread at each contract switch: ``day`` (the old contract's last trading day),
    ``real`` and ``synthetic`` spreads in points (module text)."""
    px = _contract_prices(book_frame, root)
    cal = treasury_calendar()
    rows = []
    for w in held_windows(px.index.get_level_values(0).unique()):
        d0 = w.switch
        d1 = int(to_days([cal.add_business_days(np.datetime64(d0, "D").astype(object), 1)])[0])
        new0, new1, old0 = px.get((w.code, d0)), px.get((w.code, d1)), px.get((w.previous, d0))
        if None in (new0, new1, old0) or d0 not in real.index or d1 not in real.index:
            continue
        rows.append({"day": d0, "real": real.loc[d1] - real.loc[d0] - (new1 - new0), "synthetic": new0 - old0})
    return pd.DataFrame(rows, columns=["day", "real", "synthetic"])


def metrics(returns: pd.DataFrame, switches: pd.DataFrame) -> dict:
    """The metrics (module text) of held-day returns and switches already cut to a period."""
    rr, rs = returns["real"].to_numpy(), returns["synthetic"].to_numpy()
    gap = (returns["real_price"] - returns["synthetic_price"]) / returns["real_price"]
    return {"days": len(rr), "real": 252 * rr.mean() * 100, "synthetic": 252 * rs.mean() * 100,
            "real_minus_syn": 252 * (rr.mean() - rs.mean()) * 100, "vol_ratio": rs.std() / rr.std(),
            "corr": float(np.corrcoef(rr, rs)[0, 1]), "level_gap": float(np.median(gap) * 100),
            "spread_corr": float(np.corrcoef(switches["real"], switches["synthetic"])[0, 1]),
            "switches": len(switches)}


def compare(book_frame: pd.DataFrame, root: str, real: pd.Series, lo: str, hi: str) -> dict:
    """The metrics of ``root``'s contracts in a price-book frame against the real front-month
    closes ``real`` (by day number), on held days between ``lo`` and ``hi``."""
    lo_d, hi_d = to_days([lo, hi])
    ret = held_returns(book_frame, root, real)
    sw = spread_switches(book_frame, root, real)
    return metrics(ret[(ret["day"] >= lo_d) & (ret["day"] <= hi_d)], sw[(sw["day"] >= lo_d) & (sw["day"] <= hi_d)])


def yield_fit_correlation(returns: pd.DataFrame, real: pd.Series, yields: pd.DataFrame) -> float:
    """A ceiling for the daily correlation any model on daily CMT yields can reach: the real
    held-day returns regressed, calendar year by calendar year and in sample, on the changes of
    every CMT tenor over the same days (plus a constant); the correlation of the fit.  ``yields``
    in percent, indexed by date."""
    y = yields.copy()
    y.index = to_days(y.index.values)
    y = y.ffill(limit=5)
    day = returns["day"].to_numpy()
    base = real.index.values[np.searchsorted(real.index.values, day) - 1]
    X = np.nan_to_num(y.reindex(day).to_numpy() - y.reindex(base).to_numpy())
    target = returns["real"].to_numpy()
    years = day.astype("datetime64[D]").astype("datetime64[Y]")
    fitted = np.empty(len(day))
    for year in np.unique(years):
        k = years == year
        A = np.c_[np.ones(k.sum()), X[k]]
        fitted[k] = A @ np.linalg.lstsq(A, target[k], rcond=None)[0]
    return float(np.corrcoef(fitted, target)[0, 1])


def validation_table(book_frame: pd.DataFrame, futures_dir, roots=ROOTS, periods=PERIODS) -> pd.DataFrame:
    """The metrics of every root and period: one row each, indexed by (root, period)."""
    rows = []
    for root in roots:
        real = read_real_front(Path(futures_dir) / f"{root}_front_continuous.csv")
        ret = held_returns(book_frame, root, real)
        sw = spread_switches(book_frame, root, real)
        for name, (lo, hi) in periods.items():
            lo_d, hi_d = to_days([lo, hi])
            rows.append({"root": root, "period": name,
                         **metrics(ret[(ret["day"] >= lo_d) & (ret["day"] <= hi_d)],
                                   sw[(sw["day"] >= lo_d) & (sw["day"] <= hi_d)])})
    return pd.DataFrame(rows).set_index(["root", "period"])


def failures(table: pd.DataFrame) -> list[str]:
    """Each acceptance threshold a row misses, as one line."""
    out = []
    for (root, period), r in table.iterrows():
        if abs(r["real_minus_syn"]) > MAX_RETURN_GAP:
            out.append(f"{root} {period}: real - synthetic {r['real_minus_syn']:+.2f} %/yr (limit +-{MAX_RETURN_GAP})")
        if not VOL_RATIO[0] <= r["vol_ratio"] <= VOL_RATIO[1]:
            out.append(f"{root} {period}: volatility ratio {r['vol_ratio']:.3f} (limit {VOL_RATIO[0]}-{VOL_RATIO[1]})")
        if r["corr"] < MIN_CORR[period]:
            out.append(f"{root} {period}: correlation {r['corr']:.3f} (limit {MIN_CORR[period]})")
        if abs(r["level_gap"]) > MAX_LEVEL_GAP:
            out.append(f"{root} {period}: level gap {r['level_gap']:+.2f} % (limit +-{MAX_LEVEL_GAP})")
        if r["spread_corr"] < MIN_SPREAD_CORR:
            out.append(f"{root} {period}: calendar-spread correlation {r['spread_corr']:.2f} (limit {MIN_SPREAD_CORR})")
    return out


def format_table(table: pd.DataFrame) -> str:
    fmt = {"real": "{:.2f}", "synthetic": "{:.2f}", "real_minus_syn": "{:+.2f}", "vol_ratio": "{:.3f}",
           "corr": "{:.3f}", "level_gap": "{:+.2f}", "spread_corr": "{:.2f}"}
    return table.to_string(formatters={k: v.format for k, v in fmt.items()})


def add_shared_argument(ap: argparse.ArgumentParser) -> None:
    """``--shared DIR``: the reference folder with real futures (``$ECORE_SHARED``, else ../shared)."""
    default = Path(os.environ.get("ECORE_SHARED", Path.cwd().parent / "shared"))
    ap.add_argument("--shared", type=Path, default=default, help=f"the shared folder (default {default})")


def shared_data(shared: Path, prog: str) -> Path | None:
    """``shared/data`` when it holds the real futures series, else None after one line on stderr."""
    data = shared / "data"
    if not (data / "futures").is_dir():
        print(f"{prog}: no {data / 'futures'} folder", file=sys.stderr)
        return None
    return data


def main(argv=None) -> int:
    from .market import load_market
    from .synthetic_futures import build_price_book

    ap = argparse.ArgumentParser(description="Validate the synthetic futures against the real front month.")
    add_shared_argument(ap)
    ap.add_argument("--no-spread", action="store_true", help="finance at repo alone (no implied-repo spread)")
    ap.add_argument("--ceiling", action="store_true",
                    help="also print the correlation a per-year linear fit on every CMT tenor reaches")
    args = ap.parse_args(argv)
    data = shared_data(args.shared, "futures_validation")
    if data is None:
        return 2
    market = load_market(data)
    book = build_price_book(market, ROOTS, "2000-01-01", None, spread=False if args.no_spread else None)
    table = validation_table(book.frame, data / "futures")
    pd.set_option("display.width", 200)
    print(format_table(table))
    if args.ceiling:
        print("\ncorrelation of a per-year linear fit of the real returns on all CMT tenor changes (in sample):")
        for root in ROOTS:
            real = read_real_front(data / "futures" / f"{root}_front_continuous.csv")
            ret = held_returns(book.frame, root, real)
            for name, (lo, hi) in PERIODS.items():
                lo_d, hi_d = to_days([lo, hi])
                part = ret[(ret["day"] >= lo_d) & (ret["day"] <= hi_d)]
                print(f"  {root} {name}: {yield_fit_correlation(part, real, market.yields):.3f}")
    missed = failures(table)
    print("\n".join(["", "thresholds missed:", *missed]) if missed else "\nall thresholds met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
