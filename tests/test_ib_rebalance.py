"""A paper rebalance against the fake gateway sends the expected orders and ends in the
expected positions, with either client library."""

import pytest

from ib_helpers import CLIENTS, gateway, run  # noqa: F401  (gateway is a fixture)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_rebalance_sends_one_order_per_instrument_and_ends_in_target_positions(
        gateway, lib_name, tmp_path):
    gateway.set_position(gateway.spy, 100)
    result = run(gateway, lib_name, tmp_path, ["SPY", "ZNM25"], {"SPY": 150, "ZNM25": 4})

    sent = sorted((o.instrument.localSymbol, o.action, o.totalQuantity) for o in gateway.placed)
    assert sent == [("SPY", "BUY", 50.0), ("ZN   JUN 25", "BUY", 4.0)]
    assert gateway.positions[gateway.spy.conId] == 150
    assert gateway.positions[gateway.znm.conId] == 4
    assert result.positions == {"SPY": 150.0, "ZNM25": 4.0}
    completed = [n for n in result.strategy.notes if n[1] == "Completed"]
    assert sorted((n[0], n[2]) for n in completed) == [("SPY", 50.0), ("ZNM25", 4.0)]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_orders_carry_the_intent_as_order_ref_and_are_journalled_with_commissions(
        gateway, lib_name, tmp_path):
    run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 2})

    assert [o.orderRef for o in gateway.placed] == ["ecore-20250313-ZNM25-target-1"]
    from ecore.brokers.ib.journal import Journal
    journal = Journal(tmp_path / "journal.sqlite")
    assert journal.entry("ecore-20250313-ZNM25-target-1").status == "filled"
    [ex] = journal.executions("ecore-20250313-ZNM25-target-1")
    assert (ex.instrument, ex.side, ex.shares, ex.price, ex.commission) == (
        "ZNM25", "BOT", 2.0, 110.0, 4.5)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_limit_order_is_sent_as_lmt_with_its_price(gateway, lib_name, tmp_path):
    run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 1}, params={"limit": {"ZNM25": 109.5}})

    [order] = gateway.placed
    assert (order.orderType, float(order.lmtPrice)) == ("LMT", 109.5)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_account_values_reach_the_broker(gateway, lib_name, tmp_path):
    gateway.account_values["NetLiquidation"] = 2_500_000.0
    gateway.account_values["ExcessLiquidity"] = 2_400_000.0
    result = run(gateway, lib_name, tmp_path, ["SPY"], {})
    state = result.account
    assert (state.net_liquidation, state.excess_liquidity, state.initial_margin,
            state.maintenance_margin) == (2_500_000.0, 2_400_000.0, 10_000.0, 9_000.0)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_broker_reports_positions_like_the_simulated_broker(gateway, lib_name, tmp_path):
    from ecore.brokers.ib.broker import IBBroker
    from ecore.brokers.ib.client import client_library
    from ecore.brokers.ib.connection import ConnectionSettings
    from ecore.brokers.ib.journal import Journal
    from ecore.brokers.ib.session import IBSession

    gateway.set_position(gateway.spy, 100)
    gateway.set_position(gateway.znh, -2)
    session = IBSession(ConnectionSettings(port=gateway.port, client_id=4),
                        Journal(tmp_path / "j.sqlite"), client_library(lib_name))
    session.connect()
    broker = IBBroker(session)
    try:
        assert broker.contract_positions() == {"ZNH25": -2.0}
        assert broker.share_positions() == {"SPY": 100.0}
        assert broker.getvalue() == 1_000_000.0
        # cash $1,000,000 (share_collateral 0) against IB's excess liquidity + maintenance
        # $990,000 + $9,000: IB's figure is the stricter one and wins
        assert broker.margin_equity() == 999_000.0
        assert broker.getcash() == 1_000_000.0
    finally:
        session.disconnect()
