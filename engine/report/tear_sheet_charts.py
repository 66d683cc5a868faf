"""The tear sheet's plotly figures: monthly returns heatmap, rolling one-year statistics against
the benchmark, the distribution of daily and monthly returns, exposure over time.

Values on the axes are percent (returns, volatility, exposure as a share of NAV) or plain
ratios (Sharpe, beta); ticks fall on round numbers.  Lines are rounded to what a chart can show
(six decimals of a rate) to keep the one-file report small.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import relative_stats as rel
from .charts import BENCHMARK_COLOUR, STRATEGY_COLOUR
from .metrics import calendar_returns, daily_risk_free
from .results import BacktestResult

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LEGEND = dict(orientation="h", yanchor="bottom", y=1.02, x=0)
DECIMALS = 6


def _values(series: pd.Series) -> np.ndarray:
    return np.round(series.to_numpy(dtype=float), DECIMALS)


def monthly_heatmap_figure(result: BacktestResult) -> go.Figure:
    """Each calendar month's return (rows years, newest on top; columns months), red for losses,
    green for gains, the value written in each cell, and the year's return in the last column."""
    months = calendar_returns(result, "monthly")
    years = sorted({int(label[:4]) for label in months.index}, reverse=True)
    grid = np.full((len(years), 13), np.nan)
    row = {y: i for i, y in enumerate(years)}
    for label, value in months.items():
        grid[row[int(label[:4])], int(label[5:7]) - 1] = value
    for label, value in calendar_returns(result, "yearly").items():
        grid[row[int(label)], 12] = value
    text = [["" if np.isnan(v) else f"{v * 100:.1f}".replace("-0.0", "0.0") for v in r] for r in grid]
    limit = float(np.nanmax(np.abs(grid[:, :12]))) if np.isfinite(grid[:, :12]).any() else 0.1
    fig = go.Figure(go.Heatmap(
        z=np.round(grid * 100, 2), x=[*MONTHS, "Year"], y=[str(y) for y in years], text=text,
        texttemplate="%{text}", textfont=dict(size=10), zmid=0, zmin=-limit * 100, zmax=limit * 100,
        colorscale=[[0, "#b03a2e"], [0.5, "#f7f7f7"], [1, "#1e8449"]], xgap=1, ygap=1,
        colorbar=dict(title="%", thickness=10), hovertemplate="%{y} %{x}: %{z:.2f}%<extra></extra>"))
    fig.update_layout(height=max(220, 80 + 19 * len(years)), margin=dict(l=50, r=20, t=50, b=10),
                      template="plotly_white", yaxis=dict(type="category", dtick=1),
                      xaxis=dict(side="top", type="category"))
    return fig


ROLLING_PANELS = (
    ("return", "1-year return", ".0%"),
    ("volatility", "1-year volatility", ".0%"),
    ("sharpe", "1-year Sharpe", ".1f"),
    ("beta", "1-year beta to the benchmark", ".2f"),
)


def rolling_series(result: BacktestResult, benchmark: BacktestResult | None, risk_free=None) -> dict:
    """{statistic: (strategy series, benchmark series or None)} over trailing 252 trading days."""
    out = {}
    for r in (result, benchmark):
        if r is None:
            continue
        returns = r.returns
        rf = daily_risk_free(returns, risk_free)
        out.setdefault("return", []).append(rel.rolling_return(returns))
        out.setdefault("volatility", []).append(rel.rolling_volatility(returns))
        out.setdefault("sharpe", []).append(rel.rolling_sharpe(returns, rf))
    if benchmark is not None:
        r, f = rel.aligned_returns(result.nav, benchmark.nav)
        out["beta"] = [rel.rolling_beta(r, f)]
    return out


def rolling_figure(result: BacktestResult, benchmark: BacktestResult | None, risk_free=None) -> go.Figure:
    """Rolling one-year return, volatility, Sharpe and (against the benchmark) beta, stacked on one
    date axis, strategy and benchmark."""
    series = rolling_series(result, benchmark, risk_free)
    panels = [p for p in ROLLING_PANELS if p[0] in series]
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=[p[1] for p in panels])
    for row, (key, title, fmt) in enumerate(panels, start=1):
        for n, (line, r, colour) in enumerate(zip(series[key], (result, benchmark), (STRATEGY_COLOUR, BENCHMARK_COLOUR))):
            if line is None or line.empty:
                continue
            fig.add_trace(go.Scatter(
                x=line.index, y=_values(line), name=r.name, legendgroup=r.name, showlegend=row == 1,
                line=dict(color=colour, width=1.5), hovertemplate=f"%{{y:{fmt}}}"), row=row, col=1)
        fig.update_yaxes(tickformat=fmt, row=row, col=1, zeroline=True, zerolinecolor="#bbb")
    fig.update_layout(height=190 * len(panels) + 60, margin=dict(l=60, r=30, t=40, b=40), hovermode="x unified",
                      legend=LEGEND, template="plotly_white")
    fig.update_annotations(font=dict(size=12), x=0, xanchor="left")
    return fig


