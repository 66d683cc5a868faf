"""The ``ecore data`` sub-command (``ecore data download``); heavy imports happen on use."""

from __future__ import annotations

from pathlib import Path

from ...data.sources import FRED_URL, YAHOO_URL


def add_parser(sub) -> None:
    p = sub.add_parser("data", help="market data: download fresh yields, overnight rates and ETF closes",
                       description="Market data for --data DIR folders.")
    inner = p.add_subparsers(dest="data_command", metavar="ACTION")
    inner.required = True
    d = inner.add_parser(
        "download",
        help="fetch Treasury yields and overnight rates (FRED) and adjusted ETF closes (Yahoo) into a folder",
        description="Fetch FRED constant-maturity yields (DGS1MO...DGS30, DGS3 included) and the overnight "
        "rates that finance futures carry (SOFR, and DFF, the effective fed funds rate before SOFR; public "
        "CSV endpoint, no key) and dividend-adjusted ETF closes (Yahoo Finance chart endpoint) into "
        "DIR/yields, DIR/rates and DIR/closes, the layout --data DIR reads. Each file is written to a "
        "temporary file, validated and renamed, so a failed download keeps the previous file.",
    )
    d.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder to write into")
    d.add_argument("--start", metavar="YYYY-MM-DD", help="first date to fetch (default: all history)")
    d.add_argument("--symbols", metavar="LIST", help="comma-separated ETF symbols (default IVV,AGG,SPY,EFA,EEM; "
                   "empty for none)")
    d.add_argument("--series", metavar="LIST", help="comma-separated FRED series (default DGS1MO...DGS30, "
                   "SOFR and DFF; SOFR, DFF and EFFR go to rates/, the rest to yields/)")
    d.add_argument("--fred-url", default=FRED_URL, help=f"FRED CSV endpoint (default {FRED_URL})")
    d.add_argument("--yahoo-url", default=YAHOO_URL, help=f"Yahoo chart endpoint (default {YAHOO_URL})")
    d.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    d.set_defaults(func=_run)


def _run(args) -> int:
    from ...data.download import run

    return run(args)
