"""Which strategy ``ecore paper`` runs and which daily feeds it builds for it.

* ``strategy.class`` is one of our strategies by name (``"EfficientCore"``, ``"SixtyForty"``,
  ``"CorePlus"``) or the dotted path of any backtrader strategy (``"package.module.Class"``).
* A strategy that takes a ``price_book`` (our allocation strategies) names its instruments
  through its params, exactly as in a backtest: one root feed per ladder root with a positive
  weight (feed "ZN", an ``IBRootFeed`` holding the contract of the strategy's RollRule) and one
  feed per fund (``equity``, ``bonds``, ``sleeve`` params, feed "IVV"); with a ladder it also
  receives a :class:`~ecore.data.paper_book.PaperPriceBook`.  ``strategy.instruments`` is then
  not allowed (the strategy would not see the feeds it expects).
* Any other strategy lists its feeds in ``strategy.instruments``: a futures code ("ZNM25"), a
  ticker ("SPY"), a futures root ("ZN", a root feed) or "name=instrument".
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ..data.contracts import ContractError, spec
from ..data.rolls import RollRule
from .runner import _roots_for, _symbols_for


@dataclass(frozen=True)
class FeedSpec:
    """One feed: its data name, what IB is asked for, and whether it is a root feed."""

    name: str
    instrument: str  # futures code, ticker, or root (for a root feed)
    root: bool = False


@dataclass(frozen=True)
class FeedPlan:
    """The feeds of a run, the RollRule of its root feeds and the roots its price book covers
    (empty: the strategy gets no price book)."""

    feeds: tuple[FeedSpec, ...]
    roll_rule: RollRule
    price_book_roots: tuple[str, ...] = ()


def strategy_class(name: str):
    """Our strategy ``name`` (``ecore.strategies.STRATEGIES``) or ``package.module.Class``."""
    from ..strategies import STRATEGIES

    if name in STRATEGIES:
        return STRATEGIES[name]
    module_name, _, cls_name = name.rpartition(".")
    if not module_name:
        raise ValueError(f"strategy.class: {name!r} is neither one of {', '.join(STRATEGIES)} "
                         "nor a dotted path module.Class")
    try:
        return getattr(importlib.import_module(module_name), cls_name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"strategy.class: cannot import {name!r} ({exc})") from None


def is_root(name: str) -> bool:
    """Whether ``name`` is a futures root of our contract table ("ZN"), not a contract code."""
    try:
        return spec(name).root == name
    except (ContractError, KeyError, ValueError):
        return False


def check_params(cls, params: dict) -> None:
    """Every key of ``strategy.params`` must be a parameter of the strategy."""
    known = set(cls.params._getkeys()) - {"price_book"}
    for key in params:
        if key not in known:
            raise ValueError(f"strategy.params.{key}: unknown parameter for {cls.__name__}; "
                             f"known: {', '.join(sorted(known))}")


def roll_rule_for(cls, params: dict) -> RollRule:
    """The strategy's RollRule (its ``roll_offset`` and ``roll_spread_days``, if it has them)."""
    p = dict(cls.params._getitems())
    p.update(params)
    return RollRule(offset=int(p.get("roll_offset", 5)), spread_days=int(p.get("roll_spread_days", 1)))


def plan_feeds(cls, instruments, params: dict) -> FeedPlan:
    """The feeds ``ecore paper`` builds for strategy class ``cls`` (see the module text)."""
    check_params(cls, params)
    rule = roll_rule_for(cls, params)
    if "price_book" in cls.params._getkeys():
        if instruments:
            raise ValueError(
                f"strategy.instruments: {cls.__name__} names its own feeds (one per ladder root "
                "and one per fund, from its params); remove instruments")
        roots = tuple(_roots_for(cls, params))
        feeds = tuple(FeedSpec(r, r, root=True) for r in roots) + tuple(
            FeedSpec(s, s) for s in _symbols_for(cls, params))
        return FeedPlan(feeds, rule, roots)
    if not instruments:
        raise ValueError("strategy.instruments: list at least one futures code or ticker")
    feeds = []
    for item in instruments:
        name, _, instrument = str(item).partition("=")
        name, instrument = name.strip(), (instrument or name).strip()
        feeds.append(FeedSpec(name, instrument, root=is_root(instrument)))
    return FeedPlan(tuple(feeds), rule)
