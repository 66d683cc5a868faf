"""Acceptance numbers of issue 4 for the margin broker, each checkable by hand."""

import datetime as dt

import backtrader as bt
import pandas as pd
import pytest

from ecore.brokers import CostModel, DeliveryWarning
from ecore.brokers.margin import MarginModel
from ecore.data.prices import parse_price

from broker_helpers import book, days, feed, make_broker, rows, run


def nav_on(broker, day):
    s = broker.daily_state().set_index("date")
    return s.loc[pd.Timestamp(day), "nav"]


def test_ten_year_losing_one_point_debits_1000():
    ds = days("2025-01-06", 4)
    pb = book({"ZNH25": [110, 110, 109, 109]}, ds)
    br = make_broker(pb)
    run(br, [feed("ZNH25", ds, [110, 110, 109, 109])], {0: lambda s: s.buy(size=1)})
    vm = rows(br, "variation_margin", ds[2], "ZNH25")
    assert vm["amount"].sum() == pytest.approx(-1000.0)
    assert nav_on(br, ds[2]) - nav_on(br, ds[1]) == pytest.approx(-1000.0)


def test_two_year_losing_one_point_debits_2000():
    ds = days("2025-01-06", 4)
    pb = book({"ZTH25": [102, 102, 101, 101]}, ds)
    br = make_broker(pb)
    run(br, [feed("ZTH25", ds, [102, 102, 101, 101])], {0: lambda s: s.buy(size=1)})
    assert rows(br, "variation_margin", ds[2], "ZTH25")["amount"].sum() == pytest.approx(-2000.0)


def test_fill_at_110_16_settling_110_00_debits_500_per_contract():
    ds = days("2025-01-06", 3)
    pb = book({"ZNH25": [110, 110, 110]}, ds, opens={"ZNH25": [110, parse_price("110-16"), 110]})
    br = make_broker(pb, futures_fill="open")
    strat = run(br, [feed("ZNH25", ds, [110, 110, 110])], {0: lambda s: s.buy(size=3)})
    done = [o for o in strat.orders if o.status == bt.Order.Completed]
    assert done[0].executed.price == 110.5
    assert rows(br, "variation_margin", ds[1], "ZNH25")["amount"].sum() == pytest.approx(-1500.0)  # 3 x -$500
    assert br.getcash() == pytest.approx(1_000_000 - 1500)


def test_slippage_and_commission_defaults_are_charged():
    ds = days("2025-01-06", 3)
    pb = book({"ZNH25": [110, 110, 110]}, ds)
    br = make_broker(pb, costs=CostModel())
    run(br, [feed("ZNH25", ds, [110, 110, 110])], {0: lambda s: s.buy(size=2)})
    # half a tick of 1/64 point on $1,000 a point, and $1.85 a contract
    assert br.getcash() == pytest.approx(1_000_000 - 2 * 15.625 / 2 - 2 * 1.85)


# ---------------------------------------------------------------- the CME example -------------
CME = MarginModel.fixed({"ZN": 3200}, initial_ratio=1.25)  # initial $4,000, maintenance $3,200


def _cme_run(on_call=None, deadline_days=1, settles=None):
    ds = days("2025-01-06", 6)
    settles = settles or [110, 110, 109.1, 109.1, 109.1, 109.1]
    pb = book({"ZNH25": settles}, ds)
    br = make_broker(pb, cash=4000.0, model=CME, call_deadline_days=deadline_days)
    strat = run(br, [feed("ZNH25", ds, settles)], {0: lambda s: s.buy(size=1)}, on_call=on_call)
    return ds, br, strat


def test_cme_example_call_for_900():
    ds, br, strat = _cme_run(on_call=lambda s, call: s.broker.add_cash(call.amount))
    call = br.margin_calls()[0]
    assert call.issued == ds[2]
    assert call.equity == pytest.approx(3100)
    assert call.maintenance == pytest.approx(3200) and call.initial == pytest.approx(4000)
    assert call.amount == pytest.approx(900)
    assert call.deadline == ds[3]
    assert len(strat.calls) == 1  # the strategy was told
    assert len(rows(br, "margin_call", ds[2])) == 1


def test_cme_example_call_met_means_no_liquidation():
    ds, br, strat = _cme_run(on_call=lambda s, call: s.broker.add_cash(call.amount))
    assert br.margin_calls()[0].status == "met"
    assert rows(br, "deposit", ds[3])["amount"].sum() == pytest.approx(900)
    assert not any(o.info.get("forced") for o in strat.orders)
    assert br.contract_positions() == {"ZNH25": 1}
    assert rows(br, "forced_liquidation").empty
    assert nav_on(br, ds[-1]) == pytest.approx(4000)


