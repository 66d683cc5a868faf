"""`ecore contract`: a contract's specification and delivery calendar, and with ``--basket`` its
deliverable issues (and on ``--date`` their prices, the cheapest to deliver and its implied repo
rate), as a table or JSON."""

from __future__ import annotations

import datetime as dt
import json

from ...data.contracts import Contract
from ...data.prices import format_price


def contract_record(contract: Contract) -> dict:
    """Specification and key dates of one contract; dates as ISO strings, money in dollars."""
    s = contract.spec
    dates = {k: v.isoformat() for k, v in contract.key_dates().items()}
    # The tick in force while the contract traded (ZT was 1/4 of a 32nd before 2019).
    tick = s.tick(contract.last_trading_day())
    return {
        "code": contract.code,
        "root": s.root,
        "name": s.name,
        "contract_month": contract.ib_contract_month,
        **dates,
        "listing_day": contract.listing_day().isoformat(),
        "face_value": s.face_value,
        "point_value": s.point_value,
        "tick_points": float(tick),
        "tick_32nds": f"{tick * 32}",
        "tick_value": float(tick * s.point_value),
        "calendar_spread_tick_points": float(s.calendar_spread_tick),
        "last_trading_day_rule": contract.ltd_rule,
        "last_delivery_day_rule": contract.last_delivery_rule,
        "deliverable": s.deliverable,
        "contract_grade": s.grade(contract.year, contract.month).describe(),
        "launched": s.launched.isoformat(),
        "synthetic_only": not contract.is_launched(),
        "ib_symbol": s.ib_symbol,
        "ib_exchange": s.ib_exchange,
        "ib_trading_class": s.ib_trading_class,
        "ib_local_symbol": contract.ib_local_symbol,
        "example_price": format_price(110 + 16.5 / 32 if tick < 1 / 32 else 110.5, s.root),
    }


_LABELS = [
    ("name", "Product"),
    ("contract_month", "Contract month"),
    ("listing_day", "Listed (3 quarters out)"),
    ("first_intention_day", "First intention day"),
    ("first_notice_day", "First notice day"),
    ("first_delivery_day", "First delivery day"),
    ("last_trading_day", "Last trading day"),
    ("last_delivery_day", "Last delivery day"),
    ("face_value", "Face value ($)"),
    ("point_value", "$ per 1.00 point"),
    ("tick_32nds", "Tick (32nds)"),
    ("tick_value", "Tick value ($)"),
    ("launched", "Product launched"),
    ("synthetic_only", "Before launch (synthetic only)"),
    ("ib_local_symbol", "IB localSymbol"),
    ("example_price", "Price format example"),
]


