"""Declarative rules for user input: what a key may hold, checked before any work.

A schema is a :class:`Table` of named :class:`Rule` s.  Each rule converts a raw value (from a
TOML file or the command line) or raises :class:`InputError` with one line naming the place
(file, line and column when known, and the key) and the domain in words, e.g.::

    run.toml, line 7, column 1: params.expense_ratio: must be a number from 0 to 0.05
    (a fraction of NAV per year), got 5

Rules say what they accept (``describe()``), so the message always states the range.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import UserError


class InputError(UserError, ValueError):
    """A value outside its rule; the message names the place and the rule."""


@dataclass(frozen=True)
class Place:
    """Where a value came from: ``source`` (a file or "command line") and a locator that gives
    "line N, column C" for a key path in that file (None when it cannot tell)."""

    source: str
    locate: Callable[[tuple[str, ...]], str | None] | None = None

    def describe(self, path: tuple[str, ...]) -> str:
        where = self.source
        at = self.locate(path) if self.locate is not None and path else None
        if at:
            where += f", {at}"
        return where

    def error(self, path: tuple[str, ...], message: str) -> InputError:
        key = ".".join(path)
        prefix = self.describe(path)
        parts = [p for p in (prefix, key) if p]
        return InputError(": ".join([*parts, message]))


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Rule(ABC):
    """One key's rule: ``check(value, place, path)`` returns the value to use or raises."""

    @abstractmethod
    def describe(self) -> str:
        """What the key may hold, in words (said in every error message)."""

    @abstractmethod
    def check(self, value, place: Place, path: tuple[str, ...]):
        """The value to use, or raises :class:`InputError` naming the place."""

    def fail(self, value, place: Place, path: tuple[str, ...], why: str = "") -> InputError:
        return place.error(path, f"must be {self.describe()}{why}, got {_show(value)}")


