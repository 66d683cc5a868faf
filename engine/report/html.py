"""`report.html` (one self-contained file that opens offline) and the terminal summary table.

The HTML embeds plotly.js inline once (no CDN, no network), then one ``<div>`` per chart.
Numbers are formatted for people: percent with one decimal, dollars with thousands separators.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd

from . import charts
from .metrics import calendar_returns, compute_metrics
from .results import BacktestResult


# ---------------------------------------------------------------- formatting

def fmt_pct(x, digits: int = 1) -> str:
    """0.10973 → '10.97%' with ``digits=2``; None → 'n/a'."""
    return "n/a" if x is None or pd.isna(x) else f"{x * 100:.{digits}f}%"


def fmt_dollars(x) -> str:
    """1234567.8 → '$1,234,568'; negatives as '-$1,000'."""
    if x is None or pd.isna(x):
        return "n/a"
    return f"-${-x:,.0f}" if x < 0 else f"${x:,.0f}"


def fmt_ratio(x) -> str:
    """0.8512 → '0.85'."""
    return "n/a" if x is None or pd.isna(x) else f"{x:.2f}"


def fmt_int(x) -> str:
    return "n/a" if x is None else f"{int(x):,d}"


def _labelled(value_key: str, label_key: str, digits: int = 1):
    return lambda m: (f"{fmt_pct(m[value_key], digits)} ({m[label_key]})" if m.get(label_key) is not None
                      else "n/a")


def _relative(show):
    """A statistic against the benchmark: '-' in the benchmark's own column (and without one)."""
    return lambda m: show(m) if m.get("benchmark_name") else "-"


def _range(key: str, fmt):
    """'min / max' of a rolling one-year statistic."""
    return lambda m: (f"{fmt(m[key + '_min'])} / {fmt(m[key + '_max'])}"
                      if m.get(key + "_min") is not None else "n/a")


def _set_by(key: str):
    return lambda m: m.get(key) or "given"


