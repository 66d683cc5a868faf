"""The fast path's compiled kernel against its numpy statement, and the packed prices it reads."""

import datetime as dt
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from ecore.data.market import load_market
from ecore.engine.sweep import fast
from ecore.engine.sweep.fast_prices import ContractPrices

# 2020-2023 holds the 2022 bond rout: leveraged sets get margin calls and forced liquidations.
START, END = dt.date(2020, 1, 2), dt.date(2023, 6, 30)


def random_sets(n: int, seed: int) -> list[dict]:
    """Parameter sets over every parameter the kernel takes, leverage up to 2.4x in futures."""
    rng = np.random.default_rng(seed)
    return [{"equity_weight": float(rng.uniform(0.4, 1.1)), "futures_notional": float(rng.uniform(0.2, 1.5)),
             "drift_band": float(rng.uniform(0.01, 0.12)), "scale": float(rng.uniform(0.8, 1.6)),
             "margin_budget": float(rng.uniform(0.2, 0.9)), "bonds_first": bool(rng.integers(2)),
             "meet_margin_calls": bool(rng.integers(2)), "rebalance": ["roll", "quarter", "none"][rng.integers(3)],
             "target_duration": ["agg", float(rng.uniform(4.5, 7.5))][rng.integers(2)],
             "expense_ratio": float(rng.choice([0.0, 0.002, 0.01]))} for _ in range(n)]


def assert_same(kernel: fast.FastResult, reference: fast.FastResult) -> None:
    assert kernel.nav.shape == reference.nav.shape
    assert np.array_equal(kernel.nav, reference.nav, equal_nan=True), \
        f"NAV paths differ for sets {np.flatnonzero((kernel.nav != reference.nav).any(axis=0)).tolist()}"
    assert kernel.margin_calls.tolist() == reference.margin_calls.tolist()
    assert kernel.forced_liquidations.tolist() == reference.forced_liquidations.tolist()
    assert kernel.refused_orders.tolist() == reference.refused_orders.tolist()


@pytest.fixture(scope="module")
def market():
    return load_market()


@pytest.mark.parametrize("broker, liquidates", [
    ({}, True),
    ({"liquidation_policy": "all", "call_deadline_days": 1}, True),
    # shares as collateral: the strategy keeps inside its budget (no calls on these sets)
    ({"share_collateral": 0.7, "borrow_spread": 0.01, "expense_ratio": 0.004}, False),
], ids=["defaults", "liquidate-all-next-day", "collateral-spread-expense"])
def test_the_kernel_gives_the_numpy_paths_to_the_bit_on_random_sets(market, broker, liquidates):
    data = fast.FastData.build(market, {}, START, END, broker=broker)
    sets = random_sets(24, seed=len(broker))
    kernel = fast.evaluate_many(data, sets)
    reference = fast.evaluate_reference(data, sets)
    assert_same(kernel, reference)
    # the sample reaches the rules that matter: refused orders, margin calls, forced orders
    assert kernel.refused_orders.sum() > 0
    if liquidates:
        assert kernel.margin_calls.sum() > 0 and kernel.forced_liquidations.sum() > 0


def test_the_kernel_gives_the_numpy_paths_for_a_two_leg_ladder_and_a_late_roll(market):
    data = fast.FastData.build(market, {"ladder": {"ZF": 0.5, "ZB": 0.5}, "roll_offset": 8}, START, END)
    sets = random_sets(12, seed=11)
    assert_same(fast.evaluate_many(data, sets), fast.evaluate_reference(data, sets))


def test_a_set_gives_the_same_path_alone_or_in_a_batch(market):
    data = fast.FastData.build(market, {}, START, END)
    sets = random_sets(9, seed=3)
    batch = fast.evaluate_many(data, sets)
    alone = fast.evaluate_many(data, [sets[4]])
    assert np.array_equal(batch.nav[:, 4], alone.nav[:, 0])


def test_packed_prices_give_each_contracts_settlement_last_settlement_and_duration_by_day():
    days = np.array(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"], dtype="datetime64[D]")
    frame = pd.DataFrame({
        "date": pd.to_datetime(["2023-12-29", "2024-01-03", "2024-01-06", "2024-01-04", "2024-01-05"]),
        "contract": ["ZNH24", "ZNH24", "ZNH24", "ZNM24", "ZNM24"],
        "settle": [110.0, 111.0, 112.5, 109.0, np.nan],
        "duration": [6.1, 6.2, 6.3, 6.5, 6.6],
    })
    prices = ContractPrices.from_book(frame, ("ZNH24", "ZNM24", "ZNU24"), days)
    settle, last, duration = prices.dense(len(days))
    nan = np.nan
    # ZNH24: a row before the window (Dec 29) and one on a Saturday (Jan 6) between two days
    assert np.array_equal(settle[0], [nan, 111.0, nan, nan, nan], equal_nan=True)
    assert np.array_equal(last[0], [110.0, 111.0, 111.0, 111.0, 112.5])
    assert np.array_equal(duration[0], [nan, 6.2, nan, nan, nan], equal_nan=True)
    # ZNM24: listed on Jan 4; a row without a settlement keeps the last one
    assert np.array_equal(settle[1], [nan, nan, 109.0, nan, nan], equal_nan=True)
    assert np.array_equal(last[1], [nan, nan, 109.0, 109.0, 109.0], equal_nan=True)
    assert np.array_equal(duration[1], [nan, nan, 6.5, 6.6, nan], equal_nan=True)
    # ZNU24: not in the book
    assert np.isnan(settle[2]).all() and np.isnan(last[2]).all()
    # stored: ZNH24 up to its last row (Jan 2-5; Jan 8 is its tail), ZNM24 Jan 4-5
    assert prices.settle.size == 4 + 2


def test_the_kernel_caches_outside_a_read_only_package(tmp_path, monkeypatch):
    from ecore.engine.sweep import fast_kernel

    here = os.path.dirname(os.path.abspath(fast_kernel.__file__))
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p).startswith(here) else real_access(p, mode))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert fast_kernel._cache_dir() == os.path.join(str(tmp_path), "ecore", "numba")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert fast_kernel._cache_dir() is None  # the user's choice stands


def test_a_plain_backtest_does_not_load_the_compiler():
    code = ("import sys, datetime as dt\n"
            "from ecore.engine.backtest.runner import BacktestConfig, run_backtest\n"
            "from ecore.engine import cli\n"
            "import ecore.engine.sweep\n"
            "run_backtest(BacktestConfig(start=dt.date(2024, 1, 2), end=dt.date(2024, 2, 28), benchmark=False))\n"
            "print('numba' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
