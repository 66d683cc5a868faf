"""A sweep's results on disk: streamed as runs finish, read back to resume, ranked into a table.

Layout of a sweep's output folder::

    runs.jsonl        one JSON line per finished run (ok or failed), appended as it finishes
    navs/KEY.npz      NAV path of run KEY (days, dollars), written before its line
    results.parquet   the ranked table (written at the end of a sweep)
    results.csv       the same table as CSV
    sweep.lock        held while a sweep writes here

A run is finished exactly when its line is in ``runs.jsonl``.  A line cut short by a kill is
dropped when the store is opened, so appending after an interrupted sweep stays valid JSON lines.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .lock import FolderLock
from .runs import RunRecord

RUNS_FILE = "runs.jsonl"
NAV_FOLDER = "navs"
TABLE_PARQUET = "results.parquet"
TABLE_CSV = "results.csv"
DEFAULT_RANK_METRIC = "sharpe"

log = logging.getLogger(__name__)


class ResultStore:
    """The append-only results of one sweep folder.  Use as a context manager (holds the lock).

    The lock is ``sweep.lock`` (:class:`~.lock.FolderLock`).
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / NAV_FOLDER).mkdir(exist_ok=True)
        self._lock = FolderLock(self.folder)
        self._drop_partial_line()
        self._fh = open(self.runs_path, "a", encoding="utf-8")

    @property
    def runs_path(self) -> Path:
        return self.folder / RUNS_FILE

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        self._lock.release()

    def _drop_partial_line(self) -> None:
        path = self.runs_path
        if not path.exists():
            return
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            with open(path, "r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)

    def append(self, record: RunRecord) -> None:
        """Write one finished run: its NAV file first, then its line (flushed to disk)."""
        if record.nav_dates is not None:
            tmp = self.folder / NAV_FOLDER / f"{record.key}.tmp.npz"
            np.savez(tmp, dates=record.nav_dates.astype("datetime64[D]"),
                     nav=np.asarray(record.nav_values, dtype=float))
            os.replace(tmp, self.nav_path(record.key))
        line = {
            "key": record.key,
            "params": record.params,
            "status": record.status,
            "error": record.error,
            "metrics": record.metrics,
            "seconds": round(record.seconds, 6),
            "worker": record.worker,
            "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }
        self._fh.write(json.dumps(line, sort_keys=True, allow_nan=True) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def nav_path(self, key: str) -> Path:
        return self.folder / NAV_FOLDER / f"{key}.npz"

    def rows(self) -> dict[str, dict]:
        """Finished runs by key (the last line of a key wins: a retried failure replaces it)."""
        return read_rows(self.runs_path)

    def nav(self, key: str) -> pd.Series | None:
        return read_nav(self.nav_path(key))


def read_rows(path: str | Path) -> dict[str, dict]:
    """Rows of a ``runs.jsonl`` by key; a line that is not valid JSON (cut by a kill) is skipped."""
    out: dict[str, dict] = {}
    path = Path(path)
    if not path.exists():
        return out
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not (isinstance(row, dict) and isinstance(row.get("key"), str) and "status" in row
                    and isinstance(row.get("params"), dict)):
                continue  # not a run's line (written by something else): its run executes again
            out[row["key"]] = row
    return out


def read_nav(path: str | Path) -> pd.Series | None:
    """A stored NAV path as a Series (dollars, indexed by date), or None if there is none."""
    path = Path(path)
    if not path.exists():
        return None
    with np.load(path) as z:
        return pd.Series(z["nav"], index=pd.DatetimeIndex(z["dates"].astype("datetime64[ns]"), name="date"),
                         name="nav")


def flatten_metrics(metrics: dict, prefix: str = "") -> dict:
    """Nested metric tables (``{"calendar_year_returns": {"2021": 0.1}}``) become dotted columns."""
    out = {}
    for name, value in metrics.items():
        if isinstance(value, dict):
            out.update(flatten_metrics(value, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = value
    return out


def build_table(rows: list[dict], parameter_names: list[str], rank_by: str | None,
                ascending: bool = False) -> pd.DataFrame:
    """One row per run: ``rank``, the parameters, ``status``, ``error``, every metric, ``seconds``,
    ``worker``, ``key``; ranked by ``rank_by`` (largest first unless ``ascending``).

    Runs without a value of the metric (failed runs) come last with no rank.  ``rank_by`` None
    means ``sharpe``.  Raises ValueError naming ``rank_by`` if no run has that metric.
    """
    metric = rank_by or DEFAULT_RANK_METRIC
    records = []
    metric_names: list[str] = []
    for row in rows:
        flat = flatten_metrics(row.get("metrics") or {})
        for name in flat:
            if name not in metric_names:
                metric_names.append(name)
        rec = {name: row["params"].get(name) for name in parameter_names}
        rec["status"] = row["status"]
        rec["error"] = row.get("error")
        for name, value in flat.items():
            rec[_metric_column(name, parameter_names)] = value
        rec["seconds"] = row.get("seconds")
        rec["worker"] = row.get("worker")
        rec["key"] = row["key"]
        records.append(rec)
    metric_cols = [_metric_column(n, parameter_names) for n in metric_names]
    columns = ["rank", *parameter_names, "status", "error", *metric_cols, "seconds", "worker", "key"]
    table = pd.DataFrame.from_records(records, columns=columns[1:])
    ok = table["status"] == "ok"
    if metric in table.columns:
        score = pd.to_numeric(table[metric], errors="coerce").where(ok)
    else:
        score = pd.Series(np.nan, index=table.index)
    if ok.any() and not score.notna().any():
        available = [c for c in metric_cols if pd.to_numeric(table[c], errors="coerce").notna().any()]
        raise ValueError(f"rank_by: no finished run has a number for the metric {metric!r}; "
                         f"numeric metrics: {', '.join(available)}")
    order = score.sort_values(ascending=ascending, na_position="last", kind="stable").index
    table = table.loc[order].reset_index(drop=True)
    ranked = score.loc[order].notna().to_numpy()
    table.insert(0, "rank", pd.array([i + 1 if r else None for i, r in enumerate(ranked)], dtype="Int64"))
    return _tidy(table)


def _metric_column(name: str, parameter_names: list[str]) -> str:
    return f"metric.{name}" if name in parameter_names or name in _RESERVED else name


_RESERVED = {"rank", "status", "error", "seconds", "worker", "key"}


def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    """Columns Parquet can store: a column mixing numbers and text becomes text."""
    for col in table.columns:
        if table[col].dtype == object:
            kinds = {type(v) for v in table[col] if v is not None and not (isinstance(v, float) and math.isnan(v))}
            if len(kinds) > 1 and not kinds <= {int, float}:
                table[col] = table[col].map(lambda v: None if v is None else str(v))
            elif kinds <= {int, float} and kinds:
                table[col] = pd.to_numeric(table[col])
    return table


def write_table(table: pd.DataFrame, folder: str | Path, also_current=()) -> tuple[Path, Path]:
    """Write ``results.parquet`` and ``results.csv`` into ``folder``, whole or not at all (staged,
    then moved in: :class:`ecore.engine.report.staged_output.StagedFolder`); returns both paths."""
    from ..report.staged_output import StagedFolder

    with StagedFolder(folder, SWEEP_COMMAND) as stage:
        table.to_parquet(stage.path(TABLE_PARQUET), index=False)
        table.to_csv(stage.path(TABLE_CSV), index=False)
        parquet, csv = stage.commit([TABLE_PARQUET, TABLE_CSV], also_current)
    return parquet, csv


#: The name a sweep's files go under in the folder's manifest.
SWEEP_COMMAND = "sweep"
