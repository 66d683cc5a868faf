"""The futures price book a ``MarginBroker()`` made without one uses: the bundled set's, built on
first use.

A shares-only run never asks for a futures price, so it never pays for the book (about 1.5 s and
50 MB to price every contract of every root); the first futures order, margin question or
settlement builds it once per process and every broker shares it.
"""

from __future__ import annotations

import datetime as dt
import threading

_lock = threading.Lock()
_built = None

#: The Treasury calendar starts in 1980: the book starts no earlier (a year of margin history).
EARLIEST = dt.date(1981, 1, 2)
#: Price history before the first close, for the margin model's volatility fallback.
HISTORY = dt.timedelta(days=400)


def bundled_book():
    """The bundled market's synthetic futures book (with its real rows), built once."""
    global _built
    with _lock:
        if _built is None:
            from ..data.market import load_market
            from ..data.synthetic_futures import build_price_book

            market = load_market()
            first = max(market.closes.index[0].date() - HISTORY, EARLIEST)
            _built = build_price_book(market, start=first)
        return _built


class LazyBook:
    """Stands for :func:`bundled_book` until a price is asked for."""

    def _book(self):
        return bundled_book()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._book(), name)

    def __contains__(self, item):
        return item in self._book()

    def __bool__(self):
        return True

    def __len__(self):
        return len(self._book())

    def __reduce__(self):  # pickled for optstrategy's worker processes: rebuilt there on use
        return (LazyBook, ())
