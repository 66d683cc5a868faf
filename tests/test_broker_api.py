"""backtrader's broker API on MarginBroker: a drop-in with no arguments, commissions charged,
contradictions with ecore's contract data refused naming both values, and every call it cannot
honour refused at the call, naming the method."""

import backtrader as bt
import pytest

from broker_helpers import book, days, feed, make_broker, rows, run
from ecore.brokers import default_book
from ecore.brokers.broker_api import UnsupportedBrokerCall
from ecore.brokers.simulated import MarginBroker


class BuyOnce(bt.Strategy):
    params = (("size", 10),)

    def next(self):
        if len(self) == 1:
            self.buy(size=self.p.size)


def _cerebro(broker, *datas, strategy=BuyOnce, **params):
    c = bt.Cerebro(stdstats=False)
    c.setbroker(broker)
    for d in datas:
        c.adddata(d)
    c.addstrategy(strategy, **params)
    return c


def test_marginbroker_without_arguments_runs_shares_without_building_the_futures_book(monkeypatch):
    def no_book():
        raise AssertionError("a shares-only run built the futures price book")

    monkeypatch.setattr(default_book, "bundled_book", no_book)
    ds = days("2025-01-06", 4)
    broker = MarginBroker()
    _cerebro(broker, feed("SPY", ds, [100.0] * 4)).run()
    assert broker.share_positions() == {"SPY": 10}
    assert broker.startingcash == 10_000.0


def test_marginbroker_without_arguments_trades_a_contract_on_the_bundled_book():
    full = default_book.bundled_book()
    s = full.series("ZNH25").dropna()
    s = s[(s.index >= "2024-10-01") & (s.index <= "2024-10-31")]
    ds = [d.date() for d in s.index]
    broker = MarginBroker(cash=100_000.0)
    strat = run(broker, [feed("ZNH25", ds, list(s.values))], {1: lambda st: st.buy(size=1)})
    (fill,) = [o for o in strat.orders if o.status == bt.Order.Completed]
    assert fill.executed.price == pytest.approx(s.iloc[2] + 1 / 128)  # settlement + half a tick
    assert broker.contract_positions() == {"ZNH25": 1}
    vm = rows(broker, "variation_margin")["amount"].sum()
    assert vm == pytest.approx(1000 * (s.iloc[-1] - fill.executed.price))


def test_setcash_and_set_cash_set_the_starting_cash():
    broker = MarginBroker()
    broker.setcash(25_000)
    assert broker.getcash() == broker.getvalue() == 25_000.0
    broker.set_cash(30_000)
    assert broker.startingcash == 30_000.0


def test_per_contract_commission_is_charged_on_futures():
    ds = days("2025-01-06", 3)
    pb = book({"ZNH25": [110.0] * 3}, ds)
    br = make_broker(pb)
    br.setcommission(commission=2.5, commtype=bt.CommInfoBase.COMM_FIXED, name="ZNH25")
    run(br, [feed("ZNH25", ds, [110.0] * 3)], {0: lambda s: s.buy(size=4)})
    assert rows(br, "commission")["amount"].sum() == pytest.approx(-10.0)  # 4 contracts x $2.50


def test_a_multiplier_contradicting_the_contract_table_is_refused_naming_both():
    with pytest.raises(UnsupportedBrokerCall, match=r"mult=10\b.*ZN multiplier is 1000"):
        MarginBroker().setcommission(commission=2.0, mult=10.0, name="ZN")


def test_a_margin_contradicting_the_schedule_is_refused_naming_both():
    ds = days("2025-01-06", 3)
    br = make_broker(book({"ZNH25": [110.0] * 3}, ds))  # ZN initial: $2,000 x 1.1 = $2,200
    with pytest.raises(UnsupportedBrokerCall, match=r"margin=1000.*initial margin is \$2,200\.00"):
        br.setcommission(commission=2.0, margin=1000.0, mult=1000.0, name="ZNH25")


def test_a_futures_like_default_scheme_on_a_share_feed_is_refused_at_the_start():
    # backtrader's commission-schemes sample: margin=2000, mult=10 on a share feed.
    ds = days("2025-01-06", 3)
    broker = MarginBroker()
    broker.setcommission(commission=2.0, margin=2000.0, mult=10)
    with pytest.raises(UnsupportedBrokerCall, match="futures-like scheme on shares"):
        _cerebro(broker, feed("SPY", ds, [100.0] * 3)).run()


