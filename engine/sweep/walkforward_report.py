"""``sweep.html`` of a sweep with out-of-sample folds: does the in-sample choice hold up?

The page shows the degradation (the choices' Sharpe ratio in sample against out of sample),
each fold's choice with its in-sample and out-of-sample scores and ranks, the stitched growth of
$1 over the test windows, every set's in-sample rank against its out-of-sample rank, and the
failed runs.
"""

from __future__ import annotations

import html

import pandas as pd

from ..report.numbers import format_metric, format_param, is_rate
from .spec import SweepSpec
from .store import DEFAULT_RANK_METRIC, ResultStore
from .walkforward import TEST, TRAIN, degradation, fold_summary, stitched_growth


def formatted(frame: pd.DataFrame, parameters: list[str]) -> pd.DataFrame:
    """``frame`` as text for a page: parameters to four significant digits, rates as percentages."""
    out = frame.copy()
    for col in out.columns:
        if col in parameters:
            out[col] = out[col].map(format_param)
        elif col.endswith(("_in", "_out")):
            out[col] = out[col].map(lambda v, c=col.rsplit("_", 1)[0]: format_metric(c, v))
        elif pd.api.types.is_float_dtype(out[col]) or is_rate(col):
            out[col] = out[col].map(lambda v, c=col: format_metric(c, v))
    return out


def _headed(frame: pd.DataFrame) -> pd.DataFrame:
    """Column names a reader understands: ``sharpe_in`` → ``sharpe in sample``."""
    def head(col: str) -> str:
        if col.endswith("_in"):
            return f"{col[:-3]} in sample"
        if col.endswith("_out"):
            return f"{col[:-4]} out of sample"
        return {"oos_rank": "rank out of sample", "sets": "sets ranked", "train_start": "train from",
                "train_end": "train to", "test_start": "test from", "test_end": "test to"}.get(col, col)

    return frame.rename(columns=head)


def _table_html(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>none</p>"
    return frame.to_html(index=False, border=0, classes="runs", na_rep="", escape=True)


def _growth_figure(growth: pd.Series, summary: pd.DataFrame):
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=growth.index, y=growth.to_numpy(), mode="lines", name="out of sample"))
    for start in summary["test_start"].dropna():
        fig.add_vline(x=pd.Timestamp(start).timestamp() * 1000, line_width=1, line_dash="dot", line_color="#999")
    fig.update_layout(title="Growth of $1 out of sample: each fold's choice over its test window, stitched",
                      yaxis_title="growth of $1", yaxis_type="log", height=460)
    return fig


def _rank_figure(table: pd.DataFrame, spec: SweepSpec):
    """Each set's in-sample rank against its out-of-sample rank, fold by fold (choices ringed)."""
    import plotly.graph_objects as go

    names = spec.parameter_names
    fig = go.Figure()
    for number, part in table.groupby("fold", sort=True):
        train = part[part["window"] == TRAIN].set_index([*names])
        test = part[part["window"] == TEST].set_index([*names])
        both = train[["rank", "chosen"]].join(test[["rank"]].rename(columns={"rank": "rank_out"}), how="inner").dropna(subset=["rank", "rank_out"])
        if both.empty:
            continue
        labels = [", ".join(f"{n}={format_param(v)}" for n, v in zip(names, idx if isinstance(idx, tuple) else (idx,)))
                  for idx in both.index]
        fig.add_trace(go.Scatter(
            x=both["rank"].astype(float), y=both["rank_out"].astype(float), mode="markers", name=f"fold {number}",
            text=labels, marker={"size": [14 if c else 7 for c in both["chosen"]],
                                 "line": {"width": [2 if c else 0 for c in both["chosen"]], "color": "black"}},
            hovertemplate="%{text}<br>rank in sample %{x}, out of sample %{y}<extra>fold " + str(number) + "</extra>"))
    if not fig.data:
        return None
    fig.update_layout(title="Rank in sample against rank out of sample (ringed: each fold's choice)",
                      xaxis_title="rank on the training window", yaxis_title="rank on the test window",
                      xaxis={"autorange": "reversed"}, yaxis={"autorange": "reversed"}, height=480)
    return fig


