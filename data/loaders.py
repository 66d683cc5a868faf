"""Read market-data files into tidy pandas objects, validating every row.

Three kinds of file are read (plain ``.csv`` or gzip-compressed ``.csv.gz``):

* equity and ETF closes: ``Date,Close`` (dividend-adjusted closes) or Yahoo-style
  ``Date,Open,High,Low,Close,Adj Close,Volume`` (the ``Adj Close`` column is used);
* Treasury constant-maturity yields from FRED, in percent: the current ``observation_date,DGS10``
  format (empty value on holidays) and the older ``DATE,DGS10`` format (``.`` on holidays);
* real futures settlements, long format, one row per contract and day::

      date,contract,open,high,low,settle,volume,open_interest
      2025-01-02,ZNH25,108.5,108.75,108.25,108-20,1234567,4200000

  ``contract`` is a code such as ``ZNH25`` (``ZNH5``, ``ZN 202503`` and ``ZN MAR 25`` are read
  too); prices are decimal points or CME 32nds (``108-20``, ``110-16+``); ``open``, ``high``,
  ``low``, ``volume`` and ``open_interest`` may be empty.

Problems that make a file unusable raise :class:`DataFileError`, whose message names the file,
the line (1 = header) and the column: malformed dates or numbers, unsorted or duplicate dates,
non-positive prices, yields outside -1 %...25 %, unknown contract codes.  Gaps longer than
``max_gap_days`` business days are not errors: each is recorded as an :class:`Issue`, counted in
the returned object's ``attrs["issues"]`` and announced with one :class:`DataWarning` per file.
Rows with a missing value (holidays in FRED files, ``null`` rows in Yahoo files) are left out of
the result and counted in ``attrs["missing"]`` (with their line numbers in ``attrs["issues"]``
for Yahoo files); no row is ever dropped without being counted.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .contracts import Contract, ContractError
from .prices import PriceError, parse_price

YIELD_MIN, YIELD_MAX = -1.0, 25.0  # percent
DEFAULT_MAX_GAP_DAYS = 10  # business days (Mon-Fri) without a value before a gap is reported
FUTURES_COLUMNS = ("date", "contract", "open", "high", "low", "settle", "volume", "open_interest")
_FRED_SERIES = re.compile(r"^[A-Z0-9]+$")


# A daily close change (either way, in log terms) beyond which a row is reported as suspicious.
MAX_DAILY_MOVE = 0.5


class DataFileError(ValueError):
    """A data file that cannot be used; the message names file, line and column."""

    def __init__(self, path, line: int | None, column: str | None, message: str):
        self.path = str(path)
        self.line = line
        self.column = column
        where = self.path
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


class DataWarning(UserWarning):
    """Something in a data file worth knowing that does not stop it from being used."""


@dataclass(frozen=True)
class Issue:
    """One reported (non-fatal) finding: where it is and what it is."""

    path: str
    line: int | None
    column: str | None
    kind: str  # "gap", "missing"
    message: str

    def __str__(self) -> str:
        where = self.path + (f", line {self.line}" if self.line is not None else "")
        return f"{where}: {self.message}"


# ----------------------------------------------------------------------------------------------
# helpers


def _read_table(path: Path) -> pd.DataFrame:
    """All cells as text, one DataFrame row per file line after the header (line = index + 2)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, skip_blank_lines=False, skipinitialspace=True
        )
    except pd.errors.EmptyDataError:
        raise DataFileError(path, 1, None, "the file is empty (no header line)") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError) as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) if m else None
        raise DataFileError(path, line, None, f"cannot be read as CSV: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _lines(frame: pd.DataFrame) -> np.ndarray:
    return np.arange(len(frame)) + 2


def _find_column(path: Path, frame: pd.DataFrame, *names: str) -> str:
    lowered = {c.lower(): c for c in frame.columns}
    for n in names:
        if n.lower() in lowered:
            return lowered[n.lower()]
    raise DataFileError(
        path, 1, None,
        f"missing column {names[0]!r}; the header has {', '.join(map(repr, frame.columns)) or 'nothing'}",
    )


def _parse_dates(path: Path, frame: pd.DataFrame, column: str) -> pd.DatetimeIndex:
    text = frame[column].str.strip()
    days = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = np.flatnonzero(days.isna().to_numpy())
    if len(bad):
        i = bad[0]
        raise DataFileError(
            path, int(i) + 2, column,
            f"{text.iat[i]!r} is not a date (YYYY-MM-DD)"
            + (f"; {len(bad)} such rows" if len(bad) > 1 else ""),
        )
    return pd.DatetimeIndex(days)


def _check_order(path: Path, days: pd.DatetimeIndex, lines: np.ndarray, column: str, what: str = "") -> None:
    """Dates strictly increasing, else an error at the first offending line."""
    if len(days) < 2:
        return
    v = days.to_numpy()
    step = v[1:] - v[:-1]
    dup = np.flatnonzero(step == np.timedelta64(0))
    back = np.flatnonzero(step < np.timedelta64(0))
    first = min([x for x in (dup[:1].tolist() + back[:1].tolist())], default=None)
    if first is None:
        return
    i = first + 1
    day = days[i].date().isoformat()
    if step[first] == np.timedelta64(0):
        raise DataFileError(path, int(lines[i]), column,
                            f"duplicate date {day}{what} (also on line {lines[i - 1]})")
    raise DataFileError(
        path, int(lines[i]), column,
        f"date {day}{what} comes after {days[i - 1].date().isoformat()} on line {lines[i - 1]}: "
        "dates must be in increasing order",
    )


def _gaps(path: Path, days: pd.DatetimeIndex, lines: np.ndarray, column: str, max_gap_days, what: str = "") -> list[Issue]:
    """Runs of more than ``max_gap_days`` business days (Mon-Fri) with no value."""
    if max_gap_days is None or len(days) < 2:
        return []
    d = days.to_numpy().astype("datetime64[D]")
    missing = np.busday_count(d[:-1], d[1:]) - 1
    out = []
    for i in np.flatnonzero(missing > max_gap_days):
        out.append(Issue(
            str(path), int(lines[i + 1]), column, "gap",
            f"gap of {int(missing[i])} business days{what} between {days[i].date()} (line {lines[i]}) "
            f"and {days[i + 1].date()} (longer than {max_gap_days})",
        ))
    return out


def _numbers(path: Path, frame: pd.DataFrame, column: str, missing_tokens=("",)) -> tuple[np.ndarray, np.ndarray]:
    """(values, is_missing); an error for text that is neither a number nor a missing token."""
    text = frame[column].str.strip()
    is_missing = text.isin(missing_tokens).to_numpy()
    values = pd.to_numeric(text.where(~is_missing), errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(np.isnan(values) & ~is_missing)
    if len(bad):
        i = bad[0]
        raise DataFileError(path, int(i) + 2, column, f"{text.iat[i]!r} is not a number")
    infinite = np.flatnonzero(np.isinf(values))
    if len(infinite):
        i = infinite[0]
        raise DataFileError(path, int(i) + 2, column, f"{text.iat[i]!r} is not a finite number")
    return values, is_missing


def _report(path: Path, issues: list[Issue], warn: bool) -> None:
    gaps = [i for i in issues if i.kind == "gap"]
    if warn and gaps:
        warnings.warn(
            f"{path}: {len(gaps)} gap(s) longer than the allowed business days; first: {gaps[0].message} "
            f"(line {gaps[0].line})",
            DataWarning,
            stacklevel=3,
        )
    jumps = [i for i in issues if i.kind == "jump"]
    if warn and jumps:
        warnings.warn(
            f"{path}: {len(jumps)} implausible daily move(s), check the data; first: "
            f"{jumps[0].message} (line {jumps[0].line})",
            DataWarning,
            stacklevel=3,
        )


def _symbol_of(path: Path) -> str:
    name = path.name
    for ext in (".csv.gz", ".csv", ".gz", ".txt"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return path.stem


DATA_EXTENSIONS = (".csv", ".csv.gz")


def is_data_name(name: str) -> bool:
    """Whether a file name is a data file's (``X.csv`` or ``X.csv.gz``, any case); hidden files
    (``.X.csv.part`` of a download in progress) are not."""
    return not name.startswith(".") and name.lower().endswith(DATA_EXTENSIONS)


def data_files(folder: Path) -> list[Path]:
    """The ``*.csv`` and ``*.csv.gz`` files of a folder, sorted by name: one per series.

    Raises :class:`DataFileError` for an entry with a data file's name that is not a readable
    file (a folder, a broken link or a link loop: otherwise its series would just be "missing"),
    and for two files of one series (``DGS10.csv`` beside ``DGS10.csv.gz``, or ``ivv.csv``
    beside ``IVV.csv``), naming both: which one is meant cannot be guessed."""
    folder = Path(folder)
    seen: dict[str, Path] = {}
    out = []
    for p in sorted(folder.iterdir()):
        if not is_data_name(p.name):
            continue
        if p.is_dir():
            raise DataFileError(p, None, None, "is a folder, not a data file")
        if not p.is_file():
            what = "a link loop" if p.is_symlink() and _loops(p) else (
                "a broken link" if p.is_symlink() else "not a regular file")
            raise DataFileError(p, None, None, f"is {what}, not a data file")
        series = _symbol_of(p).upper()
        if series in seen:
            raise DataFileError(folder, None, None,
                                f"two files for the series {series}: {seen[series].name} and {p.name}; "
                                "keep one (remove or rename the other)")
        seen[series] = p
        out.append(p)
    return out


def _loops(path: Path) -> bool:
    try:
        path.resolve(strict=True)
    except RuntimeError:
        return True
    except OSError as exc:
        return exc.errno == 40  # ELOOP
    return False


# ----------------------------------------------------------------------------------------------
# closes


def load_closes(path, symbol: str | None = None, max_gap_days: int | None = DEFAULT_MAX_GAP_DAYS,
                warn: bool = True) -> pd.Series:
    """Dividend-adjusted closes of one symbol as a Series indexed by date (name = symbol).

    Reads ``Date,Close`` or Yahoo-style ``Date,Open,High,Low,Close,Adj Close,Volume`` (then
    ``Adj Close`` is the value).  ``null``/empty rows are left out and counted
    (``attrs["missing"]``); gaps are reported in ``attrs["issues"]``.
    """
    path = Path(path)
    frame = _read_table(path)
    date_col = _find_column(path, frame, "Date")
    lower = {c.lower(): c for c in frame.columns}
    value_col = lower.get("adj close") or lower.get("adj_close") or lower.get("adjclose") or lower.get("close")
    if value_col is None:
        raise DataFileError(path, 1, None, "missing column 'Close' (or 'Adj Close')")
    days = _parse_dates(path, frame, date_col)
    lines = _lines(frame)
    _check_order(path, days, lines, date_col)
    values, is_missing = _numbers(path, frame, value_col, missing_tokens=("", "null", "NaN", "nan", "."))
    bad = np.flatnonzero(~is_missing & ~(values > 0))
    if len(bad):
        i = bad[0]
        raise DataFileError(path, int(lines[i]), value_col, f"price {float(values[i])!r} is not positive")
    issues = [Issue(str(path), int(lines[i]), value_col, "missing", f"no value on {days[i].date()}")
              for i in np.flatnonzero(is_missing)]
    keep = ~is_missing
    issues += _gaps(path, days[keep], lines[keep], date_col, max_gap_days)
    kept, kept_lines, kept_days = values[keep], lines[keep], days[keep]
    if len(kept) > 1:
        # A fund's close moving beyond the bound of its kind in a day is a data error far more
        # often than a market move (data/fund_moves.py: the bounds and the worst real days).
        from .fund_moves import describe_bound, likely_cause, log_bound

        name = symbol or _symbol_of(path).upper()
        moves = np.abs(np.diff(np.log(kept)))
        for i in np.flatnonzero(moves > log_bound(name) - 1e-12):
            a, b = kept[i], kept[i + 1]
            issues.append(Issue(str(path), int(kept_lines[i + 1]), value_col, "jump",
                                f"close moved from {a:g} to {b:g} on {kept_days[i + 1].date()} "
                                f"({b / a - 1:+.0%}, beyond {describe_bound(name)}; {likely_cause(a, b)})"))
    s = pd.Series(values[keep], index=days[keep], name=symbol or _symbol_of(path).upper())
    s.index.name = "date"
    s.attrs["issues"] = issues
    s.attrs["missing"] = int(is_missing.sum())
    s.attrs["path"] = str(path)
    if warn and issues and s.attrs["missing"]:
        warnings.warn(f"{path}: {s.attrs['missing']} row(s) without a value left out "
                      f"(first on line {issues[0].line})", DataWarning, stacklevel=2)
    _report(path, issues, warn)
    return s


def load_closes_folder(folder, symbols=None, max_gap_days: int | None = DEFAULT_MAX_GAP_DAYS,
                       warn: bool = True) -> pd.DataFrame:
    """Every ``SYMBOL.csv[.gz]`` of a folder (or only ``symbols``) as one DataFrame, one column each."""
    folder = Path(folder)
    files = {_symbol_of(p).upper(): p for p in data_files(folder)}
    wanted = [s.upper() for s in symbols] if symbols else sorted(files)
    missing = [s for s in wanted if s not in files]
    if missing:
        raise FileNotFoundError(f"{folder}: no close file for {', '.join(missing)} "
                                f"(have: {', '.join(sorted(files)) or 'none'})")
    series = [load_closes(files[s], s, max_gap_days, warn) for s in wanted]
    out = pd.concat(series, axis=1, sort=True) if series else pd.DataFrame()
    out.index.name = "date"
    out.attrs["issues"] = [i for s in series for i in s.attrs["issues"]]
    out.attrs["missing"] = sum(s.attrs["missing"] for s in series)
    return out


# ----------------------------------------------------------------------------------------------
# yields


def _load_yield_file(path: Path, max_gap_days, warn: bool) -> pd.Series:
    frame = _read_table(path)
    if frame.shape[1] != 2:
        raise DataFileError(path, 1, None,
                            f"expected two columns (observation_date or DATE, then the series id), "
                            f"got {len(frame.columns)}: {', '.join(frame.columns)}")
    date_col, series_col = frame.columns
    if date_col.lower() not in ("observation_date", "date"):
        raise DataFileError(path, 1, date_col, "first column must be 'observation_date' or 'DATE'")
    if not _FRED_SERIES.match(series_col):
        raise DataFileError(path, 1, series_col, "second column must be a FRED series id such as DGS10")
    days = _parse_dates(path, frame, date_col)
    lines = _lines(frame)
    _check_order(path, days, lines, date_col)
    values, is_missing = _numbers(path, frame, series_col, missing_tokens=("", "."))
    bad = np.flatnonzero(~is_missing & ((values < YIELD_MIN) | (values > YIELD_MAX)))
    if len(bad):
        i = bad[0]
        raise DataFileError(path, int(lines[i]), series_col,
                            f"yield {values[i]!r} % on {days[i].date()} is outside {YIELD_MIN}...{YIELD_MAX} %")
    keep = ~is_missing
    issues = _gaps(path, days[keep], lines[keep], series_col, max_gap_days)
    s = pd.Series(values[keep], index=days[keep], name=series_col)
    s.index.name = "date"
    s.attrs["issues"] = issues
    s.attrs["missing"] = int(is_missing.sum())  # holidays: listed dates without a value
    _report(path, issues, warn)
    return s


def load_yields(path_or_dir, series=None, max_gap_days: int | None = DEFAULT_MAX_GAP_DAYS,
                warn: bool = True) -> pd.DataFrame:
    """FRED constant-maturity yields (percent) as a DataFrame indexed by date, one column per series.

    ``path_or_dir`` is one FRED CSV or a folder of them (``DGS10.csv``, ``DGS10.csv.gz``...);
    ``series`` picks some.  Dates on which no series has a value (holidays) are not rows; the
    count of empty values is in ``attrs["missing"]``, gaps in ``attrs["issues"]``.
    """
    p = Path(path_or_dir)
    if p.is_dir():
        files = {_symbol_of(f).upper(): f for f in data_files(p)}
        wanted = [s.upper() for s in series] if series else sorted(files, key=_tenor_years)
        absent = [s for s in wanted if s not in files]
        if absent:
            raise FileNotFoundError(f"{p}: no yield file for {', '.join(absent)}")
        parts = [_load_yield_file(files[s], max_gap_days, warn) for s in wanted]
    else:
        parts = [_load_yield_file(p, max_gap_days, warn)]
    names = [s.name for s in parts]
    if len(set(names)) != len(names):
        raise DataFileError(p, None, None, f"the same series appears twice: {names}")
    out = pd.concat(parts, axis=1, sort=True) if parts else pd.DataFrame()
    out = out[sorted(out.columns, key=_tenor_years)]
    out.index.name = "date"
    out.attrs["issues"] = [i for s in parts for i in s.attrs["issues"]]
    out.attrs["missing"] = sum(s.attrs["missing"] for s in parts)
    return out


_TENOR = re.compile(r"^DGS(\d+)(MO)?$")


def tenor_years(series_id: str) -> float | None:
    """Maturity in years of a FRED CMT series id (``DGS3MO`` → 0.25, ``DGS10`` → 10); None if not one."""
    m = _TENOR.match(series_id.upper())
    if not m:
        return None
    n = int(m.group(1))
    return n / 12 if m.group(2) else float(n)


def _tenor_years(series_id: str) -> float:
    t = tenor_years(series_id)
    return 1e9 if t is None else t


# ----------------------------------------------------------------------------------------------
# real futures settlements


def load_futures_settlements(path, max_gap_days: int | None = DEFAULT_MAX_GAP_DAYS,
                             warn: bool = True):
    """Real settlements in the long format (see the module text) as a ``FuturesPriceBook``.

    Rows are labelled ``source = "real"``, ``launched = True``.  Dates must increase within each
    contract (the file may interleave contracts).
    """
    from .price_book import FuturesPriceBook

    path = Path(path)
    frame = _read_table(path)
    cols = {c.lower(): c for c in frame.columns}
    for need in ("date", "contract", "settle"):
        if need not in cols:
            raise DataFileError(path, 1, None,
                                f"missing column {need!r}; the long format is {','.join(FUTURES_COLUMNS)}")
    lines = _lines(frame)
    days = _parse_dates(path, frame, cols["date"])
    # contract codes: parse each distinct text once
    ccol = cols["contract"]
    raw = frame[ccol].str.strip()
    codes = {}
    for text in pd.unique(raw):
        i = int(np.flatnonzero((raw == text).to_numpy())[0])
        # a one-digit year ("ZNH5") is ambiguous across decades: read it near the row's date
        reference = days[i].date() if re.search(r"[A-Z]\d$", text.upper()) else None
        try:
            codes[text] = Contract.parse(text, reference=reference).code
        except ContractError as exc:
            raise DataFileError(path, int(lines[i]), ccol, f"unknown contract code {text!r}: {exc}") from None
    contract = raw.map(codes).to_numpy()
    # A contract settles until its last trading day; a row after it is another contract's
    # price, or a date typed wrong.
    for code in pd.unique(contract):
        last = np.datetime64(Contract.parse(code).last_trading_day())
        after = np.flatnonzero((contract == code) & (days.values.astype("datetime64[D]") > last))
        if len(after):
            i = int(after[0])
            raise DataFileError(path, int(lines[i]), cols["date"],
                                f"{code} settles on {days[i].date()}, after its last trading day "
                                f"{Contract.parse(code).last_trading_day()}")

    out = pd.DataFrame({"date": days, "contract": contract})
    for name in ("open", "high", "low", "settle"):
        if name not in cols:
            if name != "settle":
                out[name] = np.nan
            continue
        out[name] = _prices(path, frame, cols[name], required=(name == "settle"))
    for name in ("volume", "open_interest"):
        if name in cols:
            vals, _ = _numbers(path, frame, cols[name])
            neg = np.flatnonzero(vals < 0)
            if len(neg):
                raise DataFileError(path, int(lines[neg[0]]), cols[name], f"negative {name} {vals[neg[0]]!r}")
            out[name] = vals
        else:
            out[name] = np.nan
    # order and gaps within each contract
    issues: list[Issue] = []
    order = np.argsort(contract, kind="stable")
    out_sorted = out.iloc[order]
    lines_sorted = lines[order]
    c_sorted = contract[order]
    starts = np.flatnonzero(np.r_[True, c_sorted[1:] != c_sorted[:-1]])
    ends = np.r_[starts[1:], len(c_sorted)]
    for a, b in zip(starts, ends):
        d = pd.DatetimeIndex(out_sorted["date"].iloc[a:b])
        _check_order(path, d, lines_sorted[a:b], cols["date"], what=f" for {c_sorted[a]}")
        issues += _gaps(path, d, lines_sorted[a:b], cols["date"], max_gap_days, what=f" for {c_sorted[a]}")
    out["source"] = "real"
    out["launched"] = True
    _report(path, issues, warn)
    book = FuturesPriceBook(out)
    book.frame.attrs["issues"] = issues
    return book


def _prices(path: Path, frame: pd.DataFrame, column: str, required: bool) -> np.ndarray:
    text = frame[column].str.strip()
    values = pd.to_numeric(text.where(text != ""), errors="coerce").to_numpy(dtype=float, copy=True)
    empty = (text == "").to_numpy()
    for i in np.flatnonzero(np.isnan(values) & ~empty):
        try:
            values[i] = parse_price(text.iat[i])
        except PriceError as exc:
            raise DataFileError(path, int(i) + 2, column, str(exc)) from None
    if required and empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise DataFileError(path, i + 2, column, "settlement price is empty")
    bad = np.flatnonzero(~empty & ~(values > 0))
    if len(bad):
        i = int(bad[0])
        raise DataFileError(path, i + 2, column, f"price {text.iat[i]!r} is not positive")
    infinite = np.flatnonzero(np.isinf(values))
    if len(infinite):
        i = int(infinite[0])
        raise DataFileError(path, i + 2, column, f"price {text.iat[i]!r} is not a finite number")
    return values


def load_futures_folder(folder, max_gap_days: int | None = DEFAULT_MAX_GAP_DAYS, warn: bool = True):
    """Every long-format settlement file of a folder as one ``FuturesPriceBook`` (None if empty)."""
    from .price_book import FuturesPriceBook, PriceBookError

    books = [load_futures_settlements(p, max_gap_days, warn) for p in data_files(Path(folder))]
    if not books:
        return None
    if len(books) == 1:
        return books[0]
    frame = pd.concat([b.frame for b in books], ignore_index=True)
    try:
        return FuturesPriceBook(frame)
    except PriceBookError as exc:
        raise DataFileError(folder, None, None, f"files overlap: {exc}") from None

