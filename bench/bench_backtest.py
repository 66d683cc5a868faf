"""How fast is a 2003-2026 EfficientCore backtest, against references measured in the same run.

(a) plain backtrader: a buy-and-hold strategy over the same feeds (same number, same days) with
    backtrader's default broker — the cost of the event loop itself;
(b) a vectorized numpy evaluation of the same portfolio (ecore.engine.sweep.fast), when present.

Targets (issue 6): EfficientCore <= 1.5 x (a); the ratio to (b) is printed; peak memory of the
backtest <= 500 MB.  Run by hand:  python3 bench/bench_backtest.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from ecore.data.market import load_market
    from ecore.data.synthetic_futures import build_price_book
    from ecore.engine.runner import BacktestConfig, _run_one, _window, HISTORY_BEFORE_START
    from ecore.data.feeds import make_feeds
    from ecore.data.rolls import RollRule
    from ecore.strategies import EfficientCore

    market = load_market()
    config = BacktestConfig(benchmark=False)
    roots = [r for r, w in EfficientCore.params.ladder.items() if w > 0]
    start, end = _window(config, market, ["IVV"])
    book = build_price_book(market, roots=roots, start=start - HISTORY_BEFORE_START, end=end)

    def ecore_run():
        _run_one("EfficientCore", {}, config, market, book, start, end, None, False)

    def plain_run():
        # The same frames (same feeds, same days), read by backtrader's stock PandasData.
        feeds = make_feeds(market, book, roots=roots, symbols=["IVV"], start=start, end=end, roll_rule=RollRule())
        cerebro = bt.Cerebro(stdstats=False, preload=True, runonce=False)
        for name, feed in feeds.items():
            cerebro.adddata(bt.feeds.PandasData(dataname=feed.p.dataname[
                ["open", "high", "low", "close", "volume", "openinterest"]]), name=name)
        cerebro.addstrategy(BuyAndHold)
        cerebro.run()

    # Feeds are built inside both timed functions, so the comparison is like for like.
    t_ecore = best_of(args.repeat, ecore_run)
    t_plain = best_of(args.repeat, plain_run)
    days = len(make_feeds(market, book, roots=roots, symbols=["IVV"], start=start, end=end)["IVV"].p.dataname)
    print(f"EfficientCore {start}..{end}: {days} days, {len(roots) + 1} feeds")
    print(f"  ecore backtest            {t_ecore:8.2f} s")
    print(f"  (a) plain backtrader B&H  {t_plain:8.2f} s   ratio {t_ecore / t_plain:5.2f}x  (target <= 1.5x)")
    try:
        from ecore.engine.sweep import fast
    except ImportError:
        fast = None
    if fast is not None and hasattr(fast, "evaluate_many"):
        # Like the ecore run above (whose price book is built beforehand), the arrays are built
        # once; the timed part is evaluating the portfolio.
        t0 = time.perf_counter()
        data = fast.FastData.build(market, {}, start, end)
        t_build = time.perf_counter() - t0
        t_vec = best_of(args.repeat, lambda: fast.evaluate_many(data, [{}]))
        print(f"  (b) vectorized numpy      {t_vec:8.3f} s   ratio {t_ecore / t_vec:5.1f}x  "
              f"(building its arrays once: {t_build:.2f} s)")
    else:
        print("  (b) vectorized numpy      not available (ecore.engine.sweep.fast.evaluate missing)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this process: {peak:.0f} MB (target <= 500 MB)")


if __name__ == "__main__":
    main()
