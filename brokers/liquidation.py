"""Forced liquidation: which futures are sold when a margin call is not met by its deadline.

Policies (``liquidation_policy`` of the broker):

* ``"largest_requirement"`` (default): contracts with the largest initial requirement per
  contract first (each one sold frees the most margin, so the fewest are sold), one contract at
  a time, until margin equity net of the liquidation's own costs covers the initial margin left;
* ``"all"``: every futures position;
* a callable ``policy(broker, day) -> {code: signed order size}``.

The orders fill at the deadline day's settlement plus slippage (forced orders, seen in
``notify_order`` with ``order.info["forced"] = True``).
"""

from __future__ import annotations

import datetime as dt

from ..data.contracts import Contract
from .account import Account

LIQUIDATION_POLICIES = ("largest_requirement", "all")


def check_policy(policy) -> None:
    if not callable(policy) and policy not in LIQUIDATION_POLICIES:
        raise ValueError(f"liquidation_policy must be one of {LIQUIDATION_POLICIES} or a callable")


def liquidation_plan(account: Account, day: dt.date, policy, broker=None) -> dict[str, int]:
    """Contracts to close (signed order sizes) so that equity covers initial margin."""
    if callable(policy):
        return dict(policy(broker, day))
    held = {c: fp.size for c, fp in account.futures.items() if fp.size}
    if policy == "all":
        return {c: -q for c, q in held.items()}
    plan: dict[str, int] = {}
    sizes = dict(held)
    costs = 0.0
    ranked = sorted(held, key=lambda c: -account.model.initial(Contract.parse(c).root, day))
    for code in ranked:
        c = Contract.parse(code)
        tick = float(c.spec.tick(day))
        per_contract = account.costs.futures_fee(1) + account.costs.futures_slippage_ticks * tick * c.spec.multiplier
        while sizes[code]:
            _, im = account.requirements(day, sizes)
            if account.margin_equity() - costs >= im:
                return plan
            step = -1 if sizes[code] > 0 else 1
            sizes[code] += step
            plan[code] = plan.get(code, 0) + step
            costs += per_contract
    return plan


def liquidation_prices(account: Account, plan: dict[str, int], day: dt.date) -> list[tuple[object, int, float]]:
    """(position, signed size, price in points) of each order of ``plan``: the day's settlement,
    else the position's last mark."""
    orders = []
    for code, q in plan.items():
        if not q:
            continue
        fp = account.futures[code]
        s = account.book.settle(fp.contract, day)
        orders.append((fp, q, s if s is not None else fp.mark))
    return orders
