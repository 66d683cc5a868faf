"""Issue 22, item 6: user code that exits or crashes ends the command non-zero with one line naming
the user's file and line (not backtrader's, not ecore's); in a sweep that run is a failed row and
the sweep goes on, a killed worker too; analyzer errors name the analyzer."""

from __future__ import annotations

import sys
import textwrap

import pytest

from ecore.engine.cli.main import main

WINDOW = ["--start", "2021-01-04", "--end", "2021-03-30", "--no-benchmark", "--quiet", "--out", "out"]

STRATEGIES = textwrap.dedent("""\
    import os
    import signal
    import sys

    import backtrader as bt

    from usr_helper import boom


    class ExitInNext(bt.Strategy):
        def next(self):
            sys.exit(0)


    class ExitOneInNext(bt.Strategy):
        def next(self):
            raise SystemExit


    class RaiseInHelper(bt.Strategy):
        def next(self):
            boom()


    class RaiseInInit(bt.Strategy):
        def __init__(self):
            raise RuntimeError("no init")


    class RaiseInStop(bt.Strategy):
        def stop(self):
            raise ValueError("stop!")


    class RaiseInNotify(bt.Strategy):
        def next(self):
            if len(self) == 3:
                self.buy(data=self.datas[0], size=1)

        def notify_order(self, order):
            if order.status == order.Completed:
                raise KeyError("notified")


    class RaiseInNotifyTrade(RaiseInNotify):
        def notify_order(self, order):
            pass

        def notify_trade(self, trade):
            raise LookupError("trade notified")


    class Param(bt.Strategy):
        params = (("mode", "ok"),)

        def next(self):
            if self.p.mode == "exit":
                sys.exit(0)
            if self.p.mode == "raise":
                raise ValueError("bad mode")
            if self.p.mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if len(self) == 2:
                self.buy(data=self.datas[0], size=10)
    """)

ANALYZERS = textwrap.dedent("""\
    import backtrader as bt


    class BadNext(bt.Analyzer):
        def next(self):
            raise ValueError("analyzer next")


    class BadGet(bt.Analyzer):
        def get_analysis(self):
            raise RuntimeError("no analysis")


    class ExitGet(bt.Analyzer):
        def get_analysis(self):
            sys.exit(3)
    """)


@pytest.fixture
def user_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("ECORE_DEBUG", raising=False)
    (tmp_path / "usr_strats.py").write_text(STRATEGIES)
    (tmp_path / "usr_helper.py").write_text("def boom():\n    raise ZeroDivisionError('helper failed')\n")
    (tmp_path / "usr_analyzers.py").write_text(ANALYZERS)
    (tmp_path / "usr_syntax.py").write_text("import backtrader as bt\nclass A(bt.Analyzer:\n    pass\n")
    (tmp_path / "usr_exit_import.py").write_text("import sys\n\nsys.exit(0)\n")
    (tmp_path / "usr_raise_import.py").write_text("x = 1\nraise ImportWarning('at import')\n")
    names = ("usr_strats", "usr_helper", "usr_analyzers", "usr_syntax", "usr_exit_import", "usr_raise_import")
    for name in names:
        sys.modules.pop(name, None)
    yield tmp_path
    for name in names:
        sys.modules.pop(name, None)


def one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


@pytest.mark.parametrize("cls,words", [
    ("ExitInNext", "strategy ExitInNext: sys.exit(0) was called (at usr_strats.py:12)"),
    ("ExitOneInNext", "strategy ExitOneInNext: sys.exit() was called (at usr_strats.py:17)"),
    ("RaiseInHelper", "strategy RaiseInHelper raised ZeroDivisionError: helper failed (at usr_helper.py:2)"),
    ("RaiseInInit", "strategy RaiseInInit raised RuntimeError: no init (at usr_strats.py:27)"),
    ("RaiseInStop", "strategy RaiseInStop raised ValueError: stop! (at usr_strats.py:32)"),
    ("RaiseInNotify", "strategy RaiseInNotify raised KeyError: 'notified' (at usr_strats.py:42)"),
    ("RaiseInNotifyTrade", "raised LookupError: trade notified (at usr_strats.py:50)"),
])
def test_user_strategy_exit_or_crash_is_one_line_naming_the_users_line(user_folder, capsys, cls, words):
    code = main(["backtest", "--strategy", f"usr_strats.{cls}", "--instruments", "SPY", *WINDOW])
    line = one_error(capsys)
    assert code == 2
    assert words in line, line
    assert "backtrader" not in line
    assert not (user_folder / "out").exists()


