"""Orders that rest at the simulated gateway until a price (or the close, or their parent) moves
them: IB's native stops, trailing stops, limits, MOC/LOC, brackets and OCA groups.

What the gateway does, as IB documents it (TWS API "Basic Orders", "Bracket Orders", "One
Cancels All"):

* an order placed with ``transmit=False`` is held, unseen by the exchange, until an order of
  its bracket arrives with ``transmit=True``; then all go at once;
* a bracket child (``parentId``) is ``PreSubmitted`` until its parent fills, then
  ``Submitted`` (while it waits, its ``ocaGroup`` is reported as a number of IB's own, as
  ib_insync issue 606 shows); when the parent is cancelled its children are cancelled;
  children of one parent are one OCA group;
* orders of one ``ocaGroup``: when one fills (``ocaType`` 1, 2 or 3 alike here, whole fills),
  IB ends the others: status ``Cancelled`` then error 202, or (``oca_style = "inactive"``)
  error 201 "OCA order cancel" then status ``Inactive``; an order placed into a group that
  already filled is rejected (201 "OCA group is already filled", ``Inactive``);
* ``move_price(instrument, *prices)`` walks a price path: a stop (STP) triggers when the price
  reaches its ``auxPrice`` and fills at that price of the path; STP LMT becomes a limit at
  ``lmtPrice``; TRAIL keeps its stop ``auxPrice`` (amount) or ``trailingPercent`` behind the
  best price seen, resending the order with the new ``trailStopPrice``; TRAIL LIMIT's limit is
  ``lmtPriceOffset`` beyond the stop; LMT fills when the price is at or better than the limit;
* ``close_session([(instrument, close)...], now)``: MOC fills at the close, LOC at the close
  when the limit allows; DAY orders are cancelled (202), GTD ones whose ``goodTillDate``
  passed are cancelled (IB's expiry), GTC ones stay;
* ``restart()``: the gateway goes down and comes back (its daily restart): sockets close,
  held (untransmitted) orders are gone, transmitted GTC/GTD orders stay and are reported again
  by ``reqOpenOrders`` / ``reqAllOpenOrders`` to a client that reconnects.

Which orders rest: every order of a contingent type (STP, STP LMT, TRAIL, TRAIL LIMIT, MOC,
LOC), every bracket member (``parentId`` or ``transmit=False``) and OCA member of a group of
two or more; with ``price_driven = True`` also MKT (filled at once at the price) and LMT.  Any
other order runs the gateway's order script as before.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from .book import PlacedOrder

RESTING_TYPES = ("STP", "STP LMT", "TRAIL", "TRAIL LIMIT", "MOC", "LOC")
ACTIVE = ("PreSubmitted", "Submitted")
# How IB reports an OCA sibling it ends is not documented; both forms are reported by users:
# a cancellation (status Cancelled, then error 202 with an empty reason) or a rejection (error
# 201 "OCA order cancel", then status Inactive).  ``oca_style`` picks one.
OCA_TEXT = "Order Canceled - reason:"
OCA_REJECT = "Order rejected - reason:OCA order cancel"
# placing an order into a group one of whose orders already filled (reported by users)
OCA_FILLED = "Order rejected - reason:OCA group is already filled"


# What contract details list in ``orderTypes`` (a subset of IB's long lists): shares on
# NYSE/ARCA/NASDAQ take MOC and LOC; ecore assumes, as the fake's default, that CBOT Treasury
# futures do not (an instrument's ``order_types`` overrides it).
SHARE_ORDER_TYPES = "ACTIVETIM,GTC,GTD,LMT,LOC,MKT,MOC,OCA,STP,STP LMT,TRAIL,TRAIL LIMIT"
FUTURE_ORDER_TYPES = "ACTIVETIM,GTC,GTD,LMT,MKT,OCA,STP,STP LMT,TRAIL,TRAIL LIMIT"


def order_types_of(inst) -> str:
    """The ``orderTypes`` field of ``inst``'s contract details."""
    if getattr(inst, "order_types", ""):
        return inst.order_types
    return FUTURE_ORDER_TYPES if inst.secType == "FUT" else SHARE_ORDER_TYPES


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return None if abs(value) > 1e300 else value


