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

from . import charts, tear_sheet_charts
from .metrics import calendar_returns, compute_metrics, detail_metrics
from .rejections import rejections_html
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


def _scenario_cell(show):
    return lambda m: show(m["scenario"]) if m.get("scenario") else "-"


def _with_without(key: str, fmt):
    """'with (without)' of a scenario figure and the same figure without the scenario."""
    return _scenario_cell(lambda s: f"{fmt(s[key])} ({fmt(s['baseline_' + key])})")


def _pnl(s: dict, prefix: str = "") -> str:
    return f"{fmt_dollars(s[prefix + 'shock_day_pnl'])} ({fmt_pct(s[prefix + 'shock_day_return'], 1)})"


#: Rows of the summary and the report's key numbers when the run had a stress scenario: each
#: figure with the scenario, and in brackets the same run without it.
SCENARIO_ROWS = (
    ("Shock day", _scenario_cell(lambda s: s["shock_day"]), "first trading day of the scenario"),
    ("Shock-day P&L", _scenario_cell(_pnl), "NAV change that day"),
    ("Shock-day P&L without", _scenario_cell(lambda s: _pnl(s, "baseline_")), "the same day, same run, no scenario"),
    ("Margin calls after", _with_without("margin_calls", fmt_int), "from the shock day on (without the scenario)"),
    ("Forced sales after", _with_without("forced_sales", fmt_int), "forced liquidation fills from the shock day on"),
    ("Forced sales value", _scenario_cell(lambda s: fmt_dollars(s["forced_sales_value"])),
     "what the broker sold (futures: notional)"),
    ("NAV a month later", _with_without("nav_month_later", fmt_dollars), "21 trading days after the shock"),
    ("Futures a month later", _with_without("futures_notional_month_later", fmt_dollars), "futures notional held then"),
    ("Futures / NAV after", _with_without("futures_to_nav_after", fmt_pct), "mean from the shock day to the end"),
    ("Final NAV without", _scenario_cell(lambda s: fmt_dollars(s["baseline_final_nav"])), "the same run without the scenario"),
)


FUTURES_ROWS = frozenset({"Turnover, futures", "Rolls", "Margin calls", "Forced liquidations"})


def metric_rows(results, metrics=()) -> tuple:
    """The rows of `METRIC_ROWS` that apply to ``results`` (futures rows only if one holds futures),
    then `SCENARIO_ROWS` when one of ``metrics`` has a scenario."""
    futures = any(r is not None and r.has_futures for r in results)
    rows = tuple(row for row in METRIC_ROWS if futures or row[0] not in FUTURES_ROWS)
    return rows + (SCENARIO_ROWS if any(m and m.get("scenario") for m in metrics) else ())


# ---------------------------------------------------------------- terminal

def command_summary(results, risk_free=None, metrics=None) -> str:
    """What ``ecore backtest`` (and ``Backtest.summary()``) prints: :func:`summary_table`, then
    one line per run whose orders were refused (nothing refused in silence)."""
    from .rejections import rejection_line

    lines = [summary_table(results, risk_free=risk_free, metrics=metrics)]
    lines += [line for line in map(rejection_line, results) if line]
    return "\n".join(lines)


def summary_table(results: list[BacktestResult], risk_free=None, metrics: list[dict] | None = None) -> str:
    """The key metrics of each result side by side, one column per result, plain text.

    ``metrics``: each result's `compute_metrics` with ``risk_free``, when the caller has them."""
    if metrics is None:
        metrics = [compute_metrics(r, risk_free, results[1] if n == 0 and len(results) > 1 else None)
                   for n, r in enumerate(results)]
    rows = [["", *[m["name"] for m in metrics]]]
    rows += [[label, *[show(m) for m in metrics]] for label, show, _ in metric_rows(results, metrics)]
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
@media (max-width: 600px) {
  body { margin: 1em auto; padding: 0 .6em; }
  td.why { display: none; }
  th, td { padding: .25em .4em; }
  table { display: block; overflow-x: auto; max-width: 100%; }
  nav a { display: inline-block; margin: 0 .8em .3em 0; }
  .modebar-container { display: none; }
}
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


