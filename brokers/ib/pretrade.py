"""The paper broker's pre-trade checks: what ``IBBroker`` refuses before an order goes to IB.

Before an order that adds risk is sent (or shown by a dry run), margin equity after it must
cover the initial margin of the resulting positions, as ``brokers/fills.py`` requires in a
backtest (the definitions live in ``margin_rules.py``); a refused order ends with status Margin,
is counted in ``refused`` and is never sent.

``PreTradeChecks`` is a mixin of ``IBBroker``.
"""

from __future__ import annotations

import collections
import logging

from .margin_rules import InitialCheck, model_initial

log = logging.getLogger(__name__)

__all__ = ["PreTradeChecks", "check_initial"]


def check_initial(broker, intent, price: float, day) -> InitialCheck | None:
    """The check ``MarginBroker``'s fills make, before ``broker`` (an ``IBBroker``) sends
    ``intent`` (an outright order of ``price`` dollars or points per unit): None when the order
    only reduces risk.  The resulting futures positions are IB's positions plus every order in
    motion (this decision's included, so a roll's sale counts before its purchase); a share
    purchase costs margin equity ``(1 - share_collateral) x`` its value, and the purchases this
    decision passed before it count as spent."""
    from ..positions import reduces
    from .contracts import futures_contract
    from .errors import RequestFailed

    moving: dict[str, float] = collections.defaultdict(float)
    for part in (broker._working, broker._moving):
        for k, v in part.items():
            moving[k] += v
    held = {k: v[0] for k, v in broker._positions.items()}
    old = held.get(intent.instrument, 0.0) + moving.get(intent.instrument, 0.0)
    if reduces(old, old + intent.signed_quantity):
        return None
    sizes = {k: held.get(k, 0.0) + moving.get(k, 0.0) for k in set(held) | set(moving)
             if futures_contract(k) is not None}
    if futures_contract(intent.instrument) is not None:
        sizes[intent.instrument] = old + intent.signed_quantity
    share_buy = futures_contract(intent.instrument) is None and intent.signed_quantity > 0
    spend = (1.0 - float(broker.p.share_collateral)) * intent.quantity * price if share_buy else 0.0
    # the share purchases this decision passed already count as spent (IB has not filled them)
    equity = broker.margin_equity() - broker._share_spend - spend
    if broker.p.margin_model is None:
        from ..margin import MarginModel

        broker.p.margin_model = MarginModel()  # the bundled schedule, as a backtest's default
    try:
        ours = model_initial(broker.p.margin_model, sizes, day)
    except (ValueError, KeyError) as exc:  # MarginError is a ValueError
        log.warning("ecore's margin model has no initial margin for %s: %s", sizes, exc)
        ours = None
    try:
        ib = broker.requirements({k: int(round(q)) for k, q in sizes.items()}, day)[1]
    except RequestFailed as exc:
        log.warning("no what-if margin for the check of %s: %s", intent.order_ref, exc)
        ib = None
    check = InitialCheck(equity, ours, ib)
    if check.passes:
        broker._share_spend += spend
    return check


class PreTradeChecks:
    """The pre-trade checks of ``IBBroker``; needs its state."""

    def _margin_refused(self, order, intent, price: float, day) -> bool:
        """The backtest's pre-trade initial-margin check (``check_initial``), in a dry run
        too: a refused order ends with status Margin and is counted in ``refused``."""
        check = check_initial(self, intent, price, day)
        note = check.note() if check is not None else ""
        if note and note not in self.margin_notes:
            self.margin_notes.append(note)
            log.info("%s", note)
        if check is None or check.passes:
            return False
        self.refused.append(f"{intent.instrument}: {check.reason()}")
        order.addinfo(reason=check.reason())
        order.margin()
        self.notifs.append(order.clone())
        return True