def _bins(values: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    edges = np.arange(np.floor(values.min() / step) * step, values.max() + step, step)
    counts, edges = np.histogram(values, bins=edges)
    return edges, counts


def distribution_figure(result: BacktestResult, benchmark: BacktestResult | None,
                        metrics: dict | None = None) -> go.Figure:
    """Histograms of daily returns (0.25-point bins) and monthly returns (1-point bins), as a
    share of days or months, strategy over benchmark; the strategy's 95 % VaR marked."""
    # Panel names go under the axes: above, the legend and the tool bar take the top margin.
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1)
    for col, (period, step) in enumerate((("daily", 0.0025), ("monthly", 0.01)), start=1):
        for r, colour in ((result, STRATEGY_COLOUR), (benchmark, BENCHMARK_COLOUR)):
            if r is None:
                continue
            values = (r.returns if period == "daily" else calendar_returns(r, "monthly")).to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            if len(values) == 0:
                continue
            edges, counts = _bins(values, step)
            centres = np.round((edges[:-1] + edges[1:]) / 2, 6)
            share = np.round(counts / len(values), 5)
            fig.add_trace(go.Bar(x=centres, y=share, width=step, name=r.name, legendgroup=r.name,
                                 showlegend=col == 1, marker=dict(color=colour), opacity=0.6,
                                 customdata=counts,
                                 hovertemplate="%{x:.2%}: %{customdata} " + ("days" if period == "daily" else "months")
                                 + " (%{y:.1%})<extra>" + r.name + "</extra>"), row=1, col=col)
        fig.update_xaxes(tickformat=".0%", row=1, col=col, title_text=f"{period.capitalize()} return",
                         title_font_size=12)
        fig.update_yaxes(tickformat=".0%", row=1, col=col)
    if metrics and metrics.get("var_95") is not None:
        fig.add_vline(x=metrics["var_95"], line=dict(color="#c0392b", dash="dash", width=1), row=1, col=1,
                      annotation_text="VaR", annotation_position="top left", annotation_font_size=10)
    fig.update_layout(barmode="overlay", height=360, margin=dict(l=60, r=30, t=40, b=50), legend=LEGEND,
                      template="plotly_white", bargap=0)
    return fig


def exposure_figure(result: BacktestResult, benchmark: BacktestResult | None) -> go.Figure:
    """Shares and futures notional as a share of NAV, and leverage ((shares + |futures notional|)
    / NAV), over time; the benchmark's shares dotted."""
    fig = go.Figure()
    for r, colour, dash in ((result, STRATEGY_COLOUR, "solid"), (benchmark, BENCHMARK_COLOUR, "dot")):
        if r is None:
            continue
        d = r.daily.set_index("date")
        nav = d["nav"].astype(float)
        shares = d["shares_value"].astype(float).fillna(0) / nav
        futures = d["futures_notional"].astype(float).fillna(0) / nav
        leverage = shares.abs() + futures.abs()
        lines = [("Shares", shares, colour, dash)]
        if r.has_futures:
            lines += [("Futures notional", futures, "#e08a00", dash), ("Leverage", leverage, "#6a1b9a", dash)]
        for label, line, c, ds in lines:
            fig.add_trace(go.Scatter(x=line.index, y=_values(line), name=f"{label}, {r.name}",
                                     line=dict(color=c, width=1.5, dash=ds), hovertemplate="%{y:.0%}"))
    top = max((float(np.nanmax(t.y)) for t in fig.data if len(t.y)), default=1.0)
    from .charts import round_step

    fig.update_layout(height=380, margin=dict(l=60, r=30, t=30, b=40), hovermode="x unified", legend=LEGEND,
                      template="plotly_white")
    fig.update_yaxes(title_text="Share of NAV", tickformat=".0%", tickmode="linear", tick0=0,
                     dtick=round_step(top, 6), rangemode="tozero")
    return fig
