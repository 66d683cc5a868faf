"""Which strategy a run uses and which feeds it gets: one meaning in backtest, sweep and paper.

* ``strategy`` is one of ours by name ("EfficientCore", "SixtyForty", "CorePlus") or the dotted
  path of any ``backtrader.Strategy`` subclass ("package.module.Class"), imported from the Python
  path, the current folder or the folder of the file that names it.
* ``instruments`` lists the feeds, in order (``self.datas[0]`` is the first):

  - a **symbol** ("SPY") is a close feed of that fund or stock;
  - a **root** ("ZN") is a feed of the contract held under the roll rule (lines ``close``,
    ``held``, ``next_close``, ``next``): orders on it trade the contract it carries, or the one
    named with ``contract="ZNU25"``, and its position is the net over the root's contracts;
  - a **contract code** ("ZBM25") is one fixed contract, from its listing to its expiry;
  - "ZN=ZNM25" is a feed named for its root that carries one fixed contract.

  A strategy class may declare default ``instruments``; one whose feeds follow from its
  parameters (``instruments_for(params)``, as EfficientCore's ladder) refuses ``instruments``.
* The roll rule of root feeds is the strategy's (``roll_offset``, ``roll_spread_days`` params if
  it has them, else five business days before first notice, in one day).  Positions taken through
  a root feed are rolled by the engine unless the class sets ``rolls_itself = True``.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import backtrader as bt

from ...data.contracts import SPECS, Contract, ContractError, spec
from ...data.rolls import RollRule
from .user_code import PASS_THROUGH, describe_failure

SYMBOL, ROOT, CONTRACT = "symbol", "root", "contract"


class PlanError(ValueError):
    """A strategy or instrument that cannot be planned; the message names the key."""


@dataclass(frozen=True)
class FeedSpec:
    """One feed: its data name, the instrument it carries and its kind (symbol, root, contract)."""

    name: str
    instrument: str  # ticker, root ("ZN") or contract code ("ZNM25")
    kind: str

    @property
    def root(self) -> bool:
        """True for a feed of the contract held under the roll rule."""
        return self.kind == ROOT

    @property
    def futures_root(self) -> str | None:
        """The futures root the feed trades ("ZN"), None for a symbol."""
        if self.kind == ROOT:
            return self.instrument
        if self.kind == CONTRACT:
            return Contract.parse(self.instrument).root
        return None


@dataclass(frozen=True)
class FeedPlan:
    """The feeds of a run, the roll rule of its root feeds, the roots its price book covers (empty:
    the strategy gets none), whether the engine rolls positions taken through root feeds, and
    whether the feeds follow from the strategy's parameters (``instruments_for``: such a strategy
    chooses which roots it trades when, so its root feeds start with the data, not at a product's
    launch)."""

    feeds: tuple[FeedSpec, ...]
    roll_rule: RollRule
    price_book_roots: tuple[str, ...] = ()
    engine_rolls: bool = False
    from_params: bool = False

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(f.instrument for f in self.feeds if f.kind == SYMBOL)

    @property
    def futures_roots(self) -> tuple[str, ...]:
        """Every root the run trades, through root or contract feeds, in feed order."""
        return tuple(dict.fromkeys(f.futures_root for f in self.feeds if f.futures_root))

    @property
    def rolling_roots(self) -> tuple[str, ...]:
        """Roots with a feed of the held contract: their positions roll."""
        return tuple(f.instrument for f in self.feeds if f.kind == ROOT)

    @property
    def fixed_contracts(self) -> tuple[str, ...]:
        """Contract codes that feeds carry as one fixed contract: never rolled."""
        return tuple(f.instrument for f in self.feeds if f.kind == CONTRACT)


# ----------------------------------------------------------------------------------------- class

def strategy_class(name: str, key: str = "strategy", search: tuple = ()):
    """Our strategy ``name`` or the class at the dotted path ``package.module.Class``.

    The module is imported from the Python path, then the current folder and the folders in
    ``search`` (a config file's folder).  Errors name ``key``: an unknown name, a module that
    cannot be imported, a missing class, or a class that is not a ``backtrader.Strategy``.
    """
    from ...strategies import STRATEGIES

    if not isinstance(name, str) or not name.strip():
        raise PlanError(f"{key}: give a strategy: {', '.join(STRATEGIES)} or package.module.Class")
    name = name.strip()
    if name in STRATEGIES:
        return STRATEGIES[name]
    module_name, _, cls_name = name.rpartition(".")
    if not module_name:
        raise PlanError(f"{key}: unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)} "
                        "or give the dotted path module.Class of a backtrader Strategy")
    _extend_path([Path.cwd(), *search])
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PlanError(f"{key}: cannot import module {module_name!r} of {name!r} ({exc}); "
                        "put it on PYTHONPATH or in the current folder") from None
    except PASS_THROUGH:
        raise
    except BaseException as exc:  # the user's module raised (or called sys.exit) while importing
        raise PlanError(f"{key}: {describe_failure(exc, f'importing {module_name!r}')}") from None
    cls = getattr(module, cls_name, None)
    if cls is None:
        shadowed = _shadowed_file(module, module_name, [Path.cwd(), *search])
        if shadowed is not None:
            raise PlanError(f"{key}: {shadowed} is not imported: {module_name!r} is the name of an installed "
                            f"module ({getattr(module, '__file__', None) or 'built in'}); rename your file")
        raise PlanError(f"{key}: module {module_name!r} has no class {cls_name!r}")
    if not (inspect.isclass(cls) and issubclass(cls, bt.Strategy)):
        raise PlanError(f"{key}: {name} is not a backtrader.Strategy subclass")
    return cls


def _shadowed_file(module, module_name: str, folders) -> Path | None:
    """The user's ``NAME.py`` (or package) in one of ``folders`` that lost to an installed or
    standard-library module of the same name, if any."""
    loaded = getattr(module, "__file__", None)
    rel = Path(*module_name.split("."))
    for folder in folders:
        for candidate in (Path(folder) / f"{rel}.py", Path(folder) / rel / "__init__.py"):
            if candidate.is_file() and (loaded is None or Path(loaded).resolve() != candidate.resolve()):
                return candidate
    return None


def _extend_path(folders) -> None:
    # Appended, not prepended: a user's file never shadows an installed package.
    for folder in folders:
        text = os.fspath(Path(folder).resolve())
        if text not in sys.path:
            sys.path.append(text)


def is_ours(cls) -> bool:
    """Whether ``cls`` is one of the strategies shipped with ecore (covered by its code version)."""
    from ...strategies import STRATEGIES

    return cls in STRATEGIES.values()


def strategy_source_files(cls) -> list[Path]:
    """The source files a user strategy's results depend on: its module's file, or every ``.py``
    file of the top-level package it belongs to.  Empty for our strategies."""
    if is_ours(cls):
        return []
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    if not path:
        return []
    path = Path(path).resolve()
    top = cls.__module__.split(".")[0]
    top_module = sys.modules.get(top)
    top_paths = list(getattr(top_module, "__path__", []) or [])
    if top_paths:  # a package: any of its modules may hold what the strategy uses
        files = []
        for folder in top_paths:
            files += [p for p in Path(folder).resolve().rglob("*.py") if "__pycache__" not in p.parts]
        return sorted(set(files))
    return [path]


# ----------------------------------------------------------------------------------- parameters

def check_params(cls, params: dict, key: str = "params") -> None:
    """Every key of ``params`` must be a parameter of the strategy (``key.NAME`` in errors)."""
    known = set(cls.params._getkeys()) - {"price_book"}
    for name in params:
        if name not in known:
            raise PlanError(f"{key}.{name}: unknown parameter for {cls.__name__}; "
                            f"known: {', '.join(sorted(known)) or 'none'}")


def effective_params(cls, params: dict) -> dict:
    """A strategy's parameter defaults with ``params`` laid over them."""
    return {**dict(cls.params._getitems()), **params}


def roll_rule_for(cls, params: dict) -> RollRule:
    """The strategy's RollRule (its ``roll_offset`` and ``roll_spread_days``, if it has them)."""
    p = effective_params(cls, params)
    return RollRule(offset=int(p.get("roll_offset", 5)), spread_days=int(p.get("roll_spread_days", 1)))


def takes_price_book(cls) -> bool:
    return "price_book" in cls.params._getkeys()


# ---------------------------------------------------------------------------------- instruments

def split_instruments(value, key: str = "instruments") -> tuple[str, ...]:
    """A list, a comma-separated text ("SPY,ZN"), or a table ``{feed name = instrument}``, as
    a tuple of items ("SPY", "ZN", "ZN=ZNM25")."""
    if value is None:
        return ()
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, dict):
        items = [f"{name}={inst}" for name, inst in value.items()]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise PlanError(f"{key}: {value!r} must be a list of symbols, roots and contract codes")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise PlanError(f"{key}: {item!r} is not a symbol, root or contract code")
        item = item.strip()
        if item:
            out.append(item)
    return tuple(out)


