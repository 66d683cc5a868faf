"""backtrader's own broker is the oracle: strategies modelled on backtrader's tests and samples
(test_strategy_unoptimized/optimized, commission-schemes, sizertest, cheat-on-open,
multidata-strategy, the analyzer tests that trade) run on ``MarginBroker`` and on ``BackBroker``
configured alike, on the bundled closes of SPY/AGG/IVV, and must give the same order and trade
notifications and the same value and cash at the end of every bar, to the cent."""

from __future__ import annotations

import backtrader as bt
import pytest

from bt_oracle import both, flat_bars, gap_bars, margin_broker, run


class SmaCross(bt.Strategy):
    """test_strategy_unoptimized's strategy: one order at a time, buy on a cross up, close on a
    cross down."""

    params = (("period", 15), ("stake", 10))

    def __init__(self):
        self.cross = bt.ind.CrossOver(self.data.close, bt.ind.SMA(self.data, period=self.p.period))
        self.order = None

    def notify_order(self, order):
        if order.status not in (order.Submitted, order.Accepted):
            self.order = None

    def next(self):
        if self.order:
            return
        if not self.position.size:
            if self.cross > 0:
                self.order = self.buy(size=self.p.stake)
        elif self.cross < 0:
            self.order = self.close()


class SmaStake(bt.Strategy):
    """commission-schemes' SMACrossOver: buys on every cross up, sells a stake on a cross down."""

    params = (("stake", 10), ("period", 30))

    def __init__(self):
        self.signal = bt.ind.CrossOver(self.data, bt.ind.SMA(self.data, period=self.p.period))

    def next(self):
        if self.signal > 0:
            self.buy(size=self.p.stake)
        elif self.position and self.signal < 0:
            self.sell(size=self.p.stake)


class CloseSMA(bt.Strategy):
    """sizertest's strategy: buy on a cross up, sell on a cross down; the sizer decides."""

    params = (("period", 15),)

    def __init__(self):
        self.crossover = bt.ind.CrossOver(self.data, bt.ind.SMA(self.data, period=self.p.period))

    def next(self):
        if self.crossover > 0:
            self.buy()
        elif self.crossover < 0:
            self.sell()


class CheatOnOpen(bt.Strategy):
    """cheat-on-open's St: decides in next_open when cerebro cheats on open, else in next."""

    params = (("periods", (10, 30)),)

    def __init__(self):
        self.cheating = self.cerebro.p.cheat_on_open
        self.signal = bt.ind.CrossOver(*[bt.ind.SMA(period=x) for x in self.p.periods])
        self.order = None

    def notify_order(self, order):
        if order.status == order.Completed:
            self.order = None

    def operate(self):
        if self.order is not None:
            return
        if self.position:
            if self.signal < 0:
                self.order = self.close()
        elif self.signal > 0:
            self.order = self.buy(size=20)

    def next(self):
        if not self.cheating:
            self.operate()

    def next_open(self):
        if self.cheating:
            self.operate()


class MultiData(bt.Strategy):
    """multidata-strategy: trades data0 on a cross of data1's SMA, with a percent-of-cash stake."""

    params = (("period", 15), ("stake", 20))

    def __init__(self):
        self.signal = bt.ind.CrossOver(self.data0, bt.ind.SMA(self.data1, period=self.p.period))
        self.sig1 = bt.ind.CrossOver(self.data1, bt.ind.SMA(self.data1, period=self.p.period))
        self.orders = []

    def next(self):
        if self.signal > 0 and not self.getposition(self.data0):
            self.buy(data=self.data0, size=self.p.stake)
        elif self.signal < 0 and self.getposition(self.data0):
            self.close(data=self.data0)
        if self.sig1 > 0:
            self.order_target_percent(data=self.data1, target=0.3)
        elif self.sig1 < 0:
            self.order_target_percent(data=self.data1, target=0.0)


def same(a, b):
    """Compare the records of one run each, saying where they first part."""
    for key in ("orders", "trades", "daily"):
        assert len(a[key]) == len(b[key]), f"{key}: {len(a[key])} on BackBroker, {len(b[key])} on MarginBroker"
        for i, (x, y) in enumerate(zip(a[key], b[key])):
            assert x == y, f"{key}[{i}]: BackBroker {x} != MarginBroker {y}"


def test_sma_crossover_matches_backbroker():
    (a,), (b,) = both(SmaCross, [flat_bars()])
    assert len(a["trades"]) > 50
    same(a, b)


@pytest.mark.parametrize("scheme", [
    dict(commission=0.5, commtype=bt.CommInfoBase.COMM_PERC, stocklike=True, percabs=False),  # 0.5 %
    dict(commission=0.001, commtype=bt.CommInfoBase.COMM_PERC, stocklike=True),  # 0.1 %, percabs
    dict(commission=0.02, commtype=bt.CommInfoBase.COMM_FIXED, stocklike=True),  # $0.02 a share
])
def test_commission_schemes_match_backbroker(scheme):
    (a,), (b,) = both(SmaStake, [flat_bars()], configure=lambda c: c.broker.setcommission(**scheme))
    assert any(o[8] > 0 for o in a["orders"])  # commissions were charged
    same(a, b)


