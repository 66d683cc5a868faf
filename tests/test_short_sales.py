"""Short sales of shares: Reg T initial (150% with the proceeds), FINRA 4210 maintenance (30%),
the proceeds held as collateral, a daily borrow fee in the journal, margin calls and buy-ins,
and a broker setting that refuses them."""

import backtrader as bt
import pytest

from broker_helpers import book, days, feed, make_broker, rows, run
from ecore.brokers.short_sales import ShortSaleRules


def _short(shares, closes, cash=10_000.0, **kw):
    ds = days("2025-01-06", len(closes))
    pb = book({"ZNH25": [110.0] * len(closes)}, ds)
    br = make_broker(pb, cash=cash, **kw)
    strat = run(br, [feed("SPY", ds, closes)], {0: lambda s: s.sell(size=shares)})
    return br, strat, ds


def test_the_bundled_rules_are_reg_t_and_finra_4210():
    r = ShortSaleRules.bundled()
    assert (r.initial_ratio, r.maintenance_ratio, r.minimum_per_share) == (1.5, 0.30, 5.0)
    assert r.maintenance(100, 100.0) == 3_000.0  # 30 % of $10,000
    assert r.maintenance(100, 10.0) == 500.0  # $5 a share beats 30 % of $1,000
    assert r.maintenance(100, 3.0) == 300.0  # below $5: 100 % of value ($300) beats $2.50 a share
    assert r.initial(100, 100.0) == 5_000.0  # the 50 % beyond the proceeds


def test_a_short_sale_keeps_the_proceeds_as_collateral():
    br, strat, _ = _short(150, [100.0] * 3, short_sale_rules=ShortSaleRules.bundled(borrow_fee=0.0))
    assert br.share_positions() == {"SPY": -150}
    st = br.daily_state().iloc[-1]
    assert st["cash"] == pytest.approx(25_000.0)  # $10,000 + $15,000 of proceeds
    assert st["shares_value"] == pytest.approx(-15_000.0)
    assert st["nav"] == pytest.approx(10_000.0)
    assert st["margin_equity"] == pytest.approx(10_000.0)  # the proceeds back nothing else
    assert st["initial_margin"] == pytest.approx(7_500.0)  # 50 % of $15,000
    assert st["maintenance_margin"] == pytest.approx(4_500.0)  # 30 % of $15,000


def test_a_short_beyond_reg_t_initial_is_refused_as_margin():
    br, strat, _ = _short(250, [100.0] * 3)  # $25,000 short needs $12,500 > $10,000 of equity
    refused = [o for o in strat.orders if o.status == bt.Order.Margin]
    assert refused and "Reg T" in refused[0].info["reason"]
    assert refused[0].info["refusal"] == "short sale"
    assert br.share_positions() == {}


def test_the_borrow_fee_accrues_daily_in_the_journal():
    # Filled Tuesday 2025-01-07 at $100: 150 shares short = $15,000; Wednesday: one day's fee.
    br, _, ds = _short(150, [100.0] * 3)
    fees = rows(br, "borrow_fee")
    assert list(fees["date"].dt.date) == [ds[2]]
    assert fees["amount"].iloc[0] == pytest.approx(-15_000.0 * 0.0025 / 360)
    assert fees["instrument"].iloc[0] == "SPY"


def test_a_short_under_maintenance_is_called_then_bought_in():
    # Short 150 at $100; at $160 the short is worth $24,000: equity $1,000 < 30 % = $7,200.
    closes = [100.0, 100.0, 160.0, 160.0, 160.0]
    br, strat, ds = _short(150, closes, short_sale_rules=ShortSaleRules.bundled(borrow_fee=0.0))
    calls = br.margin_calls()
    assert calls and calls[0].issued == ds[2]
    assert calls[0].maintenance == pytest.approx(7_200.0)
    forced = [o for o in strat.orders if o.status == bt.Order.Completed and o.info.get("forced")]
    assert forced and forced[0].executed.size == 150 and forced[0].executed.price == 160.0
    assert br.share_positions() == {}
    assert br.daily_state()["nav"].iloc[-1] == pytest.approx(10_000.0 - 150 * 60.0)


def test_short_sales_switched_off_are_refused_and_say_so():
    br, strat, _ = _short(10, [100.0] * 3, short_sales=False)
    bad = [o for o in strat.orders if o.status == bt.Order.Rejected]
    assert bad and "short sales are off" in bad[0].info["reason"]
    assert bad[0].info["refusal"] == "short sale"
    assert rows(br, "rejection")["note"].str.contains("short sale").all()


def test_selling_what_is_held_is_not_a_short_sale_when_short_sales_are_off():
    ds = days("2025-01-06", 4)
    br = make_broker(book({"ZNH25": [110.0] * 4}, ds), short_sales=False)
    run(br, [feed("SPY", ds, [100.0] * 4)], {0: lambda s: s.buy(size=10), 1: lambda s: s.sell(size=10)})
    assert br.share_positions() == {}
    assert rows(br, "rejection").empty


def test_a_sale_through_zero_counts_the_long_part_sold_as_cash():
    # 60 held at $100 ($6,000 of $10,000 cash spent); selling 160 leaves 100 short ($10,000): cash
    # alone ($4,000) is short of the $5,000 initial, but the $6,000 of the long sold comes back.
    ds = days("2025-01-06", 4)
    br = make_broker(book({"ZNH25": [110.0] * 4}, ds), cash=10_000.0)
    run(br, [feed("SPY", ds, [100.0] * 4)], {0: lambda s: s.buy(size=60), 1: lambda s: s.sell(size=160)})
    assert br.share_positions() == {"SPY": -100}
