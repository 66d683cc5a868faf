"""``ecore paper simulate`` and ``ecore paper replay``: the command-line side (the work is in
``ecore.engine.paper.simulate`` and ``ecore.engine.paper.replay``).  Part of the ``paper``
sub-command (``ecore.engine.cli.paper``)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from ..errors import UserError
from ..paper.config import check_port


def run_simulate(args, config=None) -> int:
    """Serve a simulated IB paper gateway until interrupted."""
    from ..paper.simulate import DEFAULT_PORT, serve, start_simulator

    port = args.port if args.port is not None else DEFAULT_PORT
    check_port(port, "--port")
    settings = {}
    if config is not None:
        settings = {k: v for k, v in config.broker.items()
                    if k in ("borrow_spread", "collateral_haircut", "expense_ratio",
                             "futures_fill", "share_collateral", "call_deadline_days",
                             "liquidation_policy", "delivery_guard", "share_buys_need_cash")}
    day = dt.date.fromisoformat(args.day) if args.day else None
    gateway, sim = start_simulator(args.data, day, port, args.cash or 10_000_000.0, settings)
    import os

    print(f"simulate: IB paper gateway on 127.0.0.1:{gateway.port}, account "
          f"{gateway.accounts[0]}, day {sim.day} ({len(gateway.instruments)} instruments, "
          f"net liquidation ${gateway.account_values['NetLiquidation']:,.2f})", flush=True)
    print(f"simulate: run `ecore paper --config F --port {gateway.port} --at {sim.day}T17:00`; "
          f"`kill -USR1 {os.getpid()}` steps to the next trading day; Ctrl-C stops", flush=True)
    try:
        serve(gateway, sim, out=lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        print("simulate: stopped", file=sys.stderr)
    return 0


def run_replay(args, config) -> int:
    """Replay the paper path over ``--from``..``--to`` and report its parity with the backtest."""
    from ...brokers.ib.safety import KillSwitch
    from ..paper.replay import EXIT_DIVERGED, replay
    from ..report.outputs import write_outputs
    if not args.start or not args.end:
        raise UserError("ecore paper replay: --from and --to are required (YYYY-MM-DD)")
    start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    if end <= start:
        raise UserError(f"--to: {end} is not after --from {start}")
    if args.data:
        import dataclasses

        config = dataclasses.replace(config, data_dir=Path(args.data))
    kill = KillSwitch(config.kill_file)
    if kill.tripped:
        print(f"ecore paper replay: stopped: {kill.reason} (remove it to replay)", file=sys.stderr)
        return 3
    out = Path(args.out or "paper-replay")
    work = out / "paper"

    def progress(run):
        print(f"  {run.day} exit {run.exit_code}", file=sys.stderr, flush=True)

    result = replay(config, Path(args.config), start, end, work, cash=args.cash or 10_000_000.0,
                    fresh_process=not args.in_process,
                    once_timeout=args.once_timeout or 2.0, progress=progress)
    write_outputs(out, result.paper)
    result.parity.to_csv(out / "parity.csv", index=False, date_format="%Y-%m-%d")
    result.orders.to_csv(out / "orders.csv", index=False, date_format="%Y-%m-%d")
    text = result.text()
    (out / "parity.txt").write_text(text + "\n")
    print(text)
    print(f"outputs in {out}/ (daily.csv, trades.csv, journal.csv, report.html, parity.csv, "
          "parity.txt, orders.csv; paper/ holds the runs' journal and logs)")
    return EXIT_DIVERGED if result.diverged else 0
