"""report.html (self-contained, every section, numbers formatted) and the terminal summary table."""

import re

import numpy as np
import pandas as pd
import pytest

from ecore.engine.report import charts as report_charts
from ecore.engine.report.html import fmt_dollars, fmt_pct, render_report_html, summary_table, write_report_html
from ecore.engine.report.results import BacktestResult

DATES = pd.bdate_range("2021-01-01", "2022-12-30")  # 521 weekdays: 260 daily returns in each year


def make_result(name, end_nav, futures=True, events=None) -> BacktestResult:
    """NAV growing geometrically from $100,000 to ``end_nav``; 60% futures notional when ``futures``."""
    nav = 100_000 * (end_nav / 100_000) ** (np.arange(len(DATES)) / (len(DATES) - 1))
    notional = 0.6 * nav if futures else np.zeros(len(nav))
    initial = 0.05 * notional
    daily = pd.DataFrame({
        "date": DATES, "nav": nav, "cash": 0.1 * nav, "shares_value": 0.9 * nav,
        "futures_notional": notional, "initial_margin": initial, "maintenance_margin": 0.9 * initial,
        "excess_liquidity": nav - initial, "ladder_duration": 6.1 if futures else np.nan,
    })
    return BacktestResult(
        name=name, daily=daily, events=events,
        params={"equity_weight": 0.9, "futures_notional": 0.6} if futures else {"equity_weight": 0.6},
        assumptions={"Data": f"{name} prices: bundled closes 2021-2022.",
                     "Costs": "Commission $0.85 per futures contract."},
    )


@pytest.fixture(scope="module")
def strategy():
    events = pd.DataFrame({
        "date": pd.to_datetime(["2021-03-22", "2021-03-31", "2022-03-07", "2022-03-08", "2022-05-02"]),
        "kind": ["roll", "rebalance", "margin_call", "forced_liquidation", "rejection"],
        "detail": ["ZNH21 → ZNM21", "quarterly", "short $12,000 of maintenance", "sold 3 ZNM22",
                   "buy 10 ZBM22: not enough excess liquidity"],
    })
    return make_result("EfficientCore", 121_000.0, events=events)


@pytest.fixture(scope="module")
def sixty_forty():
    return make_result("SixtyForty", 110_250.0, futures=False)


@pytest.fixture(scope="module")
def page(strategy, sixty_forty):
    return render_report_html(strategy, sixty_forty)


def test_the_report_is_one_self_contained_file_with_plotly_inline_once(tmp_path, strategy, sixty_forty):
    path = write_report_html(tmp_path / "report.html", strategy, sixty_forty)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, re.I), "a script is loaded from elsewhere"
    assert not re.search(r"<link\b", text, re.I)
    assert text.count("* plotly.js v") == 1
    # growth, drawdowns, monthly heatmap, rolling, distribution, exposure, margin, futures
    assert text.count("ecoreDraw(") - text.count("function ecoreDraw(") == 8
    assert [int(n) for n in re.findall(r'<div id="ecore-chart-(\d+)"', text)] == list(range(1, 9))


def test_every_section_is_there_with_a_heading(page):
    for anchor, heading in [
        ("summary", "Key numbers"), ("growth", "Growth of $10,000"), ("drawdowns", "Drawdowns"),
        ("calendar", "Calendar-year returns"), ("margin", "Cash and margin"),
        ("futures", "Futures notional and ladder duration"), ("events", "Rolls, rebalances and other events"),
        ("assumptions", "Assumptions"),
    ]:
        assert f'<section id="{anchor}"><h2>{heading}</h2>' in page
    assert "<h3>Worst quarters</h3>" in page


def test_headline_and_metrics_table_show_formatted_numbers(page):
    # $10,000 → $12,100 (+21%) over 520 daily returns, 520/252 years: 1.21 ** (252 / 520) - 1 = 9.68%
    # a year (holidays are not in this calendar, so it is a little more than two years of 252 days).
    assert "$10,000 in EfficientCore grew to $12,100 (9.68% a year)" in page
    assert "in SixtyForty it grew to $11,025 (4.84% a year)" in page
    assert "<td>CAGR</td><td>9.68%</td><td>4.84%</td>" in page
    assert "<td>Margin calls</td><td>1</td><td>0</td>" in page
    assert "<td>Forced liquidations</td><td>1</td><td>0</td>" in page
    assert "<td>Final NAV</td><td>$121,000</td><td>$110,250</td>" in page


def test_calendar_years_compare_strategy_and_benchmark(page):
    # Geometric growth with 260 daily returns in each year: each year is the square root of the
    # whole: 1.21 → +10.0% a year, 1.1025 → +5.0%, difference 5.0 points.
    assert "<tr><td>2021</td><td>10.0%</td><td>5.0%</td><td>5.0%</td></tr>" in page
    assert "<tr><td>2022</td><td>10.0%</td><td>5.0%</td><td>5.0%</td></tr>" in page