#: The rows of the metrics table and the terminal summary: (label, how to show it from metrics,
#: short explanation for the HTML).  Rows named in `FUTURES_ROWS` are left out when no result
#: shown held futures.
METRIC_ROWS = (
    ("Start", lambda m: m["start"], "first trading day"),
    ("End", lambda m: m["end"], "last trading day"),
    ("Start set by", _set_by("start_set_by"), "the series whose data begin last (or 'given': --start)"),
    ("End set by", _set_by("end_set_by"), "the series whose data end first (or 'given': --end)"),
    ("CAGR", lambda m: fmt_pct(m["cagr"], 2), "compound annual growth rate"),
    ("Total return", lambda m: fmt_pct(m["total_return"], 2), "over the whole period, not annualised"),
    ("Volatility", lambda m: fmt_pct(m["annual_volatility"]), "annualised standard deviation of daily returns"),
    ("Sharpe", lambda m: fmt_ratio(m["sharpe"]), "return above cash per unit of volatility"),
    ("Sortino", lambda m: fmt_ratio(m["sortino"]), "as Sharpe, counting only downside volatility"),
    ("Max drawdown", lambda m: fmt_pct(m["max_drawdown"]), "largest fall from a peak"),
    ("Worst quarter", _labelled("worst_quarter_return", "worst_quarter"), "calendar quarter"),
    ("Best year", _labelled("best_year_return", "best_year"), "calendar year (first and last may be partial)"),
    ("Worst year", _labelled("worst_year_return", "worst_year"), "calendar year (first and last may be partial)"),
    ("Final NAV", lambda m: fmt_dollars(m["final_nav"]), "net asset value on the last day"),
    ("Turnover, shares", lambda m: fmt_pct(m["turnover_shares"], 0) + "/yr",
     "shares bought and sold a year, as a share of average NAV"),
    ("Turnover, futures", lambda m: fmt_pct(m["turnover_futures"], 0) + "/yr",
     "futures notional traded a year (rolls included), as a share of average NAV"),
    ("Costs", lambda m: fmt_dollars(m["total_costs"]), "commissions, slippage and fees paid"),
    ("Costs per year", lambda m: fmt_pct(m["total_costs_pct_per_year"], 2), "costs a year, as a share of average NAV"),
    ("Rolls", lambda m: fmt_int(m["rolls"]), "futures legs moved to the next contract"),
    ("Rebalances", lambda m: fmt_int(m["rebalances"]), "trades back to the target weights"),
    ("Margin calls", lambda m: fmt_int(m["margin_calls"]), "calls issued when equity fell below the maintenance requirement"),
    ("Forced liquidations", lambda m: fmt_int(m["forced_liquidations"]), "positions sold by the broker to meet a call"),
    ("Rejections", lambda m: fmt_int(m["rejections"]), "orders the broker refused (each in events.csv)"),
    ("Alpha", _relative(lambda m: fmt_pct(m["alpha"], 2)), "annualised return not explained by the benchmark, over cash"),
    ("Beta", _relative(lambda m: fmt_ratio(m["beta"])), "sensitivity of daily returns to the benchmark's"),
    ("Correlation", _relative(lambda m: fmt_ratio(m["correlation"])), "of daily returns with the benchmark's"),
    ("Tracking error", _relative(lambda m: fmt_pct(m["tracking_error"])), "annualised volatility of the return over the benchmark"),
    ("Information ratio", _relative(lambda m: fmt_ratio(m["information_ratio"])), "return over the benchmark per unit of tracking error"),
    ("VaR 95%, 1 day", lambda m: fmt_pct(m["var_95"], 2), "a day's loss exceeded on 5% of days"),
    ("CVaR 95%, 1 day", lambda m: fmt_pct(m["cvar_95"], 2), "average loss on those worst 5% of days"),
    ("Best day", _labelled("best_day_return", "best_day"), "highest daily return"),
    ("Worst day", _labelled("worst_day_return", "worst_day"), "lowest daily return"),
    ("Best month", _labelled("best_month_return", "best_month"), "calendar month (first and last may be partial)"),
    ("Worst month", _labelled("worst_month_return", "worst_month"), "calendar month (first and last may be partial)"),
    ("1y return, min / max", _range("rolling_1y_return", fmt_pct), "over any 252 trading days"),
    ("1y volatility, min / max", _range("rolling_1y_volatility", fmt_pct), "annualised, over any 252 trading days"),
    ("1y Sharpe, min / max", _range("rolling_1y_sharpe", fmt_ratio), "over any 252 trading days"),
    ("1y beta, min / max", _relative(_range("rolling_1y_beta", fmt_ratio)), "to the benchmark, over any 252 trading days"),
    ("Longest drawdown", lambda m: (f"{fmt_int(m['longest_drawdown_days'])} days from {m['longest_drawdown_peak']}"
                                    if m.get("longest_drawdown_peak") else "none"),
     "trading days from a peak until NAV was back above it (or the end)"),
)


FUTURES_ROWS = frozenset({"Turnover, futures", "Rolls", "Margin calls", "Forced liquidations"})


def metric_rows(results) -> tuple:
    """The rows of `METRIC_ROWS` that apply to ``results`` (futures rows only if one holds futures)."""
    futures = any(r is not None and r.has_futures for r in results)
    return tuple(row for row in METRIC_ROWS if futures or row[0] not in FUTURES_ROWS)


# ---------------------------------------------------------------- terminal

