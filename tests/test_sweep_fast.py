"""The fast path (a compiled kernel over many parameter sets) against the event-driven engine, 2005-2025."""

import datetime as dt

import pandas as pd
import pytest

from ecore.data.market import load_market
from ecore.engine.backtest.runner import run_backtest
from ecore.engine.sweep import LocalPool, fast, parse_sweep, plan_sweep, run_sweep
from ecore.engine.sweep.backtests import EventDrivenBacktester, backtest_config
from ecore.engine.sweep.store import read_nav

TOLERANCE = 0.005  # 0.5% of NAV, at every date
START, END = dt.date(2005, 1, 3), dt.date(2025, 12, 31)
RANDOM_SETS = {
    "strategy": "EfficientCore", "start": START.isoformat(), "end": END.isoformat(),
    "random": {"samples": 20, "seed": 7, "params": {
        "equity_weight": {"low": 0.6, "high": 0.9},
        "futures_notional": {"low": 0.3, "high": 0.9},
        "drift_band": {"low": 0.02, "high": 0.08},
        # targets the default ladder reaches on every day of 2005-2025 on the basket model's
        # durations (its shortest mix is up to 5.66 years, in 2016; its longest down to 7.21, in 2005)
        "target_duration": {"choices": ["agg", 6.0, 6.5, 7.0]},
        "rebalance": {"choices": ["roll", "quarter"]},
    }},
}


def why(spec, point, k, result, day) -> str:
    """What happened around ``day``: the event-driven run's events (rolls, rebalances, margin
    calls, rejected orders, forced liquidations) next to the fast path's counts."""
    run = run_backtest(backtest_config(spec, spec.run_config(point)))
    events = run.result.events
    near = events[(pd.to_datetime(events["date"]) >= day - pd.Timedelta(days=5))
                  & (pd.to_datetime(events["date"]) <= day)]
    listed = "; ".join(f"{pd.Timestamp(d).date()} {kind}: {detail}" for d, kind, detail in near.itertuples(index=False))
    return (f"event-driven events in the 5 days before: {listed or 'none'}; fast path: "
            f"{result.margin_calls[k]} margin call(s), {result.forced_liquidations[k]} forced order(s), "
            f"{result.refused_orders[k]} refused order(s) over the run")


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The 20 sets run event-driven (a sweep on two workers) and by the fast path."""
    spec = parse_sweep(RANDOM_SETS)
    out = tmp_path_factory.mktemp("fast") / "out"
    outcome = run_sweep(spec, out, executor=LocalPool(2), progress=False, report=False)
    keys = [task.key for task in plan_sweep(spec, EventDrivenBacktester()).tasks]
    data = fast.FastData.build(load_market(), {}, START, END)
    result = fast.evaluate_many(data, spec.points())
    return spec, out, outcome, keys, data, result


@pytest.mark.slow
def test_fast_and_event_driven_nav_agree_within_half_a_percent_on_20_random_sets(both):
    spec, out, outcome, keys, data, result = both
    points = spec.points()
    assert len(points) >= 20 and outcome.failed == 0
    problems = []
    for k, (point, key) in enumerate(zip(points, keys)):
        event = read_nav(out / "navs" / f"{key}.npz")
        quick = result.nav_series(k)
        assert quick.index.equals(event.index), f"set {point}: the fast path's days differ"
        gap = (quick / event - 1.0).abs()
        if gap.max() > TOLERANCE:
            day = gap[gap > TOLERANCE].index[0]
            first = gap[gap > 1e-9].index[0]
            problems.append(
                f"{point}: off by {gap[day]:.3%} on {day.date()} (fast {quick[day]:,.0f} vs event-driven "
                f"{event[day]:,.0f}); paths first part on {first.date()}: {why(spec, point, k, result, first)}")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_fast_metrics_match_the_event_driven_metrics(both):
    spec, out, outcome, keys, data, result = both
    quick = fast.fast_metrics(result, data.risk_free)
    table = outcome.table.set_index("key")
    for k, key in enumerate(keys):
        row = table.loc[key]
        assert row["sharpe"] == pytest.approx(quick["sharpe"][k], abs=0.01)
        assert row["cagr"] == pytest.approx(quick["cagr"][k], abs=0.001)
        assert row["max_drawdown"] == pytest.approx(quick["max_drawdown"][k], abs=0.005)
        assert row["margin_calls"] == result.margin_calls[k]


@pytest.mark.parametrize("params", [
    {},
    {"roll_offset": 3},
    {"roll_offset": 8, "equity": "EFA"},
    {"ladder": {"ZF": 0.5, "ZB": 0.5}, "rebalance": "none"},
    {"bonds_first": False, "scale": 0.8, "include_unlaunched": True},
], ids=["defaults", "roll-offset", "fund", "ladder", "shares-always"])
def test_the_fast_path_gives_the_engines_nav_for_each_kind_of_parameter(params):
    market = load_market()
    start, end = dt.date(2015, 1, 2), dt.date(2016, 12, 30)
    quick = fast.evaluate(market, params, start, end)
    spec = parse_sweep({"strategy": "EfficientCore", "start": start.isoformat(), "end": end.isoformat(),
                        "grid": {"drift_band": [0.05]}})
    event = run_backtest(backtest_config(spec, spec.run_config(params)), market=market).result.nav
    assert quick.index.equals(event.index)
    assert (quick / event - 1.0).abs().max() < 1e-9


SHORT = {"strategy": "EfficientCore", "start": "2021-01-04", "end": "2021-06-30"}


def test_the_fast_table_ranks_every_set_by_the_chosen_metric():
    spec = parse_sweep({**SHORT, "rank_by": "cagr", "grid": {"equity_weight": [0.7, 0.8, 0.9],
                                                             "futures_notional": [0.4, 0.8]}})
    table = fast.fast_table(spec)
    assert len(table) == 6 and (table["status"] == "ok").all()
    assert table["cagr"].is_monotonic_decreasing and table["rank"].tolist() == [1, 2, 3, 4, 5, 6]


def test_a_set_whose_data_cannot_be_built_is_a_failed_row_with_its_error():
    spec = parse_sweep({**SHORT, "grid": {"roll_offset": [5, -3]}})
    table = fast.fast_table(spec)
    bad = table[table["roll_offset"] == -3].iloc[0]
    assert bad["status"] == "failed" and "roll offset" in bad["error"]
    assert table[table["roll_offset"] == 5].iloc[0]["status"] == "ok"


@pytest.mark.parametrize("changes, key", [
    ({"strategy": "CorePlus"}, "'strategy'"),
    ({"broker": {"futures_fill": "open"}}, "'broker.futures_fill'"),
    ({"params": {"sleeve": "EFA"}}, "'sleeve'"),
    ({"rank_by": "turnover_shares"}, "'rank_by'"),
])
def test_what_the_fast_path_does_not_model_is_an_error_naming_the_key(changes, key):
    spec = parse_sweep({**SHORT, "grid": {"equity_weight": [0.8, 0.9]}, **changes})
    with pytest.raises(ValueError, match=key):
        fast.fast_table(spec)
