"""Issue 22's bad inputs, off the paths round one tested, as rows of ``tests/test_bad_inputs.py``:
(kind, id, argv, files {relative path: text, bytes or "__data__": mutate(folder)}, words of the
one line).  Each must stop with exit status 2, one line naming the place, nothing written."""

from __future__ import annotations

import gzip
import os

import pandas as pd

WINDOW = ["--start", "2021-01-04", "--end", "2021-06-30"]
SWEEP = 'strategy = "EfficientCore"\nstart = 2021-01-04\nend = 2021-06-30\n'
GRID = "[grid]\ndrift_band = [0.05]\n"


def bt(*args):
    return ["backtest", *args, "--out", "out", "--quiet"]


def sw(text, *args):
    return ["sweep", "s.toml", "--out", "out", "--no-progress", *args], {"s.toml": text}


def user(module: str, body: str) -> dict:
    return {f"{module}.py": "import sys\nimport backtrader as bt\n\n" + body}


# ------------------------------------------------------------------------------ data mutations

def _scale_from(kind, name, day, factor):
    """Every value of ``kind/name.csv`` from ``day`` on multiplied by ``factor`` (an unadjusted split)."""
    def mutate(d):
        path = d / kind / f"{name}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        col = frame.columns[-1]
        values = pd.to_numeric(frame[col], errors="coerce")
        after = frame.iloc[:, 0] >= day
        frame.loc[after, col] = (values[after] * factor).map(repr)
        frame.to_csv(path, index=False)
    return mutate


def _gz_copy(kind, name, as_name=None):
    def mutate(d):
        src = d / kind / f"{name}.csv"
        (d / kind / (as_name or f"{name}.csv.gz")).write_bytes(gzip.compress(src.read_bytes()))
    return mutate


def _copy(kind, name, as_name):
    def mutate(d):
        (d / kind / as_name).write_bytes((d / kind / f"{name}.csv").read_bytes())
    return mutate


def _mkdir(rel):
    return lambda d: (d / rel).mkdir(parents=True)


def _loop(kind, a, b):
    def mutate(d):
        os.symlink(d / kind / b, d / kind / a)
        os.symlink(d / kind / a, d / kind / b)
    return mutate


def _broken(kind, name):
    return lambda d: os.symlink(d / kind / "gone.csv", d / kind / name)


def _write(rel, text):
    def mutate(d):
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(text)
    return mutate


def _all_of(*fns):
    def mutate(d):
        for fn in fns:
            fn(d)
    return mutate


def data_row(name, mutate, words, argv=None):
    return ("data", name, argv or bt("--data", "d", *WINDOW), {"__data__": mutate}, words)


# ------------------------------------------------------------------------------------ the rows

