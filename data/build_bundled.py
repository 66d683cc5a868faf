"""Rebuild the bundled default data set (``data/bundled/``) from the shared real-data folder.

Run from the repository root (the shared folder sits beside it)::

    python3 -m ecore.data.build_bundled            # reads ../shared/data (or $ECORE_SHARED/data)
    python3 -m ecore.data.build_bundled --shared /path/to/shared

Every source file is validated with the package's own loaders, then copied byte for byte into a
gzip member with a zero timestamp, so rerunning the script on the same input gives identical
files.  One file is derived rather than copied: ``treasuries/securities.csv.gz``, the fixed-rate
note and bond table with coupons inferred from the bundled yields
(:func:`ecore.data.securities.infer_coupons` on ``treasuries/auctions.csv``), which the
deliverable baskets need; it too is rebuilt byte for byte.  ``PROVENANCE.md`` is rewritten with
the sources, spans, sizes, the coupons' agreement with the Federal Reserve's SOMA holdings and
the licence notes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .calendar import (CLOSED_WEEKDAYS_FILE, FIRST_YEAR, LAST_YEAR, business_days_from_libraries,
                       closed_weekdays_csv)
from .loaders import DataWarning, load_closes, load_yields

BUNDLED = Path(__file__).resolve().parent / "bundled"
YIELD_SERIES = ("DGS1MO", "DGS3MO", "DGS6MO", "DGS1", "DGS2", "DGS3", "DGS5", "DGS7", "DGS10", "DGS20", "DGS30")
RATE_SERIES = ("SOFR", "DFF")
SYMBOLS = ("IVV", "AGG", "SPY", "EFA", "EEM")
MAX_BYTES = 3 * 1024 * 1024
SOMA_FILE = "soma-holdings-2022-02-16.csv"

YIELDS_SOURCE = ("repository SahilB21/yieldcurvepca, commit c066afa28bdd0b3977f55bf9f3d572562484c00f "
                 "(FRED series of the Federal Reserve H.15 release); DGS3 from repository "
                 "charishma005/Blackrock_UCB_MFE_Industry_Project, commit 83c069c07e9520cf64d4152e3569277ddfe4cac7, "
                 "path data/fred/DGS3.csv")
RATES_SOURCE = ("FRED series SOFR (Federal Reserve Bank of New York) from repository qie2003/treasury-yield-forecast, "
                "commit b8a6a97aee0589f8932c8f5006ef9b1cf38fdcc5, and DFF (effective federal funds rate, Board of "
                "Governors) from repository Clarkson-Applied-Data-Science/2025_ia651_kay, commit "
                "92c9d6a80929c53862cd4bc94ad41d035140a133")
AUCTIONS_SOURCE = ("TreasuryDirect 'Auctions Query' export (every note and bond auction 1979-10-31 to 2025-12-11) "
                   "from repository mrgeneko/wealth-tracker, commit 0e3c8fcbb4f30616a3661cdb51920aea841decf0, path "
                   "config/Auctions_Query_19791115_20251215.csv")
ETF_SOURCE = ("repository dsturdy/Factor_Attribution, commit 712ab00cb7d01c788507bc417162a4269e29bf69, "
              "folder data/ (dividend- and split-adjusted closes as published by Yahoo Finance)")


def _gzip_bytes(raw: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    return buf.getvalue()


def build(shared_data: Path, out: Path = BUNDLED) -> list[dict]:
    shared_data = Path(shared_data)
    for kind in ("yields", "rates", "treasuries", "closes", "calendar"):
        (out / kind).mkdir(parents=True, exist_ok=True)
    days = business_days_from_libraries()
    rows = [_calendar(days, out), _nyse_calendar(out)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        for kind, series in (("yields", YIELD_SERIES), ("rates", RATE_SERIES)):
            for sid in series:
                src = shared_data / kind / f"{sid}.csv"
                frame = load_yields(src)  # validates (the FRED format)
                s = frame[sid]
                rows.append(_write(src.read_bytes(), src, out / kind / f"{sid}.csv.gz", sid, s.index[0],
                                   s.index[-1], len(s), frame.attrs["missing"], kind))
        rows.append(_securities(shared_data, out, days))
        for sym in SYMBOLS:
            src = shared_data / "etf" / f"{sym}.csv"
            s = load_closes(src, sym)
            rows.append(_write(src.read_bytes(), src, out / "closes" / f"{sym}.csv.gz", sym, s.index[0],
                               s.index[-1], len(s), s.attrs["missing"], "closes"))
    rows.append(_snapshot(out))
    total = sum(r["bytes"] for r in rows)
    if total > MAX_BYTES:
        raise SystemExit(f"bundled data would be {total} bytes, more than {MAX_BYTES}")
    (out / "PROVENANCE.md").write_text(_provenance(rows, total), encoding="utf-8")
    return rows


def _calendar(days: np.ndarray, out: Path) -> dict:
    """The Treasury futures calendar's closed weekdays (``ecore.data.calendar``), made from the
    calendar libraries so that a run need not build them."""
    raw = closed_weekdays_csv(days)
    n = raw.count(b"\n") - 1
    first, last = pd.Timestamp(f"{FIRST_YEAR}-01-01"), pd.Timestamp(f"{LAST_YEAR}-12-31")
    dst = out / "calendar" / CLOSED_WEEKDAYS_FILE.name
    data = _gzip_bytes(raw)
    tmp = dst.with_name(dst.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, dst)
    return {"name": "closed weekdays", "kind": "calendar", "file": f"calendar/{dst.name}",
            "first": first.date().isoformat(), "last": last.date().isoformat(), "rows": n, "missing": 0,
            "bytes": len(data), "sha256": hashlib.sha256(raw).hexdigest()}


def _nyse_calendar(out: Path) -> dict:
    """The stock market's closed weekdays (``ecore.data.stock_calendar``), from the libraries."""
    from .stock_calendar import NYSE_CLOSED_WEEKDAYS_FILE, write_bundled

    dst = out / "calendar" / NYSE_CLOSED_WEEKDAYS_FILE.name
    raw = write_bundled(dst)
    return {"name": "NYSE closed weekdays", "kind": "calendar", "file": f"calendar/{dst.name}",
            "first": f"{FIRST_YEAR}-01-01", "last": f"{LAST_YEAR}-12-31",
            "rows": raw.count(b"\n") - 1, "missing": 0, "bytes": dst.stat().st_size,
            "sha256": hashlib.sha256(raw).hexdigest()}