@pytest.mark.parametrize("module,words", [
    ("usr_exit_import", "importing 'usr_exit_import': sys.exit(0) was called (at usr_exit_import.py:3)"),
    ("usr_raise_import", "importing 'usr_raise_import' raised ImportWarning: at import (at usr_raise_import.py:2)"),
])
def test_user_module_exit_or_crash_at_import_is_one_line(user_folder, capsys, module, words):
    code = main(["backtest", "--strategy", f"{module}.X", "--instruments", "SPY", *WINDOW])
    line = one_error(capsys)
    assert code == 2 and words in line, line


@pytest.mark.parametrize("analyzer,words", [
    ("usr_analyzers.BadNext", "analyzer BadNext raised ValueError: analyzer next (at usr_analyzers.py:6)"),
    ("usr_analyzers.BadGet", "analyzer BadGet raised RuntimeError: no analysis (at usr_analyzers.py:11)"),
    ("usr_analyzers.ExitGet", "analyzer ExitGet raised NameError"),
    ("usr_syntax.A", "analyzers: importing 'usr_syntax' raised SyntaxError"),
])
def test_an_analyzer_error_names_the_analyzer_and_its_line(user_folder, capsys, analyzer, words):
    code = main(["backtest", "--strategy", "SixtyForty", "--analyzers", analyzer, *WINDOW])
    line = one_error(capsys)
    assert code == 2 and words in line, line
    assert not (user_folder / "out").exists()


def test_a_syntax_error_in_an_analyzer_module_names_its_file_and_line(user_folder, capsys):
    main(["backtest", "--strategy", "SixtyForty", "--analyzers", "usr_syntax.A", *WINDOW])
    assert "(at usr_syntax.py:2)" in one_error(capsys)


def test_analyzers_are_found_in_the_current_folder_like_strategies(user_folder, capsys):
    (user_folder / "usr_ok_an.py").write_text(
        "import backtrader as bt\nclass Count(bt.Analyzer):\n    def get_analysis(self):\n        return {'n': 1}\n")
    sys.path[:] = [p for p in sys.path if p not in ("", str(user_folder))]
    try:
        assert main(["backtest", "--strategy", "SixtyForty", "--analyzers", "usr_ok_an.Count", *WINDOW]) == 0
    finally:
        sys.modules.pop("usr_ok_an", None)
    assert '"n": 1' in (user_folder / "out" / "analyzers.json").read_text()


def test_a_user_module_shadowed_by_the_standard_library_is_named(user_folder, capsys):
    (user_folder / "statistics.py").write_text("import backtrader as bt\nclass Mine(bt.Strategy):\n    pass\n")
    sys.path[:] = [p for p in sys.path if p not in ("", str(user_folder))]
    code = main(["backtest", "--strategy", "statistics.Mine", "--instruments", "SPY", *WINDOW])
    line = one_error(capsys)
    assert code == 2
    assert "statistics.py is not imported: 'statistics' is the name of an installed module" in line, line
    assert "rename your file" in line


# ----------------------------------------------------------------------------------- sweeps

def _sweep(folder, modes) -> str:
    grid = ", ".join(f'"{m}"' for m in modes)
    (folder / "s.toml").write_text(
        f'strategy = "usr_strats.Param"\ninstruments = "SPY"\nstart = 2021-01-04\nend = 2021-03-30\n'
        f'benchmark = false\n[grid]\nmode = [{grid}]\n')
    return "s.toml"


def _rows(folder) -> dict:
    import pandas as pd

    table = pd.read_csv(folder / "sw" / "results.csv")
    return {row["mode"]: (row["status"], row["error"]) for _, row in table.iterrows()}


