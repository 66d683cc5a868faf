import datetime as dt

import pytest

from ecore.strategies.ladder import (
    DEFAULT_TEMPLATE, LadderError, LegQuote, aggregate_index_duration, build_ladder, solve_weights,
)

# Futures durations on the 2026-04-17 curve (reference 2.4).
APR_2026 = {"ZT": 1.73, "ZF": 3.85, "ZN": 5.75, "TN": 7.75, "ZB": 10.87, "UB": 14.44}


def test_default_template_is_about_six_years_on_the_april_2026_curve():
    d = sum(w * APR_2026[r] for r, w in DEFAULT_TEMPLATE.items())
    assert d == pytest.approx(6.05, abs=0.01)  # reference 4.2


def test_solved_weights_hit_the_target_exactly_and_sum_to_one():
    w = solve_weights(DEFAULT_TEMPLATE, APR_2026, 5.0)
    assert sum(w.values()) == pytest.approx(1.0)
    assert sum(w[r] * APR_2026[r] for r in w) == pytest.approx(5.0)


def test_only_the_shortest_and_longest_legs_move():
    w = solve_weights(DEFAULT_TEMPLATE, APR_2026, 5.0)
    for r in ("ZF", "ZN", "TN", "ZB"):
        assert w[r] == pytest.approx(DEFAULT_TEMPLATE[r])
    assert w["ZT"] > DEFAULT_TEMPLATE["ZT"] and w["UB"] < DEFAULT_TEMPLATE["UB"]


def test_unreachable_target_gives_the_nearest_ladder():
    w = solve_weights({"ZT": 0.5, "ZN": 0.5}, {"ZT": 2.0, "ZN": 6.0}, 8.0)
    assert w == {"ZT": 0.0, "ZN": 1.0}


def test_counts_are_weight_times_notional_over_contract_value():
    # $6M: half in ZN at 100 ($100k a contract) = 30, half in ZT at 100 ($200k a contract) = 15.
    quotes = {"ZN": LegQuote("ZN", "ZNM26", 100.0, 6.0), "ZT": LegQuote("ZT", "ZTM26", 100.0, 2.0)}
    ladder = build_ladder(quotes, {"ZN": 0.5, "ZT": 0.5}, 4.0, 6_000_000)
    assert ladder.counts == {"ZNM26": 30, "ZTM26": 15}
    assert ladder.notional == 6_000_000 and ladder.duration == pytest.approx(4.0)
    assert ladder.duration_error == pytest.approx(0.0) and ladder.notional_error == 0


def test_rounding_error_is_reported():
    # 1.4 ZN contracts round to 1: notional $100k of $140k wanted.
    quotes = {"ZN": LegQuote("ZN", "ZNM26", 100.0, 6.0)}
    ladder = build_ladder(quotes, {"ZN": 1.0}, 6.0, 140_000)
    assert ladder.counts == {"ZNM26": 1}
    assert ladder.notional_error == -40_000


def test_missing_duration_is_an_error_naming_the_leg():
    with pytest.raises(LadderError, match="ZB"):
        solve_weights({"ZN": 0.5, "ZB": 0.5}, {"ZN": 6.0}, 6.0)


def test_aggregate_duration_table_interpolates_between_dated_points():
    assert aggregate_index_duration(dt.date(2000, 1, 1)) == 4.77  # flat before the first point
    assert aggregate_index_duration(dt.date(2020, 12, 31)) == 6.40
    assert 6.0 < aggregate_index_duration(dt.date(2023, 6, 30)) < 6.4
    assert aggregate_index_duration(dt.date(2030, 1, 1)) == 6.00


def test_a_zero_notional_ladder_holds_no_contracts():
    quotes = {"ZN": LegQuote("ZN", "ZNM26", 100.0, 6.0)}
    assert build_ladder(quotes, {"ZN": 1.0}, 6.0, 0.0).counts == {"ZNM26": 0}
