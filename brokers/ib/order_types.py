"""backtrader's order vocabulary as IB's native orders.

Each backtrader order maps to one IB order (IB's API docs, "Basic Orders" and "Bracket Orders"):

| backtrader        | IB ``orderType``  | prices                                               |
|-------------------|-------------------|------------------------------------------------------|
| Market            | MKT               |                                                      |
| Limit             | LMT               | ``lmtPrice`` = price                                 |
| Stop              | STP               | ``auxPrice`` = price (the trigger)                   |
| StopLimit         | STP LMT           | ``auxPrice`` = price, ``lmtPrice`` = plimit          |
| StopTrail         | TRAIL             | ``auxPrice`` = trailamount, or ``trailingPercent``   |
|                   |                   | = trailpercent x 100; price as ``trailStopPrice``    |
| StopTrailLimit    | TRAIL LIMIT       | as TRAIL, ``lmtPriceOffset`` = price - plimit        |
| Close             | MOC (LOC, priced) | only where IB lists it for the contract              |

``valid`` (backtrader's meaning): None is good till cancelled (``tif`` GTC), ``Order.DAY`` or 0
a day order (DAY), a date, datetime or timedelta good till that moment (GTD, ``goodTillDate`` in
New York time).  ``oco=`` puts the order in its partner's OCA group (``ocaGroup``, ``ocaType``
1: IB cancels the others when one fills), and every order that may be joined carries a group
named for its own orderRef: a one-member group is a plain order to IB.  A child (``parent=``)
carries its parent's ``parentId`` and ``transmit=False`` holds every order until the last of
the bracket is placed, as IB's bracket sample does; IB keeps children inactive
(``PreSubmitted``) until the parent fills, and cancels the other child when one fills.

``Close`` is offered per contract: IB's contract details list the order types its exchange
accepts (``orderTypes``); MOC/LOC are used only where that list holds them, otherwise the order
is refused naming the instrument.  (IB lists MOC for NYSE/ARCA-listed shares; for CBOT Treasury
futures ecore relies on the same list rather than on a table of its own.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import backtrader as bt

__all__ = ["describe_terms", "describe_ib_order", "oca_ended", "is_native_intent", "OrderTerms", "UnsupportedOrder", "MAPPED", "ib_terms",
           "tif_of", "ib_order", "oca_name", "CONTINGENT_TYPES"]

NEW_YORK = "US/Eastern"
# the IB order types that wait for a price (or the close) rather than trade at once: they never
# count as quantity "in motion" when the broker nets a target
CONTINGENT_TYPES = ("STP", "STP LMT", "TRAIL", "TRAIL LIMIT", "MOC", "LOC")
MAPPED = {bt.Order.Market: "MKT", bt.Order.Limit: "LMT", bt.Order.Stop: "STP",
          bt.Order.StopLimit: "STP LMT", bt.Order.StopTrail: "TRAIL",
          bt.Order.StopTrailLimit: "TRAIL LIMIT", bt.Order.Close: "MOC"}


class UnsupportedOrder(ValueError):
    """A backtrader order IB cannot take for this instrument (the text names it)."""


@dataclasses.dataclass(frozen=True)
class OrderTerms:
    """What an IB order carries beyond action, quantity, type and limit price.

    ``aux_price`` is a stop's trigger or a trailing stop's amount (points or $/share);
    ``trailing_percent`` in percent (5.0 = 5 %); ``trail_stop_price`` the trailing stop's first
    trigger; ``limit_offset`` a trailing stop-limit's distance from trigger to limit;
    ``good_till`` IB's ``goodTillDate`` text for GTD; ``parent_ref`` the orderRef of a bracket
    parent (its IB order id is found when sending)."""

    tif: str = "DAY"
    good_till: str = ""
    aux_price: float | None = None
    trailing_percent: float | None = None
    trail_stop_price: float | None = None
    limit_offset: float | None = None
    oca_group: str = ""
    oca_type: int = 0
    parent_ref: str = ""
    transmit: bool = True
    native: bool = False  # sent as itself (``native_orders.py``), never netted to a target

    def text(self) -> str:
        """The terms as the journal stores them (JSON)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_text(cls, text: str) -> "OrderTerms":
        return cls(**json.loads(text)) if text else cls()


def is_native_intent(intent) -> bool:
    """True for a journaled order sent as itself (a stop, bracket leg, OCO member, Close)."""
    return bool(intent.terms) and OrderTerms.from_text(intent.terms).native


def _describe(kind: str, aux, percent, offset, tif: str, good_till: str, parent: str) -> str:
    parts = []
    if kind in ("STP", "STP LMT") and aux is not None:
        parts.append(f"stop {aux:g}")
    if kind in ("TRAIL", "TRAIL LIMIT"):
        parts.append(f"trail {percent:g}%" if percent else f"trail {aux:g}")
    if offset is not None and kind == "TRAIL LIMIT":
        parts.append(f"limit offset {offset:g}")
    if tif and tif != "DAY":
        parts.append(f"{tif} {good_till}".strip())
    if parent:
        parts.append(f"child of {parent}")
    return "".join(f" {p}" for p in parts)


def describe_terms(intent) -> str:
    """What a journaled order carries beyond type and limit, for a line of text
    (" stop 550 GTC", " trail 5% child of ecore-..."); "" for a plain day order."""
    if not intent.terms:
        return ""
    t = OrderTerms.from_text(intent.terms)
    return _describe(intent.order_type, t.aux_price, t.trailing_percent, t.limit_offset, t.tif,
                     t.good_till, t.parent_ref)


