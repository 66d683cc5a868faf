"""``ecore paper simulate``: a local IB paper gateway on market history, for rehearsals.

It listens on 127.0.0.1 at ``--port`` (4002 by default, IB Gateway's paper port) and speaks the
TWS API to ``ib_async`` and ``ib_insync`` (``ecore.brokers.ib.simulator``).  The market is the
data folder (bundled set by default) on the simulated day ``--day``: the share symbols of the
data and the Treasury futures contracts trading that day, their daily bars up to that day,
a paper account ``DU1234567`` with ``--cash`` dollars kept by ecore's own money rules.  Orders
rest until the next trading day, where they fill at the engine's fill rule and costs; SIGUSR1
steps the simulator to that day (``kill -USR1 PID``).  Point ``ecore paper --at DAYT17:00`` at it.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading

from ..errors import UserError

DEFAULT_PORT = 4002


def start_simulator(data_dir=None, day: dt.date | None = None, port: int = DEFAULT_PORT,
                    cash: float = 10_000_000.0, settings: dict | None = None,
                    end: dt.date | None = None):
    """(gateway, simulator) serving ``data_dir``'s market on ``day`` at ``port`` (0: any free
    port; the gateway's ``port`` says which).  ``end``: the last day it can step to (default:
    the last day of the data)."""
    from ...brokers.ib.simulator import FakeGateway
    from ...brokers.ib.simulator.market import MarketSimulator
    from ...data.market import load_market

    try:
        market = load_market(data_dir)
    except (FileNotFoundError, KeyError) as exc:
        raise UserError(f"--data: {str(exc).strip(chr(39))}") from None
    last = min(market.closes.index[-1], market.yields.index[-1]).date()
    first = max(market.closes.index[0], market.yields.index[0]).date() + dt.timedelta(days=400)
    day = day or last
    if not first <= day <= last:
        raise UserError(f"--day: {day} is outside what the data can simulate ({first} to {last}: "
                        "a year of history is needed before it)")
    gateway = FakeGateway()
    sim = MarketSimulator(gateway, market, day, max(end or last, day), cash=cash,
                          settings=settings)
    sim.advance_to(day)
    try:
        gateway.start(port)
    except OSError as exc:
        raise UserError(f"--port: cannot listen on 127.0.0.1:{port} ({exc.strerror or exc})") from None
    return gateway, sim


def serve(gateway, sim, out=print) -> None:
    """Serve until interrupted (Ctrl-C / SIGTERM); SIGUSR1 steps to the next trading day."""
    stepped = threading.Event()

    def step(signum, frame):
        stepped.set()

    signal.signal(signal.SIGUSR1, step)
    try:
        while True:
            if stepped.wait(0.2):
                stepped.clear()
                nxt = sim.next_day()
                if nxt is None:
                    out("simulate: the data ends here; no later day to step to")
                    continue
                sim.advance_to(nxt)
                out(f"simulate: day {nxt} (orders resting from the day before filled); "
                    f"net liquidation ${gateway.account_values['NetLiquidation']:,.2f}")
    finally:
        gateway.stop()
