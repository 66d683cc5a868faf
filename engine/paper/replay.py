"""``ecore paper replay``: the paper path, day by day, against the local IB simulator, and its
parity with ``ecore backtest`` of the same strategy, parameters and window.

For each trading day of the window the simulator (``ecore.brokers.ib.simulator.market``) is
moved to that day - the orders resting from the day before fill at its settlement / close under
the engine's fill rule and costs, the account is settled, accrued and margined by ecore's own
rules - and the paper run happens as cron would start it: a fresh process (``ecore paper
--config F --once``) with the clock at the configured run time (``[schedule] time`` in its time
zone), its own journal in the output folder.  The backtest of the same settings runs in this
process.

Parity compares, day by day: the positions held at the day's end, the orders decided that day
(net per instrument), the fills (net size, average price, commission per instrument), the
rolls, the margin calls issued to the strategy (the amount due, to the cent: the paper runs'
journal keeps them) and the NAV (to the cent).  The report names the days that match and the first
divergence with both sides shown; ``diverged`` makes the command exit 5.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from .config import PaperConfig

log = logging.getLogger(__name__)

EXIT_DIVERGED = 5
NAV_TOLERANCE = 0.005  # dollars: "to the cent"
# dollars: a paper margin call is IB's initial margin less margin equity, each figure as IB
# reports account values (in cents), so it may sit a cent from the backtest's unrounded one
CALL_TOLERANCE = 0.01 + 1e-6
CHECKS = ("positions", "orders", "fills", "rolls", "margin_calls", "nav")


@dataclasses.dataclass(frozen=True)
class DayRun:
    """One day's paper run: its day, exit status and what it printed."""

    day: dt.date
    exit_code: int
    output: str = ""


@dataclasses.dataclass(frozen=True)
class Replay:
    """A finished replay: the paper side as a backtest's result (``paper``: daily from the
    simulated account, trades from IB's executions, the account's cash journal), the backtest
    (``backtest``: a ``BacktestRun``), one parity row per day (``parity``), the day runs."""

    paper: object
    backtest: object
    parity: pd.DataFrame
    runs: tuple
    orders: pd.DataFrame  # the orders the paper runs sent: date, instrument, size, kind, ref

    @property
    def matching_days(self) -> int:
        return int(self.parity["match"].sum()) if len(self.parity) else 0

    @property
    def diverged(self) -> bool:
        return bool(len(self.parity) == 0 or not self.parity["match"].all())

    def first_divergence(self) -> dict | None:
        """The first day that differs: ``day``, ``checks`` that differ, and per check the
        paper and backtest values."""
        bad = self.parity[~self.parity["match"]]
        if bad.empty:
            return None
        row = bad.iloc[0]
        checks = [c for c in CHECKS if not row[f"{c}_match"]]
        return {"day": row["date"].date(), "checks": checks,
                "sides": {c: (row[f"{c}_paper"], row[f"{c}_backtest"]) for c in checks}}

    def _calls(self, side: str) -> int:
        column = f"margin_calls_{side}"
        return int(self.parity[column].notna().sum()) if column in self.parity else 0

    def text(self) -> str:
        """The parity report, as the command prints it."""
        n = len(self.parity)
        nav_gap = float(self.parity["nav_gap"].abs().max()) if n else float("nan")
        failed = [r for r in self.runs if r.exit_code not in (0,)]
        lines = [f"parity: {self.matching_days}/{n} days match (positions, orders sent, fills, "
                 f"rolls, margin calls, NAV to the cent); largest NAV difference ${nav_gap:,.2f}",
                 f"margin calls: {self._calls('paper')} on paper, {self._calls('backtest')} "
                 "in the backtest",
                 f"paper runs: {len(self.runs)} (one a day), "
                 f"{len(failed)} exited non-zero"
                 + (": " + ", ".join(f"{r.day} ({r.exit_code})" for r in failed[:5]) if failed else "")]
        first = self.first_divergence()
        if first is None:
            lines.append("no divergence")
        else:
            lines.append(f"first divergence {first['day']}: {', '.join(first['checks'])}")
            for check, (paper, backtest) in first["sides"].items():
                lines.append(f"  {check:<12} paper    {paper}")
                lines.append(f"  {'':<12} backtest {backtest}")
        return "\n".join(lines)


