"""How fast and how big is an EfficientCore backtest, against references measured in the same run.

Run by hand (not a test: the machine is shared and noisy; compare the ratios, which are taken
within one run):  python3 bench/bench_backtest.py [--repeat 3] [--quarter 2024-01-02:2024-03-28]

(1) event loop: the EfficientCore run (feeds, margin broker, strategy, results; its price book
    built beforehand) against plain backtrader: a buy-and-hold strategy over the same feeds
    (same number, same days), each read by backtrader's stock ``PandasData`` from a DataFrame, as
    a user would write it, on backtrader's default broker.  Target: <= 1.2 x.
(2) peak memory of the full-history run (2000-2026, no benchmark: ``run_backtest`` in a fresh
    process, data loading included) against the same plain backtrader run in a fresh process;
    also the whole default command, ``ecore backtest`` (benchmark, report, every output).
    Target: <= 300 MB.  Each child reports its own VmHWM.
(3) cost grows with the work: a one-quarter backtest against the full-history one, each in a
    fresh process after ``import ecore.engine.backtest.runner`` (data loading, calendars, lazy imports, the
    price book, both runs and the metrics counted; bytecode compiled once beforehand, as for an
    installed package).  Target: <= 0.1 x.
(4) the vectorized path (``ecore.engine.sweep.fast``): one evaluation of the default parameter set
    once its arrays are built, against the event-driven run of (1).  Target: <= 0.1 s.
    (Its batch rate and the sweep's scaling are in bench_sweep.py.)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import backtrader as bt


class BuyAndHold(bt.Strategy):
    def next(self):
        if not self.position:
            for d in self.datas:
                self.buy(data=d, size=1)


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


# Runs in a fresh process: time and peak memory of one backtest (or of the plain reference).
CHILD = r"""
import json, sys, time, warnings, datetime as dt
warnings.simplefilter("ignore")
kind, start, end = sys.argv[1], sys.argv[2] or None, sys.argv[3] or None
if kind == "cli":
    import tempfile
    from ecore.engine.cli.main import main
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        assert main(["backtest", "--out", out]) == 0
elif kind == "plain":
    sys.path.insert(0, sys.argv[4])
    import bench_backtest as b
    t = time.perf_counter()
    b.plain_reference()
else:
    from ecore.engine.backtest.runner import BacktestConfig, run_backtest
    config = BacktestConfig(benchmark=False, start=start and dt.date.fromisoformat(start),
                            end=end and dt.date.fromisoformat(end))
    t = time.perf_counter()
    run = run_backtest(config)
seconds = time.perf_counter() - t
# VmHWM is the peak of this process's own address space; ru_maxrss would carry the (large) bench
# parent's resident size across fork and exec.
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")][0].split()[1]
print(json.dumps({"seconds": seconds, "peak_mb": int(hwm) / 1024}))
"""


# Children compile each module once into this folder and reuse the bytecode, as an installed
# package does (pip writes its .pyc at install); without it, an environment that sets
# PYTHONDONTWRITEBYTECODE recompiles every module in each fresh process (0.14 s of a quarter run).
PYCACHE = tempfile.mkdtemp(prefix="ecore-bench-pycache-")


def child(kind: str, start: str = "", end: str = "") -> dict:
    """Seconds and peak memory (MB) of one run in a fresh process."""
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = PYCACHE
    out = subprocess.run([sys.executable, "-c", CHILD, kind, start, end, str(Path(__file__).parent)],
                         check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def setting():
    """The bench's run: EfficientCore with its default params over the whole data, no benchmark."""
    from ecore.data.market import load_market
    from ecore.data.synthetic_futures import build_price_book
    from ecore.engine.backtest.runner import HISTORY_BEFORE_START, BacktestConfig, _plan, _window
    from ecore.strategies import EfficientCore

    market = load_market()
    config = BacktestConfig(benchmark=False)
    plan = _plan(EfficientCore, (), {}, "bench")
    start, end = _window(config, market, [plan])
    roots = list(plan.futures_roots)
    book = build_price_book(market, roots=roots, start=start - HISTORY_BEFORE_START, end=end)
    return market, config, plan, start, end, roots, book