def test_cme_example_unmet_call_is_liquidated_and_seen_by_the_strategy():
    ds, br, strat = _cme_run()
    call = br.margin_calls()[0]
    assert call.status == "liquidated" and call.closed == ds[3]
    forced = [o for o in strat.orders if o.info.get("forced")]
    assert forced and forced[-1].status == bt.Order.Completed
    assert forced[-1].executed.size == -1 and forced[-1].executed.price == 109.1
    assert "margin call" in forced[-1].info["reason"]
    j = rows(br, "forced_liquidation", ds[3])
    assert len(j) >= 1
    assert br.contract_positions() == {}
    assert nav_on(br, ds[-1]) == pytest.approx(3100)
    st = br.daily_state().set_index("date")
    assert st.loc[pd.Timestamp(ds[2]), "margin_calls_open"] == 1
    assert st.loc[pd.Timestamp(ds[3]), "margin_calls_open"] == 0


def test_call_met_by_the_market_recovering():
    ds, br, strat = _cme_run(settles=[110, 110, 109.1, 110.1, 110.1, 110.1])
    assert br.margin_calls()[0].status == "met"
    assert br.contract_positions() == {"ZNH25": 1}


def test_deadline_is_configurable():
    ds, br, strat = _cme_run(deadline_days=2)
    assert br.margin_calls()[0].deadline == ds[4]
    assert br.margin_calls()[0].closed == ds[4]


def test_liquidation_policy_largest_requirement_sells_only_what_is_needed():
    ds = days("2025-01-06", 5)
    s = [110, 110, 109, 109, 109]
    pb = book({"ZNH25": s, "ZBH25": [120] * 5}, ds)
    model = MarginModel.fixed({"ZN": 1000, "ZB": 3000}, initial_ratio=1.25)
    # initial: 4 ZN x 1250 + 1 ZB x 3750 = 8750; maintenance 7000
    br = make_broker(pb, cash=8750.0, model=model)
    strat = run(br, [feed("ZNH25", ds, s), feed("ZBH25", ds, [120] * 5)],
                {0: lambda st: (st.buy(data=st.datas[0], size=4), st.buy(data=st.datas[1], size=1))})
    # day 2: 4 ZN lose 1 point -> equity 4750 < 7000: call for 4000; unmet on day 3:
    # ZB (largest requirement per contract, $3,750) goes first: 4750 < 4 x 1250 = 5000, so one ZN
    # more: 4750 >= 3 x 1250
    assert br.contract_positions() == {"ZNH25": 3}
    forced = [o for o in strat.orders if o.info.get("forced") and o.status == bt.Order.Completed]
    assert sorted(o.info["contract"] for o in forced) == ["ZBH25", "ZNH25"]


# ---------------------------------------------------------------- rejection -------------------
def test_order_needing_more_margin_than_equity_is_rejected_and_changes_nothing():
    ds = days("2025-01-06", 4)
    pb = book({"ZNH25": [110] * 4}, ds)
    br = make_broker(pb, cash=3999.0, model=CME)
    strat = run(br, [feed("ZNH25", ds, [110] * 4)], {0: lambda s: s.buy(size=1)})
    refused = [o for o in strat.orders if o.status == bt.Order.Margin]
    assert len(refused) == 1
    reason = refused[0].info["reason"]
    assert "margin" in reason and "4,000.00" in reason
    assert br.getcash() == 3999.0 and br.contract_positions() == {}
    assert (br.journal()["amount"] == 0).all()
    assert len(rows(br, "rejection")) == 1


def test_orders_that_reduce_risk_always_pass():
    ds = days("2025-01-06", 6)
    s = [110, 110, 108, 108, 108, 108]
    pb = book({"ZNH25": s}, ds)
    br = make_broker(pb, cash=10_000.0, model=CME, call_deadline_days=5)
    strat = run(br, [feed("ZNH25", ds, s)], {0: lambda st: st.buy(size=2), 2: lambda st: st.sell(size=1)})
    # equity 6000 < initial 8000 after the loss, but selling one contract reduces risk
    assert br.contract_positions() == {"ZNH25": 1}
    assert not [o for o in strat.orders if o.status == bt.Order.Margin]


