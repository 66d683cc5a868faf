"""Property tests (hypothesis): no row of the journal creates or destroys money."""

import backtrader as bt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecore.brokers import CostModel
from ecore.brokers.margin import MarginModel

from broker_helpers import book, days, feed, make_broker, run

N = 12
DS = days("2025-01-06", N)
TICK = 1 / 64

paths = st.lists(st.integers(-40, 40), min_size=N, max_size=N)  # daily moves in ZN ticks
orders = st.lists(
    st.tuples(st.integers(0, N - 3), st.sampled_from(["ZNH25", "ZNM25", "SPY"]), st.integers(-5, 5)),
    max_size=12,
)


def _prices(moves, start):
    out, p = [], start
    for m in moves:
        p = max(p + m * TICK, 50.0)
        out.append(p)
    return out


def _scenario(moves_h, moves_m, moves_spy, order_list, costs, rate, cash, close_all=True):
    h, m = _prices(moves_h, 110.0), _prices(moves_m, 109.0)
    spy = [round(400 + 2 * x, 2) for x in _prices(moves_spy, 100.0)]
    pb = book({"ZNH25": h, "ZNM25": m}, DS)
    feeds = [feed("ZNH25", DS, h), feed("ZNM25", DS, m), feed("SPY", DS, spy)]
    idx = {"ZNH25": 0, "ZNM25": 1, "SPY": 2}
    actions = {}
    for day, inst, size in order_list:
        if size == 0:
            continue
        actions.setdefault(day, []).append((idx[inst], size))
    if close_all:
        actions.setdefault(N - 2, [])
        actions[N - 2] = actions[N - 2] + [("close", None)]

    def make(acts):
        def act(s):
            for i, size in acts:
                if i == "close":
                    for d in s.datas:
                        if s.getposition(d).size:
                            s.close(data=d)
                elif size > 0:
                    s.buy(data=s.datas[i], size=size)
                else:
                    s.sell(data=s.datas[i], size=-size)
        return act

    br = make_broker(pb, cash=cash, costs=costs, short_rate=rate, expense_ratio=0.002,
                     model=MarginModel.fixed({"ZN": 2000}, initial_ratio=1.1))
    strat = run(br, feeds, {d: make(a) for d, a in actions.items()})
    return br, strat, h, m


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paths, paths, paths, orders, st.booleans(), st.sampled_from([0.0, 0.05]),
       st.sampled_from([20_000.0, 1_000_000.0]))
def test_journal_explains_every_dollar(mh, mm, ms, order_list, with_costs, rate, cash):
    costs = CostModel() if with_costs else CostModel.zero()
    br, strat, h, m = _scenario(mh, mm, ms, order_list, costs, rate, cash)
    j = br.journal()
    state = br.daily_state()
    # 1. NAV at the end = starting cash + sum of all journal rows
    assert br.getvalue() == pytest.approx(cash + j["amount"].sum(), abs=0.005)
    # 2. each day: previous NAV + the day's rows = closing NAV, to the cent
    prev = cash
    for _, r in state.iterrows():
        day_rows = j.loc[j["date"] == r["date"], "amount"].sum()
        assert abs(prev + day_rows - r["nav"]) < 0.005
        prev = r["nav"]
    # 3. cash = starting cash + cash rows; share value = share rows (transfers net to zero)
    assert br.getcash() == pytest.approx(cash + j.loc[j["account"] == "cash", "amount"].sum(), abs=0.005)
    buys = j[j["kind"].isin(["share_buy", "share_sell"])]
    assert abs(buys["amount"].sum()) < 0.005
    # running balances agree with the rows
    for acct in ("cash", "shares"):
        a = j[j["account"] == acct]
        if len(a):
            start = cash if acct == "cash" else 0.0
            assert a["balance"].iloc[-1] == pytest.approx(start + a["amount"].sum(), abs=0.005)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paths, paths, orders)
def test_variation_margin_equals_price_change_of_closed_trades(mh, mm, order_list):
    order_list = [o for o in order_list if o[1] != "SPY"]
    br, strat, h, m = _scenario(mh, mm, [0] * N, order_list, CostModel(), 0.0, 10_000_000.0)
    assert br.contract_positions() == {}  # everything closed on the last day but one
    j = br.journal()
    fills = [o for o in strat.orders if o.status == bt.Order.Completed]
    for code, mult in (("ZNH25", 1000), ("ZNM25", 1000)):
        vm = j[(j["instrument"] == code) & j["kind"].isin(["variation_margin", "forced_liquidation"])]["amount"].sum()
        # for a flat book, the futures P&L is -sum(size x multiplier x fill price) over its fills
        mine = [o for o in fills if o.info.get("contract", o.data._name) == code]
        expect = -sum(o.executed.size * mult * o.executed.price for o in mine)
        assert vm == pytest.approx(expect, abs=1e-6)
        # and it equals the sum of the realized P&L of closed backtrader trades (contracts x mult x (exit - entry))
        trades = [t for t in strat.trades if t.isclosed and t.data._name == code]
        assert vm == pytest.approx(sum(t.pnl for t in trades), abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(paths, orders)
def test_a_refused_order_changes_nothing(mh, order_list):
    """With too little cash every opening futures order is refused: cash moves only by interest."""
    order_list = [o for o in order_list if o[1] == "ZNH25"]
    br, strat, h, m = _scenario(mh, [0] * N, [0] * N, order_list, CostModel(), 0.0, 1000.0, close_all=False)
    assert br.contract_positions() == {}
    j = br.journal()
    assert set(j["kind"]) <= {"rejection", "expense"}
    refused = [o for o in strat.orders if o.status in (bt.Order.Margin, bt.Order.Rejected)]
    assert len(refused) == len([o for o in order_list if o[2] != 0])