def _backtest_config(config: PaperConfig, start, end, cash: float):
    from ..backtest.runner import BacktestConfig

    return BacktestConfig(strategy=config.strategy, instruments=tuple(config.instruments),
                          start=start, end=end, cash=cash, data_dir=config.data_dir,
                          params=dict(config.strategy_params), broker=dict(config.broker),
                          benchmark=False)


def replay(config: PaperConfig, config_path: Path | None, start: dt.date, end: dt.date,
           work_dir: Path, *, cash: float = 10_000_000.0, fresh_process: bool = True,
           once_timeout: float = 2.0, progress=None) -> Replay:
    """Replay ``config``'s strategy on paper from ``start`` to ``end`` against the simulator and
    compare with the backtest (module docstring).  ``work_dir`` receives the runs' journal and
    logs.  ``fresh_process=False`` runs each day in this process (``run_paper`` with the clock
    set), for tests; the default starts ``ecore paper`` per day, as cron does, from
    ``config_path``."""
    from ...brokers.ib.simulator import FakeGateway
    from ...brokers.ib.simulator.market import MarketSimulator
    from ...data.market import load_market
    from ...data.price_book import FuturesPriceBook
    from ...data.synthetic_futures import build_price_book
    from ..backtest.instruments import plan_feeds, strategy_class
    from ..backtest.runner import HISTORY_BEFORE_START, broker_settings, run_backtest

    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    cls = strategy_class(config.strategy, config.key("class"),
                         (config.base_dir,) if config.base_dir else ())
    plan = plan_feeds(cls, config.instruments, config.strategy_params,
                      key=config.key("instruments"), params_key=config.key("params"))
    market = load_market(config.data_dir)
    bt_config = _backtest_config(config, start, end, cash)
    backtest = run_backtest(bt_config, market=market)
    roots = list(plan.futures_roots)
    book = (build_price_book(market, roots=roots, start=start - HISTORY_BEFORE_START, end=end)
            if roots else FuturesPriceBook.empty())
    settings = broker_settings(bt_config, cls, dict(config.strategy_params), book)
    gateway = FakeGateway(account=config.account or "DU1234567")
    sim = MarketSimulator(gateway, market, start, end, symbols=plan.symbols, roots=roots,
                          cash=cash, settings=settings, book=book)
    port = gateway.start()
    journal = work_dir / "paper-journal.sqlite"
    for stale in (journal, work_dir / "paper-journal.sqlite-wal", work_dir / "paper-journal.sqlite-shm"):
        stale.unlink(missing_ok=True)
    runs = []
    try:
        sent_on: list[dt.date] = []  # the day of the run that sent each of gateway.placed
        for day in sim.days:
            sim.advance_to(day)
            run = _run_day(config, config_path, day, port, journal, work_dir, once_timeout,
                           fresh_process, sim.days[0])
            runs.append(run)
            sent_on += [day] * (len(gateway.placed) - len(sent_on))
            if progress is not None:
                progress(run)
        # the last day's orders fill on the next trading day, after the window, on both sides
    finally:
        gateway.stop()
    paper, orders = _paper_result(cls, sim, gateway, backtest, sent_on)
    from ...brokers.ib.journal import Journal

    kept = Journal(journal, read_only=True)
    try:
        calls = kept.margin_calls()
    finally:
        kept.close()
    parity = compare(paper, orders, backtest, sim.days, calls)
    return Replay(paper, backtest, parity, tuple(runs), orders)