OPTION_ROWS = [
    ("options", "out-empty", ["backtest", "--out", "", "--quiet"], {}, "--out: an empty path"),
    ("options", "out-equals-empty", ["backtest", "--out=", "--quiet"], {}, "--out: an empty path"),
    ("options", "config-empty", ["backtest", "--config", "", "--quiet"], {}, "--config: an empty path"),
    ("options", "data-blank", ["backtest", "--data", " ", "--quiet"], {}, "--data: an empty path"),
    ("options", "sweep-file-empty", ["sweep", "", "--out", "out"], {}, "FILE: an empty path"),
    ("options", "sweep-out-empty", ["sweep", "s.toml", "--out", ""], {"s.toml": SWEEP + GRID}, "--out: an empty path"),
    ("options", "download-out-empty", ["data", "download", "--out", ""], {}, "--out: an empty path"),
    ("options", "paper-config-empty", ["paper", "--config", "", "--dry-run"], {}, "--config: an empty path"),
    ("options", "out-report-is-a-folder", bt(*WINDOW), {"out/report.html/mine.txt": "precious"},
     "out/report.html is a folder, where this command writes its report.html"),
    ("options", "out-file-no-manifest-lists", bt(*WINDOW), {"out/trades.csv": "my own trades"},
     "out/trades.csv exists and no ecore run wrote it"),
    ("options", "out-analyzers-json-is-users", bt("--analyzers", "DrawDown", *WINDOW), {"out/analyzers.json": "{}"},
     "out/analyzers.json exists and no ecore run wrote it"),
    ("options", "strategy-shadowed-by-stdlib", bt("--strategy", "json.Mine", "--instruments", "SPY"),
     user("json", "class Mine(bt.Strategy):\n    pass\n"),
     "json.py is not imported: 'json' is the name of an installed module"),
    ("options", "strategy-exits-at-import", bt("--strategy", "r2_exit_import.S", "--instruments", "SPY"),
     user("r2_exit_import", "sys.exit(0)\n"), "sys.exit(0) was called (at r2_exit_import.py:4)"),
    ("options", "strategy-raises-at-import", bt("--strategy", "r2_raise_import.S", "--instruments", "SPY"),
     user("r2_raise_import", "raise RuntimeError('no config here')\n"),
     "importing 'r2_raise_import' raised RuntimeError: no config here (at r2_raise_import.py:4)"),
    ("options", "strategy-syntax-error", bt("--strategy", "r2_syntax.S", "--instruments", "SPY"),
     {"r2_syntax.py": "class S(:\n    pass\n"}, "importing 'r2_syntax' raised SyntaxError: invalid syntax (at r2_syntax.py:1)"),
    ("options", "strategy-exits-in-next", bt("--strategy", "r2_exit_next.S", "--instruments", "SPY", *WINDOW),
     user("r2_exit_next", "class S(bt.Strategy):\n    def next(self):\n        sys.exit(0)\n"),
     "strategy S: sys.exit(0) was called (at r2_exit_next.py:6)"),
    ("options", "strategy-exit-1-in-init", bt("--strategy", "r2_exit_init.S", "--instruments", "SPY", *WINDOW),
     user("r2_exit_init", "class S(bt.Strategy):\n    def __init__(self):\n        sys.exit(1)\n"),
     "strategy S: sys.exit(1) was called (at r2_exit_init.py:6)"),
    ("options", "strategy-raises-in-stop", bt("--strategy", "r2_stop.S", "--instruments", "SPY", *WINDOW),
     user("r2_stop", "class S(bt.Strategy):\n    def stop(self):\n        {}['missing']\n"),
     "strategy S raised KeyError: 'missing' (at r2_stop.py:6)"),
    ("options", "strategy-raises-in-notify-order", bt("--strategy", "r2_notify.S", "--instruments", "SPY", *WINDOW),
     user("r2_notify", "class S(bt.Strategy):\n    def next(self):\n        if len(self) == 2:\n"
                       "            self.buy(size=1)\n\n    def notify_order(self, order):\n"
                       "        if order.status == order.Completed:\n            raise ValueError('seen')\n"),
     "strategy S raised ValueError: seen (at r2_notify.py:11)"),
    ("options", "analyzer-syntax-error", bt("--strategy", "SixtyForty", "--analyzers", "r2_an_syntax.A"),
     {"r2_an_syntax.py": "import backtrader as bt\nclass A(bt.Analyzer:\n    pass\n"},
     "analyzers: importing 'r2_an_syntax' raised SyntaxError"),
    ("options", "analyzer-raises-in-next", bt("--strategy", "SixtyForty", "--analyzers", "r2_an_next.A", *WINDOW),
     user("r2_an_next", "class A(bt.Analyzer):\n    def next(self):\n        raise ValueError('bad bar')\n"),
     "analyzer A raised ValueError: bad bar (at r2_an_next.py:6)"),
    ("options", "analyzer-raises-in-get-analysis", bt("--strategy", "SixtyForty", "--analyzers", "r2_an_get.A", *WINDOW),
     user("r2_an_get", "class A(bt.Analyzer):\n    def get_analysis(self):\n        return 1 / 0\n"),
     "analyzer A raised ZeroDivisionError: division by zero (at r2_an_get.py:6)"),
    ("options", "analyzer-not-an-analyzer", bt("--analyzers", "r2_an_not.A"), user("r2_an_not", "class A:\n    pass\n"),
     "'r2_an_not.A' is not a backtrader analyzer"),
    ("options", "analyzer-twice", bt("--analyzers", "SharpeRatio,sharperatio"), {}, "analyzers: 'SharpeRatio' is listed twice"),
    ("options", "start-with-a-space-then-bad-end", bt("--start", " 2021-01-04", "--end", "2021-01-01"), {},
     "--end: 2021-01-01 is not after --start 2021-01-04"),
    ("options", "contract-basket-before-listing", ["contract", "ZNM26", "--basket", "--date", "2024-01-10"], {},
     "--date 2024-01-10 is before ZNM26 was listed (2025-09-22)"),
    ("options", "contract-basket-before-launch", ["contract", "TNH12", "--basket"], {},
     "TNH12: TN was launched on 2016-01-11, after this contract's last trading day"),
    ("options", "contract-basket-date-before-launch", ["contract", "UBH05", "--basket", "--date", "2005-01-10"], {},
     "UBH05: UB was launched on 2010-01-11"),
]