def test_addcommissioninfo_by_name_matches_backbroker():
    class PerShare(bt.CommInfoBase):
        params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_FIXED), ("commission", 0.01))

    def configure(c):
        c.broker.addcommissioninfo(PerShare(), name="SPY")

    (a,), (b,) = both(SmaStake, [flat_bars()], configure=configure)
    same(a, b)


def test_closing_sell_value_is_the_cost_basis():
    (a,), (b,) = both(SmaCross, [flat_bars()])
    sells = [o for o in b["orders"] if o[0] == "Completed" and o[1] == "sell"]
    # value = size x average entry price (not the sale's proceeds); the P&L is proceeds less it
    name, side, _, _, _, size, price, value, comm, pnl = sells[0]
    assert value == pytest.approx(-size * price - pnl, abs=0.02)
    same(a, b)


def test_fixed_reverser_sizer_shorts_and_reverses_like_backbroker():
    sizer = (bt.sizers.FixedReverser, {"stake": 10})
    (a,), (b,) = both(CloseSMA, [flat_bars()], sizer=sizer, configure=lambda c: c.broker.setcash(50_000))
    assert any(t[2] < 0 for t in a["trades"])  # it did go short
    same(a, b)


def test_long_only_sizer_matches_backbroker():
    class LongOnly(bt.Sizer):
        params = (("stake", 7),)

        def _getsizing(self, comminfo, cash, data, isbuy):
            if isbuy:
                return self.p.stake
            return self.p.stake if self.broker.getposition(data).size else 0

    (a,), (b,) = both(CloseSMA, [flat_bars()], sizer=(LongOnly, {}))
    same(a, b)


def test_percent_sizer_matches_backbroker():
    (a,), (b,) = both(SmaCross, [flat_bars()], sizer=(bt.sizers.PercentSizer, {"percents": 50}), stake=None)
    same(a, b)


def test_cheat_on_open_fills_at_the_open_like_backbroker():
    bars = gap_bars()
    (a,), (b,) = both(CheatOnOpen, [bars], cerebro_kw={"cheat_on_open": True})
    fills = [o for o in a["orders"] if o[0] == "Completed"]
    assert fills and all(bars.loc[o[4], "open"] == pytest.approx(o[6]) for o in fills)
    same(a, b)


def test_cheat_on_close_fills_at_the_order_bars_close_like_backbroker():
    bars = gap_bars()
    (a,), (b,) = both(CheatOnOpen, [bars], configure=lambda c: c.broker.set_coc(True))
    same(a, b)


@pytest.mark.parametrize("how", ["perc", "fixed"])
@pytest.mark.parametrize("match", [True, False])
def test_slippage_matches_backbroker(how, match):
    bars = flat_bars(spread=0.004)  # high and low 0.4 % from the close: 1 % slippage is capped

    def configure(c):
        if how == "perc":
            c.broker.set_slippage_perc(0.001 if match else 0.01, slip_match=match)
        else:
            c.broker.set_slippage_fixed(0.05 if match else 5.0, slip_match=match)

    (a,), (b,) = both(SmaCross, [bars], configure=configure)
    same(a, b)


def test_checksubmit_refuses_what_cash_cannot_pay_like_backbroker():
    # 100 shares of SPY (about $120 each) is more than $10,000: refused as Margin, every time.
    (a,), (b,) = both(SmaCross, [flat_bars()], stake=100)
    assert any(o[0] == "Margin" for o in a["orders"])
    same(a, b)


def test_checksubmit_off_matches_backbroker():
    (a,), (b,) = both(SmaStake, [flat_bars()], configure=lambda c: c.broker.set_checksubmit(False))
    same(a, b)


def test_fund_mode_values_match_backbroker():
    class Fund(bt.Analyzer):
        def start(self):
            self.rows = []

        def next(self):
            b = self.strategy.broker
            self.rows.append((round(b.get_fundvalue(), 6), round(b.get_fundshares(), 6)))

        def get_analysis(self):
            return self.rows

    class Deposits(SmaCross):
        def next(self):
            super().next()
            if len(self) % 100 == 0:
                self.broker.add_cash(1000)

    out = []
    for broker in (None, margin_broker()):
        c = bt.Cerebro(stdstats=False)
        if broker is not None:
            c.setbroker(broker)
        c.adddata(bt.feeds.PandasData(dataname=flat_bars(), name="SPY"))
        c.addstrategy(Deposits)
        c.broker.set_fundmode(True, fundstartval=10.0)
        c.addanalyzer(Fund, _name="fund")
        c.addanalyzer(bt.analyzers.TimeReturn, _name="tr", timeframe=bt.TimeFrame.Years)
        st = c.run()[0]
        out.append((st.analyzers.fund.get_analysis(), dict(st.analyzers.tr.get_analysis())))
    assert out[0][0] == out[1][0]
    assert out[0][1] == pytest.approx(out[1][1])


