"""The 90/60 "efficient core" strategy: equity shares plus a rolled, duration-matched ladder of
Treasury futures.

For every dollar of NAV, ``equity_weight`` (0.90) buys shares of the equity fund and
``futures_notional`` (0.60) of Treasury futures notional sits on the remaining cash as collateral.
The ladder's weights are re-solved at every rebalance so that its duration matches the target
(the U.S. Aggregate index's duration by default).  Each leg rolls to the next quarterly contract
``roll_offset`` business days before first notice day.  The portfolio rebalances each quarter
(on the roll, to save trades) and whenever an asset class drifts more than ``drift_band`` from
target; with ``bonds_first`` the futures sleeve is adjusted and shares are traded only when the
equity weight itself is outside the band, because selling shares realises gains.

Decisions use the day's closing prices; orders fill at the next trading day's settlement.
"""

from __future__ import annotations

import datetime as dt
import math

from ..data.contracts import Contract, spec
from ..data.rolls import RollRule
from .base import Strategy
from .ladder import DEFAULT_TEMPLATE, LadderError, LegQuote, aggregate_index_duration, build_ladder


def exceeds_band(weight: float, target: float, band: float) -> bool:
    """Whether an asset class's weight (fraction of NAV) has drifted more than ``band`` from target."""
    return abs(weight - target) > band


