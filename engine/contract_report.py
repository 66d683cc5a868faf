"""`ecore contract`: a contract's specification and delivery calendar, as a table or JSON."""

from __future__ import annotations

import json

from ..data.contracts import Contract
from ..data.prices import format_price


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
        "last_trading_day_rule": s.ltd_rule,
        "last_delivery_day_rule": s.last_delivery_rule,
        "deliverable": s.deliverable,
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
    # The rules and the deliverable grade are sentences: one paragraph per product, not columns.
    seen = set()
    for r in records:
        if r["root"] in seen:
            continue
        seen.add(r["root"])
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


def run(codes: list[str], as_json: bool) -> str:
    contracts = [Contract.parse(c) for c in codes]
    records = [contract_record(c) for c in contracts]
    if as_json:
        return json.dumps(records if len(records) > 1 else records[0], indent=2)
    return render_table(records)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "contract",
        help="print Treasury futures contract specifications and delivery dates",
        description="Print each contract's specification and key dates (first intention, first "
        "notice, last trading and last delivery day). Codes: ZNH25, ZNH5, 'ZN 202503', 'ZN MAR 25'.",
    )
    p.add_argument("codes", nargs="+", metavar="CODE")
    p.add_argument("--json", action="store_true", help="print JSON (ISO dates) instead of a table")
    p.set_defaults(func=lambda args: print(run(args.codes, args.json)) or 0)