def test_worst_quarters_are_listed_worst_first_with_the_benchmark_beside(sixty_forty):
    # NAV at quarter ends: 2021 100 → 104 → 104 → 91 → 100 (Q3 -12.5%), 2022 Q1 -15%, then flat.
    anchors = pd.Series([100.0, 104.0, 104.0, 91.0, 100.0, 85.0, 85.0, 85.0, 85.0], index=pd.to_datetime([
        "2021-01-01", "2021-03-31", "2021-06-30", "2021-09-30", "2021-12-31",
        "2022-03-31", "2022-06-30", "2022-09-30", "2022-12-30"]))
    daily = sixty_forty.daily.assign(nav=anchors.reindex(DATES).interpolate().to_numpy())
    text = render_report_html(BacktestResult(name="Bumpy", daily=daily), sixty_forty)
    worst = text[text.index("<h3>Worst quarters</h3>"):]
    quarters = re.findall(r"<tr><td>(\d{4}Q\d)</td><td[^>]*>(-?[\d.]+)%</td>", worst)
    assert quarters[:2] == [("2022Q1", "-15.0"), ("2021Q3", "-12.5")]
    assert len(quarters) == 5
    assert '<td>2022Q1</td><td class="neg">-15.0%</td>' in worst


def test_events_and_assumptions_are_listed(page):
    assert "<td>2022-03-07</td><td>margin call</td><td>short $12,000 of maintenance</td>" in page
    assert "<td>2022-05-02</td><td>rejection</td>" in page
    assert "<td>2021-03-22</td><td>roll</td><td>ZNH21 → ZNM21</td>" in page
    assert "<dt>Costs</dt><dd>Commission $0.85 per futures contract.</dd>" in page
    assert "SixtyForty prices: bundled closes 2021-2022." in page
    assert "<dt>futures_notional</dt><dd>0.6</dd>" in page


def test_a_strategy_without_futures_has_no_margin_or_futures_section(sixty_forty):
    text = render_report_html(sixty_forty, None)
    assert 'id="margin"' not in text and 'id="futures"' not in text
    assert 'href="#margin"' not in text and 'href="#futures"' not in text
    assert "<h2>Rebalances and other events</h2>" in text
    assert len(re.findall(r'<div id="ecore-chart-', text)) == 6  # no margin or futures chart
    assert text.count("* plotly.js v") == 1


def test_futures_without_a_ladder_duration_show_their_notional_alone():
    held = make_result("Trend", 105_000.0)
    daily = held.daily.assign(ladder_duration=np.nan)
    text = render_report_html(BacktestResult(name="Trend", daily=daily), None)
    assert "<h2>Futures notional</h2>" in text and "ladder duration" not in text.lower()
    names = [t.name for t in report_charts.futures_figure(BacktestResult(name="Trend", daily=daily)).data]
    assert names == ["Futures notional", "Notional / NAV"]


def test_the_summary_drops_futures_rows_when_no_result_holds_futures(strategy, sixty_forty):
    alone = summary_table([sixty_forty])
    assert "Rolls" not in alone and "Margin calls" not in alone and "Turnover, futures" not in alone
    assert "Rolls" in summary_table([strategy, sixty_forty])


def test_unrecorded_rebalances_are_unknown_not_zero(sixty_forty):
    plain = BacktestResult(name="Plain", daily=sixty_forty.daily,
                           recorded_events={"margin_call", "forced_liquidation", "rejection", "roll"})
    table = summary_table([plain])
    assert re.search(r"^Rebalances\s+n/a$", table, re.M)


def test_names_and_details_are_escaped(sixty_forty):
    events = pd.DataFrame({"date": [DATES[3]], "kind": ["rejection"], "detail": ["<script>alert(1)</script>"]})
    odd = BacktestResult(name="A<B", daily=sixty_forty.daily, events=events)
    text = render_report_html(odd, None)
    assert "<h1>A&lt;B</h1>" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_event_markers_sit_on_the_growth_line_on_their_dates(strategy, sixty_forty):
    fig = report_charts.growth_figure(strategy, sixty_forty)
    names = [t.name for t in fig.data]
    assert names[:2] == ["EfficientCore", "SixtyForty"]
    roll = next(t for t in fig.data if t.name == "Roll (1)")
    growth = strategy.nav / strategy.nav.iloc[0] * 10_000
    assert list(pd.DatetimeIndex(roll.x)) == [pd.Timestamp("2021-03-22")]
    assert roll.y[0] == pytest.approx(growth[pd.Timestamp("2021-03-22")])
    assert {"Rebalance (1)", "Margin call (1)", "Forced liquidation (1)"} <= set(names)


def test_margin_chart_has_equity_and_both_requirements(strategy):
    fig = report_charts.margin_figure(strategy)
    names = {t.name for t in fig.data}
    assert {"Equity (NAV)", "Initial margin requirement", "Maintenance margin requirement",
            "Margin call (1)"} <= names


