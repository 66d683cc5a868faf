import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from ecore.data.feeds import CloseFeed, RootFeed, contract_of, held_contracts, make_feeds
from ecore.data.market import load_market
from ecore.data.synthetic_futures import build_price_book
from ecore.data.calendar import treasury_calendar
from ecore.data.rolls import RollRule


@pytest.fixture(scope="module")
def market():
    return load_market()


@pytest.fixture(scope="module")
def book(market):
    return build_price_book(market, ["ZN", "ZT", "UB"], "2003-01-01", "2006-12-31")


@pytest.mark.parametrize("rule", [RollRule(), RollRule(offset=2), RollRule(offset=10)])
def test_vectorized_held_contract_matches_the_roll_rule(rule):
    days = np.array(treasury_calendar().business_days_between("2018-01-01", "2020-12-31"), dtype="datetime64[D]")
    for root in ("ZN", "ZT", "UB"):
        held = held_contracts(root, days, rule)
        for d, c in zip(days[::3], held[::3]):
            assert c == rule.held(root, d.astype(object)), (root, d)


def run_collect(feeds, names):
    rows = []

    class Collect(bt.Strategy):
        def next(self):
            for n in names:
                d = self.getdatabyname(n)
                rows.append((n, d.datetime.date(0), d.close[0], d.lines.held[0], d.next_close[0], d.lines.next[0]))

    cerebro = bt.Cerebro(stdstats=False)
    for name, feed in feeds.items():
        cerebro.adddata(feed, name=name)
    cerebro.addstrategy(Collect)
    cerebro.run()
    return rows


def test_root_feed_lines_follow_held_and_next_contracts(market, book):
    rule = RollRule()
    feeds = make_feeds(market, book, ["ZN"], [], "2005-01-01", "2005-12-31", rule)
    assert isinstance(feeds["ZN"], RootFeed) and feeds["ZN"]._name == "ZN"
    rows = run_collect(feeds, ["ZN"])
    assert len(rows) > 240
    rolled = set()
    for _, day, close, held, next_close, nxt in rows:
        c = rule.held("ZN", day)
        assert contract_of("ZN", held) == c
        assert contract_of("ZN", nxt) == c.next()
        assert close == book.settle(c, day)
        assert next_close == book.settle(c.next(), day)
        rolled.add(c.code)
    assert rolled == {"ZNH05", "ZNM05", "ZNU05", "ZNZ05", "ZNH06"}
    # held = the contract at the close (RollRule.held): on the roll day the feed shows the new one
    roll = rule.roll_day(rule.held("ZN", "2005-02-01"))
    by_day = {r[1]: r for r in rows}
    before = treasury_calendar().add_business_days(roll, -1)
    assert contract_of("ZN", by_day[before][3]).code == "ZNH05"
    assert contract_of("ZN", by_day[roll][3]).code == "ZNM05"

def test_feed_count_does_not_grow_with_years(market, book):
    short = make_feeds(market, book, ["ZN", "ZT", "UB"], ["IVV", "AGG"], "2005-01-01", "2005-03-31")
    long = make_feeds(market, book, ["ZN", "ZT", "UB"], ["IVV", "AGG"], "2003-01-01", "2006-12-31")
    assert list(short) == list(long) == ["ZN", "ZT", "UB", "IVV", "AGG"]
    assert isinstance(long["IVV"], CloseFeed)


def test_feeds_share_one_index_and_start_when_their_data_starts(market, book):
    feeds = make_feeds(market, book, ["ZN"], ["IVV", "AGG"], "2003-06-02", "2003-12-31")
    zn, ivv, agg = (feeds[n].p.dataname for n in ("ZN", "IVV", "AGG"))
    assert zn.index[0] == pd.Timestamp("2003-06-02")
    assert agg.index[0] == pd.Timestamp("2003-09-29")  # AGG's first close
    assert agg.index.isin(zn.index).all() and zn.index.equals(ivv.index)
    # a bond-market holiday on which shares trade (Columbus Day) repeats the last settle
    assert pd.Timestamp("2003-10-13") in zn.index
    assert zn.loc["2003-10-13", "close"] == zn.loc["2003-10-10", "close"]
    assert (ivv["open"] == ivv["close"]).all() and (ivv["volume"] == 0).all()
    rows = run_collect(feeds, ["ZN"])
    assert rows[0][1].isoformat() == "2003-09-29"  # backtrader waits for every feed (prenext)


def test_unknown_symbol(market, book):
    with pytest.raises(KeyError, match="XYZ"):
        make_feeds(market, book, ["ZN"], ["XYZ"])


def test_benchmark_meets_its_target(capsys):
    import runpy
    from pathlib import Path

    bench = runpy.run_path(str(Path(__file__).resolve().parents[1] / "bench" / "bench_data.py"))
    assert bench["main"](["--years", "25"]) == 0
    assert "per contract-year" in capsys.readouterr().out


def _frame(index):
    close = np.arange(1.0, len(index) + 1)
    return pd.DataFrame({"open": close, "high": close, "low": close, "close": close, "volume": 0.0,
                         "openinterest": 0.0}, index=index)


def test_array_feed_dates_are_backtraders_date_numbers():
    from ecore.data.feeds import ContractFeed

    for index in (pd.DatetimeIndex(["1999-12-31", "2024-02-29", "2024-03-01"]),
                  pd.DatetimeIndex(["2024-02-29 15:30", "2024-03-01 09:00:01.5"])):  # times: the slow path
        feed = ContractFeed(dataname=_frame(index))
        feed.start()
        assert feed._datenums == [bt.date2num(t) for t in index.to_pydatetime()]


def test_a_replayed_array_feed_still_fills_on_the_days_tick():
    # The tick copy is skipped on plain feeds only.  Replayed weekly bars of daily prices 1, 2, ...:
    # a market order placed on Monday's tick fills at Tuesday's open (2), not the week's open (1).
    from ecore.data.feeds import ContractFeed

    fills = []

    class Buy(bt.Strategy):
        def next(self):
            if len(self.data) == 1 and not fills and not self.position:
                self.buy(size=1)

        def notify_order(self, order):
            if order.status == order.Completed:
                fills.append((self.data.datetime.date(0).isoformat(), order.executed.price))

    cerebro = bt.Cerebro(stdstats=False)
    cerebro.replaydata(ContractFeed(dataname=_frame(pd.bdate_range("2024-01-01", periods=10))),
                       timeframe=bt.TimeFrame.Weeks)
    cerebro.addstrategy(Buy)
    cerebro.run()
    assert fills == [("2024-01-02", 2.0)]


def test_latest_day_is_the_latest_bar_among_the_feeds(market, book):
    from ecore.data.feeds import latest_day

    feeds = make_feeds(market, book, roots=["ZN", "UB"], symbols=["SPY"], start="2004-01-02", end="2004-03-31")
    seen = []

    class Collect(bt.Strategy):
        def __init__(self):
            self.memo = {}

        def next(self):
            seen.append((latest_day(self.datas, self.memo), max(d.datetime.date(0) for d in self.datas if len(d))))

    cerebro = bt.Cerebro(stdstats=False)
    for name, feed in feeds.items():
        cerebro.adddata(feed, name=name)
    cerebro.addstrategy(Collect)
    cerebro.run()
    assert len(seen) > 55 and all(a == b for a, b in seen)
    assert latest_day([], {}) is None
