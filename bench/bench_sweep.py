"""How fast are sweeps, against references measured in the same run.

(1) scaling: the same sweep of EfficientCore backtests on a local pool of 2 workers vs 1
    (target: 2 workers >= 1.8 x faster; needs 2 free cores);
(2) per-run overhead of the pool: (sweep time on 1 worker / runs) vs one backtest run in this
    process on already-loaded data (target <= 1.15 x);
(3) the fast path (ecore.engine.sweep.fast): parameter sets per second over the whole data set
    (target >= 300 sets/s on 2 cores), against the event-driven engine on the same parameter
    sets (its speed-up over one event-driven backtest in this process).

Run by hand (not a test: the machine is shared and noisy; compare the ratios, which are taken
within one run):  python3 bench/bench_sweep.py [--runs 16] [--years 2] [--fast-sets 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=16, help="backtests in the scaling sweep")
    ap.add_argument("--years", type=int, default=2, help="length of each backtest of the scaling sweep")
    ap.add_argument("--fast-sets", type=int, default=200, help="parameter sets for the fast path")
    args = ap.parse_args()

    from ecore.data.market import load_market
    from ecore.engine.backtest.runner import run_backtest
    from ecore.engine.sweep import LocalPool, parse_sweep, run_sweep
    from ecore.engine.sweep.backtests import backtest_config

    end = dt.date(2024, 12, 31)
    start = dt.date(end.year - args.years + 1, 1, 2)
    weights = [round(0.70 + 0.25 * i / max(args.runs - 1, 1), 4) for i in range(args.runs)]
    spec = parse_sweep({"strategy": "EfficientCore", "start": start.isoformat(), "end": end.isoformat(),
                        "grid": {"equity_weight": weights}})

    market = load_market()
    config = backtest_config(spec, spec.run_config({"equity_weight": weights[0]}))
    run_backtest(config, market=market)  # warm caches (agg table, calendars) as a worker's first run does
    t = time.perf_counter()
    run_backtest(config, market=market)
    single = time.perf_counter() - t

    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            t = time.perf_counter()
            run_sweep(spec, Path(tmp) / f"w{workers}", executor=LocalPool(workers), progress=False)
            times[workers] = time.perf_counter() - t

    print(f"sweep of {args.runs} EfficientCore backtests, {start}..{end}")
    print(f"  one backtest in this process     {single:8.2f} s")
    print(f"  sweep, 1 worker                  {times[1]:8.2f} s   ({times[1] / args.runs:.2f} s per run)")
    print(f"  sweep, 2 workers                 {times[2]:8.2f} s")
    print(f"  (1) speed-up 2 workers vs 1      {times[1] / times[2]:8.2f} x   (target >= 1.8 x)")
    print(f"  (2) per-run overhead of the pool {times[1] / args.runs / single:8.2f} x   (target <= 1.15 x)")

    try:
        from ecore.engine.sweep import fast
    except ImportError:
        print("  (3) fast path: not available (ecore.engine.sweep.fast missing)")
        return
    fast_bench(fast, market, args.fast_sets)


def fast_bench(fast, market, n_sets: int) -> None:
    from ecore.engine.backtest.runner import BacktestConfig, run_backtest
    from ecore.engine.sweep.space import ParameterSpace, Uniform

    space = ParameterSpace(random=(("equity_weight", Uniform(0.6, 1.0)), ("futures_notional", Uniform(0.3, 0.9)),
                                   ("drift_band", Uniform(0.02, 0.10))), samples=n_sets, seed=1)
    sets = space.points()
    data = fast.FastData.build(market)  # once per sweep, like the event-driven engine's data load
    t = time.perf_counter()
    fast.evaluate_many(data, sets)
    t_fast = time.perf_counter() - t
    t = time.perf_counter()
    run_backtest(BacktestConfig(params=sets[0], benchmark=False), market=market)
    t_event = time.perf_counter() - t
    per_set = t_fast / len(sets)
    print(f"fast path over {data.days[0]}..{data.days[-1]} ({len(data.days)} days)")
    print(f"  (3) {len(sets)} parameter sets in {t_fast:.2f} s: {len(sets) / t_fast:,.1f} sets/s  (target >= 300 sets/s)")
    print(f"      one event-driven backtest    {t_event:8.2f} s   ratio of one set's share {per_set / t_event:.5f} x "
          f"(speed-up {t_event / per_set:,.0f} x)")


if __name__ == "__main__":
    main()
