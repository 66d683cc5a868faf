import pytest
from hypothesis import given, settings, strategies as st

from ecore.data.contracts import SPECS
from ecore.data.prices import PriceError, format_price, parse_price, round_to_tick


@pytest.mark.parametrize(
    "text,points",
    [("110-16", 110.5), ("110-16+", 110 + 16.5 / 32), ("110'165", 110 + 16.5 / 32),
     ("109-082", 109 + 8.25 / 32), ("109-167", 109 + 16.75 / 32), ("103'216", 103 + 21.625 / 32),
     ("117'21", 117 + 21 / 32), ("99-00", 99.0), ("-0'105", -(10.5 / 32)), ("110.5", 110.5)],
)
def test_parse_cme_notation(text, points):
    assert parse_price(text) == points


@pytest.mark.parametrize(
    "points,root,text",
    [(110.5, "ZN", "110-160"), (110 + 16.5 / 32, "ZN", "110-165"), (117 + 21 / 32, "ZB", "117-21"),
     (103 + 21.625 / 32, "ZT", "103-216"), (109 + 8.25 / 32, "ZF", "109-082")],
)
def test_format_cme_notation(points, root, text):
    assert format_price(points, root) == text


def test_apostrophe_separator():
    assert format_price(110 + 16.5 / 32, "ZN", sep="'") == "110'165"


@pytest.mark.parametrize("bad", ["110-32", "110-16x", "110-164", "abc", "110--16", "110-1", ""])
def test_malformed_price_names_the_input(bad):
    with pytest.raises(PriceError) as e:
        parse_price(bad)
    assert repr(bad) in str(e.value)


def test_off_tick_price_cannot_be_formatted():
    with pytest.raises(PriceError, match="not a multiple of the tick"):
        format_price(110 + 1 / 64, "ZB")


def test_round_to_tick():
    assert round_to_tick(110.51, "ZB") == 110.5
    assert round_to_tick(110.51, "ZN") == 110.515625
    assert round_to_tick(110.001, "ZT") == 110.0


@settings(max_examples=400, deadline=None)
@given(root=st.sampled_from(sorted(SPECS)), data=st.data())
def test_every_tick_aligned_price_round_trips(root, data):
    tick = SPECS[root].tick()
    n = data.draw(st.integers(min_value=int(80 / tick), max_value=int(200 / tick)))
    price = float(n * tick)
    for sep in ("-", "'"):
        assert parse_price(format_price(price, root, sep=sep)) == price


@settings(max_examples=200, deadline=None)
@given(root=st.sampled_from(sorted(SPECS)), price=st.floats(min_value=80, max_value=200))
def test_rounded_prices_are_on_tick_and_within_half_a_tick(root, price):
    tick = float(SPECS[root].tick())
    r = round_to_tick(price, root)
    assert abs(r - price) <= tick / 2 + 1e-12
    assert parse_price(format_price(r, root)) == r
