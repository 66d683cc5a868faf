"""Which benchmark a backtest runs beside the strategy: the ``benchmark`` setting and
``--benchmark SPEC``.

Values (config key ``benchmark``):

* ``false`` / ``"none"``: no benchmark.
* ``true`` / ``"60/40"`` (the default): a 60/40 of the run's equity fund (the strategy's
  ``equity`` parameter, else its first fund that is not a bond fund, else IVV) and AGG, rebalanced
  each quarter (:class:`~ecore.strategies.benchmarks.SixtyForty`).  An EfficientCore on EFA (the
  NTSI structure) is so compared with an EFA/AGG 60/40.
* ``"W/B"``, ``"W/B:EQUITY"`` or ``"W/B:EQUITY/BONDS"``: a W % / B % mix (W + B = 100) of those
  funds (the run's equity and AGG when left out): ``70/30``, ``60/40:EFA``, ``60/40:EEM/IEF``.
* ``"SYMBOL"``: buy and hold one fund (``SPY``): all the cash on the first day, held to the end.
* a table ``{ strategy = "SixtyForty", equity = "EEM", bonds = "AGG", equity_weight = 0.6 }``:
  any of our strategies (or ``BuyAndHold`` with ``symbol``, or ``package.module.Class``) with those
  parameters; ``{ symbol = "SPY" }`` is a buy-and-hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...strategies.base import Strategy
from ..validation.benchmark_spec import SPEC_GRAMMAR, BenchmarkChoice, BenchmarkError, parse_benchmark, parse_spec

__all__ = ["SPEC_GRAMMAR", "BenchmarkChoice", "BenchmarkError", "parse_benchmark", "parse_spec", "BuyAndHold",
           "Benchmark", "resolve", "run_equity", "benchmark_class"]

#: Funds that are bonds: a run's "equity" is its first fund not among these.
BOND_FUNDS = frozenset({"AGG", "BND", "IEF", "TLT", "SHY", "GOVT", "IEI", "SCHZ", "BIL"})
DEFAULT_EQUITY = "IVV"
DEFAULT_BONDS = "AGG"


class BuyAndHold(Strategy):
    """All the cash (less ``cash_buffer``) in one fund on the first day, held to the end.

    The fund's dividend-adjusted closes are net of its own fees, so no expense ratio is charged."""

    params = dict(
        symbol="SPY",
        cash_buffer=0.002,  # fraction of NAV left in cash so the buy survives a price move overnight
    )
    recorded_events = ("rebalance",)

    @classmethod
    def instruments_for(cls, params: dict) -> tuple[str, ...]:
        """The one fund's feed."""
        return (str({**dict(cls.params._getitems()), **params}["symbol"]).upper(),)

    def next(self):
        day = self.today()
        if self.replaying():
            return
        self.record.days.append({"date": day, "ladder_duration": float("nan")})
        if self._pending or self.shares_held(self.p.symbol):
            return
        shares = math.floor(self.broker.getvalue() * (1 - self.p.cash_buffer) / self.price(self.p.symbol))
        if shares > 0:
            self.order_shares(self.p.symbol, shares, "rebalance")
            self.record.event(day, "rebalance", f"buy {shares:,d} {self.p.symbol} and hold")


def benchmark_class(name: str, search: tuple = ()):
    """The class of a benchmark named ``name``: BuyAndHold, one of ours, or package.module.Class."""
    if name == "BuyAndHold":
        return BuyAndHold
    from .instruments import PlanError, strategy_class

    try:
        return strategy_class(name, "benchmark.strategy", search)
    except PlanError as exc:
        raise BenchmarkError(str(exc).removeprefix("benchmark.strategy: ")) from None


def run_equity(params: dict, symbols) -> str:
    """The equity fund of a run: its ``equity`` parameter, else its first fund that is not a bond
    fund, else IVV."""
    equity = params.get("equity")
    if isinstance(equity, str) and equity.strip():
        return equity.strip().upper()
    for symbol in symbols:
        if symbol.upper() not in BOND_FUNDS:
            return symbol.upper()
    return DEFAULT_EQUITY


@dataclass(frozen=True)
class Benchmark:
    """The benchmark to run: its class, its parameters, and the name its result carries."""

    cls: type
    params: dict
    name: str


def resolve(choice: BenchmarkChoice | None, run_params: dict, run_symbols, search: tuple = ()) -> Benchmark | None:
    """``choice`` made concrete for a run whose effective parameters are ``run_params`` and whose
    funds are ``run_symbols``: a 60/40 without funds takes the run's equity and AGG.

    The name is the class's; parameters that differ from its defaults follow in brackets
    ("SixtyForty (EFA/AGG)", "SPY buy-and-hold"), so the default IVV/AGG 60/40 stays "SixtyForty"."""
    if choice is None:
        return None
    cls = benchmark_class(choice.strategy, search)
    known = set(cls.params._getkeys()) - {"price_book"}
    unknown = [k for k in choice.params if k not in known]
    if unknown:
        raise BenchmarkError(f"unknown parameter {unknown[0]!r} for {cls.__name__}; known: {', '.join(sorted(known))}")
    params = dict(choice.params)
    defaults = dict(cls.params._getitems())
    if "equity" in known and "equity" not in params:
        params["equity"] = run_equity(run_params, run_symbols)
    for key in ("equity", "bonds", "symbol"):
        if isinstance(params.get(key), str):
            params[key] = params[key].upper()
    if cls is BuyAndHold:
        name = f"{params.get('symbol', defaults['symbol'])} buy-and-hold"
    else:
        changed = {k: v for k, v in params.items() if defaults.get(k) != v}
        name = cls.__name__
        if changed:
            funds = "/".join(str(params.get(k, defaults.get(k))) for k in ("equity", "bonds") if k in known)
            if "equity_weight" in changed:
                weight = round(100 * float(changed["equity_weight"]))
                funds = f"{weight:g}/{100 - weight:g} {funds}".strip()
            rest = [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in changed.items()
                    if k not in ("equity", "bonds", "equity_weight")]
            name += f" ({', '.join(([funds] if funds else []) + rest)})"
    # Only parameters that differ from the class's defaults are passed (the runner's
    # record of a run's parameters lists the effective ones).
    return Benchmark(cls, {k: v for k, v in params.items() if defaults.get(k) != v or k in choice.params}, name)
