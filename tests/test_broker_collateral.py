"""What backs futures margin: cash only by default (a fund's structure), shares when allowed."""

import pytest

from broker_helpers import book, days, feed, make_broker, run
from ecore.brokers.margin import MarginModel


def _run(share_collateral):
    # $10,000 cash buys $9,000 of shares on day 0 and one ZN (maintenance $2,000, initial $2,200).
    # ZN falls 0.5 point ($500) on day 2: cash-only equity drops to $500, below maintenance.
    ds = days("2025-01-06", 5)
    zn = [110.0, 110.0, 109.5, 109.5, 109.5]
    pb = book({"ZNH25": zn}, ds)
    br = make_broker(pb, cash=10_000.0, model=MarginModel.fixed({"ZN": 2000}, initial_ratio=1.10),
                     share_collateral=share_collateral)
    strat = run(br, [feed("ZNH25", ds, zn), feed("IVV", ds, [100.0] * 5)],
                {0: lambda s: (s.buy(data=s.datas[1], size=90), s.buy(data=s.datas[0], size=1))})
    return br, strat


def test_shares_do_not_back_futures_margin_by_default():
    br, _ = _run(0.0)
    # Day 1: cash after $9,000 of shares is $1,000, below the $2,200 initial margin: refused.
    assert br.contract_positions() == {}
    assert br.journal()["kind"].eq("rejection").any()


def test_shares_count_in_full_with_share_collateral_one():
    br, _ = _run(1.0)
    assert br.contract_positions() == {"ZNH25": 1}
    assert br.margin_calls() == []
    st = br.daily_state()
    assert st["margin_equity"].iloc[-1] == pytest.approx(st["nav"].iloc[-1])


def test_margin_equity_is_cash_plus_the_counted_share_value():
    br, _ = _run(0.5)
    st = br.daily_state().iloc[-1]
    assert st["margin_equity"] == pytest.approx(st["cash"] + 0.5 * st["shares_value"])