def test_formatting_helpers():
    assert fmt_pct(0.10973, 2) == "10.97%"
    assert fmt_pct(-0.081) == "-8.1%"
    assert fmt_pct(None) == "n/a"
    assert fmt_dollars(1_234_567.8) == "$1,234,568"
    assert fmt_dollars(-1000) == "-$1,000"


def test_summary_table_puts_results_side_by_side(strategy, sixty_forty):
    text = summary_table([strategy, sixty_forty])
    lines = text.splitlines()
    assert lines[0].split() == ["EfficientCore", "SixtyForty"]
    assert set(lines[1]) <= {"-", " "}
    row = {line.split("  ")[0].strip(): line.split()[-2:] for line in lines[2:]}
    assert row["Final NAV"] == ["$121,000", "$110,250"]
    assert row["Margin calls"] == ["1", "0"]
    assert row["Rolls"] == ["1", "0"]
    # The columns line up: every line is as wide as the header rule.
    assert len({len(line) for line in lines[1:] if line.startswith(("CAGR", "Rolls", "Final"))}) == 1


def test_the_run_dates_are_written_once_and_every_line_takes_them_from_there(page):
    # 16 lines over all 521 days (growth 2, drawdowns 2, margin 5, futures 3, exposure 4; the
    # benchmark's share of none): each would otherwise repeat the 521 dates.
    declared = re.findall(r"var (ecoreDays\d+) = (\[.*?\]);", page)
    assert [name for name, _ in declared] == ["ecoreDays0"]  # benchmark on the same days: one axis
    days = pd.to_datetime(__import__("json").loads(declared[0][1]))
    assert list(days) == list(DATES)
    assert page.count("ecoreDays0.slice()") == 16
    assert page.count("2021-06-15T00:00:00") == 1  # a day no event falls on: in the axis only


def test_a_benchmark_on_other_days_gets_its_own_date_axis(strategy):
    short = make_result("SixtyForty", 110_250.0, futures=False)
    short = BacktestResult(name="SixtyForty", daily=short.daily.iloc[1:].reset_index(drop=True))
    page = render_report_html(strategy, short)
    assert re.findall(r"var (ecoreDays\d+) = ", page) == ["ecoreDays0", "ecoreDays1"]
    assert page.count("ecoreDays1.slice()") == 3  # growth, drawdown and exposure of the benchmark


def test_the_same_results_write_the_same_bytes(tmp_path, strategy, sixty_forty):
    first = write_report_html(tmp_path / "a.html", strategy, sixty_forty).read_bytes()
    second = write_report_html(tmp_path / "b.html", strategy, sixty_forty).read_bytes()
    assert first == second


def test_growth_is_on_a_log_scale_with_round_ticks_and_a_linear_toggle(strategy, sixty_forty):
    from ecore.engine.report.charts import growth_figure, log_ticks

    fig = growth_figure(strategy, sixty_forty)
    assert fig.layout.yaxis.type == "log"
    # $10,000 grows to $12,100: too narrow for 1-2-5 ticks, so every $500 (one beyond the top).
    assert list(fig.layout.yaxis.tickvals) == [10_000.0 + 500 * k for k in range(6)]
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert labels == ["Log scale", "Linear"]
    assert log_ticks(9_000, 98_000) == [5_000.0, 10_000.0, 20_000.0, 50_000.0, 100_000.0]


def test_roll_and_rebalance_markers_start_hidden_and_margin_calls_shown(strategy, sixty_forty):
    from ecore.engine.report.charts import growth_figure

    shown = {t.name.split(" (")[0]: t.visible for t in growth_figure(strategy, sixty_forty).data}
    assert shown["Roll"] == "legendonly" and shown["Rebalance"] == "legendonly"
    assert shown["Margin call"] is True


def test_the_duration_axis_ticks_at_whole_years(strategy):
    from ecore.engine.report.charts import futures_figure, round_step

    fig = futures_figure(strategy)
    assert fig.layout.yaxis2.dtick == 1 and fig.layout.yaxis2.tick0 == 0
    assert [round_step(x) for x in (6.0, 11.5, 0.8, 40)] == [1, 2, 0.1, 5]


def test_the_tear_sheet_sections_are_there(page):
    for anchor, heading in [("monthly", "Monthly returns"), ("rolling", "Rolling statistics"),
                            ("distribution", "Distribution of returns"), ("exposure", "Exposure")]:
        assert f'<section id="{anchor}"><h2>{heading}</h2>' in page
    # The fixtures' NAVs only rise.
    assert "Deepest drawdowns of EfficientCore" in page and "No drawdown." in page


def test_a_long_events_table_points_to_events_csv():
    from ecore.engine.report.html import _events_table

    events = pd.DataFrame({"date": pd.bdate_range("2021-01-04", periods=250), "kind": "roll", "detail": "ZN"})
    daily = make_result("X", 101_000.0).daily
    text = _events_table(BacktestResult(name="X", daily=daily, events=events), ("roll",))
    assert "The first 200 of 250" in text and "events.csv" in text and "more in events." not in text
