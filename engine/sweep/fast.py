"""The fast path of a sweep: the 90/60 EfficientCore portfolio evaluated for many parameter sets
at once, on the same data and under the same rules as the event-driven engine.

The event-driven engine runs one backtest per process, day by day, through backtrader and the
margin broker.  Here the day loop is kept (decisions depend on the path) over plain arrays:
:func:`evaluate_reference` states the rules in numpy, every quantity a vector over the K
parameter sets; :func:`evaluate_many` runs the same arithmetic, in the same order, compiled
(:mod:`.fast_kernel`, numba), one set at a time and in parallel over the sets: milliseconds per
set over 2000-2026 instead of about a second per pass.

Same data: the synthetic futures price book of :func:`ecore.data.synthetic_futures.build_price_book`,
the day index of :func:`ecore.data.feeds.make_feeds`, the margin model of the runner, the
bill rate of :meth:`MarketData.short_rate`.

Same rules, in the order of ``MarginBroker.next`` then ``EfficientCore.next`` each day:

1. interest on the previous close's cash, act/360 at the previous day's bill rate (a debit pays
   the rate plus ``borrow_spread``), then the fund's ``expense_ratio`` on the previous close's NAV
   (act/365; the strategy parameter, else ``broker.expense_ratio``, else the strategy's 0.20%);
2. futures are marked to the day's settlement (variation margin in cash);
3. yesterday's orders fill: futures at the settlement plus half a tick of slippage and the
   commission (only on Treasury business days; otherwise they wait), risk-reducing orders first,
   risk-adding futures orders refused when equity would fall below initial margin (a leg's roll
   part and its resize are two orders, checked in that order); shares at the close plus 2 bp and
   the commission (only on days the stock market traded, the feed's ``traded`` line; otherwise
   they wait), a purchase refused if cash would go negative;
4. NAV = cash + shares x close;
5. on Treasury business days, the strategy decides on the close (unless orders are still
   pending): initial allocation, equity weight outside ``drift_band`` (when underweight, only if
   cash and margin can buy the shares back into the band), futures weight outside the band when
   the re-solved ladder differs, or the quarterly roll (``rebalance = "roll"``) or quarter start
   (``"quarter"``) → rebalance: the ladder is re-solved (template reshaped to the target
   duration, whole contracts by the same exhaustive rounding as :mod:`ecore.strategies.ladder`, cut
   so that its initial margin stays within ``margin_budget`` of margin equity) and shares are
   traded only when the equity weight is out of band (``bonds_first``), purchases capped at the
   cash and margin the new ladder leaves (``EfficientCore._spendable_on_shares``); a roll with
   no rebalance moves each leg's contracts to the next quarterly contract.

6. margin: equity for margin is cash plus ``share_collateral`` times the shares' value; an open
   call is met when that equity is back at initial margin, else at its deadline futures are
   liquidated (largest initial requirement first, one contract at a time, or all); a new call is
   issued when equity is below maintenance, and the strategy sells shares for the called amount
   net of ``share_collateral`` (``meet_margin_calls``; none when shares count in full).

Not modelled: roll spreads over several days (``roll_spread_days`` > 1), orders on limit prices,
deposits, other strategies.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .fast_prices import ContractPrices

#: Strategy parameters the fast path evaluates as vectors (any value per parameter set).
VECTOR_PARAMS = ("equity_weight", "futures_notional", "drift_band", "target_duration", "bonds_first",
                 "scale", "rebalance", "meet_margin_calls", "margin_budget", "expense_ratio")
#: Strategy parameters that change the data (one data build per distinct combination).
DATA_PARAMS = ("equity", "ladder", "roll_offset", "include_unlaunched", "roll_spread_days")
#: Broker settings the fast path models.
BROKER_SETTINGS = ("costs", "borrow_spread", "margin_schedule", "initial_ratio", "margin_multiplier",
                   "fallback_k", "share_collateral", "call_deadline_days", "liquidation_policy", "expense_ratio")
#: Metrics of the fast table (same definitions as ``ecore.engine.report.metrics``).
FAST_METRICS = ("total_return", "cagr", "annual_volatility", "sharpe", "sortino", "max_drawdown", "final_nav",
                "margin_calls", "forced_liquidations", "refused_orders", "rejections")
BATCH = 1000  # parameter sets evaluated together (NAV paths: days x BATCH x 8 bytes)
_DURATION_TOLERANCE = 0.1   # years, as ecore.strategies.ladder
_NOTIONAL_TOLERANCE = 0.01  # fraction of target notional, as ecore.strategies.ladder


class FastPathError(ValueError):
    """A sweep the fast path cannot evaluate faithfully (names the setting)."""


@dataclass(frozen=True)
class FastData:
    """Everything the fast path reads, as arrays over the backtest's days (index ``t``), the
    ladder's roots (index ``r``) and the contracts that may be held (index ``c``).

    Prices in points, money in dollars, durations in years, dates as ``datetime64[D]``.
    """

    days: np.ndarray            # [T] the strategy's days
    close: np.ndarray           # [T] equity close (forward-filled over days it has none)
    traded: np.ndarray          # [T] the stock market traded (share orders fill); False on carried-forward closes
    accrual: np.ndarray         # [T] (rate of the previous day, calendar days since it); row 0 unused
    business: np.ndarray        # [T] Treasury business day (futures orders fill)
    fill_ord: np.ndarray        # [T] ordinal of the next business day (the fill day of today's orders)
    deadline_ord: np.ndarray    # [T] ordinal of the deadline of a margin call issued on the day
    day_ord: np.ndarray         # [T] ordinal of the day
    agg: np.ndarray             # [T] U.S. Aggregate duration of the day (target "agg")
    quarter: np.ndarray         # [T] year * 4 + quarter index
    roots: tuple[str, ...]      # [R]
    template: np.ndarray        # [R] template notional weights
    mult: np.ndarray            # [R] dollars per point
    launched_ord: np.ndarray    # [R] ordinal of the product's launch
    tick: np.ndarray            # [R, T] tick size in points
    im: np.ndarray              # [R, T] initial margin per contract, dollars
    mm: np.ndarray              # [R, T] maintenance margin per contract, dollars
    codes: tuple[str, ...]      # [C]
    code_root: np.ndarray       # [C]
    code_month: np.ndarray      # [C] year * 12 + month, to order contracts
    roll_ord: np.ndarray        # [C] ordinal of the contract's roll day
    next_code: np.ndarray       # [C] index of the next quarterly contract (-1 if outside the set)
    prices: "ContractPrices"    # per contract, over its life: settlement, last settlement, duration
    target_code: np.ndarray     # [R, T] contract held on the fill day of the day's orders
    risk_free: np.ndarray       # [T] daily risk-free return (bill rate / 252) for the metrics
    cash: float                 # starting cash, dollars
    costs: object               # ecore.brokers.costs.CostModel
    borrow_spread: float
    share_collateral: float     # fraction of the shares' value that counts as margin equity
    liquidate_all: bool         # liquidation_policy "all" (else "largest_requirement")
    include_unlaunched: bool
    expense_ratio: float | None = None  # broker.expense_ratio when the broker table sets it

    @classmethod
    def build(cls, market, params: dict | None = None, start=None, end=None, cash: float | None = None,
              broker: dict | None = None) -> "FastData":
        """The arrays of one backtest window, for the data-shaping ``params`` (equity fund,
        ladder template, roll offset); other parameters may vary freely in :func:`evaluate_many`."""
        from ...brokers.costs import CostModel
        from ...brokers.simulated import MarginBroker
        from ...data.feeds import held_contracts, make_feeds
        from ...data.synthetic_futures import build_price_book
        from ...strategies import EfficientCore
        from ..backtest import runner
        from ...data.calendar import treasury_calendar
        from ...data.contracts import spec
        from ...strategies.ladder import aggregate_index_duration
        from ...data.rolls import RollRule

        params = dict(params or {})
        broker = dict(broker or {})
        defaults = dict(EfficientCore.params._getitems())
        p = {**defaults, **params}
        if int(p["roll_spread_days"]) != 1:
            raise FastPathError("roll_spread_days: the fast path models rolls in one day only (1)")
        unknown = [k for k in broker if k not in BROKER_SETTINGS]
        if unknown:
            raise FastPathError(f"broker.{unknown[0]}: not modelled by the fast path "
                                f"(it models {', '.join(BROKER_SETTINGS)})")
        config = runner.BacktestConfig(strategy="EfficientCore", start=start, end=end, params=params,
                                       broker=broker, benchmark=False,
                                       **({} if cash is None else {"cash": float(cash)}))
        symbol = str(p["equity"]).upper()
        roots = tuple(r for r, w in p["ladder"].items() if w > 0)
        plan = runner._plan(EfficientCore, (), params, "fast path")
        first, last = runner._window(config, market, [plan])
        book = build_price_book(market, roots=list(roots), start=first - runner.HISTORY_BEFORE_START, end=last)
        rule = RollRule(offset=int(p["roll_offset"]), spread_days=1)
        feeds = make_feeds(market, book, roots=roots, symbols=[symbol], start=first, end=last, roll_rule=rule)
        frames = {name: feed.p.dataname for name, feed in feeds.items()}
        begin = max(f.index[0] for f in frames.values())  # backtrader's first next(): every feed has a bar
        index = frames[symbol].index
        index = index[index >= begin]
        days = index.to_numpy().astype("datetime64[D]")
        dates = [d.astype(dt.date) for d in days]
        T = len(days)
        close = frames[symbol]["close"].reindex(index).to_numpy(dtype=float)
        if "traded" in frames[symbol].columns:
            traded = frames[symbol]["traded"].reindex(index).to_numpy(dtype=float) > 0
        else:
            traded = np.ones(T, dtype=bool)

        cal = treasury_calendar()
        short = market.short_rate().dropna().sort_index()
        short.index = pd.DatetimeIndex(short.index).normalize()
        pos = np.searchsorted(short.index.to_numpy().astype("datetime64[D]"), days, side="right") - 1
        rate = np.where(pos >= 0, short.to_numpy()[np.maximum(pos, 0)], short.iloc[0])
        accrual = np.zeros((T, 2))
        accrual[1:, 0] = rate[:-1]
        accrual[1:, 1] = np.diff(days).astype(int)
        business, fill_array = _business_and_fill_days(cal, days)
        fill_ord = _ordinals(fill_array)
        broker_defaults = dict(MarginBroker.params._getitems())
        setting = lambda name: broker.get(name, broker_defaults[name])  # noqa: E731
        deadline_days = int(setting("call_deadline_days"))
        deadline_ord = _ordinals(_add_business_days(cal, days, deadline_days))
        policy = setting("liquidation_policy")
        if policy not in ("largest_requirement", "all"):
            raise FastPathError(f"broker.liquidation_policy: the fast path models 'largest_requirement' "
                                f"and 'all', not {policy!r}")
        day_ord = _ordinals(days)
        agg = np.array([aggregate_index_duration(d) for d in dates])
        quarter = np.array([d.year * 4 + (d.month - 1) // 3 for d in dates])
        rf = short.reindex(short.index.union(index)).ffill().reindex(index).fillna(0.0).to_numpy() / 252.0

        R = len(roots)
        template = np.array([float(p["ladder"][r]) for r in roots])
        mult = np.array([float(spec(r).multiplier) for r in roots])
        launched_ord = np.array([spec(r).launched.toordinal() for r in roots])
        tick = np.array([_in_force(spec(r).tick_history, days) for r in roots]).reshape(R, T)
        im, mm = _margin_arrays(runner._margin_model(broker, book, None), roots, dates)

        # Contracts that may be held: those held on some fill day, and the next of each.
        targets = [held_contracts(r, fill_array, rule) for r in roots]
        held = {id(c): c for row in targets for c in row}  # each held contract once (rows repeat objects)
        contracts = sorted(set(held.values()) | {c.next() for c in held.values()})
        cindex = {c.code: i for i, c in enumerate(contracts)}
        codes = tuple(c.code for c in contracts)
        by_id = {key: cindex[c.code] for key, c in held.items()}
        target_code = np.array([[by_id[id(c)] for c in row] for row in targets], dtype=int).reshape(R, T)
        code_root = np.array([roots.index(c.root) for c in contracts], dtype=int)
        code_month = np.array([c.year * 12 + c.month for c in contracts], dtype=int)
        roll_ord = np.array([rule.roll_day(c).toordinal() for c in contracts], dtype=int)
        next_code = np.array([cindex.get(c.next().code, -1) for c in contracts], dtype=int)

        prices = ContractPrices.from_book(book.frame, codes, days)

        costs = broker.get("costs")
        costs = runner._cost_model(costs, "broker") if costs is not None else CostModel()
        start_cash = float(config.cash)
        expense_ratio = broker.get("expense_ratio")
        if expense_ratio is not None:
            expense_ratio = float(expense_ratio)
        data = cls(days=days, close=close, traded=traded, accrual=accrual, business=business, fill_ord=fill_ord,
                   deadline_ord=deadline_ord,
                   day_ord=day_ord, agg=agg, quarter=quarter, roots=roots, template=template, mult=mult,
                   launched_ord=launched_ord, tick=tick, im=im, mm=mm, codes=codes, code_root=code_root,
                   code_month=code_month, roll_ord=roll_ord, next_code=next_code, prices=prices,
                   target_code=target_code, risk_free=rf,
                   cash=start_cash, costs=costs, borrow_spread=float(setting("borrow_spread")),
                   share_collateral=float(setting("share_collateral")), liquidate_all=policy == "all",
                   include_unlaunched=bool(p["include_unlaunched"]), expense_ratio=expense_ratio)
        # Compile or load the kernel now, with the data: the first batch then runs at full speed.
        evaluate_many(data, [{}])
        return data


    def kernel_args(self) -> tuple:
        """The data arguments of :func:`.fast_kernel.run_sets`, in its order (read-only views; the
        [R, T] arrays as [T, R], so that a day's roots share a cache line)."""
        f, i, b = np.float64, np.int64, np.bool_
        a = _kernel_array
        c, pr = self.costs, self.prices
        tgt_settle, tgt_dur = pr.on_days(self.target_code.T)
        return (a(self.close, f), a(self.traded, b), a(self.accrual, f), a(self.business, b), a(self.fill_ord, i),
                a(self.deadline_ord, i), a(self.day_ord, i), a(self.agg, f), a(self.quarter, i),
                a(self.template, f), a(self.mult, f), a(self.launched_ord, i), a(self.tick.T, f), a(self.im.T, f),
                a(self.mm.T, f), a(self.code_month, i), a(self.roll_ord, i), a(self.next_code, i),
                a(self.target_code.T, i), a(tgt_settle, f), a(tgt_dur, f), a(pr.lo, i), a(pr.hi, i), a(pr.off, i),
                a(pr.settle, f), a(pr.settle_ff, f), a(pr.tail, f),
                float(self.cash), float(self.borrow_spread), float(self.share_collateral), bool(self.liquidate_all),
                bool(self.include_unlaunched), float(c.futures_commission), float(c.futures_slippage_ticks),
                float(c.share_slippage_bps / 1e4), float(c.share_commission), float(c.share_min_commission),
                float(c.share_max_commission_pct or 0.0))


def _ordinals(days: np.ndarray) -> np.ndarray:
    """Proleptic Gregorian ordinals (``date.toordinal()``) of ``datetime64[D]`` days."""
    return (days.astype("datetime64[D]").astype(np.int64) + dt.date(1970, 1, 1).toordinal()).astype(np.int64)


def _business_and_fill_days(cal, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each day: is it a Treasury business day, and the next business day after it (the fill
    day of its orders) - ``cal.is_business_day`` and ``cal.next_business_day`` over an array."""
    cal.is_business_day(days[0].astype(dt.date))  # the calendar's own error outside its span
    cal.is_business_day(days[-1].astype(dt.date))
    span = cal.days
    business = np.isin(days, span)
    i = np.searchsorted(span, days, side="right")
    if i[-1] >= len(span):
        cal.next_business_day(days[-1].astype(dt.date))  # raises: off the calendar
    return business, span[i]


def _add_business_days(cal, days: np.ndarray, n: int) -> np.ndarray:
    """``cal.add_business_days(day, n)`` for each day of ``days``."""
    span = cal.days
    if n >= 0:
        i = np.searchsorted(span, days, side="right") + n - 1
    else:
        i = np.searchsorted(span, days, side="left") + n
    bad = (i < 0) | (i >= len(span))
    if bad.any():
        cal.add_business_days(days[np.argmax(bad)].astype(dt.date), n)  # raises: off the calendar
    return span[i]


def _in_force(steps, days: np.ndarray) -> np.ndarray:
    """:func:`ecore.data.calendar.in_force` of a dated step schedule for each day, as floats."""
    starts = np.array([np.datetime64(start, "D") for start, _ in steps])
    values = np.array([float(value) for _, value in steps])
    return values[np.maximum(np.searchsorted(starts, days, side="right") - 1, 0)]


def _margin_arrays(model, roots: tuple[str, ...], dates: list[dt.date]) -> tuple[np.ndarray, np.ndarray]:
    """Initial and maintenance margin per contract, dollars, [R, T], from the runner's margin model:
    its per-root arrays (``MarginModel.requirement_arrays``, equal to ``quote`` day by day to the
    bit), or ``quote`` itself for a model that overrides it or a root with a day it cannot margin
    (so that its error, naming root and day, is raised as the event-driven run raises it)."""
    from ...brokers.margin import MarginModel

    days = np.array(dates, dtype="datetime64[D]")
    im = np.empty((len(roots), len(dates)))
    mm = np.empty((len(roots), len(dates)))
    by_arrays = type(model).quote is MarginModel.quote
    for i, r in enumerate(roots):
        if by_arrays:
            mm[i], im[i] = model.requirement_arrays(r, days)
        if not by_arrays or np.isnan(mm[i]).any() or np.isnan(im[i]).any():
            quotes = [model.quote(r, d) for d in dates]
            im[i] = [q.initial for q in quotes]
            mm[i] = [q.maintenance for q in quotes]
    return im, mm


@dataclass
class FastResult:
    """NAV paths of K parameter sets: ``nav`` [T, K] dollars on ``days``; per set the number of
    margin calls, of futures orders forced by liquidation, and of orders the broker refused."""

    days: np.ndarray
    nav: np.ndarray
    margin_calls: np.ndarray
    forced_liquidations: np.ndarray
    refused_orders: np.ndarray

    def nav_series(self, k: int) -> pd.Series:
        return pd.Series(self.nav[:, k], index=pd.DatetimeIndex(self.days.astype("datetime64[ns]"), name="date"),
                         name="nav")


def _vector_params(sets: list[dict], broker_expense_ratio: float | None = None) -> dict[str, np.ndarray]:
    from ...strategies import EfficientCore

    d = dict(EfficientCore.params._getitems())
    out = {}
    for name in ("equity_weight", "futures_notional", "drift_band", "scale", "margin_budget"):
        out[name] = np.array([float(s.get(name, d[name])) for s in sets])
    # The fund's expense ratio, as ``runner._run_one`` picks it: the set's own parameter, then the
    # broker table's, then the strategy's default.
    fallback = d["expense_ratio"] if broker_expense_ratio is None else broker_expense_ratio
    out["expense_ratio"] = np.array([float(s.get("expense_ratio", fallback)) for s in sets])
    out["bonds_first"] = np.array([bool(s.get("bonds_first", d["bonds_first"])) for s in sets])
    out["meet_margin_calls"] = np.array([bool(s.get("meet_margin_calls", d["meet_margin_calls"])) for s in sets])
    reb = [s.get("rebalance", d["rebalance"]) for s in sets]
    bad = [r for r in reb if r not in ("roll", "quarter", "none")]
    if bad:
        raise FastPathError(f"rebalance: unknown mode {bad[0]!r} (roll, quarter or none)")
    out["on_roll"] = np.array([r == "roll" for r in reb])
    out["on_quarter"] = np.array([r == "quarter" for r in reb])
    td = [s.get("target_duration", d["target_duration"]) for s in sets]
    out["agg_target"] = np.array([t == "agg" for t in td])
    out["fixed_target"] = np.array([0.0 if t == "agg" else float(t) for t in td])
    return out


def _solve_ladders(durations: np.ndarray, per_contract: np.ndarray, template: np.ndarray,
                   target_duration: np.ndarray, target_notional: np.ndarray) -> np.ndarray:
    """Whole contract counts [K, L] of the ladder for K targets over L legs: the arithmetic of
    :func:`ecore.strategies.ladder.build_ladder`, in the same order of operations."""
    K, L = len(target_duration), len(durations)
    total = 0.0
    for j in range(L):
        total = total + template[j]
    w0 = template / total
    w = np.tile(w0, (K, 1))
    if L > 1:
        short, long_ = int(np.argmin(durations)), int(np.argmax(durations))
        current = 0.0
        for j in range(L):
            current = current + w0[j] * durations[j]
        slope = durations[long_] - durations[short]
        if slope > 0:
            x = (target_duration - current) / slope
            x = np.minimum(np.maximum(x, -w0[long_]), w0[short])
            w[:, short] = w0[short] - x
            w[:, long_] = w0[long_] + x
    ideal = w * target_notional[:, None] / per_contract[None, :]
    lows = np.floor(ideal)
    ups = np.array(list(itertools.product((0, 1), repeat=L)), dtype=float)  # [M, L], product order
    counts = lows[:, None, :] + ups[None, :, :]                               # [K, M, L]
    notional = np.zeros(counts.shape[:2])
    dollar_duration = np.zeros(counts.shape[:2])
    for j in range(L):
        notional = notional + counts[:, :, j] * per_contract[j]
        dollar_duration = dollar_duration + counts[:, :, j] * per_contract[j] * durations[j]
    with np.errstate(divide="ignore", invalid="ignore"):
        duration = dollar_duration / notional
        cost = ((duration - target_duration[:, None]) / _DURATION_TOLERANCE) ** 2 + (
            (notional - target_notional[:, None]) / (target_notional[:, None] * _NOTIONAL_TOLERANCE)) ** 2
    cost = np.where(notional > 0, cost, np.inf)
    best = np.argmin(cost, axis=1)
    chosen = counts[np.arange(K), best]
    none = ~np.isfinite(cost[np.arange(K), best])
    if none.any():
        chosen[none] = np.round(ideal[none])
    return chosen


#: The per-set arrays of :func:`.fast_kernel.run_sets`, in its order (names of :func:`_vector_params`).
_KERNEL_SET_ARGS = (("equity_weight", np.float64), ("futures_notional", np.float64), ("drift_band", np.float64),
                    ("scale", np.float64), ("margin_budget", np.float64), ("expense_ratio", np.float64),
                    ("bonds_first", np.bool_), ("meet_margin_calls", np.bool_), ("on_roll", np.bool_),
                    ("on_quarter", np.bool_), ("agg_target", np.bool_), ("fixed_target", np.float64))


def _cores() -> int:
    """CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _kernel_array(a, dtype) -> np.ndarray:
    """``a`` as a contiguous read-only array of ``dtype``: one compiled signature of the kernel
    whether the array came from pandas (read-only views), numpy or a pickle."""
    out = np.ascontiguousarray(a, dtype=dtype).view()
    out.flags.writeable = False
    return out


def evaluate_many(data: FastData, sets: list[dict]) -> FastResult:
    """NAV paths of every parameter set in ``sets`` (dicts of :data:`VECTOR_PARAMS`; missing ones
    take the strategy's defaults) over ``data``: the rules of :func:`evaluate_reference`, run by a
    compiled kernel one set at a time, in parallel over the sets (:mod:`.fast_kernel`)."""
    from . import fast_kernel

    v = _vector_params(sets, data.expense_ratio)
    K, T = len(sets), len(data.days)
    paths = np.empty((K, T))
    calls, forced, refused = np.zeros(K, np.int64), np.zeros(K, np.int64), np.zeros(K, np.int64)
    args = (*(_kernel_array(v[name], dtype) for name, dtype in _KERNEL_SET_ARGS),
            bool((v["expense_ratio"] != 0).any()), *data.kernel_args(), paths, calls, forced, refused)
    # Slices of the sets on threads, one per core (the kernel releases the GIL; each set writes
    # only its own row of the outputs).  The threads end with the call: none is left running when
    # a sweep forks its workers afterwards.
    bounds = np.linspace(0, K, min(K, _cores()) + 1).astype(int)
    if len(bounds) <= 2:
        fast_kernel.run_sets(0, K, *args)
    else:
        with ThreadPoolExecutor(max_workers=len(bounds) - 1, thread_name_prefix="ecore-fast") as pool:
            for job in [pool.submit(fast_kernel.run_sets, int(lo), int(hi), *args)
                        for lo, hi in zip(bounds[:-1], bounds[1:])]:
                job.result()
    nav = np.ascontiguousarray(paths.T)  # [T, K] as the reference's (the metrics reduce over days)
    del paths
    return FastResult(data.days, nav, calls, forced, refused)


def evaluate_reference(data: FastData, sets: list[dict]) -> FastResult:
    """:func:`evaluate_many` in numpy, every quantity a vector over the sets: the readable statement
    of the fast path's rules, against which the compiled kernel is tested (same results to the
    bit).  About 1 s per pass over 2000-2026 whatever the number of sets."""
    settle, settle_ff, duration = data.prices.dense(len(data.days))
    v = _vector_params(sets, data.expense_ratio)
    K, T, R = len(sets), len(data.days), len(data.roots)
    ew, fn, band, scale = v["equity_weight"], v["futures_notional"], v["drift_band"], v["scale"]
    target_eq = ew * scale
    target_fut = fn * scale
    c = data.costs
    slip = c.futures_slippage_ticks
    bps = c.share_slippage_bps / 1e4

    cash = np.full(K, data.cash)
    shares = np.zeros(K)
    cur = np.full((K, R), -1)          # contract index held per root (-1: none)
    n = np.zeros((K, R))               # contracts held
    mark = np.zeros((K, R))            # settlement last marked to
    pa = np.zeros((K, R))              # pending: close the old contract (size)
    pa_code = np.full((K, R), -1)
    pb = np.zeros((K, R))              # pending: trade the target contract (size; the resize)
    pb_code = np.full((K, R), -1)
    pr = np.zeros((K, R))              # pending: the target contract's roll part (same code as pb),
                                       # an order of its own sent before pb (margin checks each)
    ps = np.zeros(K)                   # pending: shares (the strategy's rebalance)
    pc = np.zeros(K)                   # pending: shares sold to meet a margin call
    expense = v["expense_ratio"]
    charge = bool((expense != 0).any())
    started = np.zeros(K, dtype=bool)
    last_q = np.full(K, -1)
    nav_path = np.empty((T, K))
    refused_orders = np.zeros(K, dtype=int)
    calls = np.zeros(K, dtype=int)
    forced = np.zeros(K, dtype=int)
    call_open = np.zeros(K, dtype=bool)
    call_deadline = np.zeros(K, dtype=int)
    sc = data.share_collateral

    def held_nav(t):
        return cash + shares * data.close[t]

    def margin_equity(t):
        return cash + sc * shares * data.close[t]

    def liquidate(k, t):
        """Force-close set ``k``'s futures as ``MarginBroker._liquidation_plan`` does."""
        held = [r for r in range(R) if cur[k, r] >= 0 and n[k, r] != 0]
        if data.liquidate_all:
            plan = {r: -n[k, r] for r in held}
        else:
            plan = {}
            sizes = {r: n[k, r] for r in held}
            spent = 0.0
            equity = cash[k] + sc * shares[k] * data.close[t]
            done = False
            for r in sorted(held, key=lambda r: -data.im[r, t]):
                per_contract = c.futures_commission + slip * data.tick[r, t] * data.mult[r]
                while sizes[r] and not done:
                    im_k = 0.0
                    for q in held:
                        im_k += abs(sizes[q]) * data.im[q, t]
                    if equity - spent >= im_k:
                        done = True
                        break
                    step = -1.0 if sizes[r] > 0 else 1.0
                    sizes[r] += step
                    plan[r] = plan.get(r, 0.0) + step
                    spent += per_contract
                if done:
                    break
        for r, q in plan.items():
            if not q:
                continue
            px = settle[cur[k, r], t]
            px = px if np.isfinite(px) else mark[k, r]
            fill = px + math.copysign(slip * data.tick[r, t], q)
            cash[k] += q * data.mult[r] * (px - fill) - c.futures_commission * abs(q)
            n[k, r] += q
            mark[k, r] = px
            forced[k] += 1

    def fill_future(mask, r, code, size, t, check):
        """Fill ``size`` contracts of ``code`` (per set) for the sets in ``mask``; with ``check``
        refuse those whose equity would fall below initial margin.  Returns the sets filled."""
        nonlocal cash
        px = settle[np.maximum(code, 0), t]
        no_price = mask & ~np.isfinite(px)
        refused_orders[no_price] += 1
        mask = mask & np.isfinite(px)
        tick = data.tick[r, t]
        fill = px + np.sign(size) * slip * tick
        comm = c.futures_commission * np.abs(size)
        vm = size * data.mult[r] * (px - fill)
        same = cur[:, r] == code
        if check:
            after = np.abs(n) * data.im[:, t][None, :]
            new_n = np.where(same, n[:, r] + size, size)
            im_after = after.sum(axis=1) - after[:, r] + np.abs(new_n) * data.im[r, t]
            refused = mask & (margin_equity(t) + vm - comm < im_after)
            refused_orders[refused] += 1
            mask = mask & ~refused
        cash = np.where(mask, cash + vm - comm, cash)
        n[:, r] = np.where(mask, np.where(same, n[:, r] + size, size), n[:, r])
        cur[:, r] = np.where(mask, code, cur[:, r])
        mark[:, r] = np.where(mask, px, mark[:, r])
        return mask

    def fill_shares(mask, t, size):
        """Fill the share orders ``size`` (per set) of the sets in ``mask`` at the close plus
        slippage; a purchase needs cash and margin, a sale may not leave shares short."""
        nonlocal cash, shares
        px = data.close[t]
        fill = np.where(size > 0, px * (1 + bps), px * (1 - bps))
        a = np.abs(size)
        fee = np.where((a > 0) & (c.share_commission != 0),
                       np.maximum(c.share_commission * a, c.share_min_commission), 0.0)
        if c.share_max_commission_pct:
            fee = np.minimum(fee, c.share_max_commission_pct * a * fill)
        buying = mask & (size > 0)
        refused = mask & (shares + size < -1e-12)
        if buying.any():
            im_now = (np.abs(n) * data.im[:, t][None, :]).sum(axis=1)
            refused |= buying & ((cash - size * fill - fee < 0)
                                 | (margin_equity(t) - size * fill - fee + sc * size * px < im_now))
        refused_orders[refused] += 1
        ok = mask & ~refused
        cash = np.where(ok, cash - size * fill - fee, cash)
        shares = np.where(ok, shares + size, shares)

    for t in range(T):
        if t:
            rate, gap = data.accrual[t]
            cash = np.where(cash > 0, cash + cash * rate * gap / 360.0,
                            cash + cash * (rate + data.borrow_spread) * gap / 360.0)
            if charge:
                # The fund's expense ratio on the previous close's NAV (cash after interest plus
                # the shares at the previous close), act/365.
                cash = cash + -(cash + shares * data.close[t - 1]) * expense * gap / 365.0
            px = settle[np.maximum(cur, 0), t]
            live = (cur >= 0) & (n != 0) & np.isfinite(px)
            if live.any():
                vm = np.where(live, n * data.mult[None, :] * (px - mark), 0.0)
                for r in range(R):  # one leg after the other, as the broker posts them
                    cash = cash + vm[:, r]
                np.copyto(mark, px, where=live)
            business, traded = data.business[t], data.traded[t]
            if business and pa.any():
                # Risk-reducing orders first: closes of old contracts, then reductions.
                for r in range(R):
                    m = pa[:, r] != 0
                    if m.any():
                        fill_future(m, r, pa_code[:, r], pa[:, r], t, check=False)
                        pa[m, r] = 0
            if business and pb.any():
                for r in range(R):
                    same = pb_code[:, r] == cur[:, r]
                    new = n[:, r] + pb[:, r]
                    m = (pb[:, r] != 0) & same & (n[:, r] != 0) & (np.abs(new) <= np.abs(n[:, r])) \
                        & (n[:, r] * new >= 0)
                    if m.any():
                        fill_future(m, r, pb_code[:, r], pb[:, r], t, check=False)
                        pb[m, r] = 0
            if traded:  # share orders wait while the stock market is shut
                for pend in (ps, pc):  # sales first (the strategy's, then a margin call's)
                    sells = pend < 0
                    if sells.any():
                        fill_shares(sells, t, pend)
                        pend[sells] = 0
            if business and (pr.any() or pb.any()):
                for r in range(R):
                    for pend in (pr, pb):  # a leg's roll part, then its resize
                        m = pend[:, r] != 0
                        if m.any():
                            fill_future(m, r, pb_code[:, r], pend[:, r], t, check=True)
                            pend[m, r] = 0
            if traded:
                buys = ps > 0
                if buys.any():
                    fill_shares(buys, t, ps)
                    ps[buys] = 0
            n[n == 0] = 0.0
            cur[n == 0] = -1
        # ----- margin: calls met, liquidated at their deadline, or issued -----
        equity = margin_equity(t)
        maint = (np.abs(n) * data.mm[:, t][None, :]).sum(axis=1)
        init = (np.abs(n) * data.im[:, t][None, :]).sum(axis=1)
        if call_open.any():
            call_open &= ~(equity >= init)
            due = call_open & (data.day_ord[t] >= call_deadline)
            for k in np.flatnonzero(due):
                liquidate(k, t)
            if due.any():
                call_open &= ~due
                n[n == 0] = 0.0
                cur[n == 0] = -1
                equity = margin_equity(t)
                maint = (np.abs(n) * data.mm[:, t][None, :]).sum(axis=1)
                init = (np.abs(n) * data.im[:, t][None, :]).sum(axis=1)
        issued = ~call_open & (maint > 0) & (equity < maint)
        if issued.any():
            call_open |= issued
            call_deadline[issued] = data.deadline_ord[t]
            calls[issued] += 1
            if sc < 1:  # shares counted in full: selling them raises no margin equity
                # Each dollar of shares sold adds (1 - share_collateral) dollars of margin equity.
                amount = init - equity
                sell = np.minimum(shares, np.ceil(amount * 1.01 / (1 - sc) / data.close[t]))
                hook = issued & v["meet_margin_calls"] & (sell > 0)
                pc[hook] = pc[hook] - sell[hook]
        nav = held_nav(t)
        nav_path[t] = nav

        # ----- the strategy's decision on the close -----
        if not data.business[t]:
            continue  # no Treasury settlements today: the strategy decides on the next business day
        free = ~((pa != 0).any(axis=1) | (pb != 0).any(axis=1) | (pr != 0).any(axis=1) | (ps != 0) | (pc != 0))
        if not free.any():
            continue
        price = settle_ff[np.maximum(cur, 0), t]
        notional = np.where(cur >= 0, n * price * data.mult[None, :], 0.0).sum(axis=1)
        eq_value = shares * data.close[t]
        eq_w = eq_value / nav
        fut_w = notional / nav
        held_live = (cur >= 0) & (n != 0)
        rolling = held_live & (data.fill_ord[t] >= data.roll_ord[np.maximum(cur, 0)])

        # The ladder of the day, shared by every set: legs that are launched and have a quote.
        legs = [r for r in range(R)
                if (data.include_unlaunched or data.launched_ord[r] <= data.day_ord[t])
                and np.isfinite(settle[data.target_code[r, t], t])
                and np.isfinite(duration[data.target_code[r, t], t])]
        target_dur = np.where(v["agg_target"], data.agg[t], v["fixed_target"])

        def spendable(initial, idx=slice(None)):
            """Dollars of shares the sets ``idx`` can buy while the futures whose initial margin is
            ``initial`` stay within ``margin_budget`` of margin equity and cash stays non-negative
            (``EfficientCore._spendable_on_shares``)."""
            out = cash[idx]
            if sc < 1:
                out = np.minimum(out, (margin_equity(t)[idx] - initial / v["margin_budget"][idx]) / (1 - sc))
            return np.maximum(out, 0.0) * 0.998

        def ladder_for(idx):
            """Counts [len(idx), legs], notional and initial margin of the day's ladder, cut to the
            margin budget (``EfficientCore._solve_ladder`` and ``_fit_to_margin``)."""
            codes = data.target_code[legs, t]
            per_contract = settle[codes, t] * data.mult[legs]
            counts = _solve_ladders(duration[codes, t], per_contract, data.template[legs],
                                    target_dur[idx], fn[idx] * scale[idx] * nav[idx])
            initial = np.zeros(len(idx))
            for j, r in enumerate(legs):
                initial = initial + np.abs(counts[:, j]) * data.im[r, t]
            budget = v["margin_budget"][idx] * margin_equity(t)[idx]
            cut = (initial > budget) & (initial > 0)
            if cut.any():
                with np.errstate(divide="ignore", invalid="ignore"):
                    factor = np.maximum(budget, 0.0) / initial
                scaled = np.sign(counts) * np.floor(np.abs(counts) * factor[:, None])
                counts = np.where(cut[:, None], scaled, counts)
                initial = np.zeros(len(idx))
                for j, r in enumerate(legs):
                    initial = initial + np.abs(counts[:, j]) * data.im[r, t]
            notional = np.zeros(len(idx))
            for j in range(len(legs)):
                notional = notional + counts[:, j] * per_contract[j]
            return counts, notional, initial

        reason = free & ~started
        drift = free & started & (np.abs(eq_w - target_eq) > band)
        under = drift & ~(eq_w > target_eq)
        if under.any():
            # Underweight shares that cash and margin cannot buy back into the band (after a
            # margin call was met by selling shares): no rebalance on that account.
            held_im = np.zeros(K)
            for r in range(R):
                held_im = held_im + np.where(held_live[:, r], np.abs(n[:, r]) * data.im[r, t], 0.0)
            drift &= ~under | (eq_value + spendable(held_im) >= (target_eq - band) * nav)
        reason |= drift
        check_fut = free & started & ~reason & (np.abs(fut_w - target_fut) > band)
        if check_fut.any() and legs:
            idx = np.flatnonzero(check_fut)
            counts, ladder_notional, _ = ladder_for(idx)
            changes = np.zeros(len(idx), dtype=bool)
            for j, r in enumerate(legs):
                code = data.target_code[r, t]
                have = np.where(cur[idx, r] == code, n[idx, r], 0.0)
                changes |= have != counts[:, j]
            # A ladder capped by margin moves with margin equity daily: trade only past the band.
            changes &= np.abs(ladder_notional - notional[idx]) > band[idx] * nav[idx]
            reason[idx[changes]] = True
        reason |= free & started & v["on_roll"] & rolling.any(axis=1)
        quarterly = free & started & ~reason & v["on_quarter"]
        changed = quarterly & (last_q >= 0) & (data.quarter[t] != last_q)
        last_q = np.where(quarterly, data.quarter[t], last_q)
        reason |= changed

        rebalance = reason if legs else np.zeros(K, dtype=bool)
        if rebalance.any():
            idx = np.flatnonzero(rebalance)
            counts, _, ladder_im = ladder_for(idx)
            target_n = np.zeros((len(idx), R))
            in_ladder = np.zeros(R, dtype=bool)
            for j, r in enumerate(legs):
                target_n[:, r] = counts[:, j]
                in_ladder[r] = True
            for r in range(R):
                code = data.target_code[r, t]
                live = held_live[idx, r]
                close_old = live & ((cur[idx, r] != code) | (not in_ladder[r]))
                pa[idx[close_old], r] = -n[idx[close_old], r]
                pa_code[idx[close_old], r] = cur[idx[close_old], r]
                if in_ladder[r]:
                    have = np.where(live & (cur[idx, r] == code), n[idx, r], 0.0)
                    delta = target_n[:, r] - have
                    # The part of the new contract that replaces the old one is a roll order of
                    # its own, sent (and margin-checked) before the resize beyond it.
                    rolled = np.where(close_old, n[idx, r], 0.0)
                    split = (rolled != 0) & (delta != 0) & ((rolled > 0) == (delta > 0))
                    part = np.where(split, np.where(np.abs(delta) <= np.abs(rolled), delta, rolled), 0.0)
                    pr[idx, r] = part
                    pb[idx, r] = delta - part
                    pb_code[idx, r] = code
            trade_eq = ~started[idx] | ~v["bonds_first"][idx] | (np.abs(eq_w[idx] - target_eq[idx]) > band[idx])
            want = np.floor(target_eq[idx] * nav[idx] / data.close[t])
            delta = np.where(trade_eq, want - shares[idx], 0.0)
            buy = delta > 0
            if buy.any():  # purchases sized to the cash and margin the new ladder leaves
                cap = np.floor(spendable(ladder_im, idx) / data.close[t])
                delta = np.where(buy, np.minimum(delta, cap), delta)
            ps[idx] = delta
            started[idx] = True

        # A reason to rebalance with no ladder to build (no quote today) trades nothing, not even a roll.
        roll_only = free & ~reason & rolling.any(axis=1)
        if roll_only.any():
            idx = np.flatnonzero(roll_only)
            for r in range(R):
                m = rolling[idx, r]
                if not m.any():
                    continue
                sel = idx[m]
                old = cur[sel, r]
                target = data.target_code[r, t]
                new = np.where(data.code_month[target] > data.code_month[old], target, data.next_code[old])
                pa[sel, r] = -n[sel, r]
                pa_code[sel, r] = old
                pb[sel, r] = n[sel, r]
                pb_code[sel, r] = new
    return FastResult(data.days, nav_path, calls, forced, refused_orders)


def evaluate(market, params: dict | None = None, start=None, end=None) -> pd.Series:
    """NAV path (dollars by date) of one EfficientCore parameter set, by the fast path."""
    params = dict(params or {})
    data_params = {k: v for k, v in params.items() if k in DATA_PARAMS}
    data = FastData.build(market, data_params, start, end)
    return evaluate_many(data, [params]).nav_series(0)


def fast_metrics(result: FastResult, risk_free: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics of every NAV path, with ``ecore.engine.report.metrics``' definitions (empyrical, 252 days)."""
    import empyrical as ep

    nav = result.nav
    returns = nav[1:] / nav[:-1] - 1.0
    rf = risk_free[1:][:, None]
    excess = returns - rf
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "total_return": nav[-1] / nav[0] - 1.0,
            "final_nav": nav[-1].copy(),
            "cagr": np.asarray(ep.annual_return(returns)),
            "annual_volatility": np.asarray(ep.annual_volatility(returns)),
            "sharpe": np.nanmean(excess, axis=0) / np.nanstd(excess, ddof=1, axis=0) * math.sqrt(252),
            "sortino": np.asarray(ep.sortino_ratio(returns, required_return=rf)),
            "max_drawdown": (nav / np.maximum.accumulate(nav, axis=0) - 1.0).min(axis=0),
        }
    return out


# ------------------------------------------------------------------------------------------------
# `ecore sweep --fast`


def _group_key(point: dict, spec) -> tuple:
    config = spec.run_config(point)
    data_params = {k: v for k, v in config["params"].items() if k in DATA_PARAMS}
    window = (config["start"], config["end"], config.get("score_from"))  # a fold's window (.folds)
    return (repr(sorted(data_params.items())), repr(sorted(config["broker"].items())), repr(window))


def _scored(result: FastResult, risk_free: np.ndarray, score_from) -> tuple[FastResult, np.ndarray]:
    """A fold window's part of the NAV paths: from the last day before ``score_from`` (the base
    of the first day's return), as :func:`.folds.scored_window` cuts an event-driven run."""
    if not score_from:
        return result, risk_free
    inside = result.days >= np.datetime64(score_from, "D")
    if not inside.any():
        raise ValueError(f"the run has no day on or after {score_from}")
    first = int(np.flatnonzero(inside)[0])
    base = max(0, first - 1)
    return dataclasses.replace(result, days=result.days[base:], nav=result.nav[base:]), risk_free[base:]


def check_fast_spec(spec) -> None:
    """Errors naming the setting when the fast path cannot evaluate this sweep faithfully."""
    from .spec import SweepFileError

    from ...strategies import EfficientCore
    from ..backtest.instruments import PlanError, strategy_class

    try:
        cls = strategy_class(spec.strategy, f"{spec.source}: strategy", (spec.base_dir,) if spec.base_dir else ())
    except PlanError as exc:
        raise SweepFileError(str(exc)) from None
    if cls is not EfficientCore:
        raise SweepFileError(f"{spec.source}: key 'strategy': --fast models EfficientCore only; run "
                             f"{spec.strategy} without --fast")
    if spec.scenario is not None:
        raise SweepFileError(f"{spec.source}: key 'scenario': not modelled by the fast path")
    names = set(spec.params) | {n for n in spec.parameter_names if not n.startswith("broker.")}
    unknown = sorted(n for n in names if n not in VECTOR_PARAMS + DATA_PARAMS)
    if unknown:
        raise SweepFileError(f"{spec.source}: key '{unknown[0]}': not a parameter of the fast path "
                             f"({', '.join(VECTOR_PARAMS + DATA_PARAMS)})")
    brokers = set(spec.broker) | {n[len("broker."):] for n in spec.parameter_names if n.startswith("broker.")}
    bad = sorted(b for b in brokers if b not in BROKER_SETTINGS)
    if bad:
        raise SweepFileError(f"{spec.source}: key 'broker.{bad[0]}': not modelled by the fast path")


def fast_table(spec, market=None, points: list[dict] | None = None) -> pd.DataFrame:
    """Every parameter set of ``spec`` evaluated by the fast path, ranked like the sweep table.

    Columns: ``rank``, the parameters, ``status``, ``error``, :data:`FAST_METRICS`.  A group of sets whose data cannot be built (an invalid roll offset, an
    unknown fund) is failed rows with the error.  ``table.attrs["seconds"]``: wall time.
    """
    from .store import DEFAULT_RANK_METRIC, build_table

    started = time.perf_counter()
    points = spec.points() if points is None else points
    rows = fast_rows(spec, market, points)
    rank_by = spec.rank_by or DEFAULT_RANK_METRIC
    if rank_by not in FAST_METRICS:
        from .spec import SweepFileError

        raise SweepFileError(f"{spec.source}: key 'rank_by': the fast path computes "
                             f"{', '.join(FAST_METRICS)}, not {rank_by!r}")
    table = build_table(rows, spec.parameter_names, rank_by, spec.ascending)
    table = table.drop(columns=["seconds", "worker", "key"])
    table.attrs["seconds"] = time.perf_counter() - started
    return table


def fast_rows(spec, market, points: list[dict]) -> list[dict]:
    """One row per point (``key`` ``fast-<i>``, ``params``, ``status``, ``error``, ``metrics``),
    as :func:`.store.build_table` takes them; a fold's point is scored on its window."""
    from ...data.market import load_market

    check_fast_spec(spec)
    market = market if market is not None else load_market(spec.data_dir)
    groups: dict[tuple, list[int]] = {}
    for i, point in enumerate(points):
        groups.setdefault(_group_key(point, spec), []).append(i)
    rows: list[dict | None] = [None] * len(points)
    for members in groups.values():
        configs = [spec.run_config(points[i]) for i in members]
        first = configs[0]
        data_params = {k: v for k, v in first["params"].items() if k in DATA_PARAMS}
        try:
            data = FastData.build(market, data_params, first["start"], first["end"], first["cash"], first["broker"])
        except Exception as exc:  # the whole group fails the same way
            for i in members:
                rows[i] = {"key": f"fast-{i}", "params": points[i], "status": "failed",
                           "error": f"{type(exc).__name__}: {exc}", "metrics": {}}
            continue
        for lo in range(0, len(members), BATCH):  # bounded memory: NAV paths are days x sets
            batch = members[lo:lo + BATCH]
            result = evaluate_many(data, [configs[j]["params"] for j in range(lo, lo + len(batch))])
            result, risk_free = _scored(result, data.risk_free, first.get("score_from"))
            metrics = fast_metrics(result, risk_free)
            for j, i in enumerate(batch):
                m = {name: float(values[j]) for name, values in metrics.items()}
                for name in ("margin_calls", "forced_liquidations", "refused_orders"):
                    m[name] = int(getattr(result, name)[j])
                m["rejections"] = m["refused_orders"]  # the column a full sweep's results carry
                rows[i] = {"key": f"fast-{i}", "params": points[i], "status": "ok", "error": None, "metrics": m}
    return rows


def run_fast_sweep(spec, out_dir, executor=None, progress: bool = True, retry_failed: bool = False):
    """``ecore sweep --fast``: rank every parameter set with the fast path (``fast.parquet``,
    ``fast.csv``), then run the best ``spec.top`` event-driven as a normal (resumable) sweep;
    ``sweep.html`` draws the heatmap from every set and the growth curves of the re-run ones.
    Returns (the event-driven :class:`~.driver.SweepOutcome`, the fast table)."""
    from .driver import run_sweep

    from ..report.staged_output import StagedFolder
    from .store import SWEEP_COMMAND

    from .backtests import check_axes

    check_axes(spec)  # every swept value in its range, before the fast path or any run
    if spec.validation is not None:
        raise FastPathError("a sweep with folds runs through ecore.engine.sweep.fast_folds.run_fast")
    table = fast_table(spec)
    out = Path(out_dir)
    seconds = table.attrs["seconds"]
    fast_files = ["fast.parquet", "fast.csv"]
    with StagedFolder(out, SWEEP_COMMAND) as stage:
        table.to_parquet(stage.path("fast.parquet"), index=False)
        table.to_csv(stage.path("fast.csv"), index=False)
        stage.commit(fast_files)
    table.attrs["seconds"] = seconds
    best = table[table["rank"].notna()].head(spec.top)
    points = [{name: _plain(row[name]) for name in spec.parameter_names} for _, row in best.iterrows()]
    if not points:
        raise FastPathError("no parameter set could be evaluated by the fast path; see fast.csv")
    outcome = run_sweep(spec, out, executor=executor, progress=progress, retry_failed=retry_failed,
                        points=points, report=False, also_current=fast_files)
    from .report import write_report
    from .store import ResultStore

    with ResultStore(out) as store:  # the heatmap of every set (fast), the growth of the best (event-driven)
        outcome.html = write_report(outcome.table, spec, store, out / "sweep.html", heatmap_table=table,
                                    also_current=[*fast_files, outcome.parquet.name, outcome.csv.name])
    return outcome, table


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value