def plain_reference(prepared=None):
    """Plain backtrader buy-and-hold over the bench's feeds (same frames, same days), each read by
    the stock ``bt.feeds.PandasData``.  Without ``prepared`` it loads the data itself."""
    from ecore.data.feeds import make_feeds
    from ecore.data.rolls import RollRule

    market, config, plan, start, end, roots, book = prepared or setting()
    feeds = make_feeds(market, book, roots=roots, symbols=list(plan.symbols), start=start, end=end,
                       roll_rule=RollRule())
    cerebro = bt.Cerebro(stdstats=False, preload=True, runonce=False)
    for name, feed in feeds.items():
        frame = feed.p.dataname[["open", "high", "low", "close", "volume", "openinterest"]]
        cerebro.adddata(bt.feeds.PandasData(dataname=frame), name=name)
    cerebro.addstrategy(BuyAndHold)
    cerebro.run()
    return feeds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quarter", default="2024-01-02:2024-03-28", help="first:last day of the short run")
    args = ap.parse_args()

    from ecore.engine.backtest.runner import _run_one
    from ecore.strategies import EfficientCore

    prepared = setting()
    market, config, plan, start, end, roots, book = prepared

    def ecore_run():
        _run_one(EfficientCore, plan, {}, config, market, book, start, end, None, False)

    # Feeds are built inside both timed functions, so the comparison is like for like.
    t_ecore = best_of(args.repeat, ecore_run)
    t_plain = best_of(args.repeat, lambda: plain_reference(prepared))
    feeds = plain_reference(prepared)
    days = len(next(iter(feeds.values())).p.dataname)
    print(f"EfficientCore {start}..{end}: {days} days, {len(feeds)} feeds (best of {args.repeat})")
    print(f"(1) ecore backtest               {t_ecore:8.2f} s")
    print(f"    plain backtrader B&H         {t_plain:8.2f} s   ratio {t_ecore / t_plain:5.2f} x  (target <= 1.2 x)")

    child("ecore", "2024-01-02", "2024-01-31")  # untimed: writes the bytecode the timed children read
    full = min((child("ecore") for _ in range(max(1, args.repeat - 1))), key=lambda r: r["seconds"])
    plain = child("plain")
    print(f"(2) peak memory, full run        {full['peak_mb']:8.0f} MB  (target <= 300 MB)")
    print(f"    plain backtrader B&H         {plain['peak_mb']:8.0f} MB  ratio {full['peak_mb'] / plain['peak_mb']:5.2f} x")
    cli = child("cli")
    print(f"    `ecore backtest` (benchmark, report, outputs)  {cli['peak_mb']:6.0f} MB  in {cli['seconds']:.1f} s")

    q_start, q_end = args.quarter.split(":")
    quarter = min((child("ecore", q_start, q_end) for _ in range(max(1, args.repeat - 1))),
                  key=lambda r: r["seconds"])
    print(f"(3) full run {start}..{end}  {full['seconds']:8.2f} s   (fresh process, data loading included)")
    print(f"    quarter {q_start}..{q_end}  {quarter['seconds']:8.2f} s   ratio {quarter['seconds'] / full['seconds']:5.3f} x"
          f"  (target <= 0.1 x; peak {quarter['peak_mb']:.0f} MB)")

    from ecore.engine.sweep import fast

    t0 = time.perf_counter()
    data = fast.FastData.build(market, {}, start, end)
    t_build = time.perf_counter() - t0
    t_vec = best_of(args.repeat, lambda: fast.evaluate_many(data, [{}]))
    print(f"(4) vectorized, one evaluation   {t_vec:8.3f} s   ratio {t_vec / t_ecore:6.4f} x the ecore run"
          f"  (target <= 0.1 s; building its arrays once: {t_build:.2f} s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"    peak memory of this process  {peak:8.0f} MB")


if __name__ == "__main__":
    main()
