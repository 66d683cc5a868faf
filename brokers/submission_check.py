"""``set_checksubmit(True)``: cash and margin reserved when orders are submitted, as backtrader does.

backtrader's ``BackBroker`` (``checksubmit=True``, its default) holds new orders as Submitted and,
at the start of the next bar, pseudo-executes them one after the other at their creation price
(``order.created.price``) against the cash left by the ones before: an order that would take cash
below zero is refused (status Margin) and the others are accepted.  Here the same walk is made
with ecore's money:

* shares: cash falls by ``size x price + commission`` for a purchase and rises by the proceeds
  less commission for a sale (a short sale's proceeds included, as backtrader counts them);
* futures: an order that does not only reduce a position must leave margin equity (less the
  cash the walk has spent so far) at or above the initial margin of the resulting positions.

Orders the walk accepts still pass ecore's checks again when they fill.
"""

from __future__ import annotations

import datetime as dt

from .account import Account
from .positions import reduces


def check_submitted(account: Account, orders: list, day: dt.date):
    """Yield ``(order, None)`` for each order accepted, ``(order, reason)`` for each refused, in
    order.  Lazily: the caller acts on each answer before the next order is walked, so an order
    no longer Submitted by then (a bracket leg cancelled with its refused parent) is skipped and
    takes no cash, as backtrader's walk skips children whose parent is gone."""
    cash = account.journal.cash
    spent = 0.0  # margin equity the walk has committed, dollars
    futures = account.held()
    shares: dict[str, float] = {}
    for order in orders:
        if order.status != order.Submitted:
            continue
        inst = order._ecore_inst
        price = float(order.created.price)
        size = float(order.size)
        comm = account.commission(order, size, price)
        if inst.kind == "share":
            old = shares.get(inst.name, account.size_of("share", inst.name))
            after = cash - size * price - comm
            if after < 0.0 and not reduces(old, old + size):
                yield (order, f"insufficient cash at submission: {'buying' if size > 0 else 'selling'} "
                                   f"{abs(size):g} {inst.name} at {price:g} needs ${size * price + comm:,.2f}, "
                                   f"cash left ${cash:,.2f}")
                continue
            cash = after
            # a purchase turns cash into shares, which back margin at share_collateral
            spent += size * price * (1.0 - account.share_collateral) + comm
            shares[inst.name] = old + size
            yield order, None
            continue
        old = futures.get(inst.name, 0)
        new = old + int(round(size))
        if not reduces(old, new):
            sizes = dict(futures)
            sizes[inst.name] = new
            _, im = account.requirements(day, sizes)
            equity = account.margin_equity() - max(spent, 0.0) - comm
            if equity < im:
                yield (order, f"margin at submission: equity ${equity:,.2f} < initial margin "
                                   f"${im:,.2f} of the resulting positions")
                continue
        futures[inst.name] = new
        spent += comm
        cash -= comm
        yield order, None
