"""A seeded soak: 200 paper sessions of one strategy against one fake gateway, mixing socket
drops at random protocol steps, unanswered requests, partial fills, resting orders, rejections,
swallowed orders, late commissions, corrections, restarts (every session is a new process's
run, alternating the two client libraries), same-day re-runs and new days (IB Gateway forgetting
the day's executions at midnight, DAY orders cancelled at the close).

Issue 26 adds a first month's faults: rejections in every order IB sends them (201 then
``Inactive``, ``Inactive`` then its reason, late or never), TWS's precautionary size limit (451),
resting orders rejected at the open while no process runs, throttled (162 pacing) and unanswered
history requests, morning runs before the close (IB's unfinished bar), a second account of the
login with its own working orders and positions, and re-runs with ``--retry-rejected``.

Whatever happens: the account never holds more than the strategy's target, no orderRef reaches
IB twice, and every fill is journaled exactly once (its shares match IB's, once the last
session has caught up).  It prints its counts."""

import collections
import os
import datetime as dt
import random
import time
from pathlib import Path

import pytest

from ecore.brokers.ib.journal import Journal
from ecore.data.calendar import treasury_calendar
from ecore.engine.paper.connect import connection_errors
from ecore.engine.paper.run import KillSwitchStop
from ecore.brokers.ib.simulator import (GATEWAY_TZ, REQ_ACCOUNT, REQ_ALL_OPEN_ORDERS,
                                         REQ_COMPLETED_ORDERS, REQ_CONTRACT_DETAILS, REQ_EXECUTIONS,
                                         REQ_HISTORY, REQ_OPEN_ORDERS, REQ_PLACE_ORDER, REQ_POSITIONS,
                                         PACING_TEXT, SIZE_LIMIT_TEXT, Accept, Drop, FakeGateway,
                                         Fill, Info, ReadOnly, Reject, Rest, Silent)
from ib_helpers import CLIENTS, clock_at, run, zn_gateway

ACCOUNT, OTHER = "DU1234567", "DU7654321"  # ours, and another account of the login
SEED = int(os.environ.get("ECORE_SOAK_SEED", "20250313"))  # another seed: another mix
SESSIONS = 200
# the strategy's targets change from day to day (shares of SPY, contracts of ZNM25)
DAILY_TARGETS = {"SPY": (0, 100, 300, 300), "ZNM25": (-3, 0, 2, 5, 5)}
REQUESTS = [REQ_POSITIONS, REQ_OPEN_ORDERS, REQ_ALL_OPEN_ORDERS, REQ_COMPLETED_ORDERS,
            REQ_ACCOUNT, REQ_EXECUTIONS, REQ_CONTRACT_DETAILS, REQ_HISTORY]


class WatchedGateway(FakeGateway):
    """Checks every fill: a position stays between where the day started and the day's target
    (``bounds``: conId -> (low, high)); anything beyond is recorded in ``overshoots``."""

    def __init__(self):
        super().__init__(accounts=[ACCOUNT, OTHER])
        self.bounds: dict[int, tuple[float, float]] = {}
        self.overshoots: list = []

    def _fill(self, *args, **kw):
        super()._fill(*args, **kw)
        for con_id, (low, high) in self.bounds.items():
            size = self.positions.get(con_id, 0.0)
            if not low <= size <= high:
                self.overshoots.append((self.instruments[con_id].symbol, size, low, high))

    def aim(self, targets: dict[int, float], keep: bool = False) -> None:
        """New targets: positions may move from where they are to there, no further (``keep``:
        nor further than the bounds already set)."""
        old = self.bounds
        self.bounds = {c: (min(self.positions.get(c, 0.0), t), max(self.positions.get(c, 0.0), t))
                       for c, t in targets.items()}
        if keep:
            self.bounds = {c: (min(lo, old[c][0]), max(hi, old[c][1]))
                           for c, (lo, hi) in self.bounds.items()}


def ours(order) -> bool:
    """Orders of our account (IB fills and rejects the other account's on its own)."""
    return order.account == ACCOUNT


