"""Paper == backtest over long windows: ``ecore paper replay`` against the local IB simulator.

Run by hand (minutes per window: one fresh ``ecore paper --once`` process per trading day, as
cron starts them):  python3 bench/bench_paper_replay.py [--only NAME ...] [--in-process]

Windows (issue 23's acceptance):

* ``core-2024-ib_async``, ``core-2024-ib_insync``: EfficientCore, 2024-01-02..2024-09-30, both
  client libraries;
* ``good-friday-2023``: EfficientCore from Good Friday 2023-04-07 (bond market open, stock
  market shut) to 2023-06-30, across the June roll;
* ``margin-binding-2024``: EfficientCore with ``margin_budget = 0.1`` and ``equity_weight =
  0.99`` (the margin budget cuts the ladder; margin calls met by selling shares), 2024-01-02..
  2024-09-30;
* ``margin-calls-2024``: ``margin_budget = 1.0``, ``equity_weight = 0.99``, 2024-01-02..
  2024-06-28: margin calls (met by selling shares) on both sides;
* ``good-friday-2023-ib_insync``, ``margin-binding-2024-ib_insync``, ``margin-calls-2024-ib_insync``:
  the same three with the other client library;
* ``treasury-trend``: its backtested parameters (lookback 252, vol_window 63) over
  2023-01-03..2024-06-28, so that it trades from 2024 on both sides (a replay's paper runs, like
  the backtest of the window, see no bar before its first day);
* ``risk-parity`` (its backtested parameters), 2024-01-02..2024-06-28 (the March and June
  rolls), and ``plain-backtrader``: a plain backtrader strategy on a root feed,
  2024-02-01..2024-03-29 (the March roll).  A replay's paper runs see no bar before the
  window's first day (``--history-from``), so they warm up as the backtest of the window does.

For each: days matching (positions, orders sent, fills, rolls, margin calls, NAV to the cent) out of the
window's trading days, the largest NAV difference, the first divergence, paper runs exiting
non-zero, and the wall time.  Outputs of each replay go to ``bench/out/paper-replay/NAME``.
Exit status 1 when any window diverges.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples"

PLAIN = '''
import backtrader as bt


class HoldTwoZN(bt.Strategy):
    """Plain backtrader: hold 2 contracts on the ZN root feed (the engine rolls them) and 100 IVV."""

    def next(self):
        if any(d.islive() and d._laststatus != d.LIVE for d in self.datas):
            return
        zn, ivv = self.getdatabyname("ZN"), self.getdatabyname("IVV")
        if self.getposition(zn).size == 0 and not self.broker.get_orders_open():
            self.buy(data=zn, size=2)
            self.buy(data=ivv, size=100)
'''


def windows(folder: Path) -> dict:
    core = 'strategy = "EfficientCore"\n'
    (folder / "plain_strategy.py").write_text(PLAIN)
    trend = (EXAMPLES / "treasury_trend.py").read_text()
    (folder / "treasury_trend.py").write_text(trend)
    (folder / "risk_parity.py").write_text((EXAMPLES / "risk_parity.py").read_text())
    return {
        "core-2024-ib_async": (core, "ib_async", "2024-01-02", "2024-09-30", 5),
        "core-2024-ib_insync": (core, "ib_insync", "2024-01-02", "2024-09-30", 5),
        "good-friday-2023": (core, "ib_async", "2023-04-07", "2023-06-30", 5),
        "margin-binding-2024": (core + "params = { margin_budget = 0.1, equity_weight = 0.99 }\n",
                                "ib_async", "2024-01-02", "2024-09-30", 5),
        "margin-calls-2024": (core + "params = { margin_budget = 1.0, equity_weight = 0.99 }\n",
                              "ib_async", "2024-01-02", "2024-06-28", 5),
        "good-friday-2023-ib_insync": (core, "ib_insync", "2023-04-07", "2023-06-30", 5),
        "margin-binding-2024-ib_insync": (
            core + "params = { margin_budget = 0.1, equity_weight = 0.99 }\n", "ib_insync",
            "2024-01-02", "2024-09-30", 5),
        "margin-calls-2024-ib_insync": (
            core + "params = { margin_budget = 1.0, equity_weight = 0.99 }\n", "ib_insync",
            "2024-01-02", "2024-06-28", 5),
        "treasury-trend": ('strategy = "treasury_trend.TreasuryTrend"\n', "ib_async",
                           "2023-01-03", "2024-06-28", 300),
        "risk-parity": ('strategy = "risk_parity.RiskParity"\ninstruments = ["SPY", "ZN", "ZB"]\n',
                        "ib_async", "2024-01-02", "2024-06-28", 300),
        "plain-backtrader": ('strategy = "plain_strategy.HoldTwoZN"\ninstruments = ["ZN", "IVV"]\n',
                             "ib_async", "2024-02-01", "2024-03-29", 5),
    }


def run_window(name, spec, folder: Path, in_process: bool) -> dict:
    from ecore.engine.paper.config import load_config
    from ecore.engine.paper.replay import replay
    from ecore.engine.report.outputs import write_outputs

    top, client, start, end, history = spec
    path = folder / f"{name}.toml"
    path.write_text(top + textwrap.dedent(f"""
        [ib]
        port = 4002
        client_id = 11
        client = "{client}"
        journal = "{name}-journal.sqlite"
        [schedule]
        history_days = {history}
        """))
    out = HERE / "out" / "paper-replay" / name
    t0 = time.monotonic()
    result = replay(load_config(path), path, dt.date.fromisoformat(start),
                    dt.date.fromisoformat(end), out / "paper", fresh_process=not in_process)
    seconds = time.monotonic() - t0
    write_outputs(out, result.paper)
    result.parity.to_csv(out / "parity.csv", index=False, date_format="%Y-%m-%d")
    (out / "parity.txt").write_text(result.text() + "\n")
    events = result.backtest.result.events
    first = result.first_divergence()
    return {"window": name, "client": client, "from": start, "to": end,
            "days": len(result.parity), "matching": result.matching_days,
            "max_nav_gap": round(float(result.parity["nav_gap"].abs().max()), 2),
            "runs_nonzero": sum(1 for r in result.runs if r.exit_code != 0),
            "fills": int(len(result.paper.trades)),
            "rolls": int((result.paper.trades["kind"] == "roll").sum()),
            "margin_cuts": int((events["kind"] == "margin_limit").sum()),
            "margin_calls": int((events["kind"] == "margin_call").sum()),
            "margin_calls_paper": int(result.parity["margin_calls_paper"].notna().sum()),
            "first_divergence": None if first is None else f"{first['day']}: {first['checks']}",
            "seconds": round(seconds, 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="window names to run (default all)")
    ap.add_argument("--in-process", action="store_true",
                    help="run each day in this process (faster; cron's fresh process is the default)")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, spec in windows(folder).items():
            if args.only and name not in args.only:
                continue
            row = run_window(name, spec, folder, args.in_process)
            rows.append(row)
            print(json.dumps(row), flush=True)
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "paper_replay.json").write_text(json.dumps(rows, indent=1))
    return 0 if all(r["matching"] == r["days"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
