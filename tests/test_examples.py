"""The two strategies of examples/: each runs in a backtest, in a two-run sweep of its sweep file,
and on the fake IB gateway in paper mode with its paper config."""

import dataclasses
import datetime as dt
import math
import sys
from pathlib import Path

import pytest

from ecore.data.calendar import treasury_calendar
from ecore.data.contracts import spec
from ecore.data.rolls import RollRule
from ecore.engine.paper.config import load_config
from ecore.engine.paper.run import run_paper
from ecore.engine.backtest.runner import BacktestConfig, run_backtest
from ecore.engine.sweep import LocalPool, load_sweep, run_sweep
from ecore.brokers.ib.simulator import FakeGateway

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TREND, PARITY = "treasury_trend.TreasuryTrend", "risk_parity.RiskParity"
SIX = ("ZT", "ZF", "ZN", "TN", "ZB", "UB")


@pytest.fixture(scope="module", autouse=True)
def examples_importable():
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(EXAMPLES))
        yield


def reconciles(result) -> bool:
    """The cash journal's running balance adds up to the cent, and NAV = cash + shares daily."""
    j, d = result.journal, result.daily
    cash = j[j["account"] == "cash"]
    opening = cash["balance"].iloc[0] - cash["amount"].iloc[0]
    return bool((opening + cash["amount"].cumsum() - cash["balance"]).abs().max() < 0.01
                and (d["nav"] - d["cash"] - d["shares_value"]).abs().max() < 0.01)


def rolls_per_root(result) -> dict:
    t = result.trades
    sold = t[(t["kind"] == "roll") & (t["size"] < 0)]
    return sold.groupby(sold["instrument"].str[:-3]).size().to_dict()


# ------------------------------------------------------------------------------------- backtest

@pytest.fixture(scope="module")
def trend():
    return run_backtest(BacktestConfig(strategy=TREND, start=dt.date(2016, 1, 11), end=dt.date(2018, 12, 31),
                                       params={"lookback": 126}, benchmark=False))


def test_the_trend_example_trades_all_six_roots_at_about_its_volatility_target(trend):
    assert reconciles(trend.result)
    assert set(trend.result.trades["instrument"].str[:-3]) == set(SIX)
    assert trend.metrics["forced_liquidations"] == trend.metrics["margin_calls"] == 0
    # six roots at 10%/6 each: Treasury curves move together, so the whole is near 10%
    assert 0.04 < trend.metrics["annual_volatility"] < 0.14


def roll_days_after(root: str, first: dt.date, last: dt.date) -> int:
    """How many roll days of ``root`` fall after ``first`` and up to ``last``."""
    rule, c, n = RollRule(), RollRule().held(root, first), 0
    while rule.roll_day(c) <= last:
        n += rule.roll_day(c) > first
        c = c.next()
    return n


def test_the_trend_examples_positions_roll_once_a_quarter(trend):
    t = trend.result.trades
    for root in SIX:
        first = t.loc[t["instrument"].str[:-3] == root, "date"].min().date()
        assert rolls_per_root(trend.result)[root] == roll_days_after(root, first, dt.date(2018, 12, 31)), root


@pytest.fixture(scope="module")
def parity():
    return run_backtest(BacktestConfig(strategy=PARITY, start=dt.date(2019, 1, 2), end=dt.date(2020, 12, 31),
                                       benchmark=False))


def test_the_risk_parity_example_rebalances_each_month_and_rolls_each_quarter(parity):
    assert reconciles(parity.result)
    assert parity.metrics["rebalances"] == 21  # Apr 2019 (after 63 days of returns) to Dec 2020
    assert rolls_per_root(parity.result) == {"ZN": 7, "ZB": 7}  # June 2019 to December 2020
    assert parity.metrics["margin_calls"] == 0


def test_risk_parity_shares_stay_fully_paid_and_under_their_cap(parity):
    d = parity.result.daily
    assert (d["cash"] > 0).all()
    assert (d["shares_value"] <= 0.8 * d["nav"] * 1.05).all()  # 80% at the rebalance, plus drift


# ---------------------------------------------------------------------------------------- sweep

@pytest.mark.parametrize("file, start, end", [
    ("treasury_trend_sweep.toml", dt.date(2016, 1, 11), dt.date(2017, 6, 30)),
    ("risk_parity_sweep.toml", dt.date(2019, 1, 2), dt.date(2019, 12, 31)),
])
def test_a_two_run_sweep_of_each_example(tmp_path, file, start, end):
    spec = dataclasses.replace(load_sweep(EXAMPLES / file), start=start, end=end)
    points = spec.points()[:2]
    outcome = run_sweep(spec, tmp_path / "out", executor=LocalPool(2), progress=False, report=False,
                        points=points)
    assert len(outcome.table) == 2 and outcome.failed == 0, outcome.table["error"].tolist()
    assert outcome.table["final_nav"].nunique() == 2