def scripts(rng):
    """A random order script, and its name for the counts."""
    return rng.choice([
        ("fill", lambda o: [Accept(), Fill()]),
        ("fill", lambda o: [Accept(), Fill()]),
        ("partial", lambda o: [Accept(), Fill(quantity=max(1.0, o.totalQuantity // 3))]),
        ("two partials", lambda o: [Accept(), Fill(quantity=1), Fill()]),
        ("rests", lambda o: [Accept()]),
        ("rests until the open", lambda o: [Rest()]),
        ("late commission", lambda o: [Accept(), Fill(commission_delay=0.3)]),
        ("drop, then filled", lambda o: [Accept(), Drop(), Fill()]),
        ("info 10349, filled", lambda o: [Accept(), Info(), Fill()]),
        ("rejected", lambda o: [Reject(201, error_first=rng.random() < 0.5)]),
        ("inactive, then the reason", lambda o: [Reject(201, inactive_first=True,
                                                        text_delay=rng.choice([0.0, 0.1]))]),
        ("inactive alone", lambda o: [Reject(201, no_text=True)]),
        ("size limit 451", lambda o: [Reject(451, SIZE_LIMIT_TEXT.format(id=o.orderId))]),
        ("read-only", lambda o: [ReadOnly()]),
        ("swallowed", lambda o: [Silent()]),
    ])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The journal's folder: in memory-backed /dev/shm when there is one (SQLite commits fast)."""
    shm = Path("/dev/shm")
    if shm.is_dir():
        import tempfile
        d = Path(tempfile.mkdtemp(prefix="ecore-soak-", dir=shm))
        yield d
        for p in d.iterdir():
            p.unlink()
        d.rmdir()
    else:
        yield tmp_path_factory.mktemp("soak")


@pytest.mark.slow
def test_soak_of_faulty_sessions_never_doubles_never_resends_never_loses_a_fill(workdir, capsys):
    rng = random.Random(SEED)
    gw = zn_gateway(WatchedGateway())
    day = dt.date(2025, 3, 13)
    gw.clock = lambda: dt.datetime.combine(day, dt.time(17, 0), tzinfo=GATEWAY_TZ)
    gw.unfinished_bars = True  # before the close IB's history ends with today's bar so far
    gw.start()
    counts = collections.Counter()
    targets = {"SPY": 300, "ZNM25": 5}
    gw.aim({gw.spy.conId: targets["SPY"], gw.znm.conId: targets["ZNM25"]})
    started = time.monotonic()
    try:
        for n in range(SESSIONS):
            lib = CLIENTS[n % 2]
            # between sessions: what IB does while no ecore process runs
            event = rng.random()
            morning = False
            if event < 0.15:
                gw.fill_open_orders(quantity=rng.choice([None, 1.0]), where=ours)
                counts["fills while away"] += 1
            elif event < 0.20 and [e for e in gw.executions if e.at >= gw.midnight()]:
                today = [e for e in gw.executions if e.at >= gw.midnight()]
                gw.correct(rng.choice(today), price=rng.choice([110.25, 560.5]))
                counts["corrections"] += 1
            elif event < 0.35:
                # the day ends: DAY orders are filled or cancelled at the close, a new day
                if rng.random() < 0.5:
                    gw.fill_open_orders(where=ours)
                gw.cancel_open_orders()
                day = treasury_calendar().next_business_day(day)
                for inst in (gw.spy, gw.znm):
                    inst.bars.append((day.strftime("%Y%m%d"), *inst.bars[-1][1:]))
                targets = {k: rng.choice(v) for k, v in DAILY_TARGETS.items()}
                gw.aim({gw.spy.conId: targets["SPY"], gw.znm.conId: targets["ZNM25"]})
                counts["new days"] += 1
                if rng.random() < 0.3:
                    # the day's first run comes before the close: it decides on yesterday
                    morning = True
                    counts["morning runs before the close"] += 1
            elif event < 0.40:
                rejected = gw.reject_open_orders(where=ours)
                counts["rejected at the open while away"] += bool(rejected)
            else:
                counts["same-day re-runs"] += 1
                if rng.random() < 0.08:
                    # the strategy changes its mind during the day (less, more, the other way):
                    # orders on an instrument it orders again are brought to the new target, but
                    # today's orders on one it leaves alone (its target is where it stands) keep
                    # working, so the day's earlier target still bounds the account
                    targets = {k: rng.choice(v) for k, v in DAILY_TARGETS.items()}
                    gw.aim({gw.spy.conId: targets["SPY"], gw.znm.conId: targets["ZNM25"]},
                           keep=True)
                    counts["targets changed within a day"] += 1
            # this session's faults
            gw.clock = (lambda d=day: dt.datetime.combine(d, dt.time(11, 0), tzinfo=GATEWAY_TZ)) \
                if morning else (lambda d=day: dt.datetime.combine(d, dt.time(17, 0),
                                                                    tzinfo=GATEWAY_TZ))
            if rng.random() < 0.1:
                # throttled or unanswered history, asked again after the back-off
                inst = rng.choice([gw.spy, gw.znm])
                gw.history_faults = {inst.conId: [rng.choice([("error", 162, PACING_TEXT),
                                                              ("silent",)])]}
                counts["history throttled or unanswered"] += 1
            else:
                gw.history_faults = {}
            if rng.random() < 0.08:
                # another account of the login puts a working order on our instruments
                gw.add_foreign_order(rng.choice([gw.spy, gw.znm]), rng.choice(["BUY", "SELL"]),
                                     rng.choice([1, 2, 50]), OTHER)
                gw.other_account_positions = [(OTHER, gw.znm, 7.0), (OTHER, gw.spy, -40.0)]
                counts["other account's orders"] += 1
            retry = rng.random() < 0.2
            counts["re-runs with --retry-rejected"] += retry
            gw.unanswered = {rng.choice(REQUESTS)} if rng.random() < 0.12 else set()
            gw.drop_on = {rng.choice(REQUESTS + [REQ_PLACE_ORDER]): 1} \
                if rng.random() < 0.15 else {}
            name, script = scripts(rng)
            gw.order_script = script
            counts[f"script: {name}"] += 1
            counts["unanswered requests"] += bool(gw.unanswered)
            counts["drops at a protocol step"] += bool(gw.drop_on)
            try:
                result = run(gw, lib, workdir, list(targets), targets,
                             clock=clock_at(day, dt.time(11, 0) if morning else dt.time(17, 0)),
                             request_timeout=0.25, timeout=1.0, once_timeout=0.3,
                             account=ACCOUNT, retry_rejected=retry, history_backoff=0.01)
                counts["sessions that traded"] += 1
                counts["orders found ended at IB by a later run"] += len(
                    result.summary.found_ended)
                counts["intents held back (rejected earlier that day)"] += len(
                    result.summary.held_back)
            except (*connection_errors(), KillSwitchStop) as exc:
                counts[f"stopped: {type(exc).__name__}"] += 1
            # the account never holds more than the target, at any fill
            assert gw.overshoots == [], (n, gw.overshoots)
        # a last, clean session on a new day (a rejected intent is not retried the same day)
        # catches the journal up with IB and takes the account to the target
        gw.cancel_open_orders()
        day = treasury_calendar().next_business_day(day)
        for inst in (gw.spy, gw.znm):
            inst.bars.append((day.strftime("%Y%m%d"), *inst.bars[-1][1:]))
        gw.aim({gw.spy.conId: targets["SPY"], gw.znm.conId: targets["ZNM25"]})
        gw.unanswered, gw.drop_on, gw.history_faults = set(), {}, {}
        gw.clock = lambda: dt.datetime.combine(day, dt.time(17, 0), tzinfo=GATEWAY_TZ)
        gw.order_script = lambda o: [Accept(), Fill()]
        run(gw, CLIENTS[1], workdir, list(targets), targets, clock=clock_at(day),
            request_timeout=0.5, once_timeout=0.5, account=ACCOUNT)
    finally:
        gw.stop()
    elapsed = time.monotonic() - started

    # no orderRef reached IB twice
    refs = [o.orderRef for o in gw.placed if o.account == ACCOUNT]
    assert len(refs) == len(set(refs))
    # the other account's orders were never taken down by ecore: no global cancel, ever
    assert not any(m[0] == "58" for m in gw.received)
    # the account ends at the target
    assert gw.overshoots == []
    assert gw.positions.get(gw.spy.conId, 0.0) == targets["SPY"]
    assert gw.positions.get(gw.znm.conId, 0.0) == targets["ZNM25"]
    # every fill journaled exactly once: per order, the journal's shares are IB's
    journal = Journal(workdir / "journal.sqlite")
    by_ref = collections.defaultdict(float)
    for e in journal.executions():
        by_ref[e.order_ref] += e.shares
    for order in gw.placed:
        if order.account == ACCOUNT:
            assert by_ref.get(order.orderRef, 0.0) == order.filled, order.orderRef
    # one row per execution, holding one of IB's versions of it (the latest IB reported while
    # a session ran: a correction published after the day's last session is not seen again)
    versions = collections.defaultdict(set)
    for ex in gw.executions:
        versions[ex.execId.rsplit(".", 1)[0]].add(ex.execId)
    ib_rows = [e for e in journal.executions() if e.source == "ib"]
    bases = [e.exec_id.rsplit(".", 1)[0] for e in ib_rows]
    assert len(set(bases)) == len(bases)
    for e, base in zip(ib_rows, bases):
        assert e.exec_id in versions[base]
    counts["journal fills holding a correction"] = sum(e.exec_id[-2:] != "01" for e in ib_rows)
    statuses = collections.Counter(e.status for e in journal.entries())
    counts.update({f"journal: {k}": v for k, v in statuses.items()})
    counts["orders sent"] = len(refs)
    counts["IB executions (with corrections)"] = len(gw.executions)
    counts["journal fills"] = len(journal.executions())
    counts["journal fills inferred"] = sum(e.source == "inferred" for e in journal.executions())
    journal.close()
    with capsys.disabled():
        print(f"\nsoak: {SESSIONS} sessions (seed {SEED}) in {elapsed:.1f} s")
        for key, value in sorted(counts.items()):
            print(f"  {key}: {value}")