@pytest.mark.parametrize("call, method", [
    (lambda b: b.set_filler(bt.broker.fillers.FixedSize()), "set_filler"),
    (lambda b: b.set_int2pnl(True), "set_int2pnl"),
    (lambda b: b.set_shortcash(False), "set_shortcash"),
    (lambda b: b.set_eosbar(True), "set_eosbar"),
    (lambda b: b.set_fund_history([]), "set_fund_history"),
    (lambda b: b.add_order_history([]), "add_order_history"),
    (lambda b: b.getvalue(lever=True), "get_value"),
    (lambda b: b.setcommission(commission=0.001, interest=0.05), "interest"),
    (lambda b: b.setcommission(commission=0.001, leverage=2.0), "leverage"),
])
def test_what_cannot_be_honoured_is_refused_at_the_call_naming_the_method(call, method):
    with pytest.raises(UnsupportedBrokerCall, match=method):
        call(MarginBroker())


def test_harmless_settings_pass():
    b = MarginBroker()
    b.set_filler(None)
    b.set_int2pnl(False)
    b.set_shortcash(True)
    b.set_eosbar(False)


def test_getvalue_of_datas_and_open_orders():
    ds = days("2025-01-06", 4)
    pb = book({"ZNH25": [110.0] * 4}, ds)
    br = make_broker(pb, cash=10_000.0)
    seen = {}

    def look(s):
        seen["value"] = s.broker.getvalue(datas=[s.datas[0]])
        seen["mkt"] = s.broker.getvalue(mkt=True)
        s.buy(size=5, exectype=bt.Order.Limit, price=50.0)  # far below: stays open

    def count(s):
        seen["open"] = len(s.broker.get_orders_open())

    run(br, [feed("SPY", ds, [100.0, 100.0, 102.0, 103.0])],
        {0: lambda s: s.buy(size=10), 2: look, 3: count})
    assert seen == {"value": 1020.0, "mkt": 1020.0, "open": 1}


def test_set_cash_during_the_run_is_refused():
    ds = days("2025-01-06", 3)
    br = make_broker(book({"ZNH25": [110.0] * 3}, ds))
    with pytest.raises(UnsupportedBrokerCall, match="set_cash.*add_cash"):
        run(br, [feed("SPY", ds, [100.0] * 3)], {1: lambda s: s.broker.set_cash(5)})


def test_cheat_on_close_on_a_futures_order_is_rejected_with_the_reason():
    ds = days("2025-01-06", 3)
    br = make_broker(book({"ZNH25": [110.0] * 3}, ds))
    br.set_coc(True)
    strat = run(br, [feed("ZNH25", ds, [110.0] * 3)], {0: lambda s: s.buy(size=1)})
    (bad,) = [o for o in strat.orders if o.status == bt.Order.Rejected]
    assert "cheat-on-close/open is modelled for shares only" in bad.info["reason"]
    assert br.contract_positions() == {}


def test_commission_and_coc_from_a_strategy_apply_in_an_ecore_backtest():
    from ecore.engine.backtest.runner import BacktestConfig, run_backtest

    run = run_backtest(BacktestConfig(strategy="test_broker_api.PerShareBuyer", instruments=("SPY",),
                                      start=__import__("datetime").date(2021, 1, 4),
                                      end=__import__("datetime").date(2021, 1, 29), benchmark=False))
    trades = run.result.trades
    assert len(trades) == 1
    assert trades["commission"].iloc[0] == pytest.approx(100 * 0.02)  # $0.02 a share, not ecore's fee


class PerShareBuyer(bt.Strategy):
    def __init__(self):
        self.broker.setcommission(commission=0.02, commtype=bt.CommInfoBase.COMM_FIXED, stocklike=True)

    def next(self):
        if len(self) == 2:
            self.buy(size=100)


def test_fixed_slippage_on_a_futures_order_moves_the_fill_from_the_settlement():
    ds = days("2025-01-06", 3)
    br = make_broker(book({"ZNH25": [110.0] * 3}, ds))
    br.set_slippage_fixed(0.25)
    strat = run(br, [feed("ZNH25", ds, [110.0] * 3)], {0: lambda s: s.buy(size=2)})
    (fill,) = [o for o in strat.orders if o.status == bt.Order.Completed]
    assert fill.executed.price == 110.25
    assert rows(br, "variation_margin")["amount"].sum() == pytest.approx(2 * 1000 * (110.0 - 110.25))


def test_checksubmit_reserves_futures_margin_for_orders_in_turn():
    # $5,000 of equity; ZN initial $2,200 a contract: 2 contracts fit, the third order does not.
    ds = days("2025-01-06", 3)
    br = make_broker(book({"ZNH25": [110.0] * 3}, ds), cash=5_000.0)
    strat = run(br, [feed("ZNH25", ds, [110.0] * 3)],
                {0: lambda s: (s.buy(size=1), s.buy(size=1), s.buy(size=1))})
    refused = [o for o in strat.orders if o.status == bt.Order.Margin]
    assert len(refused) == 1 and "at submission" in refused[0].info["reason"]
    assert br.contract_positions() == {"ZNH25": 2}
    statuses = [o.getstatusname() for o in strat.orders if o.ref == refused[0].ref]
    assert statuses == ["Submitted", "Margin"]