def _run_day(config, config_path, day, port, journal, work_dir, once_timeout, fresh,
             first: dt.date) -> DayRun:
    """One day's paper run at the configured time; no bar before ``first`` (the window's
    start), so the strategy warms up as the backtest of the window does."""
    tz = ZoneInfo(config.timezone)
    at = dt.datetime.combine(day, config.schedule, tz)
    if fresh:
        if config_path is None:
            raise ValueError("a replay in fresh processes needs the configuration file")
        cmd = [sys.executable, "-m", "ecore.engine.cli", "paper", "--config", str(config_path),
               "--once", "--host", "127.0.0.1", "--port", str(port), "--journal", str(journal),
               "--at", at.isoformat(), "--once-timeout", f"{once_timeout:g}",
               "--history-from", first.isoformat()]
        if config.client:
            cmd += ["--client", config.client]
        if "class" in config.flags:
            cmd += ["--strategy", config.strategy]
        if "instruments" in config.flags:
            cmd += ["--instruments", ",".join(config.instruments)]
        done = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ),
                              timeout=300)
        output = done.stdout + done.stderr
        (work_dir / "runs").mkdir(exist_ok=True)
        (work_dir / "runs" / f"{day.isoformat()}.log").write_text(output)
        return DayRun(day, done.returncode, output)
    from .run import run_paper

    cfg = dataclasses.replace(config, host="127.0.0.1", port=port, journal=journal,
                              once_timeout=once_timeout, history_from=first)
    (work_dir / "runs").mkdir(exist_ok=True)
    log_file = work_dir / "runs" / f"{day.isoformat()}.log"
    try:
        result = run_paper(cfg, once=True, clock=lambda zone: at.astimezone(zone))
    except Exception as exc:  # noqa: BLE001 - a day that could not run is a divergence
        import traceback

        log_file.write_text(traceback.format_exc())
        return DayRun(day, 2, f"{type(exc).__name__}: {exc}")
    log_file.write_text(result.summary.text() + "\n")
    return DayRun(day, result.summary.exit_code, result.summary.text())


def _paper_result(cls, sim, gateway, backtest, sent_on):
    """The paper side as a ``BacktestResult`` and the orders the runs sent (dated by the run
    that sent them: a share's intent carries its newest bar's day, the Thursday before Good
    Friday)."""
    from ...brokers.ib.journal import parse_ref
    from ..report.results import BacktestResult

    trades, orders = [], []
    for ex in gateway.executions:
        name = sim.names.get(ex.instrument.conId, ex.instrument.localSymbol)
        ref = parse_ref(ex.orderRef)
        mult = float(ex.instrument.multiplier) if ex.instrument.multiplier else 1.0
        size = ex.shares if ex.side == "BOT" else -ex.shares
        trades.append({"date": pd.Timestamp(ex.at.date()), "instrument": name, "size": size,
                       "price": ex.price, "value": size * ex.price * mult,
                       "commission": ex.commission,
                       "kind": _kind(ref[2]) if ref else "forced"})
    for placed, day in zip(gateway.placed, sent_on):
        ref = parse_ref(placed.orderRef)
        if ref is None:
            continue
        size = placed.totalQuantity if placed.action == "BUY" else -placed.totalQuantity
        orders.append({"date": pd.Timestamp(day), "instrument": ref[1], "size": size,
                       "kind": ref[2], "ref": placed.orderRef, "status": placed.status})
    daily = sim.account.daily()
    daily = daily[daily["date"] >= pd.Timestamp(sim.days[0])].copy()
    daily["ladder_duration"] = float("nan")
    events = pd.DataFrame([{"date": pd.Timestamp(d), "kind": k, "detail": t}
                           for d, k, t in sim.events], columns=["date", "kind", "detail"])
    result = BacktestResult(
        name=f"{cls.__name__} [paper replay]", daily=daily,
        trades=pd.DataFrame(trades, columns=["date", "instrument", "size", "price", "value",
                                             "commission", "kind"]),
        journal=sim.account.journal(), events=events, params=dict(backtest.result.params),
        assumptions={"Paper replay": "each day a fresh `ecore paper --once` process against the "
                     "local IB simulator; fills, costs and account values by ecore's rules"})
    return result, pd.DataFrame(orders, columns=["date", "instrument", "size", "kind", "ref",
                                                 "status"])


def _kind(purpose: str) -> str:
    """A trade's kind from its order's purpose: ours by name, anything else a plain trade."""
    return purpose if purpose in ("rebalance", "roll", "margin_call") else "trade"