def describe_ib_order(order) -> str:
    """The same for a client library's ``Order`` as IB reports it."""
    def number(x):
        return x if isinstance(x, (int, float)) and abs(x) < 1e300 else None

    parent = f"order {order.parentId}" if getattr(order, "parentId", 0) else ""
    return _describe(order.orderType, number(order.auxPrice), number(order.trailingPercent),
                     number(getattr(order, "lmtPriceOffset", None)), order.tif,
                     order.goodTillDate, parent)


def oca_ended(journal, entry) -> bool:
    """True when ``entry`` (a journal entry of ours) belongs to an OCA group or bracket one of
    whose other members has filled: IB ending it then is the group at work (reported by IB
    either as a cancellation or as a 201 rejection with status Inactive), not a refusal."""
    terms = OrderTerms.from_text(entry.intent.terms)
    if not terms.oca_group and not terms.parent_ref:
        return False
    ref = entry.intent.order_ref
    for other in journal.entries(instrument=entry.intent.instrument):
        have = OrderTerms.from_text(other.intent.terms)
        if other.intent.order_ref == ref or not journal.filled(other.intent.order_ref):
            continue
        if (terms.oca_group and have.oca_group == terms.oca_group) or \
                (terms.parent_ref and have.parent_ref == terms.parent_ref):
            return True
    return False


def oca_name(order_ref: str) -> str:
    """The OCA group of an order that others may join (``oco=``)."""
    return f"oca-{order_ref}"


def tif_of(order, valid_given) -> tuple[str, str]:
    """(``tif``, ``goodTillDate``) of a backtrader order created with ``valid=valid_given``."""
    if valid_given is None:
        return "GTC", ""
    if isinstance(valid_given, dt.timedelta) and valid_given == bt.Order.DAY or \
            (isinstance(valid_given, (int, float)) and not valid_given):
        return "DAY", ""
    if isinstance(valid_given, (int, float)):
        until = bt.num2date(order.data.datetime[0] + valid_given)
    else:
        until = bt.num2date(order.valid)  # backtrader converted date/datetime/timedelta
    return "GTD", f"{until:%Y%m%d %H:%M:%S} {NEW_YORK}"


def ib_terms(order, valid_given, offered: set[str] | None, instrument: str
             ) -> tuple[str, float | None, OrderTerms]:
    """(IB ``orderType``, limit price or None, ``OrderTerms``) of backtrader ``order``; raises
    ``UnsupportedOrder`` naming the instrument.  ``offered``: the order types IB lists for the
    contract (None when unknown: only Close depends on it)."""
    exectype = order.exectype if order.exectype is not None else bt.Order.Market
    kind = MAPPED.get(exectype)
    if kind is None:
        raise UnsupportedOrder(f"{instrument}: backtrader order type {exectype!r} has no IB "
                               "equivalent")
    # a market order trades at once: its validity is moot, and IB's presets expect DAY
    tif, good_till = tif_of(order, valid_given) if kind != "MKT" else ("DAY", "")
    price = float(order.price) if order.price is not None else None
    plimit = float(order.pricelimit) if order.pricelimit is not None else None
    terms: dict = {"tif": tif, "good_till": good_till}
    limit = None
    if kind == "LMT":
        limit = price
    elif kind == "STP":
        terms["aux_price"] = price
    elif kind == "STP LMT":
        terms["aux_price"], limit = price, plimit if plimit is not None else price
    elif kind in ("TRAIL", "TRAIL LIMIT"):
        amount, percent = order.trailamount, order.trailpercent
        if not amount and not percent:
            raise UnsupportedOrder(f"{instrument}: a trailing stop needs trailamount or "
                                   "trailpercent")
        if percent:
            terms["trailing_percent"] = float(percent) * 100.0  # backtrader: 0.05 = 5 %
        else:
            terms["aux_price"] = float(amount)
        if price is not None:
            terms["trail_stop_price"] = price
        if kind == "TRAIL LIMIT":
            if price is None or plimit is None:
                raise UnsupportedOrder(f"{instrument}: a trailing stop-limit needs price and "
                                       "plimit")
            terms["limit_offset"] = abs(price - plimit)
    elif kind == "MOC":
        if price is not None:
            kind, limit = "LOC", price
        if offered is not None and kind not in offered:
            listed = ", ".join(sorted(offered)) or "none"
            raise UnsupportedOrder(
                f"{instrument}: a Close order needs IB's {kind}, which IB does not offer for "
                f"{instrument} (its order types: {listed}); nothing sent")
        terms["tif"], terms["good_till"] = "DAY", ""  # IB: MOC/LOC are day orders
    return kind, limit, OrderTerms(**terms)


def ib_order(lib, intent, account: str, parent_id: int = 0):
    """The client library's ``Order`` for ``intent`` (a ``journal.OrderIntent``) of any type."""
    terms = OrderTerms.from_text(intent.terms)
    order = lib.Order(action=intent.action, totalQuantity=intent.quantity,
                      orderType=intent.order_type, orderRef=intent.order_ref, account=account,
                      tif=terms.tif, transmit=terms.transmit)
    if intent.limit_price is not None:
        order.lmtPrice = intent.limit_price
    if terms.aux_price is not None:
        order.auxPrice = terms.aux_price
    if terms.trailing_percent is not None:
        order.trailingPercent = terms.trailing_percent
    if terms.trail_stop_price is not None:
        order.trailStopPrice = terms.trail_stop_price
    if terms.limit_offset is not None:
        order.lmtPriceOffset = terms.limit_offset
    if terms.good_till:
        order.goodTillDate = terms.good_till
    if terms.oca_group:
        order.ocaGroup, order.ocaType = terms.oca_group, terms.oca_type or 1
    if parent_id:
        order.parentId = parent_id
    return order