def read_terms(order: PlacedOrder, f: list[str], version: int) -> None:
    """Fill in ``order``'s native terms from placeOrder fields ``f`` (server ``version``): the
    positions ib_async (178) and ib_insync (176) write them at."""
    shift = 0 if version >= 177 else 1  # faProfile sits before ocaType at 176
    order.auxPrice = _number(f[20])
    order.ocaGroup = f[22]
    order.transmit = f[27] not in ("0", "False", "")
    order.parentId = int(f[28] or 0)
    order.goodTillDate = f[38]
    order.ocaType = int(f[46 + shift] or 0)
    order.trailStopPrice = _number(f[68 + shift])
    order.trailingPercent = _number(f[69 + shift])
    order.lmtPriceOffset = _number(f[92 + shift])


def _good_till(text: str) -> dt.datetime | None:
    parts = text.split()
    if len(parts) < 2:
        return None
    zone = ZoneInfo({"US/Eastern": "America/New_York", "US/Central": "America/Chicago"}.get(
        parts[2] if len(parts) > 2 else "US/Eastern", "America/New_York"))
    return dt.datetime.strptime(f"{parts[0]} {parts[1]}", "%Y%m%d %H:%M:%S").replace(tzinfo=zone)


class Resting:
    """The resting-order behaviour of ``FakeGateway`` (a mixin; needs its state and senders)."""

    price_driven = False
    oca_style = "cancelled"  # or "inactive": how a sibling the group ends is reported

    def rests(self, order: PlacedOrder) -> bool:
        """True when the order waits at the gateway instead of running the order script."""
        if order.legs:
            return False
        if order.orderType in RESTING_TYPES or order.parentId or not order.transmit or \
                self.price_driven:
            return True
        return bool(order.ocaGroup) and any(o is not order and o.ocaGroup == order.ocaGroup
                                            for o in self.orders.values())

    def rest(self, order: PlacedOrder, conn) -> None:
        """Take a newly placed resting order: hold it, or send its bracket, or set it working."""
        order.held = not order.transmit
        if order.held:
            return  # TWS keeps it until its bracket is transmitted
        if order.ocaGroup and any(o.ocaGroup == order.ocaGroup and o.status == "Filled"
                                  for o in self.orders.values()):
            self._end_as_inactive(conn, order, OCA_FILLED)
            return
        bracket = [o for o in self.orders.values() if o.clientId == order.clientId and o.held
                   and (o.orderId == order.parentId or (order.parentId and
                                                        o.parentId == order.parentId))]
        for member in sorted(bracket, key=lambda o: o.orderId) + [order]:
            member.held = False
            parent = self._parent(member)
            member.status = "PreSubmitted" if parent is not None and \
                parent.status != "Filled" else "Submitted"
            if member.status == "PreSubmitted":
                # TWS reports a waiting child's OCA group as a number of its own, whatever was
                # sent, until the parent fills (ib_insync issue 606)
                member.oca_reported = str(parent.permId)
            self._send_open_order(conn, member)
            self._send_status(conn, member)
        for member in sorted(bracket, key=lambda o: o.orderId) + [order]:
            if member.status == "Submitted":
                self._evaluate(member, member.instrument.price, first=True)

    def _end_as_inactive(self, conn, order: PlacedOrder, text: str) -> None:
        """IB's 201 sequence: the error, then openOrder and orderStatus ``Inactive``."""
        if conn:
            conn.send(4, 2, order.orderId, 201, text, "")
        self._complete(order, "Inactive", "Rejected")
        self._send_open_order(conn, order)
        self._send_status(conn, order)

    def _parent(self, order: PlacedOrder) -> PlacedOrder | None:
        return self.orders.get((order.clientId, order.parentId)) if order.parentId else None

    def _children(self, order: PlacedOrder) -> list[PlacedOrder]:
        return [o for o in self.orders.values()
                if o.clientId == order.clientId and o.parentId == order.orderId]

    def on_complete(self, order: PlacedOrder) -> None:
        """IB's cascade when an order ends: a filled parent's children go live, a cancelled
        parent's children are cancelled, a filled OCA member's siblings are cancelled."""
        if order.status == "Filled":
            for child in self._children(order):
                if child.status == "PreSubmitted" and not getattr(child, "held", False):
                    child.status, child.oca_reported = "Submitted", ""
                    conn = self._conn_for(child.clientId)
                    self._send_open_order(conn, child)
                    self._send_status(conn, child)
            siblings = [o for o in self.orders.values() if o is not order and (
                (order.ocaGroup and o.ocaGroup == order.ocaGroup) or
                (order.parentId and o.clientId == order.clientId and
                 o.parentId == order.parentId))]
            for sibling in siblings:
                if self.oca_style == "inactive" and sibling.status in ACTIVE:
                    self._end_as_inactive(self._conn_for(sibling.clientId), sibling, OCA_REJECT)
                else:
                    self._cancel(self._conn_for(sibling.clientId), sibling, OCA_TEXT)
            for child in self._children(order):
                if child.status == "Submitted":
                    self._evaluate(child, child.instrument.price, first=True)
        elif order.status == "Cancelled":
            for child in self._children(order):
                self._cancel(self._conn_for(child.clientId), child)

    # -- the price path ---------------------------------------------------------------------------

    def move_price(self, inst, *prices: float) -> None:
        """Trade ``inst`` at each of ``prices`` in turn; resting orders trigger, trail, fill."""
        with self.lock:
            for price in prices:
                inst.price = float(price)
                for order in sorted(self.orders.values(), key=lambda o: o.permId):
                    if order.instrument is inst and order.status == "Submitted":
                        self._evaluate(order, float(price))

    def _evaluate(self, order: PlacedOrder, price: float, first: bool = False) -> None:
        buy = order.action == "BUY"
        kind = order.orderType
        lmt = _number(order.lmtPrice)
        if kind in ("MOC", "LOC"):
            return  # at the close only
        if kind in ("TRAIL", "TRAIL LIMIT"):
            self._trail(order, price, first)
            stop = order.trailStopPrice
            if not getattr(order, "triggered", False) and (price >= stop if buy else price <= stop):
                order.triggered = True
            if not getattr(order, "triggered", False):
                return
            if kind == "TRAIL":
                self._fill_at(order, price)
                return
            offset = order.lmtPriceOffset or 0.0
            lmt = stop + offset if buy else stop - offset
        elif kind in ("STP", "STP LMT"):
            if not getattr(order, "triggered", False):
                if not (price >= order.auxPrice if buy else price <= order.auxPrice):
                    return
                order.triggered = True
            if kind == "STP":
                self._fill_at(order, price)
                return
        elif kind == "MKT":
            self._fill_at(order, price)
            return
        if lmt is not None and (price <= lmt if buy else price >= lmt):
            self._fill_at(order, price)

    def _trail(self, order: PlacedOrder, price: float, first: bool) -> None:
        buy = order.action == "BUY"
        if order.trailingPercent:
            stop = price * (1 + order.trailingPercent / 100) if buy else \
                price * (1 - order.trailingPercent / 100)
        else:
            stop = price + order.auxPrice if buy else price - order.auxPrice
        current = order.trailStopPrice
        if current is None or (stop < current if buy else stop > current):
            if current is not None or first:
                order.trailStopPrice = stop
                conn = self._conn_for(order.clientId)
                self._send_open_order(conn, order)
                self._send_status(conn, order)
                self.trail_updates.append((order.orderRef, stop))

    def _fill_at(self, order: PlacedOrder, price: float) -> None:
        self._fill(self._conn_for(order.clientId), order, None, price)

    # -- the close, expiry, restart ---------------------------------------------------------------

    def close_session(self, closes=(), now: dt.datetime | None = None) -> None:
        """The session closes at ``closes`` ((instrument, price) pairs; others at their
        current price) at
        ``now`` (default the gateway's clock): MOC/LOC fill, DAY and expired GTD orders end."""
        now = now or self.now()
        with self.lock:
            for inst, price in closes:
                inst.price = float(price)
            for order in sorted(self.orders.values(), key=lambda o: o.permId):
                if order.status == "Submitted" and order.orderType in ("MOC", "LOC"):
                    lmt = _number(order.lmtPrice)
                    px = order.instrument.price
                    if order.orderType == "MOC" or (px <= lmt if order.action == "BUY"
                                                     else px >= lmt):
                        self._fill_at(order, px)
            for order in list(self.orders.values()):
                if order.status not in ACTIVE:
                    continue
                until = _good_till(order.goodTillDate) if order.tif == "GTD" else None
                if order.tif in ("DAY", "") or (until is not None and until <= now):
                    self._cancel(self._conn_for(order.clientId), order)
                    self.expired.append(order.orderRef)

    def restart(self) -> None:
        """The gateway restarts: clients are cut off, held orders and DAY orders are gone,
        GTC/GTD orders stay working."""
        with self.lock:
            self.drop_connections()
            for key, order in list(self.orders.items()):
                if getattr(order, "held", False):
                    del self.orders[key]
                elif order.status in ACTIVE and order.tif in ("DAY", ""):
                    self._complete(order, "Cancelled", "Cancelled by System")