def _drawdowns_table(result: BacktestResult) -> str:
    """The five deepest drawdowns of ``result``: peak, trough, recovery, depth, length."""
    periods = detail_metrics(result)["top_drawdowns"]
    if not periods:
        return '<p class="note">No drawdown.</p>'
    rows = [[str(n), p["peak"], p["trough"], p["recovery"] or "not yet", fmt_pct(p["depth"]),
             f"{p['days']:,d}" + ("" if p["recovered"] else "+")] for n, p in enumerate(periods, start=1)]
    classes = [["", "", "", "", "neg", ""] for _ in rows]
    return _table(["", "Peak", "Trough", "Recovered", "Depth", "Trading days"], rows, classes)


def _window_sentence(m: dict) -> str:
    """Where the first and last day come from."""
    said = []
    for key, day, what in (("start_set_by", m["start"], "starts"), ("end_set_by", m["end"], "ends")):
        if m.get(key):
            said.append(f"{what} {day}, set by {_e(m[key])}")
        else:
            said.append(f"{what} {day} as asked")
    return "The window " + " and ".join(said) + "."


def _scenario_section(m: dict, b: dict | None, result, benchmark) -> list[str]:
    """The stress scenario in numbers, each run with and without it (empty without a scenario)."""
    s = m.get("scenario")
    if not s:
        return []
    t = (b or {}).get("scenario")
    header = ["", f"{result.name}", "without the scenario"] + (
        [f"{benchmark.name}", "without the scenario"] if t else [])

    def row(label, key, fmt):
        cells = [label, fmt(s[key]), fmt(s.get("baseline_" + key))]
        if t:
            cells += [fmt(t[key]), fmt(t.get("baseline_" + key))]
        return cells

    pct = lambda x: fmt_pct(x, 2)  # noqa: E731
    rows = [row(f"P&L on {s['shock_day']}", "shock_day_pnl", fmt_dollars),
            row("Return that day", "shock_day_return", pct),
            row("Margin calls from then on", "margin_calls", fmt_int),
            row("Forced sales from then on", "forced_sales", fmt_int),
            row(f"NAV on {s['month_later_day']}", "nav_month_later", fmt_dollars),
            row(f"Futures notional on {s['month_later_day']}", "futures_notional_month_later", fmt_dollars),
            row("Futures / NAV, mean after the shock", "futures_to_nav_after", fmt_pct),
            row("Final NAV", "final_nav", fmt_dollars)]
    change = s["futures_to_nav_after"], s["baseline_futures_to_nav_after"]
    why = ""
    if change[0] is not None and change[1] and abs(change[0] - change[1]) > 0.05:
        why = (f" After the shock the strategy held futures worth {fmt_pct(change[0], 0)} of NAV on average, against "
               f"{fmt_pct(change[1], 0)} without the scenario: its later returns come from that "
               f"{'smaller' if change[0] < change[1] else 'larger'} position, not from the scenario being good "
               "or bad for it.")
    return ['<section id="scenario"><h2>Stress scenario</h2>',
            f'<p class="note">{_e(s["description"])}. Shock day {s["shock_day"]} (a trading day); each figure '
            f"beside the same run, same window and settings, without the scenario. The forced sales sold "
            f"{fmt_dollars(s['forced_sales_value'])}.{_e(why)}</p>",
            _table(header, rows), "</section>"]


def _definition_list(items: dict) -> str:
    if not items:
        return '<p class="note">None recorded.</p>'
    return "<dl>" + "".join(f"<dt>{_e(str(k))}</dt><dd>{_e(str(v))}</dd>" for k, v in items.items()) + "</dl>"


