"""Every backtrader order type on MarginBroker equals backtrader's own BackBroker.

Strategies after backtrader's samples (tests/bt_samples.py: order-execution with every exectype,
stoptrail, oco, bracket, order_target, close-daily) run on both brokers, with zero costs, on the
same bars: bundled SPY closes (open = high = low = close), the real ZN front-month OHLC in
../shared (inside-the-bar triggering and gaps), and the same ZN closes without a range.  Traded
as a share and as one futures contract (ZNH25, multiplier 1000, margin $2,000 on both sides).
Both must give the same fills (order, day, price, size), the same statuses per order in the same
order, the same closed trades and the same value every day to the cent.

Known, deliberate difference (not run here): ``valid=0`` is a day order in MarginBroker, as
backtrader documents it; BackBroker never expires it (tests/test_order_book.py).  Short sales of
shares are item 4 of issue 21 (refused here today), so sell-first share cases are not run.
"""

from __future__ import annotations

import backtrader as bt
import pytest

import bt_samples as S
import order_oracle as O

pytestmark = pytest.mark.skipif(not O.SHARED_FUTURES.exists(), reason="../shared futures data absent")

BARS = {
    "spy-closes": lambda: O.bundled_closes(start="2019-01-01", end="2019-12-31"),
    "zn-ohlc": lambda: O.real_ohlc(start="2022-01-01", end="2022-12-31"),
    "zn-closes": lambda: O.flat(O.real_ohlc(start="2022-01-01", end="2022-12-31")),
}


def _cases():
    for bars in BARS:
        kinds = ("share",) if bars == "spy-closes" else ("share", "future")
        for kind in kinds:
            sides = ("buy", "sell") if kind == "future" else ("buy",)
            for side in sides:
                for ex in S.EXECTYPES:
                    valids = {"Market": (4,), "Close": (4,), "Limit": (4, "gtc", "day", "timedelta", "datetime"),
                              "Stop": (4, "gtc", "day", "timedelta", "datetime")}.get(ex, (4, "gtc"))
                    for valid in valids:
                        yield pytest.param(bars, kind, S.OrderExecution,
                                           dict(exectype=ex, side=side, valid=valid, perc1=0.3, perc2=0.1,
                                                trailpercent=0.003),
                                           id=f"{bars}-{kind}-exec-{ex}-{side}-{valid}")
            for name, p in [("amount", dict(trailamount=0.5)), ("percent", dict(trailpercent=0.01)),
                            ("limit", dict(stoptype=bt.Order.StopTrailLimit, trailpercent=0.01, limitoffset=-0.1))]:
                if bars == "spy-closes" and name == "amount":
                    p = dict(trailamount=5.0)
                yield pytest.param(bars, kind, S.StopTrail, p, id=f"{bars}-{kind}-stoptrail-{name}")
            for name, p in [("oco", {}), ("switch", dict(switchp1p2=True)), ("oco1oco2", dict(oco1oco2=True)),
                            ("no-oco", dict(do_oco=False)), ("target", dict(usetarget=True)),
                            ("near", dict(limit=0.001))]:
                yield pytest.param(bars, kind, S.Oco, p, id=f"{bars}-{kind}-oco-{name}")
            for side in sides:
                for name, p in [("manual", {}), ("bracket", dict(usebracket=True)),
                                ("switch", dict(switchp1p2=True)),
                                ("tight", dict(usebracket=True, width=0.005, limit=0.001)),
                                ("tight-manual", dict(width=0.003, limit=0.0)),
                                ("cancel-parent", dict(cancel_after=2, limit=0.01, usebracket=True))]:
                    yield pytest.param(bars, kind, S.Bracket, dict(p, side=side), id=f"{bars}-{kind}-bracket-{name}-{side}")
            if kind == "share":  # backtrader sizes futures targets by margin, ecore by notional
                for use in ("size", "value", "percent"):
                    yield pytest.param(bars, kind, S.OrderTarget, dict(use=use), id=f"{bars}-{kind}-target-{use}")
            for seed in (1, 7):
                yield pytest.param(bars, kind, S.CloseDaily, dict(seed=seed), id=f"{bars}-{kind}-closedaily-{seed}")


def _differences(mine: O.Outcome, theirs: O.Outcome) -> list[str]:
    out = []
    for field in ("fills", "statuses", "trades", "values"):
        a, b = getattr(mine, field), getattr(theirs, field)
        if a == b:
            continue
        if isinstance(a, dict):
            a, b = sorted(a.items()), sorted(b.items())
        first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        out.append(f"{field}: {len(a)} vs {len(b)}; first difference at {first}: "
                   f"{a[first] if first < len(a) else None} vs {b[first] if first < len(b) else None}")
    return out


@pytest.mark.parametrize("bars, kind, strategy, params", list(_cases()))
def test_margin_broker_matches_backbroker(bars, kind, strategy, params):
    mine, theirs = O.both(strategy, BARS[bars](), kind, **params)
    assert not _differences(mine, theirs), _differences(mine, theirs)


def test_the_comparison_has_orders_of_every_fate():
    """The cases are not vacuous: across them orders complete, expire and are cancelled (OCO
    siblings, bracket legs), stops fill at gapped opens and inside the bar."""
    seen = set()
    bars = O.real_ohlc(start="2022-01-01", end="2022-12-31")
    for strategy, params in [(S.Oco, {}), (S.Bracket, dict(usebracket=True, width=0.005, limit=0.001)),
                             (S.OrderExecution, dict(exectype="Stop", perc1=0.3, valid=4))]:
        mine = O.run(strategy, bars, "margin", "future", **params)
        for statuses in mine.statuses.values():
            seen.add(statuses[-1])
    assert {"Completed", "Expired", "Canceled"} <= seen


def test_stop_fills_at_the_open_when_gapped_through_and_at_the_stop_inside_the_bar():
    # bar 1: decide; bar 2: opens above the stop (gap) -> open; second run: the stop is inside the bar
    gap = O.frame([100, 100, 100], opens=[100, 103, 100], highs=[100, 104, 100], lows=[100, 99, 100])
    inside = O.frame([100, 100, 100], opens=[100, 100.5, 100], highs=[100, 102, 100], lows=[100, 99, 100])

    class BuyStop(bt.Strategy):
        def next(self):
            if len(self) == 1:
                self.buy(exectype=bt.Order.Stop, price=101.0)

    for bars, price in [(gap, 103.0), (inside, 101.0)]:
        for broker in ("margin", "back"):
            out = O.run(BuyStop, bars, broker, "future")
            assert [f[2] for f in out.fills] == [price], (broker, out.fills)