def _by_day(frame: pd.DataFrame, value) -> dict:
    """``{day: {instrument: value(rows)}}`` of a table with date and instrument columns."""
    out: dict = {}
    if frame is None or frame.empty:
        return out
    for (day, inst), rows in frame.groupby([frame["date"].dt.date, "instrument"]):
        v = value(rows)
        if v is not None:
            out.setdefault(day, {})[inst] = v
    return out


def _net(rows) -> float | None:
    n = round(float(rows["size"].sum()), 6)
    return n if n else None


def _fill(rows) -> tuple | None:
    size = float(rows["size"].sum())
    traded = rows["size"].abs().sum()
    price = float((rows["price"] * rows["size"].abs()).sum() / traded) if traded else 0.0
    return (round(size, 6), round(price, 6), round(float(rows["commission"].sum()), 2))


def compare(paper, paper_orders: pd.DataFrame, backtest, days, paper_calls=()) -> pd.DataFrame:
    """One row per day: each check's paper and backtest values and whether they match.
    ``paper_calls``: the margin calls the paper runs issued (``MarginCall``)."""
    bt_result = backtest.result
    bt_trades = bt_result.trades.copy()
    bt_trades["date"] = pd.to_datetime(bt_trades["date"])
    pp_trades = paper.trades.copy()
    bt_orders = backtest.orders
    bt_orders = bt_orders[bt_orders["date"].notna()]
    fills = (_by_day(pp_trades, _fill), _by_day(bt_trades, _fill))
    rolls = (_by_day(pp_trades[pp_trades["kind"] == "roll"], _net),
             _by_day(bt_trades[bt_trades["kind"] == "roll"], _net))
    orders = (_by_day(paper_orders, _net), _by_day(bt_orders, _net))
    navs = (paper.daily.set_index(paper.daily["date"].dt.date)["nav"],
            bt_result.daily.set_index(pd.to_datetime(bt_result.daily["date"]).dt.date)["nav"])
    broker = getattr(backtest.strategy, "broker", None)
    bt_calls = broker.margin_calls() if broker is not None and hasattr(broker, "margin_calls") \
        else []
    calls = ({c.issued: float(c.amount) for c in paper_calls},
             {c.issued: float(c.amount) for c in bt_calls})
    held = ({}, {})
    rows = []
    for day in days:
        row = {"date": pd.Timestamp(day)}
        for side, (name, trades) in enumerate((("paper", pp_trades), ("backtest", bt_trades))):
            pos = held[side]
            for inst, (size, _, _) in fills[side].get(day, {}).items():
                pos[inst] = round(pos.get(inst, 0.0) + size, 6)
                if not pos[inst]:
                    del pos[inst]
            row[f"positions_{name}"] = dict(sorted(pos.items()))
            row[f"orders_{name}"] = dict(sorted(orders[side].get(day, {}).items()))
            row[f"fills_{name}"] = dict(sorted(fills[side].get(day, {}).items()))
            row[f"rolls_{name}"] = dict(sorted(rolls[side].get(day, {}).items()))
            due = calls[side].get(day)
            row[f"margin_calls_{name}"] = None if due is None else round(due, 2)
            nav = navs[side].get(day)
            row[f"nav_{name}"] = round(float(nav), 2) if nav is not None else None
        gap = (row["nav_paper"] - row["nav_backtest"]) if None not in (
            row["nav_paper"], row["nav_backtest"]) else float("inf")
        row["nav_gap"] = gap
        for check in CHECKS[:-2]:
            row[f"{check}_match"] = row[f"{check}_paper"] == row[f"{check}_backtest"]
        due = (calls[0].get(day), calls[1].get(day))
        row["margin_calls_match"] = due[0] == due[1] or (
            None not in due and abs(due[0] - due[1]) <= CALL_TOLERANCE)
        row["nav_match"] = abs(gap) <= NAV_TOLERANCE
        row["match"] = all(row[f"{c}_match"] for c in CHECKS)
        rows.append(row)
    return pd.DataFrame(rows)
