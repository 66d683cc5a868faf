"""All the market data a backtest reads: yields, overnight rates, the Treasury securities, equity
closes, optional real futures settlements.

A data folder (the bundled set, a ``--data DIR`` folder, or what ``ecore data download`` writes)
has this layout; files may be plain ``.csv`` or gzip-compressed ``.csv.gz``::

    DIR/yields/DGS1MO.csv ... DGS30.csv     FRED format: observation_date,DGS10 (or DATE,DGS10)
    DIR/rates/SOFR.csv, DFF.csv (or EFFR)   FRED format: overnight repo and the fed funds rate
    DIR/treasuries/securities.csv           the note and bond table (ecore.data.securities), or
    DIR/treasuries/auctions.csv             TreasuryDirect's auction export (coupons inferred)
    DIR/closes/IVV.csv, AGG.csv, ...        Date,Close (adjusted) or Yahoo-style with Adj Close
    DIR/real_futures/*.csv                  optional: date,contract,open,high,low,settle,volume,open_interest

(``etf/`` is accepted in place of ``closes/``.)  A folder without ``rates/`` or ``treasuries/``
uses the bundled ones, and says so in ``MarketData.issues``: the securities are reference data,
and the bundled rates cover the bundled span.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import warnings
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .loaders import (DEFAULT_MAX_GAP_DAYS, DataWarning, Issue, data_files, load_closes_folder,
                      load_futures_folder, load_yields)
from .price_book import FuturesPriceBook
from .repo import financing_rate, load_rates
from .securities import SecurityTable, infer_coupons, read_auctions, read_securities

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"
SHORT_RATE_SERIES = "DGS3MO"
# The bundled set as loaded and validated (frames, findings), written by build_bundled with the
# sha256 of every file it was read from: reading and validating the CSVs row by row takes about
# 0.5 s at each start, the snapshot a few ms (the note and bond table included: no CSV parser).  It is used only while those hashes still match.
SNAPSHOT_FILE = BUNDLED_DIR / "snapshot" / "market.npz"
_SNAPSHOT_FOLDERS = ("yields", "closes", "rates", "treasuries")
_SNAPSHOT_FRAMES = ("yields", "closes", "rates")


@dataclass(frozen=True)
class MarketData:
    """Yields (percent, one column per FRED series), adjusted closes (one column per symbol),
    optional real futures settlements, and where they came from."""

    yields: pd.DataFrame
    closes: pd.DataFrame
    real_futures: FuturesPriceBook | None = None
    source: str = ""
    issues: tuple[Issue, ...] = field(default=(), repr=False)
    # overnight rates in percent (columns SOFR, DFF or EFFR) and the note/bond table; None: the
    # bundled ones (market_rates, market_securities)
    rates: pd.DataFrame | None = field(default=None, repr=False)
    securities: SecurityTable | None = field(default=None, repr=False)
    # short_rate() built once per object (a run asks for it for each broker and for the metrics);
    # not an init field, so dataclasses.replace (a stress scenario's shocked yields) starts afresh.
    _short_rate: list = field(default_factory=list, init=False, repr=False, compare=False)

    def short_rate(self) -> pd.Series:
        """Decimal annual short rate (DGS3MO / 100) on every weekday of the yields' span,
        forward-filled over bond-market holidays and missing values."""
        if not self._short_rate:
            self._short_rate.append(self._build_short_rate())
        return self._short_rate[0].copy()

    def _build_short_rate(self) -> pd.Series:
        if SHORT_RATE_SERIES not in self.yields.columns:
            raise ValueError(f"{self.source or 'the market data'}: no yields/{SHORT_RATE_SERIES}.csv: the "
                             "3-month bill rate is the short rate for cash")
        s = self.yields[SHORT_RATE_SERIES].dropna()
        if s.empty:
            raise ValueError(f"{SHORT_RATE_SERIES} has no values")
        days = pd.bdate_range(s.index[0], self.yields.index[-1], name="date")
        out = (s / 100.0).reindex(days.union(s.index)).ffill()
        out.name = "short_rate"
        return out

    def span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return self.yields.index[0], self.yields.index[-1]


_BUNDLED_CACHE: MarketData | None = None
_BUNDLED_SECURITIES: SecurityTable | None = None
_BUNDLED_RATES: pd.DataFrame | None = None


def bundled_securities() -> SecurityTable:
    """The bundled note and bond table (``bundled/treasuries/securities.csv.gz``), read once."""
    global _BUNDLED_SECURITIES
    if _BUNDLED_SECURITIES is None:
        _BUNDLED_SECURITIES = read_securities(_one_file(BUNDLED_DIR / "treasuries", "securities"))
    return _BUNDLED_SECURITIES


def bundled_rates() -> pd.DataFrame:
    """The bundled overnight rates (``bundled/rates/``), read once."""
    global _BUNDLED_RATES
    if _BUNDLED_RATES is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            _BUNDLED_RATES = load_rates(BUNDLED_DIR / "rates")
    return _BUNDLED_RATES


def market_securities(market: MarketData) -> SecurityTable:
    """The market's note and bond table, or the bundled one."""
    return market.securities if market.securities is not None else bundled_securities()


