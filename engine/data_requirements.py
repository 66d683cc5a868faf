"""What series a run needs, and from when to when: the input of the data-sufficiency check
(:mod:`ecore.engine.validation.sufficiency`).

:func:`run_requirements` is the one function that knows the pricing model.  Today's model
(``ecore.data.synthetic_futures``) prices each contract's representative cheapest-to-deliver
bond off the FRED constant-maturity curve, linearly between the two tenors around the bond's
remaining term, and carries it at the 3-month bill rate.  So a root needs every tenor around the
terms its bond goes through (from ``ctd_years`` minus a month, inside the delivery month, to
``ctd_years`` plus 0.75 years, where the coupon is fixed at listing), over the days the root is
traded; every fund feed needs its closes; and the run needs the short rate.  When the pricing
model changes, this function (and :func:`root_tenors`) is what points at the new model's needs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..data.contracts import spec
from ..data.loaders import tenor_years
from ..data.market import BUNDLED_DIR, SHORT_RATE_SERIES
from ..data.synthetic_futures import COUPON_EXTRA_YEARS, CURVE_SERIES
from .validation.sufficiency import DataInsufficient, SeriesRequirement

#: The tenors ecore's data sets carry (the bundled set, ``ecore data download``): the curve is
#: defined on them.  DGS3 is read when present (the curve then uses it) but not required.
MODEL_TENORS = ("DGS3MO", "DGS6MO", "DGS1", "DGS2", "DGS5", "DGS7", "DGS10", "DGS20", "DGS30")
#: Years of the bond's term inside the delivery month (the last trading day of a 2-year note
#: falls at the month's end).
DELIVERY_MONTH_YEARS = 1 / 12


def series_file(data_dir: Path | None, kind: str, name: str) -> str:
    """The file a series is read from (``.csv`` or ``.csv.gz``), for messages."""
    folder = Path(data_dir) if data_dir is not None else BUNDLED_DIR
    sub = folder / kind
    if kind == "closes" and not sub.is_dir() and (folder / "etf").is_dir():
        sub = folder / "etf"
    for ext in (".csv", ".csv.gz"):
        if (sub / f"{name}{ext}").exists():
            return str(sub / f"{name}{ext}")
    return str(sub / f"{name}.csv")


def data_folder_of(market) -> Path | None:
    """The folder a MarketData was read from (None: the bundled set)."""
    source = Path(str(market.source)).expanduser()
    return source if source.is_dir() else None


def root_tenors(root: str, available) -> list[str]:
    """The curve tenors the synthetic prices of ``root`` are interpolated from: the tenors around
    every term its representative bond goes through.  ``available``: the yields series of the
    data (an optional tenor such as DGS3 joins the grid when present)."""
    grid = sorted({*MODEL_TENORS, *(c for c in available if c in CURVE_SERIES)}, key=tenor_years)
    ctd = spec(root).ctd_years
    low, high = ctd - DELIVERY_MONTH_YEARS, ctd + COUPON_EXTRA_YEARS
    years = {c: tenor_years(c) for c in grid}
    below = [c for c in grid if years[c] <= low]
    above = [c for c in grid if years[c] >= high]
    inside = [c for c in grid if low < years[c] < high]
    return ([below[-1]] if below else []) + inside + ([above[0]] if above else [])


def run_requirements(plans, market, start: dt.date, end: dt.date, data_dir: Path | None,
                     params: dict | None = None) -> list[SeriesRequirement]:
    """Every series the runs of ``plans`` (feed plans of the strategy and the benchmark) need
    over ``start``..``end`` under today's pricing model (see the module text)."""
    from .instruments import CONTRACT, ROOT, SYMBOL

    params = params or {}
    spans: dict[tuple[str, str], list] = {}  # (kind, name) -> [first, last, users]

    def need(kind, name, first, last, user):
        span = spans.setdefault((kind, name), [first, last, []])
        span[0], span[1] = min(span[0], first), max(span[1], last)
        if user not in span[2]:
            span[2].append(user)

    need("yields", SHORT_RATE_SERIES, start, end, "short rate")
    available = list(market.yields.columns)
    for plan in plans:
        for f in plan.feeds:
            if f.kind == SYMBOL:
                need("closes", f.instrument, start, end, f"feed {f.name}")
                continue
            root = f.futures_root
            if f.kind == CONTRACT:
                from ..data.contracts import Contract

                c = Contract.parse(f.instrument)
                first, last = max(start, c.listing_day()), min(end, c.last_trading_day())
            else:
                traded_from = spec(root).launched
                unlaunched = plan.from_params and params.get("include_unlaunched", False)
                first, last = (start if unlaunched else max(start, traded_from)), end
            if first > last:
                continue
            tenors = root_tenors(root, available)
            ctd = spec(root).ctd_years
            if not tenors or tenor_years(tenors[0]) > ctd - DELIVERY_MONTH_YEARS \
                    or tenor_years(tenors[-1]) < ctd + COUPON_EXTRA_YEARS:
                raise DataInsufficient(
                    f"{Path(series_file(data_dir, 'yields', 'DGS10')).parent}: the synthetic {root} prices "
                    f"need yields around {ctd - DELIVERY_MONTH_YEARS:.1f} to {ctd + COUPON_EXTRA_YEARS:.1f} "
                    f"years from {first.isoformat()}; the data have only {', '.join(available) or 'none'}")
            for tenor in tenors:
                need("yields", tenor, first, last, root)
    return [SeriesRequirement(kind, name, series_file(data_dir, kind, name), first, last, _why(users))
            for (kind, name), (first, last, users) in spans.items()]


def _why(users: list[str]) -> str:
    """"the synthetic ZN and ZB prices and the short rate", for messages."""
    roots = [u for u in users if u != "short rate" and not u.startswith("feed ")]
    parts = []
    if roots:
        parts.append(f"the synthetic {_and(roots)} prices")
    if "short rate" in users:
        parts.append("the short rate (interest on cash, futures carry)")
    parts += [f"the {u}" for u in users if u.startswith("feed ")]
    return _and(parts)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
