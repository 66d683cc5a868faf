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
from dataclasses import dataclass

import numpy as np

Value = int | float | str | bool


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
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))


@dataclass(frozen=True)
class Choice:
    """One of ``values``, each equally likely."""

    values: tuple[Value, ...]

    def draw(self, rng: np.random.Generator) -> Value:
        return self.values[int(rng.integers(len(self.values)))]


@dataclass(frozen=True)
class ParameterSpace:
    """Axes of a sweep.  ``grid``: name → values (range axes are already expanded into it);
    ``random``: name → distribution, drawn ``samples`` times from ``numpy.random.default_rng(seed)``.
    """

    grid: tuple[tuple[str, tuple[Value, ...]], ...] = ()
    random: tuple[tuple[str, Uniform | Choice], ...] = ()
    samples: int = 0
    seed: int = 0

    @property
    def names(self) -> list[str]:
        """Parameter names, grid axes first, in sweep-file order."""
        return [n for n, _ in self.grid] + [n for n, _ in self.random]

    def draws(self) -> list[dict[str, Value]]:
        """The ``samples`` random draws (empty list when there are no random axes)."""
        if not self.random:
            return []
        rng = np.random.default_rng(self.seed)
        return [{name: dist.draw(rng) for name, dist in self.random} for _ in range(self.samples)]

    def points(self) -> list[dict[str, Value]]:
        """Every parameter set of the sweep, in a fixed order, without duplicates."""
        names = [n for n, _ in self.grid]
        product = [dict(zip(names, combo)) for combo in itertools.product(*(v for _, v in self.grid))]
        draws = self.draws() or [{}]
        out: list[dict[str, Value]] = []
        seen: set[tuple] = set()
        for point in product:
            for draw in draws:
                params = {**point, **draw}
                ident = tuple((k, type(v).__name__, v) for k, v in params.items())
                if ident not in seen:
                    seen.add(ident)
                    out.append(params)
        return out

    def __len__(self) -> int:
        return len(self.points())


def expand_range(start: float, stop: float, step: float) -> tuple[Value, ...]:
    """``start, start + step, …`` up to and including ``stop`` (to within a millionth of a step).

    Integers stay integers when all three are integers; floats are rounded to 12 decimals so that
    ``0.1 + 2 * 0.1`` reads ``0.3`` in the results table.
    """
    if step <= 0:
        raise ValueError(f"step must be positive, got {step}")
    if stop < start:
        raise ValueError(f"stop ({stop}) is below start ({start})")
    count = int(math.floor((stop - start) / step + 1e-6)) + 1
    if all(isinstance(x, int) and not isinstance(x, bool) for x in (start, stop, step)):
        return tuple(int(start + i * step) for i in range(count))
    return tuple(round(start + i * step, 12) for i in range(count))