def market_rates(market: MarketData) -> pd.DataFrame:
    """The market's overnight rates, or the bundled ones."""
    return market.rates if market.rates is not None else bundled_rates()


def _one_file(folder: Path, stem: str) -> Path | None:
    """``folder/stem.csv`` or ``stem.csv.gz``; both there is an error naming them."""
    from .loaders import DataFileError

    found = [folder / name for name in (f"{stem}.csv", f"{stem}.csv.gz") if (folder / name).is_file()]
    if len(found) > 1:
        raise DataFileError(folder, None, None, f"two files for {stem}: {found[0].name} and "
                            f"{found[1].name}; keep one (remove or rename the other)")
    return found[0] if found else None


def load_market(data_dir=None, symbols=None, max_gap_days: int | None = DEFAULT_MAX_GAP_DAYS) -> MarketData:
    """Read a data folder (layout in the module text); ``None`` = the bundled data set.

    Non-fatal findings (gaps) are in ``MarketData.issues``; for a user folder they are also
    announced as :class:`DataWarning` s.  ``symbols`` restricts the closes read.
    """
    global _BUNDLED_CACHE
    if data_dir is None:
        if _BUNDLED_CACHE is None and max_gap_days == DEFAULT_MAX_GAP_DAYS:
            _BUNDLED_CACHE = read_snapshot(BUNDLED_DIR, BUNDLED_LABEL)
        if _BUNDLED_CACHE is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                _BUNDLED_CACHE = _load(BUNDLED_DIR, None, max_gap_days, BUNDLED_LABEL)
        m = _BUNDLED_CACHE
        closes = m.closes if not symbols else m.closes[[s.upper() for s in symbols]]
        return MarketData(m.yields.copy(), closes.copy(), None, m.source, m.issues, m.rates, m.securities)
    return _load(Path(data_dir), symbols, max_gap_days, str(data_dir))


BUNDLED_LABEL = "bundled data set (ecore/data/bundled)"


def _snapshot_sources(root: Path) -> dict[str, str]:
    """sha256 of every data file of ``root`` a load reads, by path relative to ``root``."""
    out = {}
    for folder in _SNAPSHOT_FOLDERS:
        if (root / folder).is_dir():
            for p in data_files(root / folder):
                out[f"{folder}/{p.name}"] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _issue_record(issue: Issue, root: Path) -> dict:
    rec = asdict(issue)
    path = Path(issue.path)
    rec["path"] = path.relative_to(root).as_posix() if path.is_relative_to(root) else issue.path
    return rec


def _issue(rec: dict, root: Path) -> Issue:
    return Issue(**{**rec, "path": str(root / rec["path"])})