#: Pixels above a chart's plot area: the tool bar's row, then the legend's.
TOP_MARGIN = 60


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
        self.count = 0  # charts so far: div ids are numbered so the same run writes the same file
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
        self.count += 1
        # The tool bar sits at the top right of the chart: room above the legend so they never overlap.
        if fig.layout.showlegend is not False and (fig.layout.margin.t or 0) < TOP_MARGIN:
            fig.update_layout(margin_t=TOP_MARGIN)
        out = fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False,
                          div_id=f"ecore-chart-{self.count}", config={"displaylogo": False, "responsive": True})
        # Each chart is drawn when it comes near the screen (LAZY_DRAW), so the page opens as
        # fast as its first screen draws rather than all of its charts.
        out = out.replace("Plotly.newPlot(", "ecoreDraw(", 1)
        head = ""
        if self.first:
            head = f"<script>{PLOTLY_JS}</script>\n<script>{LAZY_DRAW}</script>\n"
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
        return head + (f"<script>{' '.join(declare)}</script>\n" if declare else "") + out


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


#: Draws a chart when its div comes within a screen of the view (and every chart before
#: printing); a browser without IntersectionObserver draws each at once.
LAZY_DRAW = """
var ecorePending = [];
function ecoreDrawNow(item) {
  if (item.done) { return; }
  item.done = true;
  Plotly.newPlot(item.div, item.data, item.layout, item.config);
}
function ecoreDraw(id, data, layout, config) {
  var item = {div: document.getElementById(id), data: data, layout: layout, config: config, done: false};
  if (!item.div) { return; }
  if (!("IntersectionObserver" in window)) { return ecoreDrawNow(item); }
  ecorePending.push(item);
  var seen = new IntersectionObserver(function (entries) {
    if (entries.some(function (e) { return e.isIntersecting; })) { seen.disconnect(); ecoreDrawNow(item); }
  }, {rootMargin: "100% 0px"});
  seen.observe(item.div);
}
window.addEventListener("beforeprint", function () { ecorePending.forEach(ecoreDrawNow); });
"""


# ---------------------------------------------------------------- the page

def render_report_html(result: BacktestResult, benchmark: BacktestResult | None = None, risk_free=None,
                       metrics: tuple[dict, dict | None] | None = None) -> str:
    """The whole report as one HTML string (see `write_report_html`)."""
    return "\n".join(part if part != PLOTLY_JS else _plotly_js()
                     for part in report_parts(result, benchmark, risk_free, metrics))


#: Where plotly.js goes in `report_parts`: the library (4.8 MB) is written straight from plotly's
#: copy rather than held in the page's text a second time.
PLOTLY_JS = "<!-- plotly.js -->"


