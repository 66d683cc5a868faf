"""The schema of a backtest config (``ecore backtest --config``, and the shared settings of a
sweep file): every key known, every value typed and inside the range its message states.

Strategy parameters are checked by name for our strategies (:data:`PARAM_RULES`); a user's
strategy gets the key check only (its parameters mean what its author says).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ...data.contracts import SPECS
from .schema import (AnyOf, Bool, Choice, Custom, Date, ListOf, Number, Place, Table, Text, Weights)


class FundSymbol(Text):
    """A fund's symbol, not a futures root or contract code (``equity = "ZN"`` would make the
    ladder's root feed a fund's as well)."""

    def check(self, value, place, path):
        out = super().check(value, place, path)
        from ...data.contracts import Contract, ContractError

        upper = out.upper()
        if upper in SPECS:
            raise place.error(path, f"{out!r} is a futures root, not a fund symbol (such as IVV)")
        try:
            Contract.parse(upper)
        except (ContractError, ValueError):
            return out
        raise place.error(path, f"{out!r} is a futures contract code, not a fund symbol (such as IVV)")


SYMBOL = FundSymbol("a fund symbol such as IVV", r"[A-Za-z0-9][A-Za-z0-9.^-]{0,14}")
FRACTION = "a fraction of NAV"

#: Rules of our strategies' parameters, by name (EfficientCore, CorePlus, SixtyForty share names).
PARAM_RULES = {
    "equity": SYMBOL,
    "bonds": SYMBOL,
    "sleeve": SYMBOL,
    "equity_weight": Number(0, 1, unit=FRACTION),
    "sleeve_weight": Number(0, 1, unit=FRACTION),
    # Futures notional above four times NAV is no longer an efficient core: margin alone would
    # take most of the cash.
    "futures_notional": Number(0, 4, unit=FRACTION),
    "scale": Number(0, 1, low_open=True, unit="the fraction of NAV the core runs on"),
    "ladder": Weights(tuple(SPECS), what="ladder weight"),
    "target_duration": AnyOf((Choice(("agg",)), Number(0.1, 30, unit="years"))),
    # Beyond about two months before first notice the "held" contract would be the second
    # deferred one, which hardly trades: a roll offset of 100 is a typo, not a strategy.
    "roll_offset": Number(2, 40, integer=True, unit="business days before first notice day"),
    "roll_spread_days": Number(1, 20, integer=True, unit="business days"),
    "rebalance": Choice(("roll", "quarter", "none")),
    "drift_band": Number(0, 0.5, low_open=True, unit="an absolute weight drift, 0.05 = 5 points"),
    "bonds_first": Bool(),
    "include_unlaunched": Bool(),
    "meet_margin_calls": Bool(),
    "margin_budget": Number(0, 1, low_open=True, unit="a fraction of margin equity"),
    # The dearest ETFs charge about 1 % a year; 5 % is a generous ceiling (0.0020 is 0.20 %).
    "expense_ratio": Number(0, 0.05, unit="a fraction of NAV per year, 0.0020 = 0.20 %"),
    "cash_buffer": Number(0, 0.5, unit=FRACTION),
}

COST_RULES = Table({
    "futures_commission": Number(0, 100, unit="dollars per contract per side"),
    "share_commission": Number(0, 1, unit="dollars per share"),
    "share_min_commission": Number(0, 100, unit="dollars per order"),
    "share_max_commission_pct": Number(0, 0.1, unit="a fraction of trade value"),
    "futures_slippage_ticks": Number(0, 20, unit="ticks per contract"),
    "share_slippage_bps": Number(0, 500, unit="basis points of price"),
}, what="a table of cost settings", noun="broker.costs setting")


def _file(base_dir: Path | None):
    def convert(value):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"must be the path of a CSV file (date,root,maintenance,source), got {value!r}")
        p = Path(value).expanduser()
        if not p.is_absolute() and base_dir is not None:
            p = base_dir / p
        if not p.is_file():
            raise ValueError(f"file not found: {p}")
        return str(p)

    return Custom("the path of a CSV margin schedule", convert)


def broker_rules(base_dir: Path | None = None) -> Table:
    """The ``[broker]`` table: the simulated broker's settings and the margin model's."""
    return Table({
        "borrow_spread": Number(0, 0.2, unit="a fraction per year over the short rate"),
        "collateral_haircut": Number(0, 1, unit="a fraction of posted initial margin"),
        "expense_ratio": PARAM_RULES["expense_ratio"],
        "costs": COST_RULES,
        "futures_fill": Choice(("settle", "open")),
        "share_fill": Choice(("close", "open")),
        "call_deadline_days": Number(0, 20, integer=True, unit="trading days"),
        "liquidation_policy": Choice(("largest_requirement", "all")),
        "delivery_guard": Bool(),
        "share_buys_need_cash": Bool(),
        "share_collateral": Number(0, 1, unit="a fraction of the shares' value"),
        # false: an order that would leave a short position in shares is refused (and counted)
        "short_sales": Bool(),
        # backtrader's BackBroker settings (brokers/broker_api.py)
        "checksubmit": Bool(),
        "coc": Bool(),
        "margin_schedule": _file(base_dir),
        "initial_ratio": Number(1, 5, unit="initial margin / maintenance margin"),
        "margin_multiplier": Number(1, 20, unit="times the exchange's margin"),
        "fallback_k": Number(0, 10, low_open=True, unit="times the 99th percentile move"),
    }, what="a table of broker settings", noun="broker setting")


SCENARIO_RULES = Table({
    "kind": Choice(("rate_shock", "margin_hike")),
    "date": Date(),
    "shift_bp": Number(-1000, 2000, unit="basis points"),
    "equity_shock": Number(-1, 1, unit="a fraction, -0.10 = a 10 % fall"),
    "factor": Number(0, 1000, low_open=True, unit="times the exchange's margin"),
}, required=("kind",), what="a scenario name (rate_shock, margin_hike) or a table with kind and date")


def _scenario(value, place: Place, path):
    if isinstance(value, str):
        value = {"kind": value}
    return SCENARIO_RULES.check(value, place, path)


def _benchmark(value, place: Place, path):
    """``benchmark``: true/false, a SPEC text (``60/40:EFA``, ``SPY``) or a table of a strategy and
    its parameters, our strategies' parameters checked by :data:`PARAM_RULES`."""
    from .benchmark_spec import BenchmarkError, parse_benchmark

    if isinstance(value, dict):
        for key, item in value.items():
            if key == "strategy":
                Text("a strategy name (SixtyForty, BuyAndHold...) or package.module.Class").check(item, place, (*path, key))
            elif key == "symbol":
                SYMBOL.check(item, place, (*path, key))
            elif key in PARAM_RULES:
                PARAM_RULES[key].check(item, place, (*path, key))
    try:
        parse_benchmark(value)
    except BenchmarkError as exc:
        raise place.error(path, str(exc)) from None
    return value


