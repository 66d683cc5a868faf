"""Before an order goes to IB, paper makes the backtest's pre-trade checks with the run's own
costs (``brokers/ib/pretrade.py``): commission and slippage count against margin equity, a roll
spread is checked on the positions after both legs, native orders that add risk are checked at
their trigger or limit price, and a share sale that opens a short must pass the short-sale rule
with the backtest's message.

Hand figures: ZN's initial margin by ecore's schedule on 2025-03-13 is $2,337.50; a ZN tick is
1/64 point = $15.625, so the default half-tick slippage costs $7.8125 and the commission $1.85 a
contract; a share pays 2 bp of slippage and at least $1.00 of commission."""

import pytest

from ib_helpers import CLIENTS, LIVE_DAY, bars_to_now, gateway, run, write_target_config  # noqa: F401

from ecore.brokers.margin import MarginModel
from ecore.engine.cli.main import main

OURS = MarginModel().initial("ZN", LIVE_DAY)  # $2,337.50 of initial margin per ZN
ZERO_COSTS = {"futures_commission": 0.0, "futures_slippage_ticks": 0.0, "share_commission": 0.0,
              "share_min_commission": 0.0, "share_slippage_bps": 0.0}
SHORT_REFUSAL = ("short sale of 100 SPY: margin equity $9,999.00 < initial requirement "
                 "$27,994.40 (Reg T 150% on the short, futures included)")


def account(gateway, cash: float) -> None:
    """A cash-only account of ``cash`` dollars; IB's what-if asks a tenth of ecore's margin."""
    gateway.account_values.update(NetLiquidation=cash, TotalCashValue=cash,
                                  ExcessLiquidity=cash, InitMarginReq=0.0, MaintMarginReq=0.0,
                                  EquityWithLoanValue=cash)
    gateway.znh.init_margin = gateway.znm.init_margin = 0.1 * OURS


def refusals(result):
    return [(n[0], n[3]) for n in result.strategy.notes if n[1] == "Margin"]