def _fmt(x: float) -> str:
    if float(x).is_integer() and abs(x) >= 100_000:
        return f"{int(x):,}"
    return f"{x:g}" if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class Number(Rule):
    """A finite number (never a bool) within ``low``..``high``; ``integer`` for whole numbers.
    ``unit`` is said in the message ("dollars", "a fraction of NAV per year")."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    unit: str = ""

    def describe(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        lo, hi = self.low, self.high
        if lo is not None and hi is not None:
            if self.low_open or self.high_open:
                text = (f"{kind} {'above' if self.low_open else 'from'} {_fmt(lo)} "
                        f"{'and below' if self.high_open else 'up to'} {_fmt(hi)}")
            else:
                text = f"{kind} from {_fmt(lo)} to {_fmt(hi)}"
        elif lo is not None:
            text = f"{kind} {'above' if self.low_open else 'of at least'} {_fmt(lo)}"
        elif hi is not None:
            text = f"{kind} {'below' if self.high_open else 'of at most'} {_fmt(hi)}"
        else:
            text = f"a finite {kind.split()[-1]}"
        return f"{text} ({self.unit})" if self.unit else text

    def check(self, value, place, path):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(value, place, path)
        if not math.isfinite(value):
            raise self.fail(value, place, path)
        if self.integer and value != int(value):
            raise self.fail(value, place, path)
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            raise self.fail(value, place, path)
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            raise self.fail(value, place, path)
        return int(value) if self.integer else value


@dataclass(frozen=True)
class Bool(Rule):
    def describe(self) -> str:
        return "true or false"

    def check(self, value, place, path):
        if not isinstance(value, bool):
            raise self.fail(value, place, path)
        return value


@dataclass(frozen=True)
class Choice(Rule):
    """One of ``values`` (compared as given; text is compared without surrounding blanks)."""

    values: tuple

    def describe(self) -> str:
        return "one of " + ", ".join(str(v) for v in self.values)

    def check(self, value, place, path):
        probe = value.strip() if isinstance(value, str) else value
        if isinstance(probe, bool) or probe not in self.values:
            raise self.fail(value, place, path)
        return probe


@dataclass(frozen=True)
class Text(Rule):
    """Non-empty text, optionally matching ``pattern`` (``what`` says what it is)."""

    what: str = "text"
    pattern: str | None = None

    def describe(self) -> str:
        return self.what

    def check(self, value, place, path):
        if not isinstance(value, str) or not value.strip():
            raise self.fail(value, place, path)
        if self.pattern is not None and not re.fullmatch(self.pattern, value.strip()):
            raise self.fail(value, place, path)
        return value.strip()


@dataclass(frozen=True)
class Date(Rule):
    """A calendar date: a TOML date or text YYYY-MM-DD, from ``low`` to ``high``."""

    low: dt.date = dt.date(1900, 1, 1)
    high: dt.date = dt.date(2100, 12, 31)

    def describe(self) -> str:
        return f"a date YYYY-MM-DD from {self.low.isoformat()} to {self.high.isoformat()}"

    def check(self, value, place, path):
        if isinstance(value, dt.datetime):
            day = value.date()
        elif isinstance(value, dt.date):
            day = value
        elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            try:
                day = dt.date.fromisoformat(value.strip())
            except ValueError:
                raise self.fail(value, place, path, " (that day does not exist)") from None
        else:
            raise self.fail(value, place, path)
        if not self.low <= day <= self.high:
            raise self.fail(value, place, path)
        return day


@dataclass(frozen=True)
class AnyOf(Rule):
    """The first of ``rules`` that accepts the value."""

    rules: tuple[Rule, ...]

    def describe(self) -> str:
        return " or ".join(r.describe() for r in self.rules)

    def check(self, value, place, path):
        for rule in self.rules:
            try:
                return rule.check(value, place, path)
            except InputError:
                continue
        raise self.fail(value, place, path)


@dataclass(frozen=True)
class ListOf(Rule):
    """A list (or comma-separated text when ``text_ok``) of items under ``item``."""

    item: Rule
    min_items: int = 0
    text_ok: bool = False

    def describe(self) -> str:
        return f"a list of {self.item.describe()}" + (f" (at least {self.min_items})" if self.min_items else "")

    def check(self, value, place, path):
        if isinstance(value, str) and self.text_ok:
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)) or len(value) < self.min_items:
            raise self.fail(value, place, path)
        return [self.item.check(v, place, (*path[:-1], f"{path[-1]}[{i}]") if path else (f"[{i}]",))
                for i, v in enumerate(value)]


@dataclass(frozen=True)
class Weights(Rule):
    """A table ``name = weight`` whose weights lie in 0..1 and add up to 1 (never renormalised:
    a typo in one weight would silently move money to the others).  ``names`` lists the allowed
    keys."""

    names: tuple[str, ...]
    what: str = "weight"

    def describe(self) -> str:
        return f"a table of {self.what}s, name = fraction from 0 to 1, adding up to 1 ({', '.join(self.names)})"

    def check(self, value, place, path):
        if not isinstance(value, dict) or not value:
            raise self.fail(value, place, path)
        out = {}
        for name, w in value.items():
            key = str(name).strip().upper()
            if key not in self.names:
                raise place.error((*path, str(name)), f"unknown name; choose from {', '.join(self.names)}")
            out[key] = Number(0, 1).check(w, place, (*path, str(name)))
        total = sum(out.values())
        if abs(total - 1.0) > 1e-6:
            raise place.error(path, f"the {self.what}s add up to {total:.6g}, not 1 "
                              f"({', '.join(f'{k} {v:g}' for k, v in out.items())}); ecore does not rescale them")
        return out


@dataclass(frozen=True)
class Table(Rule):
    """A table of known keys, each with its rule.  Unknown keys are refused by name (a typo must
    not silently fall back to a default) unless ``open``; ``required`` keys must be present."""

    fields: dict[str, Rule] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    open: bool = False
    what: str = "a table"
    noun: str = "key"  # "unknown parameter 'x'", "unknown broker setting 'x'"
    owner: str = ""  # " for EfficientCore"

    def describe(self) -> str:
        return self.what

    def check(self, value, place, path):
        if not isinstance(value, dict):
            raise self.fail(value, place, path)
        out = dict(value)
        for key in value:
            if key not in self.fields and not self.open:
                # Named at the key's line, with the table's path: a typo must not fall back to a default.
                message = f"unknown {self.noun} {key!r}{self.owner}; known: {', '.join(self.fields) or 'none'}"
                raise InputError(f"{place.describe((*path, key))}: "
                                 + (f"{'.'.join(path)}: " if path else "") + message)
        for key in self.required:
            if key not in value:
                raise place.error((*path, key), f"missing: {self.fields[key].describe()}")
        for key in value:  # in the file's order: the first bad line is the one named
            if key in self.fields:
                out[key] = self.fields[key].check(value[key], place, (*path, key))
        return out


@dataclass(frozen=True)
class Custom(Rule):
    """A rule given by a function ``convert(value) -> value`` that raises ValueError with the
    reason; ``what`` describes what is accepted."""

    what: str
    convert: Callable[[Any], Any]

    def describe(self) -> str:
        return self.what

    def check(self, value, place, path):
        try:
            return self.convert(value)
        except (TypeError, ValueError) as exc:
            raise place.error(path, f"{exc}") from None