def write_snapshot(root: Path = BUNDLED_DIR, path: Path | None = None) -> Path:
    """Load and validate the data folder ``root`` (default max gap) and write it to ``path``
    (default ``root/snapshot/market.npz``) with the sha256 of the files read.  Returns the path."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        market = _load(root, None, DEFAULT_MAX_GAP_DAYS, BUNDLED_LABEL)
    arrays, frames = {}, {}
    for name in _SNAPSHOT_FRAMES:
        frame = getattr(market, name)
        arrays[f"{name}_values"] = frame.to_numpy(dtype=float)
        arrays[f"{name}_index"] = frame.index.to_numpy()
        frames[name] = {"columns": [str(c) for c in frame.columns], "index_name": frame.index.name,
                        "attrs": {k: ([_issue_record(i, root) for i in v] if k == "issues" else v)
                                  for k, v in frame.attrs.items()}}
    for f in dataclasses.fields(market.securities):
        arrays[f"securities_{f.name}"] = getattr(market.securities, f.name)
    meta = {"sources": _snapshot_sources(root), "frames": frames,
            "issues": [_issue_record(i, root) for i in market.issues]}
    path = Path(path) if path is not None else root / "snapshot" / "market.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    # np.savez stamps each member with the time of writing; a fixed stamp makes a rebuild from the
    # same files give the same bytes.
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asanyarray(arrays[name]), allow_pickle=False)
    tmp.replace(path)
    return path


def read_snapshot(root: Path, label: str, path: Path | None = None) -> MarketData | None:
    """The data folder ``root`` from its snapshot (`write_snapshot`), or None when there is none
    or a file it was made from has changed since."""
    path = Path(path) if path is not None else root / "snapshot" / "market.npz"
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        if meta["sources"] != _snapshot_sources(root):
            return None
        frames = {}
        for name in _SNAPSHOT_FRAMES:
            info = meta["frames"][name]
            index = pd.DatetimeIndex(z[f"{name}_index"], name=info["index_name"])
            frame = pd.DataFrame(z[f"{name}_values"], index=index, columns=info["columns"])
            frame.attrs = {k: ([_issue(r, root) for r in v] if k == "issues" else v)
                           for k, v in info["attrs"].items()}
            frames[name] = frame
        securities = SecurityTable(**{f.name: z[f"securities_{f.name}"] for f in dataclasses.fields(SecurityTable)})
    issues = tuple(_issue(r, root) for r in meta["issues"])
    return MarketData(frames["yields"], frames["closes"], None, label, issues, frames["rates"], securities)


def _load(root: Path, symbols, max_gap_days, label: str) -> MarketData:
    if not root.is_dir():
        raise FileNotFoundError(f"data folder {root} does not exist")
    for name in ("yields", "closes", "etf", "real_futures", "rates", "treasuries"):
        sub = root / name
        if (sub.exists() or sub.is_symlink()) and not sub.is_dir():
            from .loaders import DataFileError

            raise DataFileError(sub, None, None, "is a file (or a broken link), not a folder of data files")
    ydir = root / "yields"
    if not ydir.is_dir():
        raise FileNotFoundError(f"{root}: no yields/ folder (FRED files such as yields/DGS10.csv)")
    yields, trimmed = _trim_ragged_end(load_yields(ydir, max_gap_days=max_gap_days), ydir)
    cdir = root / "closes"
    if not cdir.is_dir() and (root / "etf").is_dir():
        cdir = root / "etf"
    if cdir.is_dir():
        closes = load_closes_folder(cdir, symbols, max_gap_days=max_gap_days)
    elif symbols:
        raise FileNotFoundError(f"{root}: no closes/ folder for {', '.join(symbols)}")
    else:
        closes = pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
    fdir = root / "real_futures"
    real = load_futures_folder(fdir, max_gap_days=max_gap_days) if fdir.is_dir() else None
    issues = tuple(yields.attrs.get("issues", [])) + trimmed + tuple(closes.attrs.get("issues", []))
    if real is not None:
        issues += tuple(real.frame.attrs.get("issues", []))
    rates, more = _rates(root, max_gap_days, yields, label)
    issues += more
    securities, more = _securities(root, yields, label)
    issues += more
    return MarketData(yields, closes, real, label, issues, rates, securities)


def _trim_ragged_end(yields: pd.DataFrame, ydir: Path):
    """The yields without trailing days on which only one series has a value (one series that
    runs on after the others, as the shared DGS3 does): the curve needs two tenors, and the
    yields' last day is the last day the model can price.  The rows left out are reported."""
    have = yields.notna().sum(axis=1).to_numpy()
    ok = np.flatnonzero(have >= 2)
    if len(ok) == 0 or ok[-1] == len(yields) - 1:
        return yields, ()
    last = yields.index[ok[-1]]
    tail = yields.iloc[ok[-1] + 1:]
    lone = ", ".join(tail.columns[tail.notna().any()])
    out = yields.iloc[: ok[-1] + 1].copy()
    out.attrs = dict(yields.attrs)
    return out, (Issue(str(ydir), None, lone, "trimmed",
                       f"{lone} runs on after the other series: its {len(tail)} value(s) after "
                       f"{last.date()} are left out (the curve needs two tenors a day)"),)


def _rates(root: Path, max_gap_days, yields: pd.DataFrame, label: str):
    """The folder's overnight rates (None: the bundled ones) and what to say about them."""
    rdir = root / "rates"
    issues: list[Issue] = []
    if rdir.is_dir() and any(p.name.split(".")[0].upper() in ("SOFR", "DFF", "EFFR") for p in data_files(rdir)):
        rates = load_rates(rdir, max_gap_days=max_gap_days, warn=root != BUNDLED_DIR)
        issues += rates.attrs.get("issues", [])
        used = rates
    else:
        rates = None
        used = bundled_rates()
        issues.append(Issue(str(rdir), None, None, "fallback",
                            "no rates/SOFR.csv or rates/DFF.csv: futures carry uses the bundled overnight rates "
                            "(`ecore data download` fetches them)"))
    repo = financing_rate(used)
    if len(yields.index) and repo.index[-1] < yields.index[-1]:
        issues.append(Issue(str(rdir), None, None, "stale",
                            f"the overnight rate ends on {repo.index[-1].date()}, before the yields "
                            f"({yields.index[-1].date()}): its last value carries futures after that"))
        if root != BUNDLED_DIR:
            warnings.warn(f"{label}: {issues[-1].message}", DataWarning, stacklevel=3)
    return rates, tuple(issues)


def _securities(root: Path, yields: pd.DataFrame, label: str):
    """The folder's note and bond table (None: the bundled one) and what to say about it."""
    tdir = root / "treasuries"
    table = _one_file(tdir, "securities")
    if table is not None:
        return read_securities(table), ()
    auctions = _one_file(tdir, "auctions")
    if auctions is not None:
        from .calendar import treasury_calendar
        from .curve import ParCurve

        days = treasury_calendar().days.astype("datetime64[D]").astype("int64")
        return infer_coupons(read_auctions(auctions), ParCurve.from_yields(yields, days)), ()
    return None, (Issue(str(tdir), None, None, "fallback",
                        "no treasuries/securities.csv or auctions.csv: deliverable baskets use the bundled "
                        "note and bond table"),)
