"""What series a run needs, and from when to when: the input of the data-sufficiency check
(:mod:`ecore.engine.validation.sufficiency`).

:func:`run_requirements` is the one function that knows the pricing model.  The model
(``ecore.data.synthetic_futures``) prices every security of a contract's deliverable basket on a
curve fitted through the FRED constant-maturity yields and carries it to delivery at overnight
repo; the cheapest to deliver sits near ``ctd_years`` of the contract table while yields are below
the 6 % notional coupon.  So a root needs every tenor around the terms its cheapest to deliver
goes through (from ``ctd_years`` minus a month, inside the delivery month, to ``ctd_years`` plus
the nine months a contract is priced before its delivery month) over the days the root is
traded, and the overnight rate that finances it (the effective fed funds rate before SOFR
starts on 2018-04-03, SOFR from then); every fund feed needs its closes; and the run needs the
short rate that pays interest on cash.  Tenors further out shape only the prices of dearer basket
securities, so a hole there cannot change the futures price much; they are not required.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ...data.contracts import spec
from ...data.loaders import tenor_years
from ...data.curve import CURVE_SERIES
from ...data.market import BUNDLED_DIR, SHORT_RATE_SERIES
from ...data.repo import FED_FUNDS, SOFR_START
from ..validation.sufficiency import DataInsufficient, SeriesRequirement

#: The tenors ecore's data sets carry (the bundled set, ``ecore data download``): the curve is
#: defined on them.  DGS3 is read when present (the curve then uses it) but not required.
MODEL_TENORS = ("DGS3MO", "DGS6MO", "DGS1", "DGS2", "DGS5", "DGS7", "DGS10", "DGS20", "DGS30")
#: Years of the bond's term inside the delivery month (the last trading day of a 2-year note
#: falls at the month's end).
DELIVERY_MONTH_YEARS = 1 / 12
#: Years a contract is priced before its delivery month (from its listing, about nine months):
#: the cheapest to deliver's term is then up to this much longer than at delivery.
PRICING_HORIZON_YEARS = 0.75


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
    low, high = ctd - DELIVERY_MONTH_YEARS, ctd + PRICING_HORIZON_YEARS
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
                from ...data.contracts import Contract

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
                    or tenor_years(tenors[-1]) < ctd + PRICING_HORIZON_YEARS:
                raise DataInsufficient(
                    f"{Path(series_file(data_dir, 'yields', 'DGS10')).parent}: the synthetic {root} prices "
                    f"need yields around {ctd - DELIVERY_MONTH_YEARS:.1f} to {ctd + PRICING_HORIZON_YEARS:.1f} "
                    f"years from {first.isoformat()}; the data have only {', '.join(available) or 'none'}")
            for tenor in tenors:
                need("yields", tenor, first, last, root)
            for name, a, b in financing_spans(market, first, last):
                need("rates", name, a, b, root)
    rates_dir = data_dir if getattr(market, "rates", None) is not None else None
    return [SeriesRequirement(kind, name, series_file(rates_dir if kind == "rates" else data_dir, kind, name),
                              first, last, _why(users, kind))
            for (kind, name), (first, last, users) in spans.items()]


def financing_spans(market, first: dt.date, last: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """(series, first, last) of the overnight rates that finance futures carry over
    ``first``..``last``: fed funds (DFF, else EFFR) before SOFR starts, SOFR from then; fed funds
    throughout when the data have no SOFR (as :func:`ecore.data.repo.financing_rate` does)."""
    from ...data.market import market_rates

    columns = set(market_rates(market).columns)
    fed_funds = next((c for c in FED_FUNDS if c in columns), FED_FUNDS[0])
    if "SOFR" not in columns:
        return [(fed_funds, first, last)]
    switch = dt.date.fromisoformat(SOFR_START)
    spans = []
    if first < switch:
        spans.append((fed_funds, first, min(last, switch - dt.timedelta(days=1))))
    if last >= switch:
        spans.append(("SOFR", max(first, switch), last))
    return spans


def _why(users: list[str], kind: str = "yields") -> str:
    """"the synthetic ZN and ZB prices and the short rate", for messages."""
    roots = [u for u in users if u != "short rate" and not u.startswith("feed ")]
    parts = []
    if roots:
        parts.append(f"the carry of the synthetic {_and(roots)} prices" if kind == "rates"
                     else f"the synthetic {_and(roots)} prices")
    if "short rate" in users:
        parts.append("the short rate (interest on cash)")
    parts += [f"the {u}" for u in users if u.startswith("feed ")]
    return _and(parts)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
