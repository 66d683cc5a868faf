"""Parameter values rounded to what they mean, rates shown as percentages."""

import numpy as np
import pytest

from ecore.engine.report.numbers import format_metric, format_param, is_rate
from ecore.engine.sweep import LocalPool, parse_sweep, run_sweep
from ecore.engine.sweep.space import Uniform
from sweep_doubles import ToyBacktester


def test_a_random_float_is_drawn_to_four_significant_digits_inside_its_bounds():
    rng = np.random.default_rng(7)
    for dist in (Uniform(0.01, 0.2, log=True), Uniform(0.0123, 0.0456), Uniform(4.0, 8.0)):
        for _ in range(200):
            v = dist.draw(rng)
            assert float(f"{v:.4g}") == v and dist.low <= v <= dist.high


def test_a_range_narrower_than_four_digits_keeps_its_draws_inside_it():
    rng = np.random.default_rng(7)
    dist = Uniform(0.0123456, 0.0123499)  # every value rounds to 0.01235, above high
    assert {dist.draw(rng) for _ in range(20)} == {0.0123499}


def test_an_integer_axis_draws_whole_numbers():
    rng = np.random.default_rng(1)
    values = {Uniform(63, 252, integer=True).draw(rng) for _ in range(50)}
    assert all(type(v) is int for v in values)


@pytest.mark.parametrize("metric, value, text", [
    ("cagr", 0.07123, "7.12%"), ("max_drawdown", -0.2912, "-29.12%"), ("total_return", 1.4445, "144.45%"),
    ("calendar_year_returns.2020", 0.1, "10.00%"), ("benchmark.annual_volatility", 0.121, "12.10%"),
    ("sharpe", 0.589912, "0.5899"), ("margin_calls", 3, "3"), ("sortino", None, "n/a"),
    ("final_nav", 24444598.61, "24,444,598.61"),
])
def test_metrics_read_as_people_expect(metric, value, text):
    assert format_metric(metric, value) == text


def test_parameters_show_whole_numbers_whole_and_floats_to_four_digits():
    assert [format_param(v) for v in (np.int64(126), 126.0, 0.07000763732837335, "SPY", True)] == [
        "126", "126", "0.07001", "SPY", "True"]


def test_only_decimal_rates_are_percentages():
    assert is_rate("cagr") and is_rate("turnover_futures") and not is_rate("sharpe") and not is_rate("rolls")


def test_sweep_html_shows_rates_as_percentages_and_draws_rounded(tmp_path):
    spec = parse_sweep({"strategy": "Toy", "rank_by": "total_return", "grid": {"x": [1, 2]},
                        "random": {"samples": 2, "seed": 3, "params": {"y": {"low": 0.0, "high": 1.0}}}})
    outcome = run_sweep(spec, tmp_path, backtester=ToyBacktester(), executor=LocalPool(1), progress=False)
    ys = outcome.table["y"].tolist()
    assert all(float(f"{y:.4g}") == y for y in ys)
    page = outcome.html.read_text()
    best = outcome.table.iloc[0]
    assert f"<td>{best['total_return']:.2%}</td>" in page and "%{z:.1%}" in page