# ---------------------------------------------------------------- roll ------------------------
def test_roll_between_contracts_one_point_apart_changes_nav_only_by_costs():
    ds = days("2025-02-10", 5)
    pb = book({"ZNH25": [110, 110, 110, 110, 110], "ZNM25": [109, 109, 109, 109, 109]}, ds)
    held = [202503, 202503, 202503, 202506, 202506]
    root = feed("ZN", ds, [110, 110, 110, 109, 109], held=held)
    costs = CostModel()
    br = make_broker(pb, costs=costs)
    strat = run(br, [root], {
        0: lambda s: s.buy(size=1),  # held contract: ZNH25
        2: lambda s: (s.sell(size=1, contract="ZNH25"), s.buy(size=1, contract="ZNM25")),
    })
    assert br.contract_positions() == {"ZNM25": 1}
    before, after = nav_on(br, ds[2]), nav_on(br, ds[3])
    tick_cost = 0.5 * 15.625
    assert after - before == pytest.approx(-(2 * 1.85 + 2 * tick_cost))
    # the 1-point spread is nowhere booked as profit
    assert rows(br, "variation_margin", ds[3])["amount"].sum() == pytest.approx(-2 * tick_cost)
    # one backtrader trade per contract
    closed = [t for t in strat.trades if t.isclosed]
    assert [t.tradeid for t in closed] == ["ZNH25"]
    assert closed[0].pnl == pytest.approx(1000 * (110 - tick_cost / 1000 - (110 + tick_cost / 1000)))
    assert br.getposition(strat.datas[0]).size == 1


# ---------------------------------------------------------------- interest / fees -------------
def test_interest_one_million_at_5pct_one_day_is_138_89():
    ds = days("2025-01-07", 2)  # Tuesday, Wednesday
    pb = book({"ZNH25": [110, 110]}, ds)
    br = make_broker(pb, short_rate=0.05)
    run(br, [feed("ZNH25", ds, [110, 110])])
    i = rows(br, "interest")
    assert len(i) == 1 and round(i["amount"].iloc[0], 2) == 138.89


def test_interest_counts_calendar_days_and_follows_a_rate_series():
    ds = days("2025-01-23", 3)  # Thu 23, Fri 24, Mon 27
    assert [d.day for d in ds] == [23, 24, 27]
    pb = book({"ZNH25": [110] * 3}, ds)
    rate = pd.Series([0.05, 0.04], index=pd.to_datetime(["2025-01-01", "2025-01-24"]))
    br = make_broker(pb, short_rate=rate)
    run(br, [feed("ZNH25", ds, [110] * 3)])
    i = rows(br, "interest")["amount"].to_list()
    assert i[0] == pytest.approx(1_000_000 * 0.05 / 360)
    assert i[1] == pytest.approx((1_000_000 + i[0]) * 0.04 * 3 / 360)


def test_negative_cash_pays_rate_plus_spread():
    ds = days("2025-01-07", 4)
    s = [110, 110, 10, 10]  # a 100-point loss on one ZN: cash 50,000 -> -50,000
    pb = book({"ZNH25": s}, ds)
    br = make_broker(pb, cash=50_000.0, short_rate=0.05, borrow_spread=0.015, call_deadline_days=5,
                     model=MarginModel.fixed({"ZN": 1}, initial_ratio=1.0))
    run(br, [feed("ZNH25", ds, s)], {0: lambda st: st.buy(size=1)})
    i = rows(br, "interest")["amount"].to_list()
    cash2 = nav_on(br, ds[2])
    assert cash2 < 0
    n = (ds[3] - ds[2]).days
    assert i[-1] == pytest.approx(cash2 * 0.065 * n / 360)


def test_fund_expense_ratio_accrues_daily_on_nav():
    ds = days("2025-01-07", 2)
    pb = book({"ZNH25": [110, 110]}, ds)
    br = make_broker(pb, expense_ratio=0.0020)
    run(br, [feed("ZNH25", ds, [110, 110])])
    assert rows(br, "expense")["amount"].iloc[0] == pytest.approx(-1_000_000 * 0.002 / 365)


def test_deposits_and_withdrawals_are_journaled():
    ds = days("2025-01-07", 3)
    pb = book({"ZNH25": [110] * 3}, ds)
    br = make_broker(pb)
    run(br, [feed("ZNH25", ds, [110] * 3)], {0: lambda s: s.broker.add_cash(5000), 1: lambda s: s.broker.add_cash(-2000)})
    j = br.journal()
    assert rows(br, "deposit", ds[1])["amount"].to_list() == [5000]
    assert rows(br, "withdrawal", ds[2])["amount"].to_list() == [-2000]
    assert br.getcash() == 1_003_000