def summary_table(results: list[BacktestResult], risk_free=None, metrics: list[dict] | None = None) -> str:
    """The key metrics of each result side by side, one column per result, plain text.

    ``metrics``: each result's `compute_metrics` with ``risk_free``, when the caller has them."""
    if metrics is None:
        metrics = [compute_metrics(r, risk_free, results[1] if n == 0 and len(results) > 1 else None)
                   for n, r in enumerate(results)]
    rows = [["", *[m["name"] for m in metrics]]]
    rows += [[label, *[show(m) for m in metrics]] for label, show, _ in metric_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ---------------------------------------------------------------- HTML pieces

_e = html.escape

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { margin-bottom: .2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
p.lead { font-size: 1.1em; color: #444; } p.note { color: #555; font-size: .95em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: .8em 0; font-variant-numeric: tabular-nums; }
th, td { padding: .3em .8em; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; } td.why { color: #777; text-align: left; font-size: .9em; }
thead th { border-bottom: 2px solid #bbb; } td.neg { color: #b03a2e; }
dl dt { font-weight: 600; margin-top: .6em; } dl dd { margin-left: 1.2em; }
"""


def _table(header: list[str], rows: list[list[str]], classes: list[list[str]] | None = None) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = classes[i] if classes else [""] * len(row)
        cells = "".join(f'<td class="{c}">{_e(v)}</td>' if c else f"<td>{_e(v)}</td>" for v, c in zip(row, cls))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _metrics_table(m: dict, b: dict | None, rows_shown) -> str:
    header = ["", m["name"], *([b["name"]] if b else []), ""]
    rows, classes = [], []
    for label, show, why in rows_shown:
        rows.append([label, show(m), *([show(b)] if b else []), why])
        classes.append(["", "", *([""] if b else []), "why"])
    return _table(header, rows, classes)


def _signed_class(x) -> str:
    return "neg" if x is not None and not pd.isna(x) and x < 0 else ""


def _period_table(result: BacktestResult, benchmark: BacktestResult | None, period: str, worst: int | None) -> str:
    mine = calendar_returns(result, period)
    theirs = calendar_returns(benchmark, period) if benchmark is not None else None
    labels = list(mine.sort_values().index[:worst]) if worst else list(mine.index)
    header = ["Year" if period == "yearly" else "Quarter", result.name]
    if theirs is not None:
        header += [benchmark.name, "Difference"]
    rows, classes = [], []
    for label in labels:
        row, cls = [label, fmt_pct(mine[label])], ["", _signed_class(mine[label])]
        if theirs is not None:
            other = theirs.get(label)
            diff = None if other is None else mine[label] - other
            row += [fmt_pct(other), fmt_pct(diff)]
            cls += [_signed_class(other), _signed_class(diff)]
        rows.append(row)
        classes.append(cls)
    return _table(header, rows, classes)


def _events_table(result: BacktestResult, kinds: tuple[str, ...], limit: int = 200) -> str:
    ev = result.events[result.events["kind"].isin(kinds)]
    if ev.empty:
        return '<p class="note">None during this backtest.</p>'
    rows = [[d.date().isoformat(), k.replace("_", " "), str(t)] for d, k, t in
            ev[["date", "kind", "detail"]].fillna({"detail": ""}).head(limit).itertuples(index=False)]
    more = (f'<p class="note">The first {limit:,d} of {len(ev):,d}; every one is in <code>events.csv</code> '
            "beside this report.</p>" if len(ev) > limit else "")
    return _table(["Date", "Event", "Detail"], rows) + more


def _definition_list(items: dict) -> str:
    if not items:
        return '<p class="note">None recorded.</p>'
    return "<dl>" + "".join(f"<dt>{_e(str(k))}</dt><dd>{_e(str(v))}</dd>" for k, v in items.items()) + "</dl>"


class _Charts:
    """Turns figures into ``<div>``s; the first one carries plotly.js inline, the rest reuse it.

    Every line of every chart repeats its run's dates (16 traces of 6,500 days made 1.6 MB of a
    7.4 MB report), so each of ``axes`` (the strategy's dates, the benchmark's) is written once, as
    a script variable ahead of the first chart that uses it, and each trace whose x holds exactly
    those dates takes a copy of it.
    """

    _X_DATES = re.compile(r'"x":(\["[^"\]]*"(?:,"[^"\]]*")*\])')

    def __init__(self, axes=()):
        self.first = True
        self.axes = []  # [dates, variable name, declared yet]
        for days in axes:
            days = pd.DatetimeIndex(days)
            if len(days) > 1 and not any(days.equals(a[0]) for a in self.axes):
                self.axes.append([days, f"ecoreDays{len(self.axes)}", False])
        self.known: dict[str, list | None] = {}  # JSON text of an x -> its axis (None: not one)

    def _axis_of(self, text: str):
        if text not in self.known:
            n = text.count(",") + 1
            candidates = [a for a in self.axes if len(a[0]) == n]
            days = pd.DatetimeIndex(pd.to_datetime(json.loads(text))) if candidates else None
            self.known[text] = next((a for a in candidates if days.equals(a[0])), None)
        return self.known[text]

    def __call__(self, fig) -> str:
        out = fig.to_html(full_html=False, include_plotlyjs=self.first, include_mathjax=False,
                          config={"displaylogo": False, "responsive": True})
        self.first = False
        declare = []

        def shared(match):
            axis = self._axis_of(match.group(1))
            if axis is None:
                return match.group(0)
            if not axis[2]:
                declare.append(f"var {axis[1]} = {match.group(1)};")
                axis[2] = True
            return f'"x":{axis[1]}.slice()'

        out = self._X_DATES.sub(shared, out) if self.axes else out
        return (f"<script>{' '.join(declare)}</script>\n" if declare else "") + out


# ---------------------------------------------------------------- the page

def render_report_html(result: BacktestResult, benchmark: BacktestResult | None = None, risk_free=None,
                       metrics: tuple[dict, dict | None] | None = None) -> str:
    """The whole report as one HTML string (see `write_report_html`)."""
    if metrics is None:
        metrics = (compute_metrics(result, risk_free, benchmark),
                   compute_metrics(benchmark, risk_free) if benchmark is not None else None)
    m, b = metrics
    chart = _Charts([result.nav.index] + ([benchmark.nav.index] if benchmark is not None else []))
    growth = 10_000 * (1 + m["total_return"])
    lead = (f"From {m['start']} to {m['end']}, $10,000 in {_e(result.name)} grew to "
            f"{fmt_dollars(growth)} ({fmt_pct(m['cagr'], 2)} a year)")
    if b:
        lead += (f"; in {_e(benchmark.name)} it grew to {fmt_dollars(10_000 * (1 + b['total_return']))} "
                 f"({fmt_pct(b['cagr'], 2)} a year)")
    lead += "."
    title = f"{result.name} vs {benchmark.name}" if benchmark is not None else result.name

    futures = result.has_futures
    sections = [("summary", "Key numbers"), ("growth", "Growth"), ("drawdowns", "Drawdowns"),
                ("calendar", "Calendar returns")]
    if futures:
        sections += [("margin", "Cash and margin"), ("futures", "Futures")]
    sections += [("events", "Events"), ("assumptions", "Assumptions")]
    nav = "".join(f'<a href="#{anchor}">{label}</a>' for anchor, label in sections)
    markers = "rebalances, futures rolls, margin calls and forced liquidations" if futures else "rebalances"

    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} — ecore backtest</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>", f'<p class="lead">{lead}</p>',
        f"<nav>{nav}</nav>",

        '<section id="summary"><h2>Key numbers</h2>',
        '<p class="note">Returns are from daily closing net asset values, costs included; '
        "Sharpe and Sortino use the risk-free rate given to the run (0 if none).</p>",
        _metrics_table(m, b, metric_rows([result, benchmark])), "</section>",

        '<section id="growth"><h2>Growth of $10,000</h2>',
        f'<p class="note">What $10,000 invested on the first day would have become. Markers show '
        f"{markers}; hover for details.</p>",
        chart(charts.growth_figure(result, benchmark)), "</section>",

        '<section id="drawdowns"><h2>Drawdowns</h2>',
        '<p class="note">How far the portfolio stood below its previous high on each day.</p>',
        chart(charts.drawdown_figure(result, benchmark)), "</section>",

        '<section id="calendar"><h2>Calendar-year returns</h2>',
        '<p class="note">The first and last years are partial when the backtest starts or ends '
        "inside them.</p>",
        _period_table(result, benchmark, "yearly", None),
        "<h3>Worst quarters</h3>",
        f'<p class="note">The five worst calendar quarters of {_e(result.name)}, and the same quarters '
        "for the benchmark.</p>",
        _period_table(result, benchmark, "quarterly", 5), "</section>",
    ]

    if futures:
        parts += [
            '<section id="margin"><h2>Cash and margin</h2>',
            '<p class="note">Futures need collateral, not cash up front. Margin equity is the '
            "cash that backs the futures (plus any share value the broker counts, "
            "<code>share_collateral</code>); the broker requires the initial margin to open "
            "positions and the maintenance margin to keep them. When equity falls below the maintenance requirement the broker "
            "issues a margin call (marked), and if it is not met it sells positions (forced "
            f"liquidation). Largest initial margin: {fmt_pct(m['max_margin_to_nav'])} of NAV; "
            f"lowest excess liquidity: {fmt_dollars(m['min_excess_liquidity'])}.</p>",
            chart(charts.margin_figure(result)),
            "<h3>Margin calls and forced liquidations</h3>",
            _events_table(result, ("margin_call", "forced_liquidation")),
            "</section>",
        ]
        if result.has_ladder_duration:
            parts += [
                '<section id="futures"><h2>Futures notional and ladder duration</h2>',
                '<p class="note">Notional is the face value of the Treasury futures held (the bond '
                "exposure); duration is the ladder's dollar-weighted modified duration in years, "
                "re-solved at each rebalance. Rolls (to the next quarterly contract) and rebalances "
                "are marked.</p>",
            ]
        else:
            parts += [
                '<section id="futures"><h2>Futures notional</h2>',
                '<p class="note">Notional is the signed face value of the Treasury futures held, in '
                "dollars. Rolls (to the next quarterly contract) are marked.</p>",
            ]
        parts += [chart(charts.futures_figure(result)), "</section>"]

    counted = [(m["rolls"], "rolls", futures), (m["rebalances"], "rebalances", True),
               (m["margin_calls"], "margin calls", futures),
               (m["forced_liquidations"], "forced liquidations", futures)]
    said = [f"{fmt_int(n)} {what}" for n, what, shown in counted if shown and n is not None]
    said.append(f"{fmt_int(m['rejections'])} rejected orders")
    listed = ("roll", "rebalance") if futures else ("rebalance",)
    parts += [
        f'<section id="events"><h2>{"Rolls, rebalances" if futures else "Rebalances"} and other events</h2>',
        f'<p class="note">{", ".join(said[:-1])} and {said[-1]}.</p>' if len(said) > 1 else
        f'<p class="note">{said[0]}.</p>',
        "<h3>Rejected orders</h3>", _events_table(result, ("rejection",)),
        f"<h3>{'Rolls and rebalances' if futures else 'Rebalances'}</h3>", _events_table(result, listed),
        "</section>",

        '<section id="assumptions"><h2>Assumptions</h2>',
        '<p class="note">Where the data come from, which parts are synthetic, and how costs and '
        "margin were modelled. Read these before trusting the numbers.</p>",
        f"<h3>{_e(result.name)}</h3>", _definition_list(result.assumptions),
    ]
    if benchmark is not None:
        parts += [f"<h3>{_e(benchmark.name)}</h3>", _definition_list(benchmark.assumptions)]
    parts += [f"<h3>Parameters of {_e(result.name)}</h3>", _definition_list(result.params)]
    if benchmark is not None and benchmark.params:
        parts += [f"<h3>Parameters of {_e(benchmark.name)}</h3>", _definition_list(benchmark.params)]
    parts += ["</section></body></html>"]
    return "\n".join(parts)


def write_report_html(path, result: BacktestResult, benchmark: BacktestResult | None = None,
                      risk_free=None, metrics: tuple[dict, dict | None] | None = None) -> Path:
    """Write the report for ``result`` against ``benchmark`` to ``path``; returns the path.

    One self-contained file: plotly.js is embedded inline, nothing is fetched when it opens.
    Sections: key numbers (strategy vs benchmark), growth of $10,000, drawdowns, calendar-year
    returns and worst quarters, cash and margin and futures notional (with the ladder's duration
    when the strategy reports it; both only when it held futures), events (rolls, rebalances,
    margin calls, forced liquidations, rejections), assumptions and parameters.
    ``metrics``: (strategy, benchmark) `compute_metrics` with ``risk_free``, when the caller has them.
    """
    path = Path(path)
    path.write_text(render_report_html(result, benchmark, risk_free, metrics), encoding="utf-8")
    return path
