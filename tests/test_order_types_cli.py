"""Protective orders end to end: `ecore backtest --strategy order_strategies.NAME --instruments
SPY,ZN` (bundled closes and settlements, no slippage): a stop-loss exits on the first close or
settlement at or through its stop, at that price, also after its position rolled; a bracket never
leaves an orphan leg; the cash journal reconciles to the cent."""

import json
import os
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from broker_helpers import assert_cash_journal_reconciles

from ecore.data.contracts import Contract
from ecore.data.market import load_market

TESTS = Path(__file__).resolve().parent
START, END = "2018-01-02", "2020-12-31"
ZERO_SLIPPAGE = "[broker.costs]\nfutures_slippage_ticks = 0\nshare_slippage_bps = 0\n"


def _backtest(strategy, cwd):
    (cwd / "zero.toml").write_text(ZERO_SLIPPAGE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run(["ecore", "backtest", "--strategy", f"order_strategies.{strategy}", "--instruments", "SPY,ZN",
                        "--start", START, "--end", END, "--no-benchmark", "--quiet", "--out", "out",
                        "--config", "zero.toml", "--analyzers", "order_strategies.OrderLog"],
                       capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    out = cwd / "out"
    return {
        "orders": json.loads((out / "analyzers.json").read_text())["order_strategies.OrderLog"],
        "trades": pd.read_csv(out / "trades.csv"),
        "journal": pd.read_csv(out / "journal.csv"),
        "daily": pd.read_csv(out / "daily.csv"),
    }


@pytest.fixture(scope="module")
def stops(tmp_path_factory):
    return _backtest("StopLossCross", tmp_path_factory.mktemp("stops"))


@pytest.fixture(scope="module")
def brackets(tmp_path_factory):
    return _backtest("BracketCross", tmp_path_factory.mktemp("brackets"))


def _settle_of_fill(journal, day, code):
    """The settlement a futures fill was booked against (the journal's note says it)."""
    rows = journal[(journal["date"] == day) & (journal["instrument"] == code) & journal["note"].fillna("").str.startswith("fill")]
    (note,) = rows["note"]
    return float(re.search(r"vs settle ([0-9.]+)", note).group(1))


def _month(code):
    c = Contract.parse(code)
    return c.year * 100 + c.month


def test_a_stop_loss_exits_on_the_first_close_through_its_stop_at_that_close(stops):
    closes = load_market().closes["SPY"]
    done = [o for o in stops["orders"].values() if o["type"] == "Stop" and o["statuses"][-1] == "Completed"]
    assert {o["data"] for o in done} == {"SPY", "ZN"}  # both kinds were stopped out
    for o in done:
        assert o["fill_price"] <= o["stop"] + 1e-9
        if o["data"] == "SPY":
            assert o["fill_price"] == pytest.approx(float(closes[o["fill_date"]]), abs=1e-9)
        else:
            assert o["fill_price"] == pytest.approx(_settle_of_fill(stops["journal"], o["fill_date"], o["tradeid"]))
        # on every earlier day the order waited, its instrument closed above the stop
        for day, close, held, stop in o["waited"]:
            if o["data"] == "ZN" and held != _month(o["tradeid"]):
                continue  # the feed then quoted another contract (the day of a roll)
            assert close > stop, (o, day)


def test_a_resting_stop_follows_its_position_into_the_next_contract(stops):
    t = stops["trades"]
    rolled = set(t.loc[(t["kind"] == "roll") & (t["size"] > 0), "instrument"])
    zn_stops = [o for o in stops["orders"].values() if o["data"] == "ZN" and o["type"] == "Stop"]
    assert any(o["tradeid"] in rolled for o in zn_stops)
    # never short: each contract's sells are covered by what was held (stops sell what was rolled in)
    for code, g in t[t["instrument"].str.startswith("ZN")].groupby("instrument"):
        assert g["size"].cumsum().min() >= 0, code


def test_no_bracket_leaves_an_orphan_leg(brackets):
    orders = brackets["orders"]
    parents = {ref: o for ref, o in orders.items() if o["parent"] is None and o["type"] == "Limit"}
    children = {}
    for ref, o in orders.items():
        if o["parent"] is not None:
            children.setdefault(o["parent"], []).append(o)
    assert parents and all(len(children[ref]) == 2 for ref in parents)
    fates = set()
    for ref, parent in parents.items():
        legs = [c["statuses"][-1] for c in children[ref]]
        fate = parent["statuses"][-1]
        fates.add(fate)
        if fate == "Completed":
            # one leg trades and the other is cancelled, or both still work at the end of the run
            assert sorted(legs) in (["Canceled", "Completed"], ["Accepted", "Accepted"]), (parent, legs)
        elif fate in ("Expired", "Canceled", "Margin", "Rejected"):
            assert legs == ["Canceled", "Canceled"], (parent, legs)
        else:
            assert fate == "Accepted" and legs == ["Accepted", "Accepted"]
    assert {"Completed", "Expired"} <= fates
    kinds = {(c["type"], c["statuses"][-1]) for cs in children.values() for c in cs}
    assert {("Stop", "Completed"), ("Limit", "Completed")} <= kinds  # stopped out and took profit


def test_bracket_positions_are_never_short(brackets):
    t = brackets["trades"]
    spy = t[t["instrument"] == "SPY"]
    assert spy["size"].cumsum().min() >= 0
    for code, g in t[t["instrument"].str.startswith("ZN")].groupby("instrument"):
        assert g["size"].cumsum().min() >= 0, code


@pytest.mark.parametrize("run", ["stops", "brackets"])
def test_the_cash_journal_reconciles_to_the_cent(run, request):
    out = request.getfixturevalue(run)
    j, daily = out["journal"], out["daily"]
    assert_cash_journal_reconciles(j, daily)
    # each day's journal rows add up to that day's change in NAV
    by_day = j.groupby("date")["amount"].sum()
    nav = daily.set_index("date")["nav"]
    change = nav.diff().fillna(nav.iloc[0] - 10_000_000)
    assert (by_day.reindex(nav.index, fill_value=0.0) - change).abs().max() < 0.01
