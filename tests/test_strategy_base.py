"""The public strategy base (ecore.strategies.Strategy): calendar facts, quotes, orders of any
contract, margin requirements and calls, records - checked by hand in short backtests."""

import datetime as dt

import pytest

from ecore.engine.backtest.runner import BacktestConfig, run_backtest
from ecore.strategies import DailyReturn, Strategy


class Probe(Strategy):
    """Writes down what the helpers say on ``probe_day`` and buys ``contracts`` of the contract
    the ZN feed will carry next, through the root feed, on ``buy_day``."""

    instruments = ("ZN", "SPY")
    recorded_events = ("rebalance",)
    params = dict(probe_day=dt.date(2024, 5, 22), buy_day=dt.date(2024, 6, 3), contracts=10)

    def __init__(self):
        super().__init__()
        self.seen = {}
        self.calls = []
        self.ret = DailyReturn(self.getdatabyname("ZN"))

    def next(self):
        day = self.today()
        if day == self.p.probe_day:
            zn = self.held_contract("ZN")
            self.seen = {
                "held": zn, "next": self.next_contract("ZN"), "roll_day": self.roll_day(zn),
                "fill_day": self.fill_day(), "settle": self.settle(zn), "close": self.price("ZN"),
                "notional": self.contract_notional(zn), "duration": self.duration(zn),
                "quote": self.quote(zn), "memorial_day_open": self.is_business_day(dt.date(2024, 5, 27)),
                "margin": self.margin_requirements({"ZNU24": 10}), "multiplier": self.multiplier(zn),
                "roots": [self.root_of(d) for d in self.datas],
            }
        if day == self.p.buy_day:
            self.order_contract("ZNZ24", self.p.contracts, "rebalance")
            self.record_event("rebalance", "bought the December contract")
            self.seen["pending"] = self.has_pending_orders()
        if day == self.p.buy_day + dt.timedelta(days=1):
            self.seen["pending_after_fill"] = self.has_pending_orders()
            self.seen["positions"] = self.contract_positions()
        self.record_day(zn_return=self.ret[0])

    def notify_margin_call(self, call):
        self.calls.append(call)


@pytest.fixture(scope="module")
def probe():
    return run_backtest(BacktestConfig(strategy="test_strategy_base.Probe", start=dt.date(2024, 5, 1),
                                       end=dt.date(2024, 6, 28), benchmark=False))


def test_calendar_facts_of_the_day(probe):
    seen = probe.strategy.seen
    # June 2024 contracts: first notice 2024-05-31, the roll five business days earlier (Memorial
    # Day, 05-27, not counted): 2024-05-23.  On 05-22 the position is still in June.
    assert (seen["held"], seen["next"], seen["roll_day"]) == ("ZNM24", "ZNU24", dt.date(2024, 5, 23))
    assert seen["fill_day"] == dt.date(2024, 5, 23)
    assert seen["memorial_day_open"] is False


def test_quotes_come_from_the_price_book_in_points_and_years(probe):
    seen = probe.strategy.seen
    assert seen["settle"] == seen["close"]  # the root feed carries the held contract's settle
    assert seen["notional"] == pytest.approx(seen["settle"] * 1000)
    assert seen["multiplier"] == 1000
    assert 5 < seen["duration"] < 8  # a 10-year note future's modified duration, years
    assert (seen["quote"].contract, seen["quote"].price, seen["quote"].duration) == (
        "ZNM24", seen["settle"], seen["duration"])
    assert seen["roots"] == ["ZN", None]


def test_margin_requirements_are_the_schedules_dollars(probe):
    # brokers/margin_schedule.csv: ZN maintenance $2,125 from 2024-03-01; initial 110% of it
    assert probe.strategy.seen["margin"] == pytest.approx((21_250.0, 23_375.0))


def test_any_contract_of_a_root_is_ordered_through_its_feed(probe):
    t = probe.result.trades
    bought = t[t["kind"] == "rebalance"]
    assert bought[["instrument", "size"]].values.tolist() == [["ZNZ24", 10.0]]
    assert bought["date"].iloc[0].date() == dt.date(2024, 6, 4)
    assert probe.strategy.seen["pending"] is True and probe.strategy.seen["pending_after_fill"] is False
    assert probe.strategy.seen["positions"] == {"ZNZ24": 10}


def test_records_reach_the_report_tables(probe):
    ev = probe.result.events
    assert ev.loc[ev["kind"] == "rebalance", "detail"].tolist() == ["bought the December contract"]
    assert probe.metrics["rebalances"] == 1
    assert "zn_return" in probe.result.daily.columns


def test_the_daily_return_of_a_root_feed_skips_the_gap_between_contracts(probe):
    d = probe.result.daily.set_index("date")
    roll = d.loc["2024-05-23"]  # the feed moves from June to September that day
    book_june = probe.strategy.p.price_book
    sept_before = book_june.settle("ZNU24", dt.date(2024, 5, 22))
    sept_on = book_june.settle("ZNU24", dt.date(2024, 5, 23))
    assert roll["zn_return"] == pytest.approx(sept_on / sept_before - 1)


class Leveraged(Strategy):
    """Buys ``contracts`` ZB once on a small account; writes down the margin calls it is told of."""

    instruments = ("ZB",)
    params = dict(contracts=20)

    def __init__(self):
        super().__init__()
        self.calls = []
        self.bought = False

    def next(self):
        if not self.bought:
            self.order_contract(self.held_contract("ZB"), self.p.contracts)
            self.bought = True

    def notify_margin_call(self, call):
        self.calls.append(call)


def test_margin_calls_are_notified_with_their_amount_and_deadline():
    run = run_backtest(BacktestConfig(strategy="test_strategy_base.Leveraged", start=dt.date(2022, 1, 3),
                                      end=dt.date(2022, 3, 31), cash=100_000.0, benchmark=False))
    calls = run.strategy.calls
    assert calls and run.metrics["margin_calls"] == len(calls)
    first = calls[0]
    assert first.amount > 0 and first.deadline > first.issued
    assert first.amount == pytest.approx(first.initial - first.equity)
