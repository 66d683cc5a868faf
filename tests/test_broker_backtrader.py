"""The margin broker with ordinary backtrader strategies and analyzers."""

import backtrader as bt
import pandas as pd
import pytest

from ecore.brokers import CostModel
from ecore.brokers.margin import MarginModel

import broker_helpers
from broker_helpers import book, days, feed, make_broker, rows, run

N = 10
DS = days("2025-01-06", N)
ZN = [110, 110.5, 109.5, 109, 110, 111, 110.5, 110, 109.5, 110]
SPY = [500, 505, 495, 490, 500, 510, 520, 515, 510, 505]


class Rebalancer(bt.Strategy):
    """An ordinary strategy: 50% of NAV in shares, 3 ZN contracts, then trims with the target calls."""

    def __init__(self):
        self.events = []
        self.trades = []

    def next(self):
        i = len(self)
        spy, zn = self.getdatabyname("SPY"), self.getdatabyname("ZNH25")
        if i == 1:
            self.order_target_percent(data=spy, target=0.5)
            self.order_target_size(data=zn, target=3)
        elif i == 4:
            self.order_target_value(data=zn, target=2 * 1000 * zn.close[0])  # 2 contracts of notional
        elif i == 6:
            self.close(data=spy)
        elif i == 8:
            self.order_target_percent(data=zn, target=0.0)

    def notify_order(self, order):
        # bar number (1-based) of the day the broker reports on: the data's date, which is right
        # both with Cerebro's default notification and with quicknotify
        bar = DS.index(order.data.datetime.date(0)) + 1
        self.events.append((bar, order.getstatusname(), order.data._name, order.executed.size))

    def notify_trade(self, trade):
        if trade.isclosed:
            self.trades.append(trade)


def _run(**kw):
    pb = book({"ZNH25": ZN}, DS)
    br = make_broker(pb, costs=CostModel(), short_rate=0.04, **kw)
    cerebro = bt.Cerebro(**broker_helpers.CEREBRO_KW)
    cerebro.setbroker(br)
    cerebro.adddata(feed("SPY", DS, SPY))
    cerebro.adddata(feed("ZNH25", DS, ZN))
    cerebro.addstrategy(Rebalancer)
    cerebro.addanalyzer(bt.analyzers.TimeReturn, _name="tr", timeframe=bt.TimeFrame.Days)
    cerebro.addanalyzer(bt.analyzers.DrawDown, _name="dd")
    cerebro.addanalyzer(bt.analyzers.Transactions, _name="tx")
    strat = cerebro.run()[0]
    return br, strat


def test_ordinary_strategy_and_target_orders():
    br, strat = _run()
    completed = [e for e in strat.events if e[1] == "Completed"]
    sizes = {(e[2], e[0]) : e[3] for e in completed}
    assert sizes[("ZNH25", 2)] == 3
    assert sizes[("ZNH25", 5)] == -1  # order_target_value to two contracts' notional
    assert sizes[("ZNH25", 9)] == -2
    spy_buy = sizes[("SPY", 2)]
    assert spy_buy == int(0.5 * 1_000_000 // SPY[0])  # order_target_percent on shares
    assert sizes[("SPY", 7)] == -spy_buy
    assert br.contract_positions() == {} and br.share_positions() == {}
    assert {t.data._name for t in strat.trades} == {"SPY", "ZNH25"}


def test_analyzers_time_return_drawdown_transactions():
    br, strat = _run()
    state = br.daily_state().set_index("date")
    tr = pd.Series(strat.analyzers.tr.get_analysis())
    nav = state["nav"]
    expected = nav.pct_change()
    expected.iloc[0] = nav.iloc[0] / 1_000_000 - 1
    assert tr.to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-12)
    dd = strat.analyzers.dd.get_analysis()
    peak = nav.cummax()
    assert dd.max.moneydown == pytest.approx((peak - nav).max(), abs=1e-6)
    tx = strat.analyzers.tx.get_analysis()
    assert len(tx) == 4  # days 2, 5, 7 and 9 (day 2 has two fills in one entry)
    day2 = tx[pd.Timestamp(DS[1]).to_pydatetime()]
    assert {e[3] for e in day2} == {"SPY", "ZNH25"}


def test_nav_identity_holds_with_shares_and_futures():
    br, strat = _run()
    j = br.journal()
    prev = 1_000_000.0
    for _, r in br.daily_state().iterrows():
        assert abs(prev + j.loc[j["date"] == r["date"], "amount"].sum() - r["nav"]) < 0.005
        prev = r["nav"]
    assert set(j["account"]) == {"cash", "shares"}


def test_share_purchase_needs_cash():
    ds = days("2025-01-06", 3)
    pb = book({"ZNH25": [110] * 3}, ds)
    br = make_broker(pb, cash=1000.0)
    strat = run(br, [feed("SPY", ds, [500] * 3)], {0: lambda s: s.buy(size=3)})
    refused = [o for o in strat.orders if o.status == bt.Order.Margin]
    assert refused and "insufficient cash" in refused[0].info["reason"]
    assert br.share_positions() == {}


def test_short_sale_of_shares_is_refused_when_short_sales_are_off():
    ds = days("2025-01-06", 3)
    pb = book({"ZNH25": [110] * 3}, ds)
    br = make_broker(pb, short_sales=False)
    strat = run(br, [feed("SPY", ds, [500] * 3)], {0: lambda s: s.sell(size=3)})
    bad = [o for o in strat.orders if o.status == bt.Order.Rejected]
    assert bad and "short sale" in bad[0].info["reason"]


def test_share_commission_and_slippage_defaults():
    ds = days("2025-01-06", 3)
    pb = book({"ZNH25": [110] * 3}, ds)
    br = make_broker(pb, costs=CostModel())
    run(br, [feed("SPY", ds, [500] * 3)], {0: lambda s: s.buy(size=100)})
    assert rows(br, "commission")["amount"].sum() == pytest.approx(-1.0)  # 100 x $0.005 < $1 minimum
    # 2 bp of slippage on $50,000
    assert br.getvalue() == pytest.approx(1_000_000 - 1.0 - 100 * 500 * 0.0002)


def test_root_feed_trades_the_held_contract_and_reports_net_position():
    ds = days("2025-01-06", 4)
    pb = book({"ZNH25": [110] * 4, "ZNM25": [109] * 4}, ds)
    br = make_broker(pb)
    root = feed("ZN", ds, [110] * 4, held=[202503] * 4)
    strat = run(br, [root], {0: lambda s: (s.buy(size=2), s.buy(size=1, contract="ZNM25"))})
    assert br.contract_positions() == {"ZNH25": 2, "ZNM25": 1}
    assert br.getposition(strat.datas[0]).size == 3
    assert br.getvalue(datas=[strat.datas[0]]) == pytest.approx(2 * 110_000 + 109_000)


def test_margin_state_is_recorded_every_day():
    pb = book({"ZNH25": ZN}, DS)
    br = make_broker(pb, model=MarginModel.fixed({"ZN": 2000}, initial_ratio=1.1))
    run(br, [feed("ZNH25", DS, ZN)], {0: lambda s: s.buy(size=5)})
    st = br.daily_state()
    assert len(st) == N
    last = st.iloc[-1]
    assert last["initial_margin"] == pytest.approx(5 * 2200)
    assert last["maintenance_margin"] == 5 * 2000
    assert last["margin_to_equity"] == pytest.approx(11_000 / last["nav"])
    assert last["futures_notional"] == pytest.approx(5 * 1000 * ZN[-1])
