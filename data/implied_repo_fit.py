"""Measure the implied-repo spread of each root from real futures, and test it out of sample.

The spread s of a root in a regime is the carry premium that makes the synthetic contracts earn,
on held days, what the real front-month series earns (``ecore.data.futures_validation``): with
the book priced at repo (s = 0) the held-day returns differ by ``d0`` %/yr, and with every
root at repo + 100 bp by ``d100``; the relation is linear, so s = -100 d0 / (d100 - d0) bp.

Regimes (dated, the same for every root):

* to 2007-12-31 - yields near the contracts' 6 % notional coupon, where the short's option to
  switch bonds is worth most, carry at the effective fed funds rate;
* 2008-01-01 to 2018-04-02 - the crisis and zero-rate years, carry at fed funds;
* from 2018-04-03 - carry at SOFR (first published that day), the years of the cash-futures
  basis trade (Barth and Kahn, "Hedge Funds and the Treasury Cash-Futures Disconnect", OFR
  working paper 21-01, 2021: the trade grew from 2016-2018 to as much as half of hedge funds'
  Treasury positions; Barth, Kahn and Mann, FEDS Notes 2023-08-30, on its return in 2022-23).

ZT, ZF, ZN and ZB are measured; in each regime the table is the line ``a + b * duration`` fitted
to them (typical futures duration, reference notes section 2.4, 2026 curve), which also gives
Z3N, TN, TWE and UB, roots with no real series here.

Run ``python3 -m ecore.data.implied_repo_fit [--shared DIR] [--write]`` to measure (and, with
``--write``, rewrite ``data/implied_repo_spread.csv``), and ``--holdout`` for the out-of-sample
table of ``docs/synthetic-futures.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .bond_dates import to_days
from .futures_validation import ROOTS, add_shared_argument, held_returns, read_real_front, shared_data
from .implied_repo import ImpliedRepoSpread, SpreadPoint

REGIMES = (dt.date(2000, 1, 1), dt.date(2008, 1, 1), dt.date(2018, 4, 3))
REGIME_NAMES = ("2000-2007", "2008-2018", "2018-2026")
# Typical futures modified duration, years (reference notes section 2.4, 2026-04-17 curve).
TYPICAL_DURATION = {"ZT": 1.73, "Z3N": 2.64, "ZF": 3.85, "ZN": 5.75, "TN": 7.75, "TWE": 12.50, "ZB": 10.87,
                    "UB": 14.44}
OUTPUT = Path(__file__).resolve().parent / "implied_repo_spread.csv"
FIRST_DAY = "2000-01-01"


def _regime_of(days: np.ndarray) -> np.ndarray:
    return np.searchsorted(to_days(list(REGIMES)), days, side="right") - 1


def held_day_returns(market, futures_dir, spread, roots=ROOTS) -> dict[str, pd.DataFrame]:
    """Held-day returns (``futures_validation.held_returns``) of each root priced with ``spread``."""
    from .synthetic_futures import build_price_book

    frame = build_price_book(market, roots, FIRST_DAY, None, spread=spread).frame
    return {r: held_returns(frame, r, read_real_front(Path(futures_dir) / f"{r}_front_continuous.csv"))
            for r in roots}


def _uniform(bp: float) -> ImpliedRepoSpread:
    return ImpliedRepoSpread([SpreadPoint(REGIMES[0], r, bp) for r in TYPICAL_DURATION], f"<{bp:g} bp>")


def _gap(ret: pd.DataFrame) -> float:
    return 252 * (ret["real"].mean() - ret["synthetic"].mean()) * 100


def measure(at_repo: dict, at_100: dict, keep=None) -> pd.DataFrame:
    """Spread (bp) per root and regime from held-day returns priced at repo and at repo + 100 bp;
    ``keep(day numbers) -> bool array`` limits the days used (a training sample)."""
    rows = []
    for root, r0 in at_repo.items():
        r1 = at_100[root]
        for k, name in enumerate(REGIME_NAMES):
            m0 = (_regime_of(r0["day"].to_numpy()) == k)
            m1 = (_regime_of(r1["day"].to_numpy()) == k)
            if keep is not None:
                m0 &= keep(r0["day"].to_numpy())
                m1 &= keep(r1["day"].to_numpy())
            if m0.sum() < 20:
                continue
            d0, d1 = _gap(r0[m0]), _gap(r1[m1])
            rows.append({"root": root, "regime": name, "days": int(m0.sum()), "gap_at_repo": d0,
                         "spread_bp": -100.0 * d0 / (d1 - d0)})
    return pd.DataFrame(rows)


def spread_table(measured: pd.DataFrame) -> ImpliedRepoSpread:
    """The dated table of every root: in each regime a line in typical duration,
    ``spread = a + b * duration``, fitted to the measured roots (weighted by their held days),
    whole basis points.  Pooling the roots this way halves the out-of-sample error of the
    2008-2018 regime against one spread per root (docs/synthetic-futures.md) and prices the
    roots without a real series."""
    points = []
    for start, name in zip(REGIMES, REGIME_NAMES):
        m = measured[measured["regime"] == name]
        if len(m) < 2:
            continue
        x = np.array([TYPICAL_DURATION[r] for r in m["root"]])
        w = np.sqrt(m["days"].to_numpy(float))
        a, b = np.linalg.lstsq(np.c_[np.ones_like(x), x] * w[:, None], m["spread_bp"].to_numpy() * w, rcond=None)[0]
        roots = "/".join(m["root"])
        for root, dur in TYPICAL_DURATION.items():
            src = (f"{a:+.1f} {b:+.2f} x duration ({dur:g} y), fitted to {roots} in {name} "
                   "(ecore.data.implied_repo_fit)")
            points.append(SpreadPoint(start, root, float(round(a + b * dur)), src))
    return ImpliedRepoSpread(points, "<measured>")


def returns_at_repo_and_100(market, futures_dir, roots=ROOTS) -> tuple[dict, dict]:
    """Held-day returns of ``roots`` priced at repo and at repo + 100 bp: what :func:`fit` and
    :func:`holdout` measure from (compute once, pass to both)."""
    return (held_day_returns(market, futures_dir, False, roots),
            held_day_returns(market, futures_dir, _uniform(100.0), roots))


def fit(market, futures_dir, keep=None, roots=ROOTS, returns=None) -> tuple[ImpliedRepoSpread, pd.DataFrame]:
    """(table, measurements) from the real series in ``futures_dir``; ``returns`` from
    :func:`returns_at_repo_and_100` when already computed."""
    at_repo, at_100 = returns if returns is not None else returns_at_repo_and_100(market, futures_dir, roots)
    measured = measure(at_repo, at_100, keep)
    return spread_table(measured), measured


def holdout(market, futures_dir, roots=ROOTS, returns=None) -> pd.DataFrame:
    """Out-of-sample test: the spread fitted on some years, real - synthetic (%/yr) measured on
    the others, per root and regime.  Splits: even/odd years both ways, and within the SOFR
    regime 2018-2021 against 2022-2026 both ways."""
    years = lambda days: days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    splits = {
        "fit even years, test odd": (lambda d: years(d) % 2 == 0, lambda d: years(d) % 2 == 1),
        "fit odd years, test even": (lambda d: years(d) % 2 == 1, lambda d: years(d) % 2 == 0),
        "fit 2018-2021, test 2022-2026": (lambda d: years(d) <= 2021, lambda d: years(d) >= 2022),
        "fit 2022-2026, test 2018-2021": (lambda d: years(d) >= 2022, lambda d: years(d) <= 2021),
    }
    at_repo, at_100 = returns if returns is not None else returns_at_repo_and_100(market, futures_dir, roots)
    rows = []
    for name, (train, test) in splits.items():
        table = spread_table(measure(at_repo, at_100, train))
        fitted = held_day_returns(market, futures_dir, table, roots)
        for root in roots:
            r = fitted[root]
            d = r["day"].to_numpy()
            d0 = at_repo[root]["day"].to_numpy()
            for k, regime in enumerate(REGIME_NAMES):
                if name.startswith("fit 20") and k != 2:
                    continue
                for sample, frame, days, sel in (("in", r, d, train(d)), ("out", r, d, test(d)),
                                                 ("out, at repo", at_repo[root], d0, test(d0))):
                    m = sel & (_regime_of(days) == k)
                    if m.sum() < 20:
                        continue
                    rows.append({"split": name, "root": root, "regime": regime, "sample": sample,
                                 "real_minus_syn": _gap(frame[m]), "days": int(m.sum())})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    from .market import load_market

    ap = argparse.ArgumentParser(description="Measure each root's implied-repo spread from real futures.")
    add_shared_argument(ap)
    ap.add_argument("--write", action="store_true", help=f"rewrite {OUTPUT.name} with the measurement")
    ap.add_argument("--holdout", action="store_true", help="print the out-of-sample test instead")
    args = ap.parse_args(argv)
    data = shared_data(args.shared, "implied_repo_fit")
    if data is None:
        return 2
    market = load_market(data)
    pd.set_option("display.width", 200)
    if args.holdout:
        t = holdout(market, data / "futures")
        print(t.pivot_table(index=["split", "regime", "sample"], columns="root", values="real_minus_syn")
              .round(2).to_string())
        return 0
    table, measured = fit(market, data / "futures")
    print(measured.round(2).to_string(index=False))
    text = ("# Implied-repo spread per root, basis points over the overnight repo rate, from the date on.\n"
            "# Written by `python3 -m ecore.data.implied_repo_fit --write` (data/implied_repo_fit.py);\n"
            "# see data/implied_repo.py and docs/synthetic-futures.md.\n") + table.to_csv()
    if args.write:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