def render_walk_forward(table: pd.DataFrame, spec: SweepSpec, store: ResultStore,
                        heatmap_table: pd.DataFrame | None = None) -> str:
    """The page as one HTML string (plotly.js inline)."""
    from plotly.offline import get_plotlyjs

    metric = spec.rank_by or DEFAULT_RANK_METRIC
    summary = fold_summary(table, spec, heatmap_table) if len(table) else pd.DataFrame()
    growth = stitched_growth(summary, store.nav) if len(summary) else pd.Series(dtype=float)
    figures = degradation(summary, growth) if len(summary) else {}
    charts = []
    if len(growth) > 1:
        charts.append(_growth_figure(growth, summary))
    ranks = table if heatmap_table is None else heatmap_table
    rank_fig = _rank_figure(ranks, spec) if len(ranks) else None
    if rank_fig is not None:
        charts.append(rank_fig)
    charts_html = "\n".join(f.to_html(full_html=False, include_plotlyjs=False) for f in charts)
    failed = table[table["status"] != "ok"] if len(table) else table
    shown = [c for c in ["fold", "train_start", "train_end", "test_start", "test_end", *spec.parameter_names,
                         f"{metric}_in", f"{metric}_out", "sharpe_in", "sharpe_out", "oos_rank", "sets"]
             if c in summary]
    shown = list(dict.fromkeys(shown))
    f = figures
    verdict = ""
    if f:
        verdict = (f"<p class='verdict'>Sharpe ratio of the folds' choices: <b>{format_metric('sharpe', f['sharpe_in'])}</b> "
                   f"in sample, <b>{format_metric('sharpe', f['sharpe_out'])}</b> out of sample (mean over "
                   f"{f['folds']} fold(s); drop {format_metric('sharpe', f['sharpe_drop'])}). "
                   f"Choices in the better half out of sample: "
                   f"{'n/a' if f['better_half'] is None else format(f['better_half'], '.0%')} of folds. Stitched test windows: CAGR {format_metric('cagr', f['oos_cagr'])}, maximum "
                   f"drawdown {format_metric('max_drawdown', f['oos_max_drawdown'])}.</p>")
    from .walkforward import table_short_warmups

    short = table_short_warmups(table)
    if short:
        verdict += (f"<p><b>Warning:</b> {short[0]} run(s) opened their window before the strategy's indicators "
                    f"were warm (up to {short[1]} day(s) short); lengthen <code>warmup</code> in "
                    f"<code>{spec.validation.key}</code>.</p>")
    fast_note = ""
    if heatmap_table is not None:
        fast_note = (f"<p>Ranked in sample by the fast path ({len(heatmap_table)} runs, fast.csv); the choices' "
                     "results below are event-driven runs.</p>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sweep: {html.escape(spec.source)}</title>
<script type="text/javascript">{get_plotlyjs()}</script>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table.runs {{ border-collapse: collapse; font-size: 0.9em; }}
table.runs td, table.runs th {{ padding: 0.25em 0.7em; border-bottom: 1px solid #ddd; text-align: right; }}
p.verdict {{ font-size: 1.1em; }}
</style></head><body>
<h1>Sweep of {html.escape(spec.strategy)}: out-of-sample check</h1>
<p>{html.escape(spec.source)} · {html.escape(spec.validation.describe())} · {len(table)} runs,
{len(failed)} failed · each fold's choice: the set ranked first by <b>{html.escape(metric)}</b> on its training window</p>
{verdict}
{fast_note}
<h2>Folds</h2>
{_table_html(_headed(formatted(summary[shown], spec.parameter_names)) if len(summary) else summary)}
{charts_html}
<h2>Failed runs ({len(failed)})</h2>
{_table_html(failed[[c for c in ["fold", "window", *spec.parameter_names, "error"] if c in failed]]) if len(failed) else "<p>none</p>"}
</body></html>
"""