def render_table(records: list[dict]) -> str:
    """One column per contract, one row per fact."""
    header = ["", *[r["code"] for r in records]]
    rows = [header]
    for key, label in _LABELS:
        rows.append([label, *[_fmt(r[key]) for r in records]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    out = []
    for n, row in enumerate(rows):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    # The rules and the deliverable grade are sentences: one paragraph per product (and per rule
    # in force: old contracts may follow an earlier one), not columns.
    seen = set()
    for r in records:
        key = (r["root"], r["last_trading_day_rule"], r["last_delivery_day_rule"], r["contract_grade"])
        if key in seen:
            continue
        seen.add(key)
        out += [
            "",
            f"{r['root']} last trading day: {r['last_trading_day_rule']}; "
            f"last delivery day: {r['last_delivery_day_rule']}.",
            f"{r['root']} deliverable: {r['deliverable']}.",
        ]
    return "\n".join(out)


def _fmt(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def basket_record(contract: Contract, day: dt.date | None = None, data_dir=None) -> dict:
    """The deliverable issues of ``contract`` with their conversion factors; with ``day``, each
    one's price and yield on the fitted curve, the futures price it implies (forward / CF), its
    implied repo rate against the contract's settlement that day, and which is cheapest to
    deliver.  Rates and prices as decimals and points; dates as ISO strings."""
    from ...data.basket_pricer import basket_on
    from ...data.baskets import basket_with_dates, remaining_months
    from ...data.bond_dates import to_days
    from ...data.bond_math import cf_from_term, notional_coupon
    from ...data.market import load_market, market_securities
    from ...data.synthetic_futures import FuturesModel, book_from_model
    from ..errors import UserError

    if contract.last_trading_day() < contract.spec.launched:
        raise UserError(f"{contract.code}: {contract.root} was launched on {contract.spec.launched.isoformat()}, "
                        f"after this contract's last trading day ({contract.last_trading_day().isoformat()}): "
                        "it never traded and has no basket")
    if day is not None and day < max(contract.listing_day(), contract.spec.launched):
        listed = max(contract.listing_day(), contract.spec.launched)
        raise UserError(f"--date {day.isoformat()} is before {contract.code} was listed ({listed.isoformat()}): "
                        "it had no price that day")
    market = load_market(data_dir)
    head = {"code": contract.code, "contract_grade": contract.spec.grade(contract.year, contract.month).describe(),
            "securities_source": "bundled note/bond table" if market.securities is None else market.source}
    if day is None:
        sec = market_securities(market)
        sec = sec if sec.maturity_sorted else sec.by_maturity()
        idx, since = basket_with_dates(sec, contract)
        months = remaining_months(sec.maturity[idx], contract)
        cfs = cf_from_term(sec.coupon[idx], months // 12, months % 12, contract.spec.cf_rounds_to_quarter,
                           notional_coupon(contract.year, contract.month)) if len(idx) else []
        issues = [{"cusip": sec.cusip[i], "coupon": float(sec.coupon[i]), "maturity": _iso(sec.maturity[i]),
                   "issue": _iso(d), "kind": "Bond" if sec.is_bond[i] else "Note", "cf": float(cf)}
                  for i, d, cf in zip(idx, since, cfs)]
        if not issues:
            raise UserError(f"{contract.code}: no issue in the security table is deliverable (its contract grade: "
                            f"{head['contract_grade']})")
        return {**head, "issues": issues}
    if day > contract.last_trading_day():
        raise UserError(f"--date {day.isoformat()} is after {contract.code}'s last trading day "
                        f"({contract.last_trading_day().isoformat()})")
    model = FuturesModel(market, day, day)
    if model.first is None or model.first != day:
        span = FuturesModel(market, span_only=True)
        raise UserError(f"--date {day.isoformat()}: no yields that day (a business day from {span.first} to "
                        f"{span.last} is needed)")
    book = book_from_model(model, [contract.root], market.real_futures)
    settle = book.settle(contract, day)
    source = book.value(contract, day, "source") if settle is not None else "model (before listing)"
    rows = basket_on(model.market, contract, to_days([day])[0], settle)
    if rows.empty:
        raise UserError(f"{contract.code}: no issue in the security table is deliverable")
    issues = []
    for r in rows.to_dict("records"):
        issues.append({"cusip": r["cusip"], "coupon": float(r["coupon"]), "maturity": _iso(r["maturity"]),
                       "issue": _iso(r["issue"]), "issued": bool(r["issued"]), "cf": float(r["cf"]),
                       "clean": _num(r["clean"]), "yield": _num(r["yield"]), "delivery": _iso(r["delivery"]),
                       "converted": _num(r["converted"]), "implied_repo": _num(r["implied_repo"]),
                       "ctd": bool(r["ctd"])})
    ctd = next((i for i in issues if i["ctd"]), None)
    a = rows.attrs
    return {**head, "date": day.isoformat(), "futures_price": a["futures_price"], "price_source": source,
            "model_price": a["model_price"], "repo": a["repo"], "carry_rate": a["rate"],
            "implied_repo_spread": a["rate"] - a["repo"], "ctd": ctd["cusip"] if ctd else None,
            "ctd_implied_repo": ctd["implied_repo"] if ctd else None, "issues": issues}


def _iso(day) -> str:
    """ISO date of a day number or a numpy/pandas date."""
    import numpy as np

    if isinstance(day, (int, np.integer)):
        return str(np.datetime64(int(day), "D"))
    return str(np.datetime64(day, "D"))


def _num(x):
    x = float(x)
    return None if x != x else x  # NaN (not yet issued) -> null


def render_basket(rec: dict) -> str:
    """The basket as a table, with the day's cheapest to deliver and its implied repo rate."""
    dated = "date" in rec
    out = [f"{rec['code']} deliverable issues ({rec['contract_grade']}; {rec['securities_source']})"]
    if dated:
        out[0] = f"{rec['code']} deliverable issues on {rec['date']} ({rec['contract_grade']})"
    head = ["CUSIP", "coupon %", "maturity", "deliverable from", "CF"]
    if dated:
        head += ["clean", "yield %", "fwd/CF", "implied repo %", ""]
    rows = [head]
    for i in rec["issues"]:
        row = [i["cusip"], f"{i['coupon'] * 100:.3f}", i["maturity"], i["issue"], f"{i['cf']:.4f}"]
        if dated:
            fmt = lambda x, k, f: "-" if x is None else f.format(x * k)
            row += [fmt(i["clean"], 1, "{:.3f}"), fmt(i["yield"], 100, "{:.3f}"), fmt(i["converted"], 1, "{:.3f}"),
                    fmt(i["implied_repo"], 100, "{:.2f}"), "CTD" if i["ctd"] else ("not yet deliverable" if not i["issued"] else "")]
        rows.append(row)
    widths = [max(len(r[k]) for r in rows) for k in range(len(head))]
    for n, row in enumerate(rows):
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    if dated:
        out.append("")
        out.append(f"futures {rec['futures_price']:.4f} ({rec['price_source']}); model {rec['model_price']:.4f}")
        if rec["ctd"]:
            out.append(f"cheapest to deliver: {rec['ctd']}, implied repo {rec['ctd_implied_repo'] * 100:.2f} % "
                       f"(overnight repo {rec['repo'] * 100:.2f} %, model carry {rec['carry_rate'] * 100:.2f} %: "
                       f"implied-repo spread {rec['implied_repo_spread'] * 1e4:+.0f} bp)")
        else:
            out.append("no deliverable issue was issued yet: the model prices a stand-in")
    return "\n".join(out)


def run(codes: list[str], as_json: bool, basket: bool = False, date: str | None = None, data=None) -> str:
    from ..errors import UserError

    contracts = [Contract.parse(c) for c in codes]
    if date is not None and not basket:
        raise UserError("--date goes with --basket (the basket's prices on that day)")
    if basket:
        day = None
        if date is not None:
            try:
                day = dt.date.fromisoformat(date)
            except ValueError:
                raise UserError(f"--date must be a date YYYY-MM-DD, got {date!r}") from None
        records = [basket_record(c, day, data) for c in contracts]
        if as_json:
            return json.dumps(records if len(records) > 1 else records[0], indent=2)
        return "\n\n".join(render_basket(r) for r in records)
    records = [contract_record(c) for c in contracts]
    if as_json:
        return json.dumps(records if len(records) > 1 else records[0], indent=2)
    return render_table(records)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "contract",
        help="print Treasury futures contract specifications and delivery dates",
        description="Print each contract's specification and key dates (first intention, first "
        "notice, last trading and last delivery day), or with --basket its deliverable issues. Codes: "
        "ZNH25, ZNH5, 'ZN 202503', 'ZN MAR 25'.",
    )
    p.add_argument("codes", nargs="+", metavar="CODE")
    p.add_argument("--json", action="store_true", help="print JSON (ISO dates) instead of a table")
    p.add_argument("--basket", action="store_true",
                   help="list the deliverable issues with their conversion factors")
    p.add_argument("--date", metavar="YYYY-MM-DD",
                   help="with --basket: each issue's price that day, the cheapest to deliver and its implied repo rate")
    p.add_argument("--data", metavar="DIR", help="data folder for --basket (default: the bundled data set)")
    p.set_defaults(func=lambda args: print(run(args.codes, args.json, args.basket, args.date, args.data)) or 0)