CONFIG_ROWS = [
    ("config", "data-is-the-config-itself", bt("--config", "run.toml"), {"run.toml": 'data = "run.toml"\n'},
     "data: is a file, not a folder"),
    ("config", "accept-jumps-number", bt("--config", "run.toml"), {"run.toml": "accept_jumps = 1\n"},
     "accept_jumps: must be true or false"),
    ("config", "analyzers-number", bt("--config", "run.toml"), {"run.toml": "analyzers = 5\n"}, "analyzers"),
    ("config", "analyzer-syntax-error", bt("--config", "run.toml"),
     {"run.toml": 'strategy = "SixtyForty"\nanalyzers = ["r2_cfg_syntax.A"]\n', "r2_cfg_syntax.py": "def (:\n"},
     "importing 'r2_cfg_syntax' raised SyntaxError"),
    ("config", "strategy-exits-at-import", bt("--config", "run.toml"),
     {"run.toml": 'strategy = "r2_cfg_exit.S"\ninstruments = "SPY"\n', "r2_cfg_exit.py": "import sys\nsys.exit(3)\n"},
     "sys.exit(3) was called (at r2_cfg_exit.py:2)"),
    ("config", "out-inside-the-configs-data", ["backtest", "--config", "run.toml", "--out", "d/res", "--quiet", *WINDOW],
     {"run.toml": 'data = "d"\n', "d/yields/DGS10.csv": "observation_date,DGS10\n2021-01-04,1.0\n"},
     "--out: d/res is inside the data folder"),
    ("config", "equity-is-a-futures-root", bt("--config", "run.toml"), {"run.toml": '[params]\nequity = "ZN"\n'},
     "params.equity: 'ZN' is a futures root, not a fund symbol"),
    ("config", "sleeve-is-a-contract", bt("--config", "run.toml"),
     {"run.toml": 'strategy = "CorePlus"\n[params]\nsleeve = "ZBM25"\n'}, "params.sleeve: 'ZBM25' is a futures contract code"),
    ("config", "rate-shock-below-the-curve", bt("--config", "run.toml", *WINDOW),
     {"run.toml": 'scenario = { kind = "rate_shock", date = 2021-02-01, shift_bp = -1000 }\n'},
     "scenario.shift_bp: -1000 bp from 2021-02-01 takes DGS1MO to -10.00 %, outside -1 to 25 %"),
    ("config", "utf16-file", bt("--config", "run.toml"), {"run.toml": "cash = 5\n".encode("utf-16")}, "run.toml: not a text file"),
    ("config", "margin-schedule-is-a-folder", bt("--config", "run.toml"),
     {"run.toml": '[broker]\nmargin_schedule = "sched"\n', "sched/x.csv": "x"}, "broker.margin_schedule: file not found"),
]

