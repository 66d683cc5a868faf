"""``sweep.html``: one self-contained page (plotly.js inline, no network) about a finished sweep.

It shows a heatmap of the ranking metric over any two swept parameters (a menu picks the pair;
each cell is the best run with those two values, the other parameters free), the growth of $1 of
the best runs, the best runs' table and every failed run with its error.
"""

from __future__ import annotations

import html
import itertools
from pathlib import Path

import pandas as pd

from .spec import SweepSpec
from .store import DEFAULT_RANK_METRIC, ResultStore

REPORT_FILE = "sweep.html"
MAX_PAIRS = 45          # heatmap menu entries (all pairs of 10 parameters)
MAX_LEVELS = 12         # a numeric parameter with more distinct values is binned
BINS = 10


def heatmap_pairs(spec: SweepSpec, table: pd.DataFrame) -> list[tuple[str, str]]:
    """Pairs of swept parameters that vary in ``table``; the sweep file's ``heatmap`` pair first."""
    varying = [p for p in spec.parameter_names if p in table and table[p].nunique(dropna=True) > 1]
    pairs = list(itertools.combinations(varying, 2))
    if spec.heatmap:
        preferred = tuple(spec.heatmap)
        pairs = [preferred] + [p for p in pairs if set(p) != set(preferred)]
    return pairs[:MAX_PAIRS]


def _levels(values: pd.Series) -> pd.Series:
    """Axis labels of a parameter: its values, or value ranges when numeric with many values."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all() and numeric.nunique() > MAX_LEVELS:
        cut = pd.cut(numeric, BINS)
        return cut.map(lambda iv: f"{iv.left:.4g}–{iv.right:.4g}").astype(object)
    if numeric.notna().all():
        from ..report.numbers import format_param

        return numeric.map(format_param)
    return values.astype(str)


def heatmap_grid(table: pd.DataFrame, x: str, y: str, metric: str, ascending: bool) -> pd.DataFrame:
    """Best ``metric`` (minimum if ``ascending``) for each pair of ``x`` and ``y`` levels;
    rows = ``y`` levels, columns = ``x`` levels, in the parameters' natural order."""
    ok = table[table["status"] == "ok"].copy()
    ok["_score"] = pd.to_numeric(ok[metric], errors="coerce")
    ok["_x"], ok["_y"] = _levels(ok[x]), _levels(ok[y])
    order_x = ok.sort_values(x, kind="stable")["_x"].drop_duplicates().tolist()
    order_y = ok.sort_values(y, kind="stable")["_y"].drop_duplicates().tolist()
    agg = "min" if ascending else "max"
    grid = ok.pivot_table(index="_y", columns="_x", values="_score", aggfunc=agg, dropna=False)
    return grid.reindex(index=order_y, columns=order_x)


def _heatmap_figure(spec: SweepSpec, table: pd.DataFrame, metric: str, note: str = ""):
    import plotly.graph_objects as go

    pairs = heatmap_pairs(spec, table)
    fig = go.Figure()
    if not pairs:
        return None
    from ..report.numbers import is_rate

    shown = ".2%" if is_rate(metric) else ".4g"  # rates as percentages, ratios to 4 digits
    for n, (x, y) in enumerate(pairs):
        grid = heatmap_grid(table, x, y, metric, spec.ascending)
        fig.add_trace(go.Heatmap(
            z=grid.to_numpy(dtype=float), x=[str(c) for c in grid.columns], y=[str(i) for i in grid.index],
            colorscale="Viridis", reversescale=spec.ascending, visible=(n == 0),
            colorbar={"title": {"text": metric}, "tickformat": ".1%" if is_rate(metric) else ""},
            texttemplate=f"%{{z:{'.1%' if is_rate(metric) else '.3g'}}}",
            hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{metric}=%{{z:{shown}}}<extra></extra>",
            name=f"{y} × {x}"))
    buttons = []
    for n, (x, y) in enumerate(pairs):
        visible = [i == n for i in range(len(pairs))]
        buttons.append({"label": f"{y} × {x}", "method": "update",
                        "args": [{"visible": visible}, {"xaxis.title.text": x, "yaxis.title.text": y}]})
    x0, y0 = pairs[0]
    fig.update_layout(
        title=f"Best {metric} for each pair of values (other parameters free){note}",
        xaxis={"title": {"text": x0}, "type": "category"}, yaxis={"title": {"text": y0}, "type": "category"},
        updatemenus=[{"buttons": buttons, "x": 1.0, "xanchor": "right", "y": 1.15, "yanchor": "top"}]
        if len(pairs) > 1 else [],
        height=560, margin={"t": 90})
    return fig


def _single_parameter_figure(spec: SweepSpec, table: pd.DataFrame, metric: str):
    """With one varying parameter there is no pair: the metric against that parameter."""
    import plotly.graph_objects as go

    ok = table[table["status"] == "ok"]
    names = [p for p in spec.parameter_names if p in ok and ok[p].nunique() > 1]
    if not names:
        return None
    p = names[0]
    fig = go.Figure(go.Scatter(x=ok[p], y=pd.to_numeric(ok[metric], errors="coerce"), mode="markers"))
    fig.update_layout(title=f"{metric} against {p}", xaxis_title=p, yaxis_title=metric, height=450)
    return fig


