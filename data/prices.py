"""Treasury futures prices in points and 32nds (CME notation) and rounding to the tick.

CME writes a price as handle, separator (``-`` or ``'``) and 32nds: ``110-16`` is 110 16/32.
Finer ticks add one digit for the fraction of a 32nd (``0, 2, 5, 7`` for quarters;
``1, 3, 6, 8`` for the eighths of ZT and Z3N, each the truncated decimal), or a ``+`` for a half:
``110-165`` = ``110-16+`` = 110 16.5/32, ``109-082`` = 109 8.25/32, ``103'216`` = 103 21.625/32.
Prices are held as floats in points; every tick of these contracts is a binary fraction
(1/256 and coarser), so tick-aligned prices are exact in a float.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from fractions import Fraction

from .contracts import spec

# Fraction digit -> eighths of a 32nd.
_DIGIT_EIGHTHS = {"0": 0, "1": 1, "2": 2, "3": 3, "5": 4, "6": 5, "7": 6, "8": 7}
_EIGHTHS_DIGIT = {v: k for k, v in _DIGIT_EIGHTHS.items()}

_PRICE = re.compile(r"^(?P<sign>-)?(?P<handle>\d+)(?P<sep>[-'])(?P<ticks>\d{2})(?P<frac>\d|\+)?$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


class PriceError(ValueError):
    """A malformed or off-tick price."""


def parse_price(text: str) -> float:
    """Parse CME 32nds notation (or a plain decimal) to points.

    >>> parse_price("110-16+")
    110.515625
    """
    if not isinstance(text, str):
        raise PriceError(f"price must be text, got {text!r}")
    t = text.strip()
    if _DECIMAL.match(t):
        return float(t)
    m = _PRICE.match(t)
    if not m:
        raise PriceError(
            f"malformed price {text!r}: expected points and 32nds such as 110-16, 110-16+, "
            "110'165 or 109-082, or a decimal such as 110.5"
        )
    ticks = int(m.group("ticks"))
    if ticks >= 32:
        raise PriceError(f"malformed price {text!r}: {ticks} is not a number of 32nds (00-31)")
    frac = m.group("frac")
    if frac is None:
        eighths = 0
    elif frac == "+":
        eighths = 4
    elif frac in _DIGIT_EIGHTHS:
        eighths = _DIGIT_EIGHTHS[frac]
    else:
        raise PriceError(
            f"malformed price {text!r}: fraction digit {frac!r} is not one of 0,1,2,3,5,6,7,8 or +"
        )
    value = int(m.group("handle")) + (ticks * 8 + eighths) / 256
    return -value if m.group("sign") else value


def _tick_of(root_or_tick, on: dt.date | None) -> Fraction:
    if isinstance(root_or_tick, str):
        return spec(root_or_tick).tick(on)
    return Fraction(root_or_tick).limit_denominator(1 << 16)


def format_price(price: float, root_or_tick="ZN", on: dt.date | None = None, sep: str = "-") -> str:
    """Format ``price`` (points) in CME 32nds for a contract root (or an explicit tick in points).

    Contracts quoted in whole 32nds get two digits (``117-21``); finer ones always three
    (``110-160``, ``110-165``, ``103-216``).  An off-tick price is an error: round it first.
    """
    if sep not in ("-", "'"):
        raise PriceError(f"separator must be '-' or \"'\", got {sep!r}")
    tick = _tick_of(root_or_tick, on)
    if not math.isfinite(price):
        raise PriceError(f"price is not a finite number: {price!r}")
    exact = Fraction(price)
    if (exact / tick).denominator != 1:
        raise PriceError(f"price {price!r} is not a multiple of the tick {tick} (points)")
    sign = "-" if exact < 0 else ""
    exact = abs(exact)
    handle = math.floor(exact)
    eighths_total = (exact - handle) * 256  # eighths of a 32nd
    assert eighths_total.denominator == 1
    thirty_seconds, eighths = divmod(int(eighths_total), 8)
    if tick >= Fraction(1, 32):
        return f"{sign}{handle}{sep}{thirty_seconds:02d}"
    return f"{sign}{handle}{sep}{thirty_seconds:02d}{_EIGHTHS_DIGIT[eighths]}"


def round_to_tick(price: float, root_or_tick="ZN", on: dt.date | None = None) -> float:
    """Round ``price`` (points) to the nearest tick of the contract in force on ``on``.

    Halfway cases go to the even tick (Python's ``round``), so rounding is unbiased.
    """
    tick = _tick_of(root_or_tick, on)
    if not math.isfinite(price):
        raise PriceError(f"price is not a finite number: {price!r}")
    n = round(Fraction(price) / tick)
    return float(n * tick)