DATA_ROWS = [
    data_row("csv-beside-csv-gz", _gz_copy("yields", "DGS10"), "two files for the series DGS10: DGS10.csv and DGS10.csv.gz"),
    data_row("closes-csv-beside-csv-gz", _gz_copy("closes", "IVV"), "two files for the series IVV: IVV.csv and IVV.csv.gz"),
    data_row("closes-two-cases", _copy("closes", "AGG", "agg.csv"), "two files for the series AGG: AGG.csv and agg.csv"),
    data_row("closes-file-is-a-folder", _mkdir("closes/SPY2.csv"), "SPY2.csv: is a folder, not a data file"),
    data_row("yields-file-is-a-folder", _mkdir("yields/DGS40.csv"), "DGS40.csv: is a folder, not a data file"),
    data_row("closes-link-loop", _loop("closes", "LOOPA.csv", "LOOPB.csv"), "LOOPA.csv: is a link loop, not a data file"),
    data_row("yields-broken-link", _broken("yields", "DGS50.csv"), "DGS50.csv: is a broken link, not a data file"),
    data_row("split-3-for-2", _scale_from("closes", "IVV", "2021-02-03", 2 / 3), "likely an unadjusted 3-for-2 split"),
    data_row("split-2-for-1", _scale_from("closes", "IVV", "2021-03-01", 0.5), "likely an unadjusted 2-for-1 split"),
    data_row("reverse-split-1-for-2", _scale_from("closes", "AGG", "2021-03-01", 2.0), "likely an unadjusted 1-for-2 reverse split"),
    data_row("bond-fund-split-5-for-4", _scale_from("closes", "AGG", "2021-02-01", 0.8), "(bond fund bound)"),
    data_row("price-in-cents", _scale_from("closes", "IVV", "2021-04-01", 100.0), "likely a price in cents"),
    data_row("benchmark-fund-split", _scale_from("closes", "AGG", "2021-05-03", 2 / 3),
             "AGG.csv, line", argv=bt("--data", "d", *WINDOW, "--strategy", "SixtyForty")),
    data_row("settlement-inf", _write("real_futures/zn.csv", "date,contract,settle\n2021-01-04,ZNH21,inf\n"),
             "zn.csv, line 2, column 'settle': price 'inf' is not a finite number"),
    data_row("settlement-after-last-trading-day",
             _write("real_futures/zn.csv", "date,contract,settle\n2021-01-04,ZNH21,137.5\n2021-04-01,ZNH21,137.0\n"),
             "zn.csv, line 3, column 'date': ZNH21 settles on 2021-04-01, after its last trading day 2021-03-22"),
    data_row("settlements-two-files", _all_of(
        _write("real_futures/zn.csv", "date,contract,settle\n2021-01-04,ZNH21,137.5\n"),
        _write("real_futures/ZN.csv", "date,contract,settle\n2021-01-04,ZNH21,137.5\n")), "two files for the series ZN"),
    data_row("close-inf", _write("closes/EEM.csv", "Date,Close\n2021-01-04,50\n2021-01-05,inf\n"),
             "EEM.csv, line 3, column 'Close': 'inf' is not a finite number"),
    data_row("closes-is-a-file", lambda d: (__import__("shutil").rmtree(d / "closes"), (d / "closes").write_text("x")),
             "d/closes: is a file (or a broken link), not a folder of data files"),
    data_row("real-futures-is-a-file", _write("real_futures", "date,contract,settle\n"),
             "d/real_futures: is a file (or a broken link), not a folder of data files"),
    data_row("yields-is-a-file", lambda d: (__import__("shutil").rmtree(d / "yields"), (d / "yields").write_text("x")),
             "d/yields: is a file (or a broken link), not a folder of data files"),
    data_row("out-inside-data", lambda d: None, "--out: d/res is inside the data folder d",
             argv=["backtest", "--data", "d", *WINDOW, "--out", "d/res", "--quiet"]),
    data_row("out-holds-data", lambda d: None, "holds the data folder d",
             argv=["backtest", "--data", "d", *WINDOW, "--out", ".", "--quiet"]),
]