def test_multidata_matches_backbroker():
    datas = [(flat_bars("SPY"), "SPY"), (flat_bars("IVV"), "IVV")]
    (a,), (b,) = both(MultiData, datas, configure=lambda c: c.broker.setcash(100_000))
    same(a, b)


def test_analyzers_of_a_trading_strategy_match_backbroker():
    def analyses(broker):
        c = bt.Cerebro()  # AnnualReturn reads the broker observer
        if broker is not None:
            c.setbroker(broker)
        c.adddata(bt.feeds.PandasData(dataname=flat_bars(), name="SPY"))
        c.addstrategy(SmaCross)
        for a in (bt.analyzers.TradeAnalyzer, bt.analyzers.DrawDown, bt.analyzers.Returns,
                  bt.analyzers.SQN, bt.analyzers.Transactions, bt.analyzers.AnnualReturn,
                  bt.analyzers.TimeReturn, bt.analyzers.SharpeRatio, bt.analyzers.PositionsValue):
            c.addanalyzer(a, _name=a.__name__)
        st = c.run()[0]
        return {k: st.analyzers.getbyname(k).get_analysis() for k in st.analyzers.getnames()}

    a, b = analyses(None), analyses(margin_broker())
    assert str(a["TradeAnalyzer"]) == str(b["TradeAnalyzer"])
    assert a["DrawDown"]["max"]["drawdown"] == pytest.approx(b["DrawDown"]["max"]["drawdown"])
    assert a["SQN"]["sqn"] == pytest.approx(b["SQN"]["sqn"])
    assert a["Returns"]["rtot"] == pytest.approx(b["Returns"]["rtot"])
    assert {k: [[round(v, 2) if isinstance(v, float) else v for v in x] for x in rows]
            for k, rows in a["Transactions"].items()} == \
        {k: [[round(v, 2) if isinstance(v, float) else v for v in x] for x in rows]
         for k, rows in b["Transactions"].items()}
    assert dict(a["AnnualReturn"]) == pytest.approx(dict(b["AnnualReturn"]))
    assert dict(a["TimeReturn"]) == pytest.approx(dict(b["TimeReturn"]))
    assert a["SharpeRatio"]["sharperatio"] == pytest.approx(b["SharpeRatio"]["sharperatio"])
    # each day's values are a list (one per feed): compared list by list, as pytest 9's approx
    # refuses nested containers
    assert list(a["PositionsValue"]) == list(b["PositionsValue"])
    for day, values in a["PositionsValue"].items():
        assert values == pytest.approx(b["PositionsValue"][day]), day


class OrderTarget(bt.Strategy):
    """order_target sample: targets a size, a value and a percent of the portfolio in turn."""

    params = (("use", "size"),)

    def next(self):
        if len(self) % 20:
            return
        step = (len(self) // 20) % 5
        if self.p.use == "size":
            self.order_target_size(target=[10, 25, 5, 0, 15][step])
        elif self.p.use == "value":
            self.order_target_value(target=[3000.0, 6000.0, 1000.0, 0.0, 4500.0][step])
        else:
            self.order_target_percent(target=[0.3, 0.6, 0.1, 0.0, 0.45][step])


@pytest.mark.parametrize("use", ["size", "value", "percent"])
def test_order_target_matches_backbroker(use):
    (a,), (b,) = both(OrderTarget, [flat_bars()], use=use)
    assert sum(o[0] == "Completed" for o in a["orders"]) > 20
    same(a, b)


# ------------------------------------------------------------------ a fresh broker every run -----

def test_running_cerebro_twice_gives_the_same_numbers():
    broker = margin_broker()
    c = bt.Cerebro(stdstats=False)
    c.setbroker(broker)
    c.adddata(bt.feeds.PandasData(dataname=flat_bars(), name="SPY"))
    c.addstrategy(SmaStake)
    c.addanalyzer(bt.analyzers.TimeReturn, _name="tr")
    first = dict(c.run()[0].analyzers.tr.get_analysis())
    end_first = broker.getvalue()
    second = dict(c.run()[0].analyzers.tr.get_analysis())
    assert broker.getvalue() == end_first
    assert first == second


@pytest.mark.parametrize("maxcpus", [1, 2])
def test_optstrategy_matches_separate_runs(maxcpus):
    periods = [10, 15, 20]
    opt = run(SmaCross, [flat_bars()], margin_broker(), opt={"period": periods}, run_kw={"maxcpus": maxcpus})
    for period, got in zip(periods, opt):
        (alone,) = run(SmaCross, [flat_bars()], margin_broker(), period=period)
        (oracle,) = run(SmaCross, [flat_bars()], None, period=period)
        same(alone, got)
        same(oracle, got)
