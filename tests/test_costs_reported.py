"""Reported costs include the slippage the broker builds into fill prices: trades.csv carries it
per fill, and metrics.json's slippage and total_costs add it up."""

from __future__ import annotations

import datetime as dt

import pytest

from ecore.data.contracts import Contract
from ecore.engine.backtest.runner import BacktestConfig, run_backtest


@pytest.fixture(scope="module")
def quarter():
    return run_backtest(BacktestConfig(start=dt.date(2021, 4, 1), end=dt.date(2021, 6, 30), benchmark=False))


def test_each_futures_fill_records_half_a_tick_per_contract_of_slippage(quarter):
    t = quarter.result.trades
    futures = t[t["instrument"].map(lambda s: s[:2] in ("ZT", "ZF", "ZN", "TN", "ZB", "UB"))]
    assert len(futures) > 0
    for row in futures.itertuples():
        c = Contract.parse(row.instrument)
        # default CostModel: 0.5 tick against the trader, e.g. ZN 0.5 x 1/64 x $1,000 = $7.8125
        expected = abs(row.size) * 0.5 * float(c.spec.tick(row.date.date())) * c.spec.multiplier
        assert row.slippage == pytest.approx(expected)


def test_each_share_fill_records_two_basis_points_of_slippage(quarter):
    t = quarter.result.trades
    shares = t[t["instrument"] == "IVV"]
    assert len(shares) > 0
    for row in shares.itertuples():
        # the fill is 2 bp off the close against the trader: slippage = |size| x close x 2bp
        close = row.price / (1.0002 if row.size > 0 else 0.9998)
        assert row.slippage == pytest.approx(abs(row.size) * close * 0.0002)


def test_metrics_costs_add_up_commissions_slippage_and_fees(quarter):
    m = quarter.metrics
    assert m["slippage"] == pytest.approx(quarter.result.trades["slippage"].sum()) and m["slippage"] > 0
    assert m["total_costs"] == pytest.approx(m["commissions"] + m["slippage"] + m["fees"])