SWEEP_ROWS = [
    ("sweep", "binary-file", *sw("\x89PNG\r\n\x1a\n\x00\xff\xfe".encode("latin-1")), "s.toml: not a text file"),
    ("sweep", "file-is-utf16", *sw((SWEEP + GRID).encode("utf-16")), "s.toml: not a text file"),
    ("sweep", "strategy-exits-at-import", ["sweep", "s.toml", "--out", "out", "--no-progress"],
     {"s.toml": 'strategy = "r2_sw_exit.S"\n[grid]\nx = [1]\n', "r2_sw_exit.py": "import sys\nsys.exit(0)\n"},
     "sys.exit(0) was called (at r2_sw_exit.py:2)"),
    ("sweep", "strategy-syntax-error", ["sweep", "s.toml", "--out", "out", "--no-progress"],
     {"s.toml": 'strategy = "r2_sw_syntax.S"\n[grid]\nx = [1]\n', "r2_sw_syntax.py": "class S(:\n"},
     "importing 'r2_sw_syntax' raised SyntaxError"),
    ("sweep", "grid-empty-list", *sw(SWEEP + "[grid]\ndrift_band = []\n"), "grid.drift_band': must be a non-empty list"),
    ("sweep", "report-is-a-folder", ["sweep", "s.toml", "--out", "out", "--no-progress"],
     {"s.toml": SWEEP + GRID, "out/sweep.html/mine.txt": "x"}, "out/sweep.html is a folder"),
    ("sweep", "results-csv-is-users", ["sweep", "s.toml", "--out", "out", "--no-progress"],
     {"s.toml": SWEEP + GRID, "out/results.csv": "mine"}, "out/results.csv exists and no ecore run wrote it"),
    ("sweep", "out-inside-data", ["sweep", "s.toml", "--out", "d/sw", "--no-progress"],
     {"s.toml": SWEEP + 'data = "d"\n' + GRID, "d/yields/DGS10.csv": "observation_date,DGS10\n2021-01-04,1.0\n"},
     "--out: d/sw is inside the data folder"),
]

PAPER = ["paper", "--config", "p.toml", "--dry-run"]
STRAT = '[strategy]\nclass = "EfficientCore"\n'

PAPER_ROWS = [
    ("paper", "journal-is-a-folder", PAPER, {"p.toml": '[ib]\njournal = "j"\n' + STRAT, "j/x": "x"},
     "p.toml, line 2: ib.journal: "),
    ("paper", "journal-not-a-database", PAPER, {"p.toml": '[ib]\njournal = "j.sqlite"\n' + STRAT, "j.sqlite": "hello"},
     "is not a journal: not a SQLite database"),
    ("paper", "journal-folder-missing", PAPER, {"p.toml": '[ib]\njournal = "nowhere/j.sqlite"\n' + STRAT},
     "p.toml, line 2: ib.journal: folder"),
    ("paper", "status-journal-not-a-database", ["paper", "status", "--config", "p.toml"],
     {"p.toml": '[ib]\njournal = "j.sqlite"\n' + STRAT, "j.sqlite": "hello"}, "is not a journal: not a SQLite database"),
    ("paper", "data-folder-missing", PAPER, {"p.toml": STRAT + 'data = "nowhere"\n'}, "nowhere does not exist"),
    ("paper", "journal-empty", PAPER, {"p.toml": '[ib]\njournal = ""\n' + STRAT}, "p.toml, line 2: ib.journal: an empty path"),
    ("paper", "param-out-of-range", PAPER, {"p.toml": STRAT + "params = { drift_band = 5 }\n"},
     "strategy.params.drift_band: must be a number above 0 up to 0.5"),
    ("paper", "top-level-ladder-short", PAPER, {"p.toml": 'strategy = "EfficientCore"\nparams = { ladder = { ZN = 0.5 } }\n'},
     "params.ladder: the ladder weights add up to 0.5, not 1"),
    ("paper", "benchmark-weight-2", PAPER, {"p.toml": 'strategy = "SixtyForty"\nparams = { equity_weight = 2 }\n'},
     "params.equity_weight: must be a number from 0 to 1"),
    ("paper", "binary-config", PAPER, {"p.toml": b"\x89PNG\xff\xfe"}, "p.toml: cannot be read"),
    ("paper", "strategy-syntax-error", PAPER, {"p.toml": '[strategy]\nclass = "r2_pp_syntax.S"\n', "r2_pp_syntax.py": "class S(:\n"},
     "importing 'r2_pp_syntax' raised SyntaxError"),
    ("paper", "strategy-exits-at-import", PAPER,
     {"p.toml": '[strategy]\nclass = "r2_pp_exit.S"\n', "r2_pp_exit.py": "import sys\nsys.exit(0)\n"},
     "sys.exit(0) was called (at r2_pp_exit.py:2)"),
]

ROUND_TWO_ROWS = OPTION_ROWS + CONFIG_ROWS + DATA_ROWS + SWEEP_ROWS + PAPER_ROWS
