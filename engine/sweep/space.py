"""The parameter space of a sweep: grid lists, stepped ranges and seeded random samples.

A space has three kinds of axes:

* grid axes: an explicit list of values per parameter;
* range axes: ``start``, ``stop`` (inclusive) and ``step`` per parameter, expanded to a list;
* random axes: a distribution per parameter, drawn ``samples`` times with a fixed ``seed``.

The grid and range axes form a Cartesian product; each of its points is combined with every
random draw (the same draws for every point).  With no random axes the space is the product alone;
with only random axes it is the ``samples`` draws.  Parameter sets are returned in a fixed order
(the order of the sweep file, first axis slowest) and duplicates are dropped, so the same sweep
file always gives the same runs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

Value = int | float | str | bool


#: Significant digits of a float drawn at random.
SIGNIFICANT_DIGITS = 4


@dataclass(frozen=True)
class Uniform:
    """Uniform on [low, high]; integers if ``integer`` (both ends included); log-uniform if ``log``."""

    low: float
    high: float
    integer: bool = False
    log: bool = False

    def draw(self, rng: np.random.Generator) -> Value:
        if self.integer:
            return int(rng.integers(int(self.low), int(self.high), endpoint=True))
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            value = rng.uniform(self.low, self.high)
        # A drift band of 0.07000763732837335 means 0.07001: runs use (and tables show) the
        # value to 4 significant digits, kept inside [low, high].
        return min(self.high, max(self.low, float(f"{value:.{SIGNIFICANT_DIGITS}g}")))


@dataclass(frozen=True)
class Choice:
    """One of ``values``, each equally likely."""

    values: tuple[Value, ...]

    def draw(self, rng: np.random.Generator) -> Value:
        return self.values[int(rng.integers(len(self.values)))]


class Steps(Sequence):
    """``start, start + step, …`` up to and including ``stop`` (to within a millionth of a step),
    computed on demand: a range axis of a billion values costs nothing until it is iterated.

    Integers stay integers when all three are integers; floats are rounded to 12 decimals so that
    ``0.1 + 2 * 0.1`` reads ``0.3`` in the results table.
    """

    def __init__(self, start: float, stop: float, step: float):
        for name, v in (("start", start), ("stop", stop), ("step", step)):
            if not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number, got {v}")
        if step <= 0:
            raise ValueError(f"step must be positive, got {step}")
        if stop < start:
            raise ValueError(f"stop ({stop}) is below start ({start})")
        self.start, self.stop, self.step = start, stop, step
        self.count = int(math.floor((stop - start) / step + 1e-6)) + 1
        self.integer = all(isinstance(x, int) and not isinstance(x, bool) for x in (start, stop, step))

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(self.count)))
        if i < 0:
            i += self.count
        if not 0 <= i < self.count:
            raise IndexError(i)
        if self.integer:
            return int(self.start + i * self.step)
        return round(self.start + i * self.step, 12)

    def __eq__(self, other) -> bool:
        return tuple(self) == tuple(other) if isinstance(other, (Steps, tuple)) else NotImplemented

    def __hash__(self) -> int:
        return hash((self.start, self.stop, self.step))

    def __repr__(self) -> str:
        return f"Steps({self.start!r}, {self.stop!r}, {self.step!r})"


@dataclass(frozen=True)
class ParameterSpace:
    """Axes of a sweep.  ``grid``: name → values (a tuple, or :class:`Steps` for a range axis);
    ``random``: name → distribution, drawn ``samples`` times from
    ``numpy.random.default_rng(seed)``.
    """

    grid: tuple[tuple[str, Sequence], ...] = ()
    random: tuple[tuple[str, Uniform | Choice], ...] = ()
    samples: int = 0
    seed: int = 0

    @property
    def names(self) -> list[str]:
        """Parameter names, grid axes first, in sweep-file order."""
        return [n for n, _ in self.grid] + [n for n, _ in self.random]

    def count(self) -> int:
        """How many parameter sets the space holds, computed without building any: the product
        of the axes' lengths times ``samples`` (random draws that repeat are run once, so the
        sweep may run fewer)."""
        n = 1
        for _, values in self.grid:
            n *= len(values)
        return n * (self.samples if self.random else 1)

    def shape(self) -> str:
        """The count as a product, e.g. ``grid 10,000 x range 10,000 x samples 1``."""
        parts = [f"{name} {len(values):,}" for name, values in self.grid]
        if self.random:
            parts.append(f"samples {self.samples:,}")
        return " x ".join(parts) or "1"

    def iter_draws(self) -> Iterator[dict[str, Value]]:
        """The ``samples`` random draws, one at a time (nothing when there are no random axes)."""
        if not self.random:
            return
        rng = np.random.default_rng(self.seed)
        for _ in range(self.samples):
            yield {name: dist.draw(rng) for name, dist in self.random}

    def draws(self) -> list[dict[str, Value]]:
        """The ``samples`` random draws (empty list when there are no random axes)."""
        return list(self.iter_draws())

    def iter_points(self) -> Iterator[dict[str, Value]]:
        """Every parameter set of the sweep, in a fixed order, without duplicates, one at a time:
        only the random draws of one grid point are remembered (to drop repeated draws)."""
        names = [n for n, _ in self.grid]
        for combo in itertools.product(*(v for _, v in self.grid)):
            point = dict(zip(names, combo))
            if not self.random:
                yield point
                continue
            seen: set[tuple] = set()
            for draw in self.iter_draws():
                ident = tuple((k, type(v).__name__, v) for k, v in draw.items())
                if ident not in seen:
                    seen.add(ident)
                    yield {**point, **draw}

    def points(self) -> list[dict[str, Value]]:
        """Every parameter set of the sweep, in a fixed order, without duplicates."""
        return list(self.iter_points())

    def __len__(self) -> int:
        return self.count()


def expand_range(start: float, stop: float, step: float) -> tuple[Value, ...]:
    """``start, start + step, …`` up to and including ``stop``, as a tuple (see :class:`Steps`)."""
    return tuple(Steps(start, stop, step))
