"""`write_outputs`: every file of a backtest into ``--out``, all or nothing.

Files: ``report.html``, ``metrics.json`` ({"strategy": ..., "benchmark": ...}), ``daily.csv``,
``trades.csv``, ``journal.csv``, ``benchmark_daily.csv`` and, when the run had backtrader
analyzers, ``analyzers.json`` ({name: get_analysis()}). They are first written into a staging folder
inside ``out_dir`` (:mod:`ecore.engine.staged_output`); only when every writer has succeeded are
they moved in, and the files an earlier backtest wrote there that this one does not (its
``benchmark_daily.csv``, its ``analyzers.json``) are removed, so the folder never mixes two
runs. A failing writer leaves ``out_dir`` as it was. Files no backtest wrote are never touched.
"""

from __future__ import annotations

import json
from pathlib import Path

from .metrics import compute_metrics
from .report import write_report_html
from .results import BacktestResult


def _csv(frame, path: Path) -> None:
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")


def _metrics_json(path: Path, result: BacktestResult, benchmark: BacktestResult | None, risk_free) -> None:
    payload = {
        "strategy": compute_metrics(result, risk_free),
        "benchmark": compute_metrics(benchmark, risk_free) if benchmark is not None else None,
    }
    # allow_nan=False: a NaN that slipped through is a bug here, not a file other tools choke on.
    path.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n", encoding="utf-8")


#: File name → writer(path, result, benchmark, risk_free), in the order they are written.
WRITERS = {
    "metrics.json": _metrics_json,
    "daily.csv": lambda p, r, b, rf: _csv(r.daily, p),
    "trades.csv": lambda p, r, b, rf: _csv(r.trades, p),
    "journal.csv": lambda p, r, b, rf: _csv(r.journal, p),
    "benchmark_daily.csv": lambda p, r, b, rf: _csv(b.daily, p),
    "report.html": lambda p, r, b, rf: write_report_html(p, r, b, rf),
}


def write_outputs(out_dir, result: BacktestResult, benchmark: BacktestResult | None = None,
                  risk_free=None, analyses: dict | None = None) -> list[Path]:
    """Write all outputs of ``result`` (against ``benchmark``) into ``out_dir``; return their paths.

    ``out_dir`` is created if missing. Without a benchmark, ``benchmark_daily.csv`` is not written
    and metrics.json has ``"benchmark": null``; ``analyses`` (analyzer name -> JSON-ready result,
    as ``BacktestRun.analyses``) become ``analyzers.json``. On any error nothing in ``out_dir``
    changes and the error propagates.
    """
    from .staged_output import StagedFolder

    writers = dict(WRITERS)
    if analyses:
        writers["analyzers.json"] = lambda p, r, b, rf: p.write_text(
            json.dumps(analyses, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    names = [n for n in writers if benchmark is not None or n != "benchmark_daily.csv"]
    with StagedFolder(out_dir, "backtest") as stage:
        for name in names:
            writers[name](stage.path(name), result, benchmark, risk_free)
        return stage.commit(names)