# ---------------------------------------------------------------- delivery guard --------------
def test_position_is_closed_before_first_intention_day_with_a_warning():
    ds = days("2025-02-20", 7)  # ZNH25: first intention day 2025-02-27
    s = [110, 110.5, 111, 111.5, 112, 112.5, 113][: len(ds)]
    pb = book({"ZNH25": s}, ds)
    br = make_broker(pb)
    with pytest.warns(DeliveryWarning, match="ZNH25"):
        strat = run(br, [feed("ZNH25", ds, s)], {0: lambda st: st.buy(size=2)})
    forced = [o for o in strat.orders if o.info.get("forced") and o.status == bt.Order.Completed]
    assert len(forced) == 1
    guard_day = dt.date(2025, 2, 26)
    assert forced[0].executed.size == -2
    assert forced[0].executed.price == s[ds.index(guard_day)]
    assert br.contract_positions() == {}
    assert len(rows(br, "delivery_guard", guard_day)) == 1
    # P&L is exactly that of closing at the settlement before the first intention day
    assert br.getcash() == pytest.approx(1_000_000 + 2 * 1000 * (s[ds.index(guard_day)] - s[1]))


def test_opening_inside_the_delivery_window_is_refused():
    ds = days("2025-02-25", 3)
    pb = book({"ZNH25": [110] * 3}, ds)
    br = make_broker(pb)
    strat = run(br, [feed("ZNH25", ds, [110] * 3)], {0: lambda st: st.buy(size=1)})
    bad = [o for o in strat.orders if o.status == bt.Order.Rejected]
    assert bad and "delivery window" in bad[0].info["reason"]


# ---------------------------------------------------------------- bad input -------------------
def _reason(strat):
    bad = [o for o in strat.orders if o.status in (bt.Order.Rejected, bt.Order.Margin)]
    assert bad, "order was not refused"
    return bad[0].info["reason"]


@pytest.mark.parametrize("kw, words", [
    ({"size": 1, "contract": "ZNX25"}, "unknown contract"),
    ({"size": 1, "contract": "ZNH29"}, "no prices"),
    ({"size": 1, "contract": "QQH25"}, "unknown contract"),
    ({"size": 1.5}, "fractional contract size"),
])
def test_bad_orders_are_rejected_with_a_reason(kw, words):
    ds = days("2025-01-06", 3)
    pb = book({"ZNH25": [110] * 3}, ds)
    br = make_broker(pb)
    strat = run(br, [feed("ZNH25", ds, [110] * 3)], {0: lambda s: s.buy(**kw)})
    assert words in _reason(strat)
    assert br.getcash() == 1_000_000 and br.contract_positions() == {}


def test_zero_size_order_is_rejected():
    ds = days("2025-01-06", 3)
    pb = book({"ZNH25": [110] * 3}, ds)
    br = make_broker(pb)
    strat = run(br, [feed("ZNH25", ds, [110] * 3)], {0: lambda s: s.broker.buy(s, s.data, size=0)})
    assert "non-zero" in _reason(strat)


def test_order_after_last_trading_day_is_rejected():
    ds = days("2025-03-19", 4)  # ZNH25 last trading day 2025-03-20
    pb = book({"ZNH25": [110] * 4}, ds)
    br = make_broker(pb, delivery_guard=False)
    strat = run(br, [feed("ZNH25", ds, [110] * 4)], {2: lambda s: s.buy(size=1)})
    assert "last trading day" in _reason(strat)


def test_order_without_a_price_on_the_fill_day_is_rejected():
    ds = days("2025-01-06", 3)
    pb = book({"ZNH25": [110, None, 110]}, ds)
    br = make_broker(pb)
    strat = run(br, [feed("ZNH25", ds, [110] * 3)], {0: lambda s: s.buy(size=1)})
    assert "no settlement price" in _reason(strat)
    assert br.contract_positions() == {}


def test_historical_order_type_is_rejected_naming_the_types_traded():
    ds = days("2025-01-06", 3)
    pb = book({"ZNH25": [110] * 3}, ds)
    br = make_broker(pb)
    run(br, [feed("ZNH25", ds, [110] * 3)], {0: lambda s: s.buy(size=1, exectype=bt.Order.Historical)})
    (order,) = br.orders  # backtrader's strategy hides notifications of Historical orders
    assert order.status == bt.Order.Rejected
    assert "unsupported order type Historical" in order.info["reason"] and "StopTrailLimit" in order.info["reason"]


