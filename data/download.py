"""``ecore data download``: fresh Treasury yields and overnight rates from FRED and adjusted ETF
closes from Yahoo.

Writes the layout :func:`ecore.data.market.load_market` reads (``--data DIR``)::

    DIR/yields/DGS10.csv     observation_date,DGS10   (FRED's CSV as received, validated)
    DIR/rates/SOFR.csv       observation_date,SOFR    (SOFR, DFF, EFFR: futures carry)
    DIR/closes/SPY.csv       Date,Close               (dividend- and split-adjusted close)

The note and bond table of the deliverable baskets is not downloaded: a folder without
``treasuries/`` uses the bundled one (TreasuryDirect auctions to December 2025).

Sources:

* FRED's public CSV endpoint, no API key:
  ``https://fred.stlouisfed.org/graph/fredgraph.csv?id=DGS10[&cosd=YYYY-MM-DD]``.
* Yahoo Finance's chart endpoint (the one the ``yfinance`` library reads; not an official,
  documented API, so it may change or rate-limit):
  ``https://query1.finance.yahoo.com/v8/finance/chart/SPY?period1=..&period2=..&interval=1d
  &events=div,split&includeAdjustedClose=true``; the ``adjclose`` series is used.
  It is read with the standard library's HTTP client so that the base URL can be pointed at
  another server (``--yahoo-url``), which ``yfinance`` does not allow.

Each file is first written to a temporary file in the target folder, read back with the
package's validating loaders, and only then renamed over the previous file (``os.replace``,
atomic on one file system): a failed, truncated or malformed download leaves the previous file
intact.  A failure of one series does not stop the others; the command exits with status 1 if
any failed.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

from .build_bundled import RATE_SERIES, SYMBOLS, YIELD_SERIES
from .loaders import DataFileError, DataWarning, _symbol_of, is_data_name, load_closes, load_yields
from .repo import RATE_SERIES as RATE_FILES
from .sources import FRED_URL, YAHOO_URL

FRED_SERIES = YIELD_SERIES + RATE_SERIES  # fetched by default

DEFAULT_START = "1962-01-01"
USER_AGENT = "Mozilla/5.0 (compatible; ecore data download)"
TIMEOUT = 30.0


class DownloadError(RuntimeError):
    """A download that failed; the previous file (if any) is untouched."""


@dataclass
class Result:
    name: str
    path: Path
    ok: bool
    rows: int = 0
    message: str = ""


def fetch(url: str, timeout: float = TIMEOUT, opener=None) -> bytes:
    """GET ``url``; the whole body or a :class:`DownloadError` (HTTP error, short body...)."""
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    open_ = opener.open if opener is not None else urllib.request.urlopen
    try:
        with open_(req, timeout=timeout) as resp:
            body = resp.read()
            expected = resp.headers.get("Content-Length")
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except http.client.IncompleteRead as exc:
        raise DownloadError(f"{url}: truncated response ({len(exc.partial)} bytes received, "
                            f"{exc.expected} more expected)") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"{url}: {exc}") from None
    if expected is not None and expected.isdigit() and int(expected) != len(body):
        raise DownloadError(f"{url}: truncated response ({len(body)} of {expected} bytes)")
    if not body:
        raise DownloadError(f"{url}: empty response")
    return body


def _replace_atomically(target: Path, data: bytes, validate) -> int:
    """Write ``data`` to a temporary file beside ``target``, validate it, rename it over ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".csv.part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        rows = validate(tmp)
        os.replace(tmp, target)
        _remove_other_files_of(target)
        return rows
    finally:
        if tmp.exists():
            tmp.unlink()


def _remove_other_files_of(target: Path) -> None:
    """After ``target`` (``DGS10.csv``) is in place, the series' other files (``DGS10.csv.gz``,
    ``dgs10.csv``) go: a data folder holds one file per series, and an older one left beside the
    fresh download would be an error, or worse, be read instead."""
    series = _symbol_of(target).upper()
    for p in target.parent.iterdir():
        if p != target and is_data_name(p.name) and _symbol_of(p).upper() == series \
                and (p.is_file() or p.is_symlink()) and p.name != target.name:
            p.unlink()


def fred_folder(series: str) -> str:
    """The data-folder subfolder of a FRED series: ``rates`` for the overnight rates (SOFR, DFF,
    EFFR), ``yields`` for the rest."""
    return "rates" if series.upper() in RATE_FILES else "yields"


