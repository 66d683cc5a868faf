"""Benchmark: load the bundled data, synthesize 25 years of all eight futures roots, build feeds.

    python3 bench/bench_data.py [--years 25] [--run]

Prints the time of each step and per contract-year (one root over one year: four quarterly
contracts, each priced over its ~9-month life); exits with status 1 when loading and building
take 10 s or more (the target on the 2-core machine).  ``--run`` also steps a do-nothing
strategy through the feeds with backtrader (reported separately: that cost is backtrader's).
"""

from __future__ import annotations

import argparse
import sys
import time

TARGET_SECONDS = 10.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=int, default=25)
    ap.add_argument("--end", default="2026-04-17")
    ap.add_argument("--run", action="store_true", help="also run cerebro over the feeds")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    import ecore.data.market as market_mod
    from ecore.data.feeds import make_feeds
    from ecore.data.synthetic_futures import ALL_ROOTS, build_price_book
    from ecore.data.calendar import treasury_calendar

    treasury_calendar().days  # the calendar is the foundation's; build it outside the timings
    t_import = time.perf_counter() - t0

    import pandas as pd

    end = pd.Timestamp(args.end)
    start = end - pd.DateOffset(years=args.years)
    market_mod._BUNDLED_CACHE = None
    t = time.perf_counter()
    market = market_mod.load_market()
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    book = build_price_book(market, ALL_ROOTS, start, end)
    t_book = time.perf_counter() - t
    t = time.perf_counter()
    feeds = make_feeds(market, book, ALL_ROOTS, ["IVV", "AGG", "SPY", "EFA", "EEM"], start, end)
    t_feeds = time.perf_counter() - t
    total = t_load + t_book + t_feeds
    contract_years = args.years * len(ALL_ROOTS)
    n_contracts = len(book.contracts())

    print(f"imports + calendar     {t_import:7.3f} s (not counted)")
    print(f"load bundled data      {t_load:7.3f} s")
    print(f"synthesize prices      {t_book:7.3f} s  {n_contracts} contracts, {len(book)} rows, "
          f"{len(ALL_ROOTS)} roots x {args.years} years")
    print(f"build {len(feeds):2d} feeds         {t_feeds:7.3f} s  {len(next(iter(feeds.values())).p.dataname)} bars each")
    print(f"total                  {total:7.3f} s  (target < {TARGET_SECONDS:.0f} s)")
    print(f"per contract-year      {1000 * total / contract_years:7.2f} ms  "
          f"(synthesis alone {1000 * t_book / contract_years:.2f} ms; per contract {1000 * t_book / n_contracts:.2f} ms)")
    if args.run:
        import backtrader as bt

        class Idle(bt.Strategy):
            pass

        cerebro = bt.Cerebro(stdstats=False)
        for name, feed in feeds.items():
            cerebro.adddata(feed, name=name)
        cerebro.addstrategy(Idle)
        t = time.perf_counter()
        cerebro.run()
        print(f"cerebro.run (idle)     {time.perf_counter() - t:7.3f} s  (backtrader stepping, not counted)")
    return 0 if total < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
