"""Order types, validity, OCO and brackets on MarginBroker, one behaviour each, with numbers to
check by hand (the trigger rule itself: brokers/triggers.py; equality with backtrader's broker:
test_order_types_oracle.py)."""

import datetime as dt

import backtrader as bt
import pandas as pd
import pytest

from ecore.brokers.triggers import Bar, match
from ecore.data.price_book import FuturesPriceBook

from broker_helpers import days, feed, make_broker, run


class _Order:
    """The few fields the rule reads, for a rule-only test."""

    def __init__(self, exectype, buy, price=None, plimit=None):
        self.exectype, self._buy, self.triggered = exectype, buy, False
        self.created = type("C", (), {"price": price, "pricelimit": plimit})()

    def isbuy(self):
        return self._buy


# ------------------------------------------------------------------ the rule (README example) ---
@pytest.mark.parametrize("bar, price", [
    (Bar.of(97.5, 99, 100, 97), 98.0),  # the bar passes through the stop: the stop
    (Bar.of(96, 96.5, 97, 95), 96.5),  # opens below the stop: the open (gapped through)
    (Bar.of(99.5, 99, 100, 98.5), None),  # never reaches 98: waits
    (Bar.of(97.5), 97.5),  # a close-only bar at or under the stop: that close
])
def test_a_sell_stop_at_98(bar, price):
    hit = match(_Order(bt.Order.Stop, buy=False, price=98.0), bar)
    assert (hit.price if hit else None) == price


@pytest.mark.parametrize("bar, price", [
    (Bar.of(101, 101, 102, 99.5), 100.0),  # trades down to the limit: the limit
    (Bar.of(99.5, 99, 100, 98.5), 99.0),  # opens under the limit: the better open
    (Bar.of(101, 101, 102, 100.5), None),
])
def test_a_buy_limit_at_100(bar, price):
    hit = match(_Order(bt.Order.Limit, buy=True, price=100.0), bar)
    assert (hit.price if hit else None) == price


def test_a_buy_stop_limit_fills_at_the_stop_when_its_limit_is_above_it():
    order = _Order(bt.Order.StopLimit, buy=True, price=101.0, plimit=101.5)
    assert match(order, Bar.of(101.2, 100, 102, 99)).price == 101.0 and order.triggered


def test_a_triggered_stop_limit_waits_as_a_limit():
    order = _Order(bt.Order.StopLimit, buy=True, price=101.0, plimit=100.5)
    assert match(order, Bar.of(101.8, 101, 102, 100.9)) is None  # rose through 101, never back to 100.5
    assert order.triggered
    assert match(order, Bar.of(100.2, 100.8, 101, 100)).price == 100.5  # then a limit at 100.5


def test_a_bar_lacking_open_high_or_low_is_the_close_and_the_range_holds_open_and_close():
    assert Bar.of(100.0, None, float("nan"), 0) == Bar(100.0, 100.0, 100.0, 100.0, 100.0)
    assert Bar.of(100.0, 101.0, 100.5, 99.8) == Bar(101.0, 101.0, 99.8, 100.0, 100.0)


# ------------------------------------------------------------------ the broker -----------------
DS = days("2025-01-06", 6)


def _book(rows):
    return FuturesPriceBook(pd.DataFrame(rows))


def _flat_book(settles):
    return _book([{"date": d, "contract": "ZNH25", "settle": s} for d, s in zip(DS, settles)])


def _statuses(strat, ref):
    return [o.getstatusname() for o in strat.orders if o.ref == ref]


def test_a_futures_stop_triggers_inside_the_day_on_the_price_book_range():
    # long 1 ZNH25 from 110; on day 3 the contract trades 108.5-110.5 and settles 109: the stop at
    # 109.5 fills at 109.5, so the day costs 1000 x (109.5 - 110) = -$500, not the settle's -$1,000
    rows = [{"date": d, "contract": "ZNH25", "settle": 110.0, "open": 110.0, "high": 110.0, "low": 110.0} for d in DS]
    rows[3].update(settle=109.0, open=110.0, high=110.5, low=108.5)
    br = make_broker(_book(rows))
    acts = {0: lambda s: s.buy(size=1), 1: lambda s: s.sell(size=1, exectype=bt.Order.Stop, price=109.5)}
    strat = run(br, [feed("ZNH25", DS, [110.0] * 6)], acts)
    (fill,) = [o for o in strat.orders if o.status == bt.Order.Completed and o.issell()]
    assert fill.executed.price == 109.5 and bt.num2date(fill.executed.dt).date() == DS[3]
    assert br.getcash() == pytest.approx(1_000_000 - 500)