def _snapshot(out: Path) -> dict:
    """The set as loaded and validated (``ecore.data.market.write_snapshot``), which a run reads
    instead of validating the files above row by row; its sha256 is of the file itself."""
    from .market import read_snapshot, write_snapshot

    path = write_snapshot(out)
    m = read_snapshot(out, "")
    return {"name": "validated set", "kind": "snapshot", "file": f"snapshot/{path.name}",
            "first": m.yields.index[0].date().isoformat(), "last": m.yields.index[-1].date().isoformat(),
            "rows": len(m.yields), "missing": 0, "bytes": path.stat().st_size,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def _securities(shared_data: Path, out: Path, business_days: np.ndarray) -> dict:
    """The derived note and bond table: coupons inferred from the bundled yields (the files just
    written), checked against SOMA."""
    from .curve import ParCurve
    from .securities import infer_coupons, read_auctions, soma_check, write_securities

    yields = load_yields(out / "yields")
    days = business_days.astype("datetime64[D]").astype(np.int64)
    src = shared_data / "treasuries" / "auctions.csv"
    table = infer_coupons(read_auctions(src), ParCurve.from_yields(yields, days))
    check = soma_check(table, shared_data / "treasuries" / SOMA_FILE)
    mat = table.maturity.astype("datetime64[D]")
    row = _write(write_securities(table), src, out / "treasuries" / "securities.csv.gz", "note/bond table",
                 pd.Timestamp(mat.min()), pd.Timestamp(mat.max()), len(table), 0, "treasuries")
    row["soma"] = check
    return row


def _write(data_raw: bytes, src: Path, dst: Path, name, first, last, n, missing, kind) -> dict:
    data = _gzip_bytes(data_raw)
    tmp = dst.with_name(dst.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, dst)
    return {"name": name, "kind": kind, "file": f"{kind}/{dst.name}", "first": first.date().isoformat(),
            "last": last.date().isoformat(), "rows": n, "missing": missing, "bytes": len(data),
            "sha256": hashlib.sha256(src.read_bytes()).hexdigest()}


def _provenance(rows: list[dict], total: int) -> str:
    lines = [
        "# Provenance of the bundled data set",
        "",
        "Built by `python3 -m ecore.data.build_bundled` (file `data/build_bundled.py`) from the",
        "project's shared real-data folder (`../shared/data/`). Each file is the source file",
        "unchanged, gzip-compressed (sha256 below is of the uncompressed source), except",
        "`treasuries/securities.csv.gz`, which is derived (below; its sha256 is of the auction file),",
        "`calendar/`, made from the calendar libraries (its sha256 is of the uncompressed file), and",
        "`snapshot/market.npz`: the set as loaded and validated, with the sha256 of each file it was",
        "read from; a run reads it instead of validating the files, while those hashes match.",
        "",
        "## Sources",
        "",
        f"- `yields/`: U.S. Treasury constant-maturity yields, percent, FRED format "
        f"(`observation_date,DGSn`; empty value = holiday). Source: {YIELDS_SOURCE}.",
        "  Licence: the H.15 data are produced by the Board of Governors of the Federal Reserve",
        "  System, a U.S. government work in the public domain; FRED asks for attribution",
        "  (\"Source: Board of Governors of the Federal Reserve System (US), retrieved from FRED,",
        "  Federal Reserve Bank of St. Louis\").",
        f"- `rates/`: overnight rates for futures carry, percent, FRED format: SOFR (from 2018-04-03) and",
        f"  the effective federal funds rate DFF (every calendar day). Source: {RATES_SOURCE}.",
        "  Licence: public data of the Federal Reserve Bank of New York and the Board of Governors;",
        "  FRED asks for the same attribution as above.",
        f"- `treasuries/securities.csv.gz`: the fixed-rate Treasury notes and bonds (TIPS and floaters",
        f"  left out) with coupons inferred from the bundled yields (`ecore.data.securities`), from the",
        f"  {AUCTIONS_SOURCE}.",
        "  Columns `cusip, kind, first_auction, issue, maturity, term_months, coupon_pct,",
        "  coupon_source` (`price`: from the first auction's price, `reopen`: from a reopening's,",
        "  `curve`: the curve yield rounded down to 1/8 %).",
        *_soma_lines(rows),
        "  Licence: TreasuryDirect data are a U.S. government work in the public domain.",
        "- `calendar/treasury_closed_weekdays.csv.gz`: every Monday-to-Friday from 1980 to 2045 on which",
        "  the Treasury futures market or the cash Treasury market is shut (`ecore.data.calendar`: the",
        "  CME_Bond and SIFMA_US calendars of pandas_market_calendars, with SIFMA's early-close Good",
        "  Fridays open), so that a run reads the calendar instead of building it.",
        f"- `closes/`: daily closes adjusted for dividends and splits (total-return series), "
        f"`Date,Close`. Source: {ETF_SOURCE}.",
        "  Licence: the prices were obtained from Yahoo Finance by that public repository, which",
        "  states no licence for them. Closing prices are facts and are widely redistributed, but",
        "  Yahoo's terms of service restrict redistribution of its data; the redistribution status",
        "  is therefore unclear. They are bundled only so that a fresh install can run an example",
        "  backtest; use `ecore data download` (or your own licensed data) for anything else.",
        "",
        "## Files",
        "",
        "| file | series | first | last | rows | empty values | bytes (gz) | sha256 of source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| `{r['file']}` | {r['name']} | {r['first']} | {r['last']} | {r['rows']} | "
                     f"{r['missing']} | {r['bytes']} | `{r['sha256'][:16]}…` |")
    lines += ["", f"Total compressed size: {total} bytes.", ""]
    return "\n".join(lines)


def _soma_lines(rows: list[dict]) -> list[str]:
    check = next((r["soma"] for r in rows if "soma" in r), None)
    if check is None:
        return []
    by = ", ".join(f"{k} {check[k][0]}/{check[k][1]}" for k in ("price", "reopen", "curve"))
    return [f"  Inferred coupons equal those of the Federal Reserve's SOMA holdings of 2022-02-16 for",
            f"  {check['match']} of its {check['soma_fixed']} fixed-rate notes and bonds "
            f"({check['match_pct']:.1f} %; by source: {by})."]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("ECORE_SHARED", Path.cwd().parent / "shared")) / "data"
    ap.add_argument("--shared", type=Path, default=None,
                    help=f"the shared folder (holding data/); default {default.parent}")
    ap.add_argument("--out", type=Path, default=BUNDLED)
    args = ap.parse_args(argv)
    src = args.shared / "data" if args.shared else default
    if not src.is_dir():
        print(f"build_bundled: no shared data folder at {src}", file=sys.stderr)
        return 2
    rows = build(src, args.out)
    for r in rows:
        print(f"{r['file']:<28} {r['first']} .. {r['last']} {r['rows']:>6} rows {r['bytes']:>8} bytes")
    print(f"total {sum(r['bytes'] for r in rows)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