def top_level_rules(params_rule, base_dir: Path | None) -> Table:
    """The config's top-level keys (``strategy`` and ``instruments`` are checked by the feed
    planner, which names the class and the feeds)."""

    class ScenarioRule(Custom):
        def check(self, value, place, path):
            return _scenario(value, place, path)

    class BenchmarkRule(Custom):
        def check(self, value, place, path):
            return _benchmark(value, place, path)

    return Table({
        "strategy": Text("EfficientCore, SixtyForty, CorePlus or package.module.Class"),
        "instruments": Custom("symbols, roots and contract codes", lambda v: v),
        "start": Date(),
        "end": Date(),
        # A trillion dollars is more than any fund; above it float cents stop adding up.
        "cash": Number(0, 1e12, low_open=True, unit="dollars"),
        "data": Text("a data folder path"),
        "scenario": ScenarioRule(SCENARIO_RULES.what, lambda v: v),
        "benchmark": BenchmarkRule("true, false, a benchmark SPEC (60/40:EFA, SPY) or a table "
                                   '{ strategy = "SixtyForty", equity = "EEM" }', lambda v: v),
        "analyzers": ListOf(Text("an analyzer name"), text_ok=True),
        "accept_jumps": Bool(),
        "params": params_rule,
        "broker": broker_rules(base_dir),
    }, what="a config table")


def params_rules(cls, ours: bool) -> Table:
    """The ``[params]`` table of strategy class ``cls``: its own parameter names; values are
    checked by :data:`PARAM_RULES` for our strategies."""
    known = [k for k in cls.params._getkeys() if k != "price_book"]
    fields = {k: (PARAM_RULES.get(k, Custom("any value", lambda v: v)) if ours else Custom("any value", lambda v: v))
              for k in known}
    return Table(fields, what=f"a table of {cls.__name__} parameters", noun="parameter", owner=f" for {cls.__name__}")


def validate_config(mapping: dict, cls, ours: bool, place: Place, base_dir: Path | None) -> dict:
    """``mapping`` checked and converted (dates as ``datetime.date``, ladder names upper case);
    raises :class:`~.schema.InputError` naming the first bad key."""
    out = top_level_rules(params_rules(cls, ours), base_dir).check(mapping, place, ())
    start, end = out.get("start"), out.get("end")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end <= start:
        raise place.error(("end",), f"{end.isoformat()} is not after start {start.isoformat()}")
    return out