def test_on_settlements_only_a_stop_fills_at_the_settlement_that_went_through_it():
    br = make_broker(_flat_book([110, 110, 110, 109, 109, 109]))
    acts = {0: lambda s: s.buy(size=1), 1: lambda s: s.sell(size=1, exectype=bt.Order.Stop, price=109.5)}
    strat = run(br, [feed("ZNH25", DS, [110, 110, 110, 109, 109, 109])], acts)
    (fill,) = [o for o in strat.orders if o.status == bt.Order.Completed and o.issell()]
    assert fill.executed.price == 109.0 and br.getcash() == pytest.approx(1_000_000 - 1000)


def test_a_trailing_stop_follows_the_close_up_and_never_down():
    closes = [110, 112, 111.5, 110.8, 110.8, 110.8]
    br = make_broker(_flat_book(closes))
    seen = []
    acts = {0: lambda s: s.buy(size=1),
            1: lambda s: seen.append(s.sell(size=1, exectype=bt.Order.StopTrail, trailamount=1.0))}
    strat = run(br, [feed("ZNH25", DS, closes)], acts)
    # made at 112 (stop 111); 111.5 does not lower it; 110.8 goes through it and fills there
    (fill,) = [o for o in strat.orders if o.status == bt.Order.Completed and o.issell()]
    assert seen[0].created.price == 111.0
    assert fill.executed.price == 110.8 and bt.num2date(fill.executed.dt).date() == DS[3]


def test_a_day_order_expires_on_the_next_daily_bar_before_it_can_trade():
    br = make_broker(_flat_book([110] * 6))
    made = []
    strat = run(br, [feed("ZNH25", DS, [110] * 6)],
                {0: lambda s: made.append(s.buy(size=1, exectype=bt.Order.Limit, price=111, valid=bt.Order.DAY))})
    assert _statuses(strat, made[0].ref) == ["Submitted", "Accepted", "Expired"]
    assert br.contract_positions() == {}


def test_valid_zero_is_a_day_order_as_backtrader_documents():
    # (backtrader's own broker leaves valid=0 open for ever; its documentation calls it DAY)
    br = make_broker(_flat_book([110] * 6))
    made = []
    strat = run(br, [feed("ZNH25", DS, [110] * 6)],
                {0: lambda s: made.append(s.buy(size=1, exectype=bt.Order.Limit, price=111, valid=0))})
    assert _statuses(strat, made[0].ref)[-1] == "Expired"


def test_a_good_till_date_order_expires_after_its_date():
    br = make_broker(_flat_book([110, 110, 110, 110, 109, 109]))
    made = []
    strat = run(br, [feed("ZNH25", DS, [110] * 6)],
                {0: lambda s: made.append(s.buy(size=1, exectype=bt.Order.Limit, price=109, valid=DS[2]))})
    assert _statuses(strat, made[0].ref) == ["Submitted", "Accepted", "Expired"]
    expired = [o for o in strat.orders if o.status == bt.Order.Expired][0]
    assert bt.num2date(expired.executed.dt).date() == DS[3]  # the first bar after the date


def test_cancelling_one_order_of_an_oco_group_cancels_the_others():
    br = make_broker(_flat_book([110] * 6))
    made = []

    def place(s):
        a = s.buy(size=1, exectype=bt.Order.Limit, price=100)
        b = s.buy(size=1, exectype=bt.Order.Limit, price=99, oco=a)
        c = s.buy(size=1, exectype=bt.Order.Limit, price=98, oco=a)
        made.extend([a, b, c])

    strat = run(br, [feed("ZNH25", DS, [110] * 6)], {0: place, 2: lambda s: s.cancel(made[1])})
    assert [_statuses(strat, o.ref)[-1] for o in made] == ["Canceled"] * 3
    assert br.pending == []


def test_a_child_whose_parent_is_not_waiting_is_rejected():
    br = make_broker(_flat_book([110] * 6))
    made = []

    def place(s):
        parent = s.buy(size=1, exectype=bt.Order.Limit, price=100)
        s.cancel(parent)
        made.append(s.sell(size=1, exectype=bt.Order.Stop, price=95, parent=parent))

    strat = run(br, [feed("ZNH25", DS, [110] * 6)], {0: place})
    assert _statuses(strat, made[0].ref) == ["Rejected"]
    assert "parent order" in made[0].info["reason"]