# ---------------------------------------------------------------------------------------- paper

LIVE_DAY = dt.date(2025, 4, 15)  # mid-quarter: every root holds its June contract on every bar
BARS = 20
UP, DOWN = 0.003, -0.001  # alternating daily returns: mean +0.1%, population std exactly 0.2%
NAV = 1_000_000.0  # the fake account's net liquidation


def price_path(start: float) -> list[float]:
    prices = [start]
    for k in range(BARS - 1):
        prices.append(prices[-1] * (1 + (UP if k % 2 == 0 else DOWN)))
    return prices


def script(gateway, roots=(), stocks=()) -> dict:
    """Daily bars ending on LIVE_DAY: each root's held and next contract, each stock; returns the
    last close of each instrument."""
    cal = treasury_calendar()
    days = [cal.add_business_days(LIVE_DAY, -k) for k in range(BARS - 1, -1, -1)]
    stamps = [d.strftime("%Y%m%d") for d in days]
    last = {}
    for root in roots:
        held = RollRule().held(root, LIVE_DAY)
        for contract, start in ((held, 110.0), (held.next(), 109.5)):
            path = price_path(start)
            gateway.add_future(spec(root).ib_symbol, f"{contract.year}{contract.month:02d}",
                               contract.last_trading_day().strftime("%Y%m%d"),
                               multiplier=str(spec(root).multiplier), price=path[-1],
                               bars=[(s, p, p, p, p, 100) for s, p in zip(stamps, path)])
            last[contract.code] = path[-1]
    for symbol in stocks:
        path = price_path(500.0)
        gateway.add_stock(symbol, price=path[-1], bars=[(s, p, p, p, p, 1000) for s, p in zip(stamps, path)])
        last[symbol] = path[-1]
    gateway.start()
    return last


@pytest.fixture
def gateway():
    gw = FakeGateway()
    yield gw
    gw.stop()
    assert gw.errors == [], "the fake gateway failed to handle a message"


def paper(gateway, tmp_path, file):
    config = load_config(EXAMPLES / file)
    config = dataclasses.replace(config, port=gateway.port, client="ib_async", journal=tmp_path / "journal.sqlite",
                                 kill_file=tmp_path / "STOP", history_days=BARS,
                                 seed_history=False,  # the fake's prices are not the data folder's
                                 strategy_params={**config.strategy_params, "lookback": 10, "vol_window": 10}
                                 if "trend" in file else {"vol_window": 10})
    clock = lambda tz: dt.datetime.combine(LIVE_DAY, dt.time(17, 0), tzinfo=tz)  # noqa: E731
    return run_paper(config, once_timeout=10.0, clock=clock)


def placed(gateway) -> dict:
    return {o.instrument.localSymbol: (o.action, o.totalQuantity) for o in gateway.placed}


def annual_vol() -> float:
    return 0.002 * math.sqrt(252)


def test_the_trend_example_buys_each_root_to_its_volatility_target_on_paper(gateway, tmp_path):
    last = script(gateway, roots=SIX)
    result = paper(gateway, tmp_path, "treasury_trend_paper.toml")
    target = NAV * 0.10 / 6 / annual_vol()  # $524,934 of notional per root: every root trends up
    expected = {}
    for root in SIX:
        c = RollRule().held(root, LIVE_DAY)
        expected[c.ib_local_symbol] = ("BUY", float(int(target // (last[c.code] * spec(root).multiplier))))
    assert placed(gateway) == expected
    assert result.positions == {RollRule().held(r, LIVE_DAY).code: expected[RollRule().held(r, LIVE_DAY).ib_local_symbol][1]
                                for r in SIX}


def test_the_risk_parity_example_trades_shares_and_futures_on_paper(gateway, tmp_path):
    last = script(gateway, roots=("ZN", "ZB"), stocks=("SPY",))
    paper(gateway, tmp_path, "risk_parity_paper.toml")
    weight = 0.10 / 3 / annual_vol()  # 105% of NAV each: the same volatility everywhere
    zn, zb = (RollRule().held(r, LIVE_DAY) for r in ("ZN", "ZB"))
    assert placed(gateway) == {
        "SPY": ("BUY", float(math.floor(0.8 * NAV / last["SPY"]))),  # shares capped at 80% of NAV
        zn.ib_local_symbol: ("BUY", float(round(weight * NAV / (last[zn.code] * 1000)))),
        zb.ib_local_symbol: ("BUY", float(round(weight * NAV / (last[zb.code] * 1000)))),
    }
