"""Before an order that adds risk goes to IB, margin equity after it must cover the initial
margin of the resulting positions, as in a backtest: by ecore's margin model and by IB's
what-if margin, the stricter one binding (``brokers/ib/margin_rules.py``)."""

import pytest

from ib_helpers import CLIENTS, LIVE_DAY, bars, gateway, run  # noqa: F401  (gateway is a fixture)

from ecore.brokers.margin import MarginModel

OURS = MarginModel().initial("ZN", LIVE_DAY)  # ecore's initial margin of one ZN, dollars


def account(gateway, cash: float) -> None:
    """A cash-only account of ``cash`` dollars, nothing held: margin equity is ``cash``."""
    gateway.account_values.update(NetLiquidation=cash, TotalCashValue=cash,
                                  ExcessLiquidity=cash, InitMarginReq=0.0, MaintMarginReq=0.0,
                                  EquityWithLoanValue=cash)


def margin_notes(result):
    return [n for n in result.strategy.notes if n[1] == "Margin"]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_order_beyond_ecores_initial_margin_is_refused_and_not_sent(gateway, lib_name,
                                                                   tmp_path):
    account(gateway, 3.5 * OURS)  # room for 3 contracts by ecore's model
    gateway.znm.init_margin = 0.1 * OURS  # IB asks far less
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 4})

    assert gateway.placed == []
    [(name, _, _, reason)] = margin_notes(result)
    assert name == "ZNM25" and "by ecore's margin model" in reason
    assert f"${4 * OURS:,.2f}" in reason
    assert result.broker.margin_notes == []
    assert result.summary.exit_code == 4  # refused: counted, not a clean run


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_order_refused_when_ibs_what_if_is_stricter_and_the_note_says_so(gateway, lib_name,
                                                                       tmp_path):
    account(gateway, 20 * OURS)  # ecore's model allows 4 contracts easily
    gateway.znm.init_margin = 10 * OURS  # IB's what-if: 4 contracts need 40x
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 4})

    assert gateway.placed == []
    [(_, _, _, reason)] = margin_notes(result)
    assert "by IB's what-if" in reason and f"${40 * OURS:,.2f}" in reason
    [note] = result.broker.margin_notes
    assert "IB's what-if" in note and "stricter than ecore's margin model" in note
    assert f"note: {note}" in result.summary.text()  # said on the terminal


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_order_within_both_figures_is_sent(gateway, lib_name, tmp_path):
    account(gateway, 5 * OURS)
    gateway.znm.init_margin = 0.5 * OURS
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 4})

    assert [(o.instrument.localSymbol, o.totalQuantity) for o in gateway.placed] == [
        ("ZN   JUN 25", 4.0)]
    assert margin_notes(result) == []


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_dry_run_shows_the_same_refusal_without_sending(gateway, lib_name, tmp_path):
    account(gateway, 20 * OURS)
    gateway.znm.init_margin = 10 * OURS
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 4}, dry_run=True)

    assert gateway.placed == [] and result.broker.dry_run_orders == []
    [(_, _, _, reason)] = margin_notes(result)
    assert "by IB's what-if" in reason


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_order_that_only_reduces_a_position_is_not_checked(gateway, lib_name, tmp_path):
    account(gateway, 1.0)  # far below any initial margin
    gateway.set_position(gateway.znm, 4)
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 1})

    assert [(o.action, o.totalQuantity) for o in gateway.placed] == [("SELL", 3.0)]
    assert margin_notes(result) == []


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_share_purchases_of_one_decision_are_counted_together(gateway, lib_name, tmp_path):
    account(gateway, 100_000.0)  # share_collateral 0: a purchase spends its value of equity
    gateway.qqq = gateway.add_stock("QQQ", price=500.0, bars=bars(500.0))
    result = run(gateway, lib_name, tmp_path, ["SPY", "QQQ"], {"SPY": 100, "QQQ": 100},
                 broker={"share_buys_need_cash": False})

    # default costs: 2 bp slippage, $1 minimum commission.  SPY first: 100 x $560.112 + $1
    # leaves $43,987.80; QQQ's 100 x $500.10 + $1 = $50,011 would leave -$6,023.20
    assert [(o.instrument.symbol, o.totalQuantity) for o in gateway.placed] == [("SPY", 100.0)]
    [(name, _, _, reason)] = margin_notes(result)
    assert name == "QQQ" and "equity after the trade $-6,023.20" in reason