def classify(instrument: str, key: str = "instruments") -> tuple[str, str]:
    """(kind, canonical name) of one instrument: a root of our contract table ("ZN"), a contract
    code ("ZNM25", also written "ZN 202506"), else a symbol (upper case).  A root followed by a
    month and year that is not a listed contract ("ZNF25") is an error naming it."""
    text = instrument.strip().upper()
    if text in SPECS:
        return ROOT, SPECS[text].root
    try:
        return CONTRACT, Contract.parse(text).code
    except (ContractError, ValueError) as exc:
        if any(text.startswith(root) for root in SPECS) and text[-1:].isdigit():
            raise PlanError(f"{key}: {instrument!r} is not a contract: {exc}") from None
    return SYMBOL, text


def parse_feed(item: str, key: str = "instruments") -> FeedSpec:
    """One item of ``instruments`` as a FeedSpec; "ZN=ZNM25" names a contract's feed by its root."""
    name, sep, instrument = item.partition("=")
    kind, canonical = classify(instrument if sep else name, key)
    if not sep:
        return FeedSpec(canonical, canonical, kind)
    name = name.strip().upper()
    if name == canonical:
        return FeedSpec(canonical, canonical, kind)
    if kind != CONTRACT or spec_root(name) != Contract.parse(canonical).root:
        raise PlanError(f"{key}: {item!r}: only a contract's feed may be renamed, and only to its "
                        f"root (ZN=ZNM25): the brokers tell what a feed trades by its name")
    return FeedSpec(name, canonical, CONTRACT)


