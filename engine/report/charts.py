"""The plotly figures of `report.html`, one function per chart; each returns a ``go.Figure``.

Money on the axes is dollars, rates percent, duration years. Events from ``result.events`` are
drawn as markers on the line they belong to (rolls and rebalances on growth and futures
notional, margin calls and forced liquidations on equity).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .metrics import drawdown
from .results import BacktestResult

GROWTH_START = 10_000.0
STRATEGY_COLOUR = "#1f5fa8"
BENCHMARK_COLOUR = "#9a9a9a"
#: How each event kind is marked: (legend label, marker symbol, colour).
EVENT_STYLE = {
    "roll": ("Roll", "triangle-up", "#2e8b57"),
    "rebalance": ("Rebalance", "circle-open", "#e08a00"),
    "margin_call": ("Margin call", "x", "#c0392b"),
    "forced_liquidation": ("Forced liquidation", "diamond-open", "#6a1b9a"),  # open: a call under it shows
}


def _layout(fig: go.Figure, y_title: str, y_format: str | None = None, height: int = 420) -> go.Figure:
    fig.update_layout(
        height=height,
        margin=dict(l=60, r=30, t=30, b=40),
        hovermode="x unified",
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
        template="plotly_white",
    )
    fig.update_yaxes(title_text=y_title, tickformat=y_format)
    return fig


#: Event kinds whose markers start hidden (hundreds of them would bury the line); a click on the
#: legend shows them.
HIDDEN_EVENTS = frozenset({"roll", "rebalance"})


def _event_markers(result: BacktestResult, kind: str, line: pd.Series, fmt: str) -> go.Scatter | None:
    """Markers for events of ``kind`` placed on ``line`` (a Series by date) at the event dates;
    rolls and rebalances start hidden (`HIDDEN_EVENTS`)."""
    events = result.events_of(kind)
    if events.empty:
        return None
    label, symbol, colour = EVENT_STYLE[kind]
    # Several events on one day (a roll moves every leg) make one marker listing them all.
    per_day = (
        events.assign(date=pd.to_datetime(events["date"]), detail=events["detail"].fillna("").astype(str))
        .groupby("date", sort=True)["detail"].agg("<br>".join)
    )
    dates = pd.DatetimeIndex(per_day.index)
    y = line.reindex(line.index.union(dates)).ffill().bfill().reindex(dates)
    return go.Scatter(
        x=dates, y=y.to_numpy(), mode="markers", name=f"{label} ({len(events)})",
        visible="legendonly" if kind in HIDDEN_EVENTS else True,
        marker=dict(symbol=symbol, size=9, color=colour, line=dict(width=1.5, color=colour)),
        text=per_day.to_numpy(),
        hovertemplate=f"{label}: %{{text}}<br>%{{y:{fmt}}}<extra></extra>",
    )


def growth_figure(result: BacktestResult, benchmark: BacktestResult | None) -> go.Figure:
    """Growth of $10,000 invested on the first day, strategy vs benchmark, rolls and rebalances marked."""
    fig = go.Figure()
    strategy = result.nav / result.nav.iloc[0] * GROWTH_START
    fig.add_trace(go.Scatter(x=strategy.index, y=strategy.to_numpy(), name=result.name,
                             line=dict(color=STRATEGY_COLOUR, width=2), hovertemplate="%{y:$,.0f}"))
    if benchmark is not None:
        bench = benchmark.nav / benchmark.nav.iloc[0] * GROWTH_START
        fig.add_trace(go.Scatter(x=bench.index, y=bench.to_numpy(), name=benchmark.name,
                                 line=dict(color=BENCHMARK_COLOUR, width=2), hovertemplate="%{y:$,.0f}"))
    for kind in ("rebalance", "roll", "margin_call", "forced_liquidation"):
        trace = _event_markers(result, kind, strategy, "$,.0f")
        if trace is not None:
            fig.add_trace(trace)
    _layout(fig, "Value of $10,000 ($)", "$,.0f")
    low = min(strategy.min(), bench.min()) if benchmark is not None else strategy.min()
    high = max(strategy.max(), bench.max()) if benchmark is not None else strategy.max()
    ticks = log_ticks(low, high)
    log = {"yaxis.type": "log", "yaxis.tickmode": "array", "yaxis.tickvals": ticks}
    fig.update_yaxes(type="log", tickmode="array", tickvals=ticks)
    fig.update_layout(updatemenus=[dict(
        # Inside the plot's top left corner, which a growing line leaves empty on a log scale;
        # above it, the legend and the tool bar share the top margin.
        type="buttons", direction="right", x=0.01, xanchor="left", y=0.99, yanchor="top", pad=dict(t=0, b=0),
        bgcolor="rgba(255,255,255,0.8)",
        showactive=True, active=0, font=dict(size=11),
        buttons=[dict(label="Log scale", method="relayout", args=[log]),
                 dict(label="Linear", method="relayout",
                      args=[{"yaxis.type": "linear", "yaxis.tickmode": "auto", "yaxis.tickvals": None}])],
    )])
    return fig


def log_ticks(low: float, high: float) -> list[float]:
    """Round values for a log axis from ``low`` to ``high``, with one step beyond each end so the
    lines never sit on the frame: 1, 2, 5 x a power of ten over a wide range; over a narrow one
    (fewer than three of those inside) evenly spaced round values (`round_step`)."""
    import math

    low, high = max(float(low), 1e-9), max(float(high), 1e-9)
    ticks = []
    for power in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        ticks += [m * 10.0 ** power for m in (1, 2, 5)]
    if sum(low <= t <= high for t in ticks) < 3:
        step = round_step(high - low, 5)
        first = math.floor(low / step)
        ticks = [k * step for k in range(first, math.ceil(high / step) + 1) if k * step > 0]
    inside = [t for t in ticks if low <= t <= high]
    below = [t for t in ticks if t < low][-1:]
    above = [t for t in ticks if t > high][:1]
    return below + inside + above


def drawdown_figure(result: BacktestResult, benchmark: BacktestResult | None) -> go.Figure:
    """Fall from the running peak, percent, strategy vs benchmark."""
    fig = go.Figure()
    for r, colour in ((result, STRATEGY_COLOUR), (benchmark, BENCHMARK_COLOUR)):
        if r is None:
            continue
        dd = drawdown(r)
        fig.add_trace(go.Scatter(x=dd.index, y=dd.to_numpy(), name=r.name, fill="tozeroy",
                                 line=dict(color=colour, width=1.5), hovertemplate="%{y:.1%}"))
    return _layout(fig, "Drawdown", ".0%", height=320)


def margin_figure(result: BacktestResult) -> go.Figure:
    """Equity backing the futures (margin equity, else NAV), cash, initial and maintenance margin
    requirement, excess liquidity; calls marked."""
    d = result.daily.set_index("date")
    fig = go.Figure()
    # The broker's margin equity is the cash of the futures account (plus any share value it
    # counts); NAV would dwarf the requirements on the same axis.
    equity_column = "margin_equity" if "margin_equity" in d.columns else "nav"
    equity_label = "Margin equity" if equity_column == "margin_equity" else "Equity (NAV)"
    lines = (
        (equity_column, equity_label, STRATEGY_COLOUR, "solid"),
        ("cash", "Cash", "#2e8b57", "solid"),
        ("initial_margin", "Initial margin requirement", "#e08a00", "solid"),
        ("maintenance_margin", "Maintenance margin requirement", "#c0392b", "dash"),
        ("excess_liquidity", "Excess liquidity", "#7f7f7f", "dot"),
    )
    for column, label, colour, dash in lines:
        fig.add_trace(go.Scatter(x=d.index, y=d[column].astype(float).to_numpy(), name=label,
                                 line=dict(color=colour, width=1.5, dash=dash), hovertemplate="%{y:$,.0f}"))
    equity = d[equity_column].astype(float)
    for kind in ("margin_call", "forced_liquidation"):
        trace = _event_markers(result, kind, equity, "$,.0f")
        if trace is not None:
            fig.add_trace(trace)
    return _layout(fig, "Dollars", "$,.0f")


def futures_figure(result: BacktestResult) -> go.Figure:
    """Futures notional (dollars, left) and the ladder's duration (years, right, when the strategy
    reports it); rolls marked."""
    d = result.daily.set_index("date")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    notional = d["futures_notional"].astype(float)
    fig.add_trace(go.Scatter(x=d.index, y=notional.to_numpy(), name="Futures notional",
                             line=dict(color=STRATEGY_COLOUR, width=1.5), hovertemplate="%{y:$,.0f}"),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=d.index, y=(notional / d["nav"].astype(float)).to_numpy(),
                             name="Notional / NAV", visible="legendonly",
                             line=dict(color="#5dade2", width=1), hovertemplate="%{y:.0%}"),
                  secondary_y=False)
    if result.has_ladder_duration:  # a strategy without a ladder reports none: no empty line
        fig.add_trace(go.Scatter(x=d.index, y=d["ladder_duration"].astype(float).to_numpy(),
                                 name="Ladder duration (years)", line=dict(color="#e08a00", width=1.5),
                                 hovertemplate="%{y:.2f} y"),
                      secondary_y=True)
    for kind in ("roll", "rebalance"):
        trace = _event_markers(result, kind, notional, "$,.0f")
        if trace is not None:
            fig.add_trace(trace, secondary_y=False)
    fig.update_layout(height=420, margin=dict(l=60, r=60, t=30, b=40), hovermode="x unified",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), template="plotly_white")
    fig.update_yaxes(title_text="Notional ($)", tickformat="$,.0f", secondary_y=False)
    duration_max = float(d["ladder_duration"].max()) if result.has_ladder_duration else 0.0
    fig.update_yaxes(title_text="Duration (years)", secondary_y=True, rangemode="tozero", tickmode="linear",
                     tick0=0, dtick=round_step(duration_max), showgrid=False)
    return fig


def round_step(span: float, ticks: int = 8) -> float:
    """A round tick step (1, 2 or 5 x a power of ten) giving at most about ``ticks`` ticks over
    ``span``: whole years for a duration of 0 to 8."""
    import math

    if not span or not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