class EfficientCore(Strategy):
    """90/60: equity shares plus a duration-matched Treasury futures ladder on cash collateral."""

    rolls_itself = True  # each leg rolls with the ladder (and the quarterly rebalance rides on it)
    recorded_events = ("rebalance", "roll")

    params = dict(
        equity="IVV",  # the equity fund's data name: IVV/SPY (U.S.), EFA (intl.), EEM (emerging)
        equity_weight=0.90,  # fraction of NAV in shares
        futures_notional=0.60,  # futures notional as a fraction of NAV
        scale=1.0,  # fraction of NAV this core runs on (CorePlus runs it on two thirds)
        ladder=DEFAULT_TEMPLATE,  # template notional weights per root
        target_duration="agg",  # "agg" (dated Aggregate-index table) or years
        roll_offset=5,  # business days before first notice day
        roll_spread_days=1,  # roll in this many daily slices ending on the roll day
        rebalance="roll",  # "roll" (quarterly, on the roll), "quarter" (first day of a quarter), "none"
        drift_band=0.05,  # absolute weight drift that triggers a rebalance
        bonds_first=True,  # adjust futures first; trade shares only when equity is out of band
        include_unlaunched=False,  # trade products before their launch date (synthetic prices)
        meet_margin_calls=True,  # sell shares to raise the cash a margin call asks for
        margin_budget=0.8,  # at most this fraction of margin equity goes to initial margin
        # Fund expense ratio, per year on NAV (the runner hands it to the broker): 0.20% is what
        # the 90/60 fund (NTSX) charges.  The adjusted closes of the equity fund already net out
        # that fund's own fee.
        expense_ratio=0.0020,
    )

    @classmethod
    def check_params(cls, params: dict) -> None:
        """Refuse parameter values the strategy cannot run with, naming the parameter."""
        p = {k: v for k, v in cls.params._getitems()}
        p.update(params)

        def number(name, low=None, high=None, low_open=False):
            v = p[name]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"parameter {name} must be a number, got {v!r}")
            if low is not None and (v <= low if low_open else v < low):
                raise ValueError(f"parameter {name} must be {'>' if low_open else '>='} {low}, got {v!r}")
            if high is not None and v > high:
                raise ValueError(f"parameter {name} must be <= {high}, got {v!r}")

        number("equity_weight", 0, 1)
        number("futures_notional", 0)
        number("scale", 0, 1, low_open=True)
        number("drift_band", 0, low_open=True)
        number("margin_budget", 0, 1, low_open=True)
        if p["target_duration"] != "agg":
            v = p["target_duration"]
            if isinstance(v, str):
                raise ValueError(f"parameter target_duration must be \"agg\" or a number of years, got {v!r}")
            number("target_duration", 0, low_open=True)
        ladder = p["ladder"]
        if not isinstance(ladder, dict) or not ladder:
            raise ValueError(f"parameter ladder must be a table of root = weight, got {ladder!r}")
        for root, w in ladder.items():
            spec(root)  # names an unknown root
            if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0:
                raise ValueError(f"parameter ladder.{root} must be a weight >= 0, got {w!r}")
        if sum(ladder.values()) <= 0:
            raise ValueError("parameter ladder has no leg with a positive weight")
        if p["rebalance"] not in ("roll", "quarter", "none"):
            raise ValueError(f"parameter rebalance must be roll, quarter or none, got {p['rebalance']!r}")
        RollRule(offset=p["roll_offset"], spread_days=p["roll_spread_days"])

    def __init__(self):
        super().__init__()
        self.check_params({})
        self._started = False
        self._last_quarter = None
        self.ladder = None  # the last solved Ladder, for reports

    # ----- what the portfolio holds -------------------------------------------------------------
    @classmethod
    def instruments_for(cls, params: dict) -> tuple[str, ...]:
        """One root feed per ladder root with a positive weight, then the equity fund's feed."""
        p = {**dict(cls.params._getitems()), **params}
        roots = [r for r, w in p["ladder"].items() if w > 0]
        funds = [p[k].upper() for k in ("equity", "bonds", "sleeve") if isinstance(p.get(k), str)]
        return tuple(roots + funds)

    def target_duration(self, day: dt.date) -> float:
        t = self.p.target_duration
        return aggregate_index_duration(day) if t == "agg" else float(t)

    def _roots_today(self, day: dt.date) -> dict[str, float]:
        """Template weights of the roots that can be traded on ``day``."""
        return {
            r: w for r, w in self.p.ladder.items()
            if w > 0 and (self.p.include_unlaunched or spec(r).launched <= day)
        }

    def futures_notional_value(self, day: dt.date) -> tuple[float, float]:
        """(notional dollars, notional-weighted duration in years) of the held futures."""
        notional = 0.0
        dollar_duration = 0.0
        weighted = 0.0  # notional of the legs whose duration is known
        for code, n in self.contract_positions().items():
            q = self.quote(code, day)
            if q is None:
                # A day the Treasury market is shut (Columbus Day...): the last settlement and
                # duration stand.
                last = self.p.price_book.last_settle(code, day)
                if last is None:
                    continue
                q = self.quote(code, last[0]) or LegQuote(Contract.parse(code).root, code, last[1], float("nan"))
            value = n * q.price * spec(q.root).multiplier
            notional += value
            if math.isfinite(q.duration):
                dollar_duration += value * q.duration
                weighted += value
        return notional, (dollar_duration / weighted if weighted else float("nan"))

    def notify_margin_call(self, call):
        """Raise the called cash by selling shares (with 1% to spare for the price move before
        the sale fills); without ``meet_margin_calls`` the broker liquidates futures at the
        deadline."""
        if not self.p.meet_margin_calls:
            return
        counted = getattr(self.broker.p, "share_collateral", 0.0)
        if counted >= 1:
            return  # shares already count in full: selling them raises no margin equity
        price = self.price(self.p.equity)
        # Each dollar of shares sold adds (1 - counted) dollars of margin equity.
        needed = call.amount * 1.01 / (1 - counted)
        shares = min(int(self.shares_held(self.p.equity)), math.ceil(needed / price))
        if shares > 0:
            self.order_shares(self.p.equity, -shares, "margin_call")

    # ----- the daily decision -------------------------------------------------------------------
    def next(self):
        if self.replaying():
            return
        if not self._started and (self.contract_positions() or self.shares_held(self.p.equity)):
            # A paper run starts each day on the account's holdings: not a first allocation,
            # so it trades only on drift or a roll, as the backtest does after its first day.
            self._started = True
        day = self.today()
        nav = self.broker.getvalue()
        notional, duration = self.futures_notional_value(day)
        equity_value = self.shares_held(self.p.equity) * self.price(self.p.equity)
        self.record_day(ladder_duration=duration, futures_notional_signed=notional,
                        equity_weight=equity_value / nav if nav else float("nan"),
                        futures_weight=notional / nav if nav else float("nan"))
        if self.has_pending_orders():
            return  # yesterday's orders have not all filled: decide again tomorrow
        if not self._calendar.is_business_day(day):
            return  # no Treasury settlements today (Columbus Day...): decide on the next one
        fill_day = self._calendar.next_business_day(day)
        rolling = self._rolls_due(fill_day)
        reason = self._rebalance_reason(day, nav, equity_value, notional, rolling)
        if reason:
            self._rebalance(day, fill_day, nav, equity_value, reason)
        elif rolling:
            self._roll(day, fill_day, rolling)

    def _rolls_due(self, fill_day: dt.date) -> dict[str, tuple[str, str, int]]:
        """Legs to move to the next contract by ``fill_day``: root -> (old code, new code, size)."""
        due = {}
        for code, n in self.contract_positions().items():
            c = Contract.parse(code)
            if fill_day >= self.roll_rule.roll_window(c)[0]:
                target = self.roll_rule.held(c.root, fill_day)
                due[c.root] = (code, (target if target > c else c.next()).code, n)
        return due

    def _rebalance_reason(self, day, nav, equity_value, notional, rolling) -> str | None:
        if not self._started:
            return "initial allocation"
        scale = self.p.scale
        eq_w = equity_value / nav
        fut_w = notional / nav
        target_eq = self.p.equity_weight * scale
        if exceeds_band(eq_w, target_eq, self.p.drift_band):
            # Underweight shares with no cash or margin to buy them back into the band (after a
            # margin call was met by selling shares): trading the ladder every day would not help.
            reachable = eq_w > target_eq or (
                equity_value + self._spendable_on_shares(self.contract_positions(), day)
                >= (target_eq - self.p.drift_band) * nav)
            if reachable:
                return f"equity weight {eq_w:.1%} drifted from {target_eq:.1%}"
        if exceeds_band(fut_w, self.p.futures_notional * scale, self.p.drift_band) and self._ladder_would_change(day, nav):
            return f"futures weight {fut_w:.1%} drifted from {self.p.futures_notional * scale:.1%}"
        if self.p.rebalance == "roll" and rolling and self._final_roll_slice(rolling):
            return "quarterly rebalance on the roll"
        if self.p.rebalance == "quarter":
            quarter = (day.year, (day.month - 1) // 3)
            changed = self._last_quarter is not None and quarter != self._last_quarter
            self._last_quarter = quarter
            if changed:
                return "quarterly rebalance"
        return None

    def _ladder_would_change(self, day, nav) -> bool:
        """Whether re-solving the ladder changes any contract count.  A small account whose
        ladder cannot get closer to target (whole contracts) must not rebalance every day."""
        ladder = self._solve_ladder(day, self._calendar.next_business_day(day), nav)
        if ladder is None:
            return False
        held = self.contract_positions()
        if all(held.get(code, 0) == n for code, n in ladder.counts.items()):
            return False
        # When margin caps the ladder, its target moves with margin equity every day: trade only
        # when the reachable ladder is itself more than the band away from what is held.
        held_notional, _ = self.futures_notional_value(day)
        return abs(ladder.notional - held_notional) > self.p.drift_band * nav

    def _final_roll_slice(self, rolling) -> bool:
        fill_day = self._calendar.next_business_day(self.today())
        for old, _new, _n in rolling.values():
            if fill_day >= self.roll_rule.roll_day(Contract.parse(old)):
                return True
        return False

    def _roll(self, day, fill_day, rolling) -> None:
        """Move each leg (or a slice of it) from its contract to the next, as two real trades
        (every sale sent before any purchase: ``order_contracts``)."""
        orders = []
        for root, (old, new, n) in rolling.items():
            window = self.roll_rule.roll_window(Contract.parse(old))
            remaining_slices = sum(1 for d in window if d >= fill_day)
            move = n if remaining_slices <= 1 else int(round(n / remaining_slices))
            if move:
                orders += [(old, -move, "roll"), (new, move, "roll")]
                self.record.event(day, "roll", f"{old} -> {new}: {move:+d} contracts")
        self.order_contracts(orders)

    def _solve_ladder(self, day, fill_day, nav):
        """The duration-matched ladder for the contracts to hold on ``fill_day``, priced at
        ``day``'s settlements; None (with an event) when it cannot be built."""
        scale = self.p.scale
        quotes = {}
        for root in self._roots_today(day):
            target_contract = self.roll_rule.held(root, fill_day)
            q = self.quote(target_contract.code, day)
            if q is not None:
                quotes[root] = q
        try:
            ladder = build_ladder(
                quotes, self._roots_today(day), self.target_duration(day),
                self.p.futures_notional * scale * nav,
            )
        except LadderError as exc:
            self.record.event(day, "rejection", f"ladder not built: {exc}")
            return None
        return self._fit_to_margin(ladder, day)

    def _fit_to_margin(self, ladder, day):
        """Cut the ladder when its initial margin would exceed ``margin_budget`` of the equity that
        backs futures (after margin hikes or heavy losses), instead of sending orders the broker
        must refuse."""
        requirements = self.margin_requirements(ladder.counts, day)
        equity = self.margin_equity()
        if requirements is None or equity is None:
            return ladder
        _, initial = requirements
        budget = self.p.margin_budget * equity
        if initial <= budget or initial <= 0:
            return ladder
        factor = max(budget, 0.0) / initial
        cut = ladder.scaled(factor)
        if cut.counts != getattr(self, "_last_cut", None):
            self._last_cut = cut.counts
            self.record.event(day, "margin_limit", f"ladder cut to {factor:.0%} of target: initial margin "
                              f"${initial:,.0f} exceeds {self.p.margin_budget:.0%} of margin equity")
        return cut

    def _spendable_on_shares(self, counts: dict[str, int], day) -> float:
        """Dollars of shares the account can buy while keeping the initial margin of ``counts``
        within ``margin_budget`` of margin equity, and its cash non-negative (with 0.2% to spare
        for slippage and commission)."""
        broker = self.broker
        cash = broker.getcash()
        spendable = cash
        requirements = self.margin_requirements(counts, day)
        equity = self.margin_equity()
        if requirements is not None and equity is not None:
            _, initial = requirements
            free = equity - initial / self.p.margin_budget
            counted = getattr(broker.p, "share_collateral", 0.0)
            if counted < 1:
                # A dollar of shares bought takes a dollar of cash and gives back what of it counts.
                spendable = min(spendable, free / (1 - counted))
        return max(spendable, 0.0) * 0.998

    def _rebalance(self, day, fill_day, nav, equity_value, reason) -> None:
        scale = self.p.scale
        ladder = self._solve_ladder(day, fill_day, nav)
        if ladder is None:
            return
        self.ladder = ladder
        held = self.contract_positions()
        by_root_held: dict[str, dict[str, int]] = {}
        for code, n in held.items():
            by_root_held.setdefault(Contract.parse(code).root, {})[code] = n
        # Template order, then any other root held: orders go out in the same order in every
        # process (a set's order follows PYTHONHASHSEED, and when margin refuses some orders,
        # which ones pass would change from run to run).
        roots = list(dict.fromkeys([*self.p.ladder, *sorted(by_root_held), *ladder.contracts]))
        orders: list[tuple[str, int, str]] = []  # (contract code, signed contracts, kind)
        for root in roots:
            if root not in by_root_held and root not in ladder.contracts:
                continue
            target_code = ladder.contracts.get(root)
            target_n = ladder.counts.get(target_code, 0) if target_code else 0
            for code, n in by_root_held.get(root, {}).items():
                if code != target_code:
                    kind = "roll" if target_code else "rebalance"
                    orders.append((code, -n, kind))
                    if target_code:
                        self.record.event(day, "roll", f"{code} -> {target_code}: {n:+d} out, {target_n:+d} in")
            have = by_root_held.get(root, {}).get(target_code, 0) if target_code else 0
            if target_code:
                delta = target_n - have
                # The part of the new contract that replaces the old one is the roll; only the
                # resize beyond it is rebalancing (turnover ex-rolls counts that alone).
                rolled = sum(n for code, n in by_root_held.get(root, {}).items() if code != target_code)
                if rolled and delta and (rolled > 0) == (delta > 0):
                    part = delta if abs(delta) <= abs(rolled) else rolled
                    orders.append((target_code, part, "roll"))
                    delta -= part
                orders.append((target_code, delta, "rebalance"))
        self.order_contracts(orders)  # those that reduce a holding first
        # Shares: always on the first allocation; afterwards only when the equity weight itself
        # is out of band (bonds first), or on every rebalance when bonds_first is off.
        target_eq = self.p.equity_weight * scale
        eq_w = equity_value / nav
        if not self._started or not self.p.bonds_first or abs(eq_w - target_eq) > self.p.drift_band:
            price = self.price(self.p.equity)
            target_shares = math.floor(target_eq * nav / price)
            delta = target_shares - int(self.shares_held(self.p.equity))
            if delta > 0:
                delta = min(delta, math.floor(self._spendable_on_shares(ladder.counts, day) / price))
            self.order_shares(self.p.equity, delta, "rebalance")
        self._started = True
        self.record.event(
            day, "rebalance",
            f"{reason}; ladder duration {ladder.duration:.2f}y vs target {ladder.target_duration:.2f}y, "
            f"notional ${ladder.notional:,.0f} vs ${ladder.target_notional:,.0f}",
        )
