"""`write_outputs`: every file of a backtest into ``--out``, all or nothing.

Files: ``report.html``, ``metrics.json`` ({"strategy": ..., "benchmark": ...}), ``daily.csv``,
``trades.csv``, ``journal.csv``, ``events.csv`` (every roll, rebalance, margin call, forced
liquidation and rejection: date, kind, detail), ``benchmark_daily.csv``, ``benchmark_events.csv`` and, when the run had backtrader
analyzers, ``analyzers.json`` ({name: get_analysis()}). They are first written into a staging folder
inside ``out_dir`` (:mod:`ecore.engine.report.staged_output`); only when every writer has succeeded are
they moved in, and the files an earlier backtest wrote there that this one does not (its
``benchmark_daily.csv``, its ``analyzers.json``) are removed, so the folder never mixes two
runs. A failing writer leaves ``out_dir`` as it was. Files no backtest wrote are never touched.
"""

from __future__ import annotations

import json
from pathlib import Path

from .metrics import compute_metrics, detail_metrics
from .html import write_report_html
from .results import BacktestResult


def _csv(frame, path: Path) -> None:
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")


def _metrics(result: BacktestResult, benchmark: BacktestResult | None, risk_free) -> tuple[dict, dict | None]:
    return (compute_metrics(result, risk_free, benchmark),
            compute_metrics(benchmark, risk_free) if benchmark is not None else None)


def _metrics_json(path: Path, result, benchmark, risk_free, metrics) -> None:
    payload = {"strategy": {**metrics[0], **detail_metrics(result)},
               "benchmark": {**metrics[1], **detail_metrics(benchmark)} if metrics[1] is not None else None}
    # allow_nan=False: a NaN that slipped through is a bug here, not a file other tools choke on.
    path.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n", encoding="utf-8")


#: File name → writer(path, result, benchmark, risk_free, (metrics, benchmark metrics)), in the
#: order they are written.
WRITERS = {
    "metrics.json": _metrics_json,
    "daily.csv": lambda p, r, b, rf, m: _csv(r.daily, p),
    "trades.csv": lambda p, r, b, rf, m: _csv(r.trades, p),
    "journal.csv": lambda p, r, b, rf, m: _csv(r.journal, p),
    "events.csv": lambda p, r, b, rf, m: _csv(r.events, p),
    "benchmark_daily.csv": lambda p, r, b, rf, m: _csv(b.daily, p),
    "benchmark_events.csv": lambda p, r, b, rf, m: _csv(b.events, p),
    "report.html": lambda p, r, b, rf, m: write_report_html(p, r, b, rf, m),
}


def output_names(benchmark: bool = True, analyzers: bool = False) -> list[str]:
    """The files :func:`write_outputs` writes: with a benchmark, with analyzers."""
    names = [n for n in WRITERS if benchmark or n != "benchmark_daily.csv"]
    return names + (["analyzers.json"] if analyzers else [])


def write_outputs(out_dir, result: BacktestResult, benchmark: BacktestResult | None = None,
                  risk_free=None, analyses: dict | None = None,
                  metrics: tuple[dict, dict | None] | None = None) -> list[Path]:
    """Write all outputs of ``result`` (against ``benchmark``) into ``out_dir``; return their paths.

    ``out_dir`` is created if missing. Without a benchmark, ``benchmark_*.csv`` are not written
    and metrics.json has ``"benchmark": null``; ``analyses`` (analyzer name -> JSON-ready result,
    as ``BacktestRun.analyses``) become ``analyzers.json``; ``metrics`` are the (strategy, benchmark)
    `compute_metrics` with ``risk_free`` when the caller has them (``BacktestRun.metrics`` and
    ``benchmark_metrics``), else they are computed here. On any error nothing in ``out_dir``
    changes and the error propagates.
    """
    from .staged_output import StagedFolder

    writers = dict(WRITERS)
    if analyses:
        writers["analyzers.json"] = lambda p, r, b, rf, m: p.write_text(
            json.dumps(analyses, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    names = [n for n in writers if benchmark is not None or not n.startswith("benchmark_")]
    if metrics is None:
        metrics = _metrics(result, benchmark, risk_free)
    with StagedFolder(out_dir, "backtest") as stage:
        for name in names:
            writers[name](stage.path(name), result, benchmark, risk_free, metrics)
        return stage.commit(names)
