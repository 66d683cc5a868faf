"""Any backtrader strategy in `ecore backtest`: a plain one that imports nothing from ecore runs
from the command line on SPY and ZN, its cash journal reconciles, and its ZN position rolls every
quarter into the right contract; the usual backtrader idioms work on root feeds."""

import ast
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from broker_helpers import assert_cash_journal_reconciles

from ecore.brokers.delivery_guard import DeliveryWarning
from ecore.data.contracts import Contract
from ecore.data.rolls import RollRule
from ecore.engine.cli.main import main
from ecore.engine.backtest.runner import BacktestConfig, run_backtest

TESTS = Path(__file__).resolve().parent
START, END = "2004-01-02", "2013-12-31"


def ecore(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    return subprocess.run(["ecore", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """`ecore backtest --strategy user_strategies.BuyAndHoldFive --instruments SPY,ZN`, 2004-2013."""
    cwd = tmp_path_factory.mktemp("plain")
    r = ecore("backtest", "--strategy", "user_strategies.BuyAndHoldFive", "--instruments", "SPY,ZN",
              "--start", START, "--end", END, "--no-benchmark", "--quiet", "--out", "out",
              "--analyzers", "TradeAnalyzer", cwd=cwd)
    assert r.returncode == 0, r.stderr[-2000:]
    out = cwd / "out"
    return {
        "stdout": r.stdout,
        "daily": pd.read_csv(out / "daily.csv"),
        "trades": pd.read_csv(out / "trades.csv"),
        "journal": pd.read_csv(out / "journal.csv"),
        "metrics": json.loads((out / "metrics.json").read_text())["strategy"],
        "report": (out / "report.html").read_text(),
        "analyzers": json.loads((out / "analyzers.json").read_text()),
    }


def test_the_plain_strategy_imports_nothing_from_ecore():
    tree = ast.parse((TESTS / "user_strategies.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported == {"backtrader"}


def test_its_cash_journal_reconciles_to_the_cent(plain):
    j, daily = plain["journal"], plain["daily"]
    assert_cash_journal_reconciles(j, daily)


def test_its_zn_position_rolls_once_a_quarter_on_the_roll_day(plain):
    rolls = plain["trades"][plain["trades"]["kind"] == "roll"]
    sold = rolls[rolls["size"] == -5]
    bought = rolls[rolls["size"] == 5]
    assert len(sold) == len(bought) == len(rolls) / 2 == 40  # ten years, four rolls a year
    assert sold["date"].str[:4].value_counts().sort_index().tolist() == [4] * 10
    rule = RollRule()
    for (_, out), (_, into) in zip(sold.iterrows(), bought.iterrows()):
        old = Contract.parse(out["instrument"])
        assert out["date"] == into["date"] == rule.roll_day(old).isoformat()
        assert into["instrument"] == old.next().code
    assert plain["metrics"]["rolls"] == 40


def test_no_position_is_closed_for_delivery(plain):
    assert plain["metrics"]["forced_liquidations"] == 0
    assert not (plain["journal"]["kind"] == "delivery_guard").any()
    assert set(plain["trades"]["kind"]) == {"trade", "roll"}


def test_it_holds_five_of_the_right_contract_ten_years_later(plain):
    held = plain["trades"].groupby("instrument")["size"].sum()
    held = held[held != 0].to_dict()
    last_day = plain["daily"]["date"].iloc[-1]
    assert held == {"SPY": 1000, RollRule().held("ZN", last_day).code: 5}
    assert RollRule().held("ZN", last_day).code == "ZNH14"


def test_columns_and_counts_that_do_not_apply_are_empty(plain):
    assert plain["daily"]["ladder_duration"].isna().all()
    assert plain["metrics"]["rebalances"] is None
    assert "<h2>Futures notional</h2>" in plain["report"]
    assert "BuyAndHoldFive" in plain["stdout"] and "n/a" in plain["stdout"]


def test_backtrader_analyzers_see_each_roll_close_a_trade_and_open_the_next(plain):
    total = plain["analyzers"]["TradeAnalyzer"]["total"]
    assert total == {"total": 42, "open": 2, "closed": 40}  # 41 ZN contracts and SPY; 40 rolls


def run(strategy, instruments, start, end, **params):
    return run_backtest(BacktestConfig(strategy=f"user_strategies.{strategy}", instruments=instruments,
                                       start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end),
                                       params=params, benchmark=False))


def test_daily_order_target_percent_on_a_root_feed_rolls_once_a_quarter():
    result = run("TargetWeights", ("SPY", "ZN"), "2019-01-02", "2020-12-31").result
    t = result.trades
    roll_days = sorted(set(t.loc[t["kind"] == "roll", "date"].dt.date))
    expected = [RollRule().roll_day(Contract("ZN", y, m)) for y in (2019, 2020) for m in (3, 6, 9, 12)]
    assert roll_days == expected
    # sized by notional: 100% of NAV, give or take a contract (~$130k) and the day's move
    d = result.daily.iloc[5:]
    assert (d["futures_notional"] / d["nav"] - 1).abs().median() < 0.01


def test_an_order_that_may_never_fill_is_not_rolled():
    t = run("RestingLimit", ("ZN",), "2021-01-04", "2021-06-30").result.trades
    assert t[["date", "instrument", "size", "kind"]].astype(str).values.tolist() == [
        ["2021-01-05", "ZNH21", "3.0", "trade"],
        ["2021-02-19", "ZNH21", "-3.0", "roll"], ["2021-02-19", "ZNM21", "3.0", "roll"],
        ["2021-05-21", "ZNM21", "-3.0", "roll"], ["2021-05-21", "ZNU21", "3.0", "roll"]]


def test_the_tutorial_strategy_trades_a_root_feed_and_its_trades_close_at_the_roll():
    run_ = run("TutorialCross", ("ZN",), "2018-01-02", "2020-12-31")
    t = run_.result.trades
    # the fifty-day average needs fifty bars before the first order can be placed
    assert t["date"].iloc[0] > pd.Timestamp("2018-03-14")
    rolls = t[t["kind"] == "roll"]
    assert len(rolls) == 2 * run_.metrics["rolls"] > 0
    # every position was closed by self.close() through the root feed, in the contract held then,
    # but a last one still open (if the averages say so) in the contract held on the last day
    open_ = t.groupby("instrument")["size"].sum().pipe(lambda s: s[s != 0]).to_dict()
    assert open_ in ({}, {RollRule().held("ZN", "2020-12-31").code: 2.0})


def test_notify_trade_sees_each_contracts_own_profit_never_the_roll_spread():
    run_ = run("TutorialCross", ("ZN",), "2018-01-02", "2020-12-31")
    t = run_.result.trades.assign(value=lambda f: f["size"] * f["price"] * 1000)
    flat = t.groupby("instrument").filter(lambda g: g["size"].sum() == 0)
    expected = (-flat.groupby("instrument")["value"].sum()).round(6).to_dict()
    seen = {}
    for contract, pnl in run_.strategy.closed:
        seen[contract] = seen.get(contract, 0.0) + pnl
    assert {k: round(v, 6) for k, v in seen.items()} == expected
    # the engine's roll orders are the strategy's too: it is told of every fill
    assert run_.strategy.statuses == ["Completed"] * len(t)


def test_a_strategy_that_says_it_rolls_itself_is_not_rolled():
    with pytest.warns(DeliveryWarning, match="ZNH21 held into its delivery window"):
        result = run("RollsItself", ("SPY", "ZN"), "2021-01-04", "2021-03-31").result
    t = result.trades
    assert not (t["kind"] == "roll").any()
    # never rolled: the broker closes ZNH21 on the day before its first intention day (02-25)
    forced = t[t["kind"] == "forced"]
    assert forced[["instrument", "size"]].values.tolist() == [["ZNH21", -5.0]]
    assert forced["date"].iloc[0].date() == dt.date(2021, 2, 24)


def test_a_contract_code_is_one_fixed_contract_and_is_not_rolled():
    config = BacktestConfig(strategy="user_strategies.BuyAndHoldFive", instruments=("SPY", "ZN=ZNM21"),
                            benchmark=False)
    with pytest.warns(DeliveryWarning, match="ZNM21 held into its delivery window"):
        run_ = run_backtest(config)
    d = run_.result.daily
    # the default window is the contract's life: listing to last trading day
    assert d["date"].iloc[0].date() == Contract.parse("ZNM21").listing_day()
    assert d["date"].iloc[-1].date() == dt.date(2021, 6, 21)
    t = run_.result.trades
    assert not (t["kind"] == "roll").any()
    assert t.loc[t["kind"] == "forced", "instrument"].tolist() == ["ZNM21"]


def test_a_strategy_declares_its_default_instruments():
    run_ = run("DefaultFeeds", (), "2021-01-04", "2021-12-31")
    t = run_.result.trades
    assert set(t["instrument"].str[:2]) == {"ZB"}
    assert run_.metrics["rolls"] == 4
    assert t.groupby("instrument")["size"].sum().pipe(lambda s: s[s != 0]).to_dict() == {"ZBH22": -3}


def test_a_root_launched_after_the_start_starts_its_feed_at_the_launch():
    config = BacktestConfig(strategy="user_strategies.TargetWeights", instruments=("ZN", "TN"),
                            params={"weights": {"ZN": 0.5, "TN": 0.5}}, benchmark=False,
                            end=dt.date(2016, 6, 30))
    run_ = run_backtest(config)
    assert run_.result.daily["date"].iloc[0].date() == dt.date(2016, 1, 11)  # TN's launch
    with pytest.warns(UserWarning, match="TN was launched on 2016-01-11: its feed starts then"):
        early = run_backtest(config.replace(start=dt.date(2015, 6, 1)))
    assert early.result.trades["date"].iloc[0] > pd.Timestamp("2016-01-11")


@pytest.mark.parametrize("args, words", [
    (["--strategy", "no_such_module.Strategy"], "cannot import module 'no_such_module'"),
    (["--strategy", "user_strategies.Missing"], "module 'user_strategies' has no class 'Missing'"),
    (["--strategy", "user_strategies.NotAStrategy"], "user_strategies.NotAStrategy is not a backtrader.Strategy subclass"),
    (["--strategy", "user_strategies.BuyAndHoldFive", "--instruments", "SPY,QQQ"], "unknown instrument 'QQQ'"),
    (["--strategy", "user_strategies.BuyAndHoldFive", "--instruments", "SPY,TNH10"], "TN was launched on 2016-01-11"),
    (["--strategy", "user_strategies.BuyAndHoldFive", "--instruments", "SPY,BOND=ZNM25"], "only a contract's feed may be renamed"),
    (["--strategy", "user_strategies.BuyAndHoldFive", "--instruments", "SPY,ZNF25"],
     "instruments: 'ZNF25' is not a contract: ZN is not listed for month 1"),
    (["--strategy", "user_strategies.BuyAndHoldFive", "--instruments", "SPY,ZNH35"],
     "instruments: ZNH35 trades from 2034-"),
    (["--strategy", "user_strategies.BuyAndHoldFive"], "BuyAndHoldFive declares no instruments"),
    (["--strategy", "EfficientCore", "--instruments", "SPY"], "EfficientCore names its own feeds"),
    (["--strategy", "user_strategies.Broken", "--instruments", "SPY"],
     "Broken raised ZeroDivisionError: division by zero (at user_strategies.py:"),
])
def test_bad_strategies_and_instruments_are_one_line_errors_and_nothing_is_written(tmp_path, capsys, args, words):
    status = main(["backtest", *args, "--start", "2021-01-04", "--end", "2021-03-31", "--no-benchmark",
                   "--quiet", "--out", str(tmp_path / "res")])
    assert status == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], lines
    assert not (tmp_path / "res").exists()


def test_a_strategy_module_in_the_current_folder_or_beside_the_config_is_found(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the folders the command adds are forgotten
    monkeypatch.delitem(sys.modules, "local_strategy", raising=False)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "local_strategy.py").write_text(
        "import backtrader as bt\n\nclass Hold(bt.Strategy):\n    instruments = ('SPY',)\n\n"
        "    def next(self):\n        if not self.position:\n            self.buy(size=10)\n")
    (tmp_path / "mine" / "run.toml").write_text(
        'strategy = "local_strategy.Hold"\nstart = "2021-01-04"\nend = "2021-02-26"\nbenchmark = false\n')
    assert main(["backtest", "--config", "mine/run.toml", "--quiet", "--out", "res"]) == 0
    assert pd.read_csv(tmp_path / "res" / "trades.csv")["instrument"].tolist() == ["SPY"]
    sys.modules.pop("local_strategy", None)