def test_limit_orders_wait_for_their_price():
    ds = days("2025-01-06", 5)
    s = [110, 110.5, 109.75, 109.5, 109.5]
    pb = book({"ZNH25": s}, ds)
    br = make_broker(pb)
    strat = run(br, [feed("ZNH25", ds, s)], {0: lambda st: st.buy(size=1, exectype=bt.Order.Limit, price=110)})
    done = [o for o in strat.orders if o.status == bt.Order.Completed]
    assert done[0].executed.price == 109.75
    assert rows(br, "variation_margin", ds[2])["amount"].sum() == 0


# ---------------------------------------------------------------- records ---------------------
def test_journal_csv_and_daily_state_columns(tmp_path):
    ds = days("2025-01-06", 4)
    pb = book({"ZNH25": [110, 110, 109, 109]}, ds)
    br = make_broker(pb, short_rate=0.04)
    run(br, [feed("ZNH25", ds, [110, 110, 109, 109])], {0: lambda s: s.buy(size=1)})
    p = tmp_path / "journal.csv"
    br.write_journal_csv(p)
    back = pd.read_csv(p)
    assert list(back.columns[:5]) == ["date", "kind", "instrument", "amount", "balance"]
    assert back["amount"].sum() == pytest.approx(br.getvalue() - 1_000_000)
    st = br.daily_state()
    for c in ["date", "nav", "cash", "shares_value", "futures_notional", "initial_margin", "maintenance_margin",
              "excess_liquidity", "margin_to_equity", "margin_calls_open"]:
        assert c in st.columns
    last = st.iloc[-1]
    assert last["futures_notional"] == 109_000
    assert last["excess_liquidity"] == pytest.approx(last["nav"] - 2000)


def test_public_surface():
    import ecore.brokers as b
    from ecore.brokers.simulated import MarginBroker as M
    assert b.MarginBroker is M and issubclass(M, bt.BrokerBase)


def test_position_missed_by_the_guard_is_closed_at_the_prior_settlement():
    # no price for ZNH25 on 2025-02-26 (the day before its first intention day): the broker closes
    # the position on the first intention day at the last settlement before it
    ds = days("2025-02-24", 5)  # 24, 25, 26, 27, 28
    s = [110, 111, None, 113, 114]
    pb = book({"ZNH25": s}, ds)
    br = make_broker(pb)
    with pytest.warns(DeliveryWarning, match="first intention day"):
        strat = run(br, [feed("ZNH25", ds, [110, 111, 111, 113, 114])], {0: lambda st: st.buy(size=1)})
    forced = [o for o in strat.orders if o.info.get("forced") and o.status == bt.Order.Completed]
    assert len(forced) == 1 and forced[0].executed.price == 111
    assert br.contract_positions() == {}
    # bought at 111 on the 25th, closed at 111 (not at the 27th's 113): no P&L
    assert br.getcash() == pytest.approx(1_000_000)


def test_liquidation_policy_all_and_callable():
    ds = days("2025-01-06", 5)
    s = [110, 110, 109, 109, 109]
    pb = book({"ZNH25": s, "ZBH25": [120] * 5}, ds)
    model = MarginModel.fixed({"ZN": 1000, "ZB": 3000}, initial_ratio=1.25)
    acts = {0: lambda st: (st.buy(data=st.datas[0], size=4), st.buy(data=st.datas[1], size=1))}
    feeds = lambda: [feed("ZNH25", ds, s), feed("ZBH25", ds, [120] * 5)]  # noqa: E731
    br = make_broker(pb, cash=8750.0, model=model, liquidation_policy="all")
    run(br, feeds(), acts)
    assert br.contract_positions() == {}
    br = make_broker(pb, cash=8750.0, model=model, liquidation_policy=lambda broker, day: {"ZNH25": -4})
    run(br, feeds(), acts)
    assert br.contract_positions() == {"ZBH25": 1}
    with pytest.raises(ValueError, match="liquidation_policy"):
        make_broker(pb, liquidation_policy="random")


@pytest.mark.parametrize("kw, words", [
    ({"short_rate": 5.0}, "decimal annual rates"),
    ({"short_rate": pd.Series([0.05, 4.5], index=pd.to_datetime(["2025-01-02", "2025-01-03"]))}, "not percent"),
    ({"call_deadline_days": 0}, "call_deadline_days"),
    ({"futures_fill": "vwap"}, "futures_fill"),
])
def test_bad_broker_settings_fail_loudly(kw, words):
    pb = book({"ZNH25": [110]}, days("2025-01-06", 1))
    with pytest.raises(ValueError, match=words):
        make_broker(pb, **kw)


def test_margin_call_describes_itself():
    ds, br, strat = _cme_run()
    call = br.margin_calls()[0]
    assert call.day == call.issued
    assert "$900.00" in str(call) and "liquidated" in str(call)
