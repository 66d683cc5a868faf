"""Which Interactive Brokers client library to use: ``ib_async`` when installed, else ``ib_insync``.

``ib_async`` is the maintained successor of ``ib_insync``; the two share the API this package
uses (``IB``, ``Stock``, ``Future``, ``Bag``, ``ComboLeg``, ``Order``, ``MarketOrder``,
``LimitOrder``, ``ExecutionFilter`` and the ``IB`` methods and events named in the session's
modules: ``brokers/ib/connection.py``, ``picture.py``, ``reconcile.py`` and ``orders.py``), so
code here is written only against that shared surface.
"""

from __future__ import annotations

import importlib
import types

SUPPORTED = ("ib_async", "ib_insync")


def client_library(name: str | None = None) -> types.ModuleType:
    """The client module: ``name`` if given (one of ``SUPPORTED``), else the first installed."""
    if name is not None:
        if name not in SUPPORTED:
            raise ValueError(f"client: {name!r} is not one of {', '.join(SUPPORTED)}")
        return importlib.import_module(name)
    for candidate in SUPPORTED:
        try:
            return importlib.import_module(candidate)
        except ImportError:
            continue
    raise ImportError("neither ib_async nor ib_insync is installed; pip install ib_async")