def spec_root(name: str) -> str | None:
    try:
        return spec(name).root
    except ContractError:
        return None


def plan_feeds(cls, instruments=(), params: dict | None = None, key: str = "instruments",
               params_key: str = "params") -> FeedPlan:
    """The feeds of a run of strategy class ``cls`` (see the module text)."""
    params = dict(params or {})
    check_params(cls, params, params_key)
    try:
        rule = roll_rule_for(cls, params)
    except ValueError as exc:
        raise PlanError(f"{params_key}: {exc}") from None
    items = split_instruments(instruments, key)
    own = getattr(cls, "instruments_for", None)
    own = own(params) if callable(own) else None
    if own is not None:
        if items:
            raise PlanError(f"{key}: {cls.__name__} names its own feeds (from its params: "
                            f"{', '.join(own)}); remove {key}")
        items = tuple(own)
    elif not items:
        items = split_instruments(getattr(cls, "instruments", ()), f"{cls.__name__}.instruments")
        if not items:
            raise PlanError(f"{key}: {cls.__name__} declares no instruments: list the symbols, roots "
                            "and contract codes it trades (e.g. SPY,ZN,ZBM25)")
    feeds = [parse_feed(item, key) for item in items]
    seen: dict[str, str] = {}
    for f in feeds:
        if f.name in seen:
            raise PlanError(f"{key}: feed {f.name!r} is listed twice")
        seen[f.name] = f.instrument
    plan = FeedPlan(tuple(feeds), rule)
    book_roots = plan.futures_roots if takes_price_book(cls) else ()
    rolls_itself = bool(getattr(cls, "rolls_itself", False))
    return FeedPlan(tuple(feeds), rule, book_roots, engine_rolls=bool(plan.rolling_roots) and not rolls_itself,
                    from_params=own is not None)
