"""The simulated broker's order book: waiting orders, validity, OCO groups and brackets.

It keeps backtrader's ``BackBroker`` bookkeeping, so that a strategy sees the same orders live and
die:

* **validity** (``valid=``): None is good till cancelled; ``Order.DAY`` (``timedelta(0)``) or
  ``0`` is a day order, good until the end of the bar's day (on daily bars it expires on the next
  bar, before it can trade, as in backtrader); a ``date`` or ``datetime`` is good till then; any
  other ``timedelta`` is counted from the bar the order was made on.  Expiry is checked before
  the order may trade, and the order is notified ``Expired``.  backtrader documents ``valid=0`` as
  a day order but its own broker never expires it; here it is a day order, as documented.
* **OCO** (``oco=other``): the order joins ``other``'s group; when one order of a group trades,
  is cancelled, expires or is refused, the group's other waiting orders are cancelled.
* **brackets** (``parent=``, ``transmit=False``; ``buy_bracket`` / ``sell_bracket``): children
  are held until an order of the family is sent with ``transmit=True``; then all are sent, the
  children inactive.  A child whose parent is not in the book (refused, cancelled) is rejected.
  When the parent trades, its children become active on the next bar (as in backtrader) and act
  as an OCO pair: when one trades the others are cancelled.  When the parent is cancelled,
  expires or is refused, its children are cancelled.

* **the roll**: a resting order on a root feed follows the position into the contract the feed
  holds (:func:`follow_roll`).

The book only keeps the links and hands back the orders to cancel, in backtrader's order; the
broker sends notifications, and :mod:`.triggers` decides trades.
"""

from __future__ import annotations

import collections
import datetime as dt

from backtrader.order import Order

from .orders import OrderError, is_root_feed, resolve


class OrderBook:
    """Waiting orders (``pending``, in submission order) and their OCO and bracket links."""

    def __init__(self):
        self.pending: list = []
        self._families: dict[int, list] = {}  # parent ref -> [parent, children...] (held or sent)
        self._group_of: dict[int, int] = {}  # order ref -> OCO group leader ref
        self._groups: dict[int, list[int]] = collections.defaultdict(list)
        self._to_activate: list = []

    # ------------------------------------------------------------------ links at submission ---
    def link_oco(self, order, oco) -> None:
        """Put ``order`` in ``oco``'s group (or a group of its own)."""
        if oco is None:
            leader = order.ref
        else:
            leader = self._group_of.get(oco.ref, oco.ref)
            self._group_of.setdefault(oco.ref, leader)
            if oco.ref not in self._groups[leader]:
                self._groups[leader].append(oco.ref)
        self._group_of[order.ref] = leader
        self._groups[leader].append(order.ref)

    def take(self, order) -> list | None:
        """Hold ``order`` with its family; the orders to send now (the whole family, parent first,
        when ``order.transmit``; else none), or None when its parent is not in the book."""
        pref = order.parent.ref if order.parent is not None else order.ref
        if pref != order.ref and pref not in self._families:
            return None
        family = self._families.setdefault(pref, [])
        family.append(order)
        if not order.transmit:
            return []
        return list(family)

    @staticmethod
    def day_order_valid(order) -> None:
        """backtrader's documented ``valid=0`` (a day order), which its Order leaves unset."""
        v = order.valid
        if v is not None and not isinstance(v, (dt.date, dt.timedelta)) and v == 0:
            end = dt.datetime.combine(order.data.datetime.date(0), dt.time(23, 59, 59, 9999))
            order.valid = order.data.date2num(end)

    # ------------------------------------------------------------------ the day ---------------
    def activate_waiting(self) -> None:
        """Children of parents that traded on an earlier bar may trade from now on."""
        for o in self._to_activate:
            o.activate()
        self._to_activate = []

    def add(self, order) -> None:
        self.pending.append(order)

    def remove(self, order) -> bool:
        try:
            self.pending.remove(order)
            return True
        except ValueError:
            return False

    def oco_siblings(self, order) -> list:
        """The waiting orders to cancel because ``order`` traded or ended (its group is closed)."""
        leader = self._group_of.get(order.ref)
        refs = self._groups.pop(leader, None) if leader is not None else None
        if not refs:
            return []
        out = [o for o in self.pending if o.ref in refs and o is not order]
        for o in out:
            self.pending.remove(o)
        return out

    def family_done(self, order, cancel: bool) -> list:
        """After ``order`` traded (``cancel`` False) or ended without trading (True): the family
        orders to cancel.  A parent that traded activates its children on the next bar."""
        pref = order.parent.ref if order.parent is not None else order.ref
        family = self._families.get(pref)
        if family is None:
            return []
        if cancel or order.ref != pref:
            del self._families[pref]
            return [o for o in family if o is not order]
        family.remove(order)
        self._to_activate.extend(family)
        return []

    def open_orders(self) -> list:
        return list(self.pending)

    def __contains__(self, order) -> bool:
        return order in self.pending

    def __iter__(self):
        return iter(list(self.pending))

    def __len__(self):
        return len(self.pending)


def is_resting(order) -> bool:
    """An order that waits for a price (not Market or Close)."""
    return order.exectype not in (None, Order.Market, Order.Close)


def follow_roll(order) -> None:
    """A resting order on a root feed (no ``contract=``) follows the feed to the contract it holds
    today, as the roll keeper moves the position it protects: its instrument, its
    ``info["contract"]`` (how records name it) and its per-contract ``tradeid``.  Market and Close
    orders keep the contract of the day they were made (the roll keeper counts them in)."""
    inst = order._ecore_inst
    follows = getattr(order, "_ecore_follows", None)
    if follows is None:
        follows = order._ecore_follows = inst.kind == "future" and is_resting(order) and \
            is_root_feed(order.data) and order.info.get("contract", None) is None
    if not follows or not len(order.data):
        return
    try:
        held = int(round(float(order.data.held[0])))
    except (ValueError, OverflowError):
        return  # no contract on this bar
    if held == inst.contract.year * 100 + inst.contract.month:
        return
    before = order.info.pop("contract", None)
    try:
        now = resolve(order)
    except OrderError:
        order.info["contract"] = before
        return
    order._ecore_inst = now
    order.info["contract"] = now.name
    if order.tradeid == inst.name:
        order.tradeid = now.name