def download_yield(series: str, out: Path, start: str | None = None, base_url: str = FRED_URL,
                   timeout: float = TIMEOUT) -> Result:
    """One FRED series into ``out/yields/`` (or ``out/rates/`` for SOFR, DFF and EFFR)."""
    target = Path(out) / fred_folder(series) / f"{series}.csv"
    query = {"id": series}
    if start:
        query["cosd"] = start
    url = f"{base_url}?{urllib.parse.urlencode(query)}"
    try:
        body = fetch(url, timeout)

        def validate(tmp: Path) -> int:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                frame = load_yields(tmp, max_gap_days=None)
            if list(frame.columns) != [series]:
                raise DownloadError(f"{url}: the file holds {', '.join(frame.columns)}, not {series}")
            if frame.empty:
                raise DownloadError(f"{url}: no observations")
            return len(frame)

        rows = _replace_atomically(target, body, validate)
    except (DownloadError, DataFileError) as exc:
        return Result(series, target, False, message=_short(exc, target))
    return Result(series, target, True, rows)


def yahoo_csv(payload: bytes, symbol: str) -> bytes:
    """Yahoo chart JSON → ``Date,Close`` CSV of adjusted closes (empty value where Yahoo has null)."""
    try:
        doc = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DownloadError(f"{symbol}: the response is not complete JSON ({exc})") from None
    try:
        chart = doc["chart"]
        if chart.get("error"):
            raise DownloadError(f"{symbol}: Yahoo error {chart['error']}")
        result = chart["result"][0]
        stamps = result["timestamp"]
        offset = int(result.get("meta", {}).get("gmtoffset", 0) or 0)
        adj = result["indicators"]["adjclose"][0]["adjclose"]
    except (KeyError, IndexError, TypeError) as exc:
        raise DownloadError(f"{symbol}: unexpected chart JSON (missing {exc})") from None
    if len(stamps) != len(adj):
        raise DownloadError(f"{symbol}: {len(stamps)} timestamps but {len(adj)} adjusted closes")
    lines = ["Date,Close"]
    for ts, value in zip(stamps, adj):
        day = dt.datetime.fromtimestamp(int(ts) + offset, dt.timezone.utc).date().isoformat()
        lines.append(f"{day}," + ("" if value is None else repr(float(value))))
    return ("\n".join(lines) + "\n").encode()


def download_close(symbol: str, out: Path, start: str | None = None, base_url: str = YAHOO_URL,
                   timeout: float = TIMEOUT, end: dt.date | None = None) -> Result:
    target = Path(out) / "closes" / f"{symbol}.csv"
    first = dt.datetime.combine(dt.date.fromisoformat(start or DEFAULT_START), dt.time(), dt.timezone.utc)
    last = dt.datetime.combine((end or dt.date.today()) + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    query = {"period1": int(first.timestamp()), "period2": int(last.timestamp()), "interval": "1d",
             "events": "div,split", "includeAdjustedClose": "true"}
    url = f"{base_url.rstrip('/')}/{urllib.parse.quote(symbol)}?{urllib.parse.urlencode(query)}"
    try:
        body = yahoo_csv(fetch(url, timeout), symbol)

        def validate(tmp: Path) -> int:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                s = load_closes(tmp, symbol, max_gap_days=None)
            if s.empty:
                raise DownloadError(f"{url}: no prices")
            return len(s)

        rows = _replace_atomically(target, body, validate)
    except (DownloadError, DataFileError, ValueError) as exc:
        return Result(symbol, target, False, message=_short(exc, target))
    return Result(symbol, target, True, rows)


def _short(exc: Exception, target: Path) -> str:
    text = str(exc)
    # name the downloaded content, not the temporary file it was checked in
    parts = text.split(": ", 1)
    if len(parts) == 2 and ".csv.part" in parts[0]:
        text = f"downloaded {target.name}" + text[len(parts[0].split(",")[0]):]
    return text


def download(out, start: str | None = None, series=FRED_SERIES, symbols=SYMBOLS,
             fred_url: str = FRED_URL, yahoo_url: str = YAHOO_URL, timeout: float = TIMEOUT) -> list[Result]:
    out = Path(out)
    results = [download_yield(s, out, start, fred_url, timeout) for s in series]
    results += [download_close(s, out, start, yahoo_url, timeout) for s in symbols]
    return results


def run(args) -> int:
    series = _split(args.series) if args.series else list(FRED_SERIES)
    symbols = _split(args.symbols) if args.symbols is not None else list(SYMBOLS)
    if args.start:
        try:
            dt.date.fromisoformat(args.start)
        except ValueError:
            raise ValueError(f"--start must be a date YYYY-MM-DD, got {args.start!r}") from None
    results = download(args.out, args.start, series, symbols, args.fred_url, args.yahoo_url, args.timeout)
    failed = 0
    for r in results:
        if r.ok:
            print(f"ok      {r.name:<8} {r.rows:>6} rows  {r.path}")
        else:
            failed += 1
            print(f"FAILED  {r.name:<8} {r.message} (previous file kept)")
    print(f"{len(results) - failed} of {len(results)} downloaded into {args.out}")
    return 1 if failed else 0


def _split(text: str) -> list[str]:
    return [t.strip().upper() for t in text.replace(";", ",").split(",") if t.strip()]