def _label(row: pd.Series, names: list[str]) -> str:
    from ..report.numbers import format_param

    return f"#{row['rank']}: " + ", ".join(f"{n}={format_param(row[n])}" for n in names)


def _growth_figure(spec: SweepSpec, table: pd.DataFrame, store: ResultStore):
    import plotly.graph_objects as go

    best = table[table["rank"].notna()].head(spec.top)
    fig = go.Figure()
    for _, row in best.iterrows():
        nav = store.nav(row["key"])
        if nav is None or nav.empty:
            continue
        growth = nav / nav.iloc[0]
        fig.add_trace(go.Scatter(x=growth.index, y=growth.to_numpy(), mode="lines",
                                 name=_label(row, spec.parameter_names)))
    if not fig.data:
        return None
    fig.update_layout(title=f"Growth of $1: the {len(fig.data)} best runs by {spec.rank_by or DEFAULT_RANK_METRIC}",
                      yaxis_title="growth of $1", yaxis_type="log", height=520,
                      legend={"orientation": "h", "y": -0.15})
    return fig


def _html_table(frame: pd.DataFrame, parameters: list[str] = ()) -> str:
    """A table of runs for the page: parameters to 4 significant digits, rates as percentages."""
    from ..report.numbers import format_metric, format_param

    if frame.empty:
        return "<p>none</p>"
    shown = frame.copy()
    for col in shown.columns:
        if col in parameters:
            shown[col] = shown[col].map(format_param)
        elif col not in ("rank", "error", "status") and pd.api.types.is_numeric_dtype(shown[col]):
            shown[col] = shown[col].map(lambda v, c=col: "" if pd.isna(v) else format_metric(c, v))
    return shown.to_html(index=False, border=0, classes="runs", na_rep="", escape=True)


def render_report(table: pd.DataFrame, spec: SweepSpec, store: ResultStore,
                  heatmap_table: pd.DataFrame | None = None) -> str:
    """The page as one HTML string (plotly.js included once, inline).  ``heatmap_table``: the
    table the heatmap is drawn from when it is not ``table`` (the fast path's, after ``--fast``)."""
    from plotly.offline import get_plotlyjs

    if spec.validation is not None:
        from .walkforward_report import render_walk_forward

        return render_walk_forward(table, spec, store, heatmap_table)
    metric = spec.rank_by or DEFAULT_RANK_METRIC
    ok = table[table["status"] == "ok"]
    failed = table[table["status"] != "ok"]
    figures = []
    source = table if heatmap_table is None else heatmap_table
    note = "" if heatmap_table is None else f" — fast path, {len(heatmap_table)} parameter sets"
    if (source["status"] == "ok").any():
        figures.append(_heatmap_figure(spec, source, metric, note) or _single_parameter_figure(spec, source, metric))
    if len(ok):
        figures.append(_growth_figure(spec, table, store))
    charts = "\n".join(f.to_html(full_html=False, include_plotlyjs=False) for f in figures if f is not None)
    shown = ["rank", *spec.parameter_names, metric] + [
        c for c in ("annual_return", "annual_volatility", "max_drawdown", "sharpe", "total_return")
        if c in table and c != metric]
    shown = list(dict.fromkeys(c for c in shown if c in table))
    dates = f"{spec.start or 'start of data'} to {spec.end or 'end of data'}"
    order = "smallest" if spec.ascending else "largest"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sweep: {html.escape(spec.source)}</title>
<script type="text/javascript">{get_plotlyjs()}</script>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table.runs {{ border-collapse: collapse; font-size: 0.9em; }}
table.runs td, table.runs th {{ padding: 0.25em 0.7em; border-bottom: 1px solid #ddd; text-align: right; }}
</style></head><body>
<h1>Sweep of {html.escape(spec.strategy)}</h1>
<p>{html.escape(spec.source)} · {html.escape(dates)} · {len(table)} runs, {len(ok)} finished,
{len(failed)} failed · ranked by <b>{html.escape(metric)}</b> ({order} first)</p>
{charts}
<h2>Best {min(spec.top, len(ok))} runs</h2>
{_html_table(ok[shown].head(spec.top), spec.parameter_names)}
<h2>Failed runs ({len(failed)})</h2>
{_html_table(failed[[*spec.parameter_names, "error"]], spec.parameter_names)}
</body></html>
"""


def write_report(table: pd.DataFrame, spec: SweepSpec, store: ResultStore, path: str | Path,
                 heatmap_table: pd.DataFrame | None = None, also_current=()) -> Path:
    """Write ``sweep.html`` to ``path``, whole or not at all (staged and moved in, so a full
    disk never leaves a truncated page); returns the path."""
    from ..report.staged_output import StagedFolder
    from .store import SWEEP_COMMAND

    path = Path(path)
    page = render_report(table, spec, store, heatmap_table)
    with StagedFolder(path.parent, SWEEP_COMMAND) as stage:
        stage.path(path.name).write_text(page, encoding="utf-8")
        stage.commit([path.name], also_current)
    return path
