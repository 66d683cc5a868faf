"""Rebuild the bundled default data set (``data/bundled/``) from the shared real-data folder.

Run from the repository root (the shared folder sits beside it)::

    python3 -m ecore.data.build_bundled            # reads ../shared/data (or $ECORE_SHARED/data)
    python3 -m ecore.data.build_bundled --shared /path/to/shared

Every source file is validated with the package's own loaders, then copied byte for byte into a
gzip member with a zero timestamp, so rerunning the script on the same input gives identical
files.  ``PROVENANCE.md`` is rewritten with the sources, spans, sizes and licence notes.
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

from .loaders import DataWarning, load_closes, load_yields

BUNDLED = Path(__file__).resolve().parent / "bundled"
YIELD_SERIES = ("DGS1MO", "DGS3MO", "DGS6MO", "DGS1", "DGS2", "DGS5", "DGS7", "DGS10", "DGS20", "DGS30")
SYMBOLS = ("IVV", "AGG", "SPY", "EFA", "EEM")
MAX_BYTES = 3 * 1024 * 1024

YIELDS_SOURCE = ("repository SahilB21/yieldcurvepca, commit c066afa28bdd0b3977f55bf9f3d572562484c00f "
                 "(FRED series of the Federal Reserve H.15 release)")
ETF_SOURCE = ("repository dsturdy/Factor_Attribution, commit 712ab00cb7d01c788507bc417162a4269e29bf69, "
              "folder data/ (dividend- and split-adjusted closes as published by Yahoo Finance)")


def _gzip_bytes(raw: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    return buf.getvalue()


def build(shared_data: Path, out: Path = BUNDLED) -> list[dict]:
    shared_data = Path(shared_data)
    (out / "yields").mkdir(parents=True, exist_ok=True)
    (out / "closes").mkdir(parents=True, exist_ok=True)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        for sid in YIELD_SERIES:
            src = shared_data / "yields" / f"{sid}.csv"
            frame = load_yields(src)  # validates
            s = frame[sid]
            rows.append(_write(src, out / "yields" / f"{sid}.csv.gz", sid, s.index[0], s.index[-1], len(s),
                               frame.attrs["missing"], "yields"))
        for sym in SYMBOLS:
            src = shared_data / "etf" / f"{sym}.csv"
            s = load_closes(src, sym)
            rows.append(_write(src, out / "closes" / f"{sym}.csv.gz", sym, s.index[0], s.index[-1], len(s),
                               s.attrs["missing"], "closes"))
    total = sum(r["bytes"] for r in rows)
    if total > MAX_BYTES:
        raise SystemExit(f"bundled data would be {total} bytes, more than {MAX_BYTES}")
    (out / "PROVENANCE.md").write_text(_provenance(rows, total), encoding="utf-8")
    return rows


def _write(src: Path, dst: Path, name, first, last, n, missing, kind) -> dict:
    raw = src.read_bytes()
    data = _gzip_bytes(raw)
    tmp = dst.with_name(dst.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, dst)
    return {"name": name, "kind": kind, "file": f"{kind}/{dst.name}", "first": first.date().isoformat(),
            "last": last.date().isoformat(), "rows": n, "missing": missing, "bytes": len(data),
            "sha256": hashlib.sha256(raw).hexdigest()}


def _provenance(rows: list[dict], total: int) -> str:
    lines = [
        "# Provenance of the bundled data set",
        "",
        "Built by `python3 -m ecore.data.build_bundled` (file `data/build_bundled.py`) from the",
        "project's shared real-data folder (`../shared/data/`). Each file is the source file",
        "unchanged, gzip-compressed (sha256 below is of the uncompressed source).",
        "",
        "## Sources",
        "",
        f"- `yields/`: U.S. Treasury constant-maturity yields, percent, FRED format "
        f"(`observation_date,DGSn`; empty value = holiday). Source: {YIELDS_SOURCE}.",
        "  Licence: the H.15 data are produced by the Board of Governors of the Federal Reserve",
        "  System, a U.S. government work in the public domain; FRED asks for attribution",
        "  (\"Source: Board of Governors of the Federal Reserve System (US), retrieved from FRED,",
        "  Federal Reserve Bank of St. Louis\").",
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