def test_a_refused_parent_takes_its_bracket_legs_with_it():
    br = make_broker(_flat_book([110] * 6))
    made = []
    strat = run(br, [feed("ZNH25", DS, [110] * 6)],
                {0: lambda s: made.extend(s.buy_bracket(size=1.5, price=109, stopprice=108, limitprice=112))})
    assert [_statuses(strat, o.ref)[-1] for o in made] == ["Rejected"] * 3
    assert "fractional" in made[0].info["reason"] and "parent order" in made[1].info["reason"]


def test_bracket_legs_wait_for_the_parent_then_one_fills_and_the_other_is_cancelled():
    closes = [110, 110, 109, 110, 112, 112]  # entry at 109 on day 2, take-profit at 111.5 on day 4
    br = make_broker(_flat_book(closes))
    made = []
    strat = run(br, [feed("ZNH25", DS, closes)],
                {0: lambda s: made.extend(s.buy_bracket(size=1, price=109, stopprice=107, limitprice=111.5))})
    parent, stop, limit = (_statuses(strat, o.ref) for o in made)
    assert parent[-1] == "Completed" and limit[-1] == "Completed" and stop[-1] == "Canceled"
    fills = {o.ref: (bt.num2date(o.executed.dt).date(), o.executed.price) for o in strat.orders if o.status == bt.Order.Completed}
    assert fills == {made[0].ref: (DS[2], 109.0), made[2].ref: (DS[4], 112.0)}  # 112 opened above 111.5
    assert br.contract_positions() == {}
    assert br.getcash() == pytest.approx(1_000_000 + 1000 * (112 - 109))


def test_historical_order_type_is_rejected_but_every_other_type_is_accepted():
    br = make_broker(_flat_book([110] * 6))
    kinds = [bt.Order.Market, bt.Order.Close, bt.Order.Limit, bt.Order.Stop, bt.Order.StopLimit,
             bt.Order.StopTrail, bt.Order.StopTrailLimit]

    def place(s):
        for k in kinds:
            s.buy(size=1, exectype=k, price=111.0, plimit=111.5, trailamount=1.0)

    strat = run(br, [feed("ZNH25", DS, [110] * 6)], {0: place})
    assert not [o for o in strat.orders if o.status == bt.Order.Rejected]
    assert len({o.ref for o in strat.orders if o.status == bt.Order.Accepted}) == len(kinds)


def test_a_parent_refused_for_want_of_cash_cancels_its_legs():
    # 100 shares at 110 need $11,000; the account has $5,000: Margin, and both legs are cancelled
    br = make_broker(_flat_book([110] * 6), cash=5_000.0)
    made = []
    strat = run(br, [feed("SPY", DS, [110] * 6)],
                {0: lambda s: made.extend(s.buy_bracket(size=100, price=111, stopprice=100, limitprice=120))})
    assert [_statuses(strat, o.ref)[-1] for o in made] == ["Margin", "Canceled", "Canceled"]
    assert "insufficient cash" in made[0].info["reason"] and br.pending == []


def test_a_resting_stop_on_a_root_feed_follows_the_position_into_the_next_contract():
    # the feed holds ZNH25 for three days, then ZNM25; the position is rolled by hand on day 3;
    # on day 5 ZNM25 settles at 99, through the stop at 100: the stop sells ZNM25, not ZNH25
    held = [202503] * 3 + [202506] * 3
    rows = [{"date": d, "contract": "ZNH25", "settle": 110.0} for d in DS]
    rows += [{"date": d, "contract": "ZNM25", "settle": s} for d, s in zip(DS, [111, 111, 111, 111, 111, 99])]
    br = make_broker(_book(rows))
    made = []

    def roll(s):
        s.sell(size=1, contract="ZNH25")
        s.buy(size=1, contract="ZNM25")

    acts = {0: lambda s: s.buy(size=1),
            1: lambda s: made.append(s.sell(size=1, exectype=bt.Order.Stop, price=100.0)),
            2: roll}
    strat = run(br, [feed("ZN", DS, [110, 110, 110, 111, 111, 99], held=held)], acts)
    (stop,) = [o for o in strat.orders if o.ref == made[0].ref and o.status == bt.Order.Completed]
    assert stop.info["contract"] == "ZNM25" and stop.tradeid == "ZNM25" and stop.executed.price == 99.0
    assert br.contract_positions() == {}
