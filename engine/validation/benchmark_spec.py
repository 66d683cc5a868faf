"""The grammar of the ``benchmark`` setting and ``--benchmark SPEC``, parsed before any work;
the values and their meaning are documented in :mod:`ecore.engine.backtest.benchmark`, which
makes them concrete."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SPEC_GRAMMAR = ("none, 60/40 (the run's equity and AGG), W/B[:EQUITY[/BONDS]] such as 60/40:EFA or "
                "70/30:EEM/IEF, or a fund symbol to buy and hold such as SPY")

_SYMBOL = re.compile(r"^[A-Za-z][A-Za-z0-9.^-]{0,14}$")
_MIX = re.compile(r"^(\d{1,3})/(\d{1,3})(?::([^/:]+)(?:/([^/:]+))?)?$")


class BenchmarkError(ValueError):
    """A benchmark setting that cannot be read; the message says what is accepted."""


@dataclass(frozen=True)
class BenchmarkChoice:
    """The benchmark as configured: ``strategy`` (a name or package.module.Class) and the
    parameters given; equity and bonds left out are the run's (see `resolve`)."""

    strategy: str = "SixtyForty"
    params: dict = field(default_factory=dict)


def parse_spec(text: str) -> BenchmarkChoice | None:
    """``--benchmark SPEC`` (or a TOML string): None for "none"; raises BenchmarkError."""
    spec = str(text).strip()
    low = spec.lower()
    if low in ("none", "false", "off", "no"):
        return None
    if low in ("true", "default", "60/40"):
        return BenchmarkChoice()
    mix = _MIX.match(spec)
    if mix:
        weight, rest, equity, bonds = mix.groups()
        if int(weight) + int(rest) != 100:
            raise BenchmarkError(f"{spec!r}: the two weights must add up to 100 (60/40)")
        params = {"equity_weight": int(weight) / 100}
        for key, value in (("equity", equity), ("bonds", bonds)):
            if value is not None:
                if not _SYMBOL.match(value):
                    raise BenchmarkError(f"{spec!r}: {value!r} is not a fund symbol")
                params[key] = value.upper()
        return BenchmarkChoice("SixtyForty", params)
    if _SYMBOL.match(spec):
        return BenchmarkChoice("BuyAndHold", {"symbol": spec.upper()})
    raise BenchmarkError(f"{spec!r} is not a benchmark; give {SPEC_GRAMMAR}")


def parse_benchmark(value) -> BenchmarkChoice | None:
    """The config's ``benchmark`` value (bool, SPEC text or table) as a choice; None: no benchmark."""
    if value is None or value is True:
        return BenchmarkChoice() if value else None
    if value is False:
        return None
    if isinstance(value, BenchmarkChoice):
        return value
    if isinstance(value, str):
        return parse_spec(value)
    if isinstance(value, dict):
        table = dict(value)
        strategy = table.pop("strategy", "BuyAndHold" if "symbol" in table else "SixtyForty")
        if not isinstance(strategy, str) or not strategy.strip():
            raise BenchmarkError(f"strategy: give a strategy name, got {strategy!r}")
        return BenchmarkChoice(strategy.strip(), table)
    raise BenchmarkError(f"give true, false, a text ({SPEC_GRAMMAR}) or a table such as "
                         f'{{ strategy = "SixtyForty", equity = "EEM" }}; got {value!r}')


