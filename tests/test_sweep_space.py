"""The parameter space of a sweep: grid products, inclusive ranges, seeded random draws."""

import pytest

from ecore.engine.sweep.space import Choice, ParameterSpace, Uniform, expand_range


def test_grid_is_the_cartesian_product_with_the_first_axis_slowest():
    space = ParameterSpace(grid=(("a", (1, 2)), ("b", ("x", "y", "z"))))
    assert space.points() == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 1, "b": "z"},
        {"a": 2, "b": "x"}, {"a": 2, "b": "y"}, {"a": 2, "b": "z"},
    ]


def test_range_includes_its_stop_and_reads_as_decimal_numbers():
    assert expand_range(0.1, 0.5, 0.1) == (0.1, 0.2, 0.3, 0.4, 0.5)


def test_integer_range_stays_integer():
    assert expand_range(3, 9, 2) == (3, 5, 7, 9)


def test_range_with_a_step_that_does_not_reach_stop_ends_below_it():
    assert expand_range(0, 1.0, 0.3) == (0.0, 0.3, 0.6, 0.9)


@pytest.mark.parametrize("start, stop, step", [(0, 1, 0), (0, 1, -0.1), (1, 0, 0.1)])
def test_range_rejects_a_step_or_bounds_that_never_end(start, stop, step):
    with pytest.raises(ValueError):
        expand_range(start, stop, step)


def test_random_draws_are_the_same_for_the_same_seed_and_differ_for_another():
    dists = (("w", Uniform(0.5, 1.0)), ("n", Uniform(3, 8, integer=True)))
    a = ParameterSpace(random=dists, samples=10, seed=42).points()
    b = ParameterSpace(random=dists, samples=10, seed=42).points()
    c = ParameterSpace(random=dists, samples=10, seed=43).points()
    assert a == b and a != c and len(a) == 10


def test_random_draws_stay_within_their_bounds_and_kinds():
    space = ParameterSpace(random=(
        ("u", Uniform(0.5, 1.0)), ("i", Uniform(3, 8, integer=True)), ("g", Uniform(0.01, 1.0, log=True)),
        ("c", Choice(("SPY", "VOO"))),
    ), samples=200, seed=1)
    points = space.points()
    assert all(0.5 <= p["u"] <= 1.0 and isinstance(p["u"], float) for p in points)
    assert {p["i"] for p in points} == {3, 4, 5, 6, 7, 8}
    assert all(0.01 <= p["g"] <= 1.0 for p in points)
    assert {p["c"] for p in points} == {"SPY", "VOO"}


def test_each_grid_point_is_combined_with_every_random_draw():
    space = ParameterSpace(grid=(("a", (1, 2, 3)),), random=(("u", Uniform(0, 1)),), samples=4, seed=0)
    points = space.points()
    assert len(points) == 12
    assert [p["u"] for p in points[:4]] == [p["u"] for p in points[4:8]]


def test_duplicate_parameter_sets_run_once():
    space = ParameterSpace(random=(("c", Choice((1, 2))),), samples=30, seed=0)
    assert sorted(p["c"] for p in space.points()) == [1, 2]