def test_a_sweep_run_that_calls_sys_exit_is_a_failed_row_and_the_sweep_goes_on(user_folder, capsys):
    code = main(["sweep", _sweep(user_folder, ["ok", "exit", "raise"]), "--out", "sw", "--no-progress",
                 "--workers", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = _rows(user_folder)
    assert rows["ok"][0] == "ok"
    assert rows["exit"][0] == "failed" and "sys.exit(0) was called (at usr_strats.py:" in rows["exit"][1]
    assert rows["raise"][0] == "failed" and "ValueError: bad mode (at usr_strats.py:" in rows["raise"][1]
    assert "2 failed" in out


def test_a_killed_sweep_worker_is_a_failed_row_and_the_other_runs_finish(user_folder, capsys):
    code = main(["sweep", _sweep(user_folder, ["ok", "kill", "raise"]), "--out", "sw", "--no-progress",
                 "--workers", "2"])
    capsys.readouterr()
    assert code == 0
    rows = _rows(user_folder)
    assert rows["ok"][0] == "ok"
    assert rows["kill"][0] == "failed" and "worker process running this run died" in rows["kill"][1]
    assert rows["raise"][0] == "failed" and "bad mode" in rows["raise"][1]


def test_a_sweep_whose_every_run_exits_fails_non_zero(user_folder, capsys):
    code = main(["sweep", _sweep(user_folder, ["exit"]), "--out", "sw", "--no-progress", "--workers", "1"])
    err = capsys.readouterr().err
    assert code != 0
    assert "sys.exit(0) was called" in err


# ------------------------------------------------------------------------------------ paper

PAPER_STRATEGY = textwrap.dedent("""\
    import sys

    import backtrader as bt


    class ExitLive(bt.Strategy):
        def next(self):
            sys.exit(0)


    class RaiseLive(bt.Strategy):
        def next(self):
            raise ArithmeticError("live bar")
    """)


@pytest.fixture
def paper_gateway():
    from ecore.brokers.ib.simulator import FakeGateway
    from ib_helpers import bars_to_now, zn_gateway

    gw = FakeGateway()
    zn_gateway(gw)
    bars_to_now(gw)
    gw.start()
    yield gw
    gw.stop()


@pytest.mark.parametrize("cls,words", [
    ("ExitLive", "strategy ExitLive: sys.exit(0) was called (at usr_paper.py:8)"),
    ("RaiseLive", "strategy RaiseLive raised ArithmeticError: live bar (at usr_paper.py:13)"),
])
def test_paper_dry_run_of_a_strategy_that_exits_or_raises_is_one_line_non_zero(
        paper_gateway, user_folder, capsys, cls, words):
    sys.modules.pop("usr_paper", None)
    (user_folder / "usr_paper.py").write_text(PAPER_STRATEGY)
    (user_folder / "p.toml").write_text(
        f'[ib]\nport = {paper_gateway.port}\nclient_id = 9\nclient = "ib_async"\ntimeout = 2.0\n'
        f'request_timeout = 1.0\n[strategy]\nclass = "usr_paper.{cls}"\ninstruments = ["SPY"]\n'
        '[schedule]\nhistory_days = 4\nonce_timeout = 10.0\n')
    try:
        code = main(["paper", "--config", "p.toml", "--dry-run"])
    finally:
        sys.modules.pop("usr_paper", None)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("ecore paper: error: ") and words in err[-1], err
    assert not any("Traceback" in line for line in err)
    assert paper_gateway.placed == []


@pytest.mark.parametrize("content,words", [
    (None, "is a folder, not a journal file (SQLite)"),
    (b"not a database at all", "is not a journal: not a SQLite database"),
])
@pytest.mark.parametrize("action", [["--dry-run"], ["status"]])
def test_a_paper_journal_that_is_a_folder_or_not_a_database_is_named(user_folder, capsys, content, words, action):
    if content is None:
        (user_folder / "j.sqlite").mkdir()
    else:
        (user_folder / "j.sqlite").write_bytes(content)
    (user_folder / "p.toml").write_text('[ib]\nport = 4002\njournal = "j.sqlite"\n[strategy]\nclass = "EfficientCore"\n')
    argv = ["paper", *(["status"] if action == ["status"] else []), "--config", "p.toml",
            *(action if action != ["status"] else [])]
    code = main(argv)
    line = one_error(capsys)
    assert code == 2
    assert "p.toml, line 3: ib.journal: " in line and words in line, line