def report_parts(result: BacktestResult, benchmark: BacktestResult | None = None, risk_free=None,
                 metrics: tuple[dict, dict | None] | None = None) -> list[str]:
    """The report's pieces in order, joined by newlines; `PLOTLY_JS` stands for the library."""
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
    sections = [("summary", "Key numbers")] + ([("scenario", "Stress scenario")] if m.get("scenario") else []) + [
                ("growth", "Growth"), ("drawdowns", "Drawdowns"),
                ("monthly", "Monthly returns"), ("rolling", "Rolling statistics"), ("distribution", "Distribution"),
                ("exposure", "Exposure"), ("calendar", "Calendar returns")]
    if futures:
        sections += [("margin", "Cash and margin"), ("futures", "Futures")]
    sections += [("events", "Events"), ("assumptions", "Assumptions")]
    nav = "".join(f'<a href="#{anchor}">{label}</a>' for anchor, label in sections)
    markers = "rebalances, futures rolls, margin calls and forced liquidations" if futures else "rebalances"

    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} — ecore backtest</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>", f'<p class="lead">{lead}</p>', f'<p class="note">{_window_sentence(m)}</p>',
        f"<nav>{nav}</nav>",

        '<section id="summary"><h2>Key numbers</h2>',
        '<p class="note">Returns are from daily closing net asset values, costs included; '
        "Sharpe and Sortino use the risk-free rate given to the run (0 if none).</p>",
        _metrics_table(m, b, metric_rows([result, benchmark], (m, b))), "</section>",
        *_scenario_section(m, b, result, benchmark),

        '<section id="growth"><h2>Growth of $10,000</h2>',
        f'<p class="note">What $10,000 invested on the first day would have become, on a log scale (equal '
        f"heights are equal percentage moves; <em>Linear</em> switches). Markers for {markers} are in the "
        "legend: click one to show it (rolls and rebalances start hidden); hover for details.</p>",
        chart(charts.growth_figure(result, benchmark)), "</section>",

        '<section id="drawdowns"><h2>Drawdowns</h2>',
        '<p class="note">How far the portfolio stood below its previous high on each day.</p>',
        chart(charts.drawdown_figure(result, benchmark)),
        f"<h3>Deepest drawdowns of {_e(result.name)}</h3>",
        '<p class="note">The five deepest falls that do not overlap: from the last high (peak) to the '
        "lowest close (trough) and the first close back at the peak; length in trading days from peak to "
        "recovery (+: not recovered by the end).</p>",
        _drawdowns_table(result),
        *([f"<h3>Deepest drawdowns of {_e(benchmark.name)}</h3>", _drawdowns_table(benchmark)]
          if benchmark is not None else []),
        "</section>",

        '<section id="monthly"><h2>Monthly returns</h2>',
        f'<p class="note">Each calendar month\'s return of {_e(result.name)} in percent (the first and last '
        f"may be partial); the last column is the year. Best month {fmt_pct(m['best_month_return'])} "
        f"({m['best_month'] or 'n/a'}), worst {fmt_pct(m['worst_month_return'])} ({m['worst_month'] or 'n/a'}).</p>",
        chart(tear_sheet_charts.monthly_heatmap_figure(result)), "</section>",

        '<section id="rolling"><h2>Rolling statistics</h2>',
        '<p class="note">Over the trailing 252 trading days (one year) at each date: return, annualised '
        "volatility, Sharpe ratio over cash" + (", and beta to the benchmark (1 = moves with it)" if b else "")
        + ".</p>",
        chart(tear_sheet_charts.rolling_figure(result, benchmark, risk_free)), "</section>",

        '<section id="distribution"><h2>Distribution of returns</h2>',
        f'<p class="note">Share of days (left) and months (right) in each band of return; the dashed line is the daily VaR. On 5% of days '
        f"{_e(result.name)} lost more than {fmt_pct(-m['var_95'] if m['var_95'] is not None else None, 2)} "
        f"(value at risk, 95%); on those days it lost {fmt_pct(-m['cvar_95'] if m['cvar_95'] is not None else None, 2)} "
        f"on average (CVaR). Best day {fmt_pct(m['best_day_return'], 2)} ({m['best_day'] or 'n/a'}), worst "
        f"{fmt_pct(m['worst_day_return'], 2)} ({m['worst_day'] or 'n/a'}).</p>",
        chart(tear_sheet_charts.distribution_figure(result, benchmark, m)), "</section>",

        '<section id="exposure"><h2>Exposure</h2>',
        '<p class="note">What the portfolio held, as a share of NAV: shares, futures notional (the face value '
        "of the Treasury futures) and leverage, (shares + |futures notional|) / NAV.</p>",
        chart(tear_sheet_charts.exposure_figure(result, benchmark)), "</section>",

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
        rejections_html(result),

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
    return [piece for part in parts for piece in _around_library(part)]


def _around_library(part: str) -> list[str]:
    """``part`` with `PLOTLY_JS` as an item of its own (so the library can be streamed)."""
    if PLOTLY_JS not in part:
        return [part]
    before, after = part.split(PLOTLY_JS, 1)
    return [before, PLOTLY_JS, after]


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
    # Piece by piece: the page is never held whole (it is most of a report's memory peak).
    with path.open("w", encoding="utf-8") as f:
        for n, part in enumerate(report_parts(result, benchmark, risk_free, metrics)):
            if n:
                f.write("\n")
            f.write(_plotly_js() if part == PLOTLY_JS else part)
    return path