def scripted(gateway, lib_name, tmp_path, orders, **kw):
    return run(gateway, lib_name, tmp_path, ["ZNM25"], None,
               strategy="test_ib_order_types.Scripted", params={"orders": orders},
               once_timeout=1.5, **kw)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_commission_and_slippage_tip_a_futures_order_over_the_initial_margin(
        gateway, lib_name, tmp_path):
    account(gateway, 4 * OURS + 38.64)  # 4 x ($1.85 + $7.8125) = $38.65 of costs
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 4})

    assert gateway.placed == []
    [(name, reason)] = refusals(result)
    assert name == "ZNM25" and reason.startswith(
        "margin: equity after the trade $9,349.99 < initial margin $9,350.00")
    assert result.summary.exit_code == 4 and len(result.broker.refused) == 1


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_the_same_order_without_costs_is_sent(gateway, lib_name, tmp_path):
    account(gateway, 4 * OURS + 38.64)
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 4},
                 broker={"costs": ZERO_COSTS})

    assert [o.totalQuantity for o in gateway.placed] == [4.0]
    assert refusals(result) == []


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_share_purchase_needs_the_cash_with_its_commission_and_slippage(
        gateway, lib_name, tmp_path):
    account(gateway, 56_012.19)  # 100 SPY at $560 x 1.0002 = $56,011.20, plus $1.00
    result = run(gateway, lib_name, tmp_path, ["SPY"], {"SPY": 100})

    assert gateway.placed == []
    assert refusals(result) == [
        ("SPY", "insufficient cash: buying 100 SPY needs $56,012.20, cash is $56,012.19")]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_roll_spread_is_refused_on_the_positions_after_both_legs(gateway, lib_name, tmp_path):
    account(gateway, 3 * OURS + 100.0)
    gateway.set_position(gateway.znh, 3)
    # one tick ($15.625) and $2.375 a contract: $18 on each of 3 x 2 legs, $108 in all
    result = run(gateway, lib_name, tmp_path, ["ZNH25", "ZNM25"], None,
                 strategy="ib_helpers.RollSpread",
                 broker={"costs": {"futures_commission": 2.375, "futures_slippage_ticks": 1.0}})

    assert gateway.placed == []
    [(_, reason)] = refusals(result)
    assert reason.startswith("margin: equity after the trade $7,004.50 < initial margin "
                             "$7,012.50 of the resulting positions by ecore's margin model")


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_bracket_parent_is_refused_and_its_children_are_never_sent(gateway, lib_name, tmp_path):
    account(gateway, 1_000.0)
    result = scripted(gateway, lib_name, tmp_path,
                      [{"feed": "ZNM25", "size": 4, "bracket": (109.5, 109.0, 111.0)}])

    assert gateway.placed == []
    # the parent buys at its limit (no slippage past it): $1,000 - 4 x $1.85
    [(_, status, reason), *children] = result.strategy.notes[1:]
    assert status == "Margin" and reason.startswith(
        "margin: equity after the trade $992.60 < initial margin $9,350.00")
    assert [n[1:] for n in children if n[1] != "Submitted"] == 2 * [
        ("Canceled", "ZNM25: the bracket's parent was not sent to IB; its child is not sent "
                     "either")]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_stop_that_opens_a_position_is_refused_at_its_trigger(gateway, lib_name, tmp_path):
    account(gateway, 1_000.0)
    result = scripted(gateway, lib_name, tmp_path,
                      [{"feed": "ZNM25", "side": "sell", "size": 4, "exectype": "Stop",
                        "price": 109.0}])

    assert gateway.placed == []
    # 4 x ($1.85 + $7.8125) of costs out of $1,000; 4 x $2,337.50 for the short it opens
    assert [n[1] for n in result.strategy.notes] == ["Submitted", "Margin"]
    assert result.strategy.notes[-1][2] == (
        "margin: equity after the trade $961.35 < initial margin $9,350.00 of the resulting "
        "positions by ecore's margin model (short $8,388.65)")


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_short_sale_is_refused_by_the_backtests_short_sale_rule(gateway, lib_name, tmp_path):
    account(gateway, 10_000.0)  # 100 SPY sold at $559.888: Reg T asks 50% of $55,988.80
    result = run(gateway, lib_name, tmp_path, ["SPY"], {"SPY": -100})

    assert gateway.placed == []
    assert refusals(result) == [("SPY", SHORT_REFUSAL)]


def test_short_sale_refusal_matches_the_backtests_words():
    from ecore.brokers import short_sales

    class Flat:  # an account with $10,000 of cash and nothing held
        shares, share_collateral = {}, 0.0

        def margin_equity(self):
            return 10_000.0

    assert short_sales.refusal(Flat(), short_sales.ShortSaleRules.bundled(), "SPY", 0.0, -100.0,
                               559.888, 1.0, 0.0) == SHORT_REFUSAL


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_dry_run_shows_the_short_sale_refusal_on_the_terminal(gateway, lib_name, tmp_path,
                                                              capsys):
    bars_to_now(gateway)
    account(gateway, 10_000.0)
    cfg = write_target_config(tmp_path, gateway.port, lib_name, targets="{ ZNM25 = 0, SPY = -100 }")
    status = main(["paper", "--config", str(cfg), "--dry-run"])

    captured = capsys.readouterr()
    assert status == 4
    assert "dry run: 0 order(s) computed, none sent" in captured.out
    assert f"SPY: {SHORT_REFUSAL}" in captured.err
    assert gateway.placed == []


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_held_shorts_proceeds_do_not_back_a_new_short(gateway, lib_name, tmp_path):
    gateway.set_position(gateway.spy, -100)  # sold at $560: $56,000 of locked proceeds
    account(gateway, 66_000.0)
    gateway.account_values.update(NetLiquidation=10_000.0)  # $66,000 cash less the short
    result = run(gateway, lib_name, tmp_path, ["SPY"], {"SPY": -200})

    # margin equity $66,000 - $56,000 - $1.00; Reg T: 50% of 200 x $559.888
    assert gateway.placed == []
    assert refusals(result) == [
        ("SPY", "short sale of 200 SPY: margin equity $9,999.00 < initial requirement "
                "$55,988.80 (Reg T 150% on the short, futures included)")]
