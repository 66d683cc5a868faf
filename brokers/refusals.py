"""Why an order was refused, in a word a reader can count: the category of a refusal.

The broker sets ``order.info["refusal"]`` with the order's reason (``order.info["reason"]``);
a run's summary counts refusals by category ("12 orders rejected: margin 10, short sale 2").
"""

from __future__ import annotations

MARGIN = "margin"
CASH = "cash"
SHORT_SALE = "short sale"
ORDER_TYPE = "order type"
DELIVERY = "delivery window"
EXPIRED_CONTRACT = "contract expired"
INVALID = "invalid order"
NO_PRICE = "no price"

CATEGORIES = (MARGIN, CASH, SHORT_SALE, ORDER_TYPE, DELIVERY, EXPIRED_CONTRACT, NO_PRICE, INVALID)


def category(reason: str, status: str = "rejected") -> str:
    """The category of a refusal from its reason text and status ("margin" or "rejected")."""
    text = (reason or "").lower()
    if "short sale" in text:
        return SHORT_SALE
    if "insufficient cash" in text:
        return CASH
    if "unsupported order type" in text or "cheat-on-close" in text:
        return ORDER_TYPE
    if "delivery window" in text:
        return DELIVERY
    if "stopped trading" in text:
        return EXPIRED_CONTRACT
    if "no settlement" in text or "no usable close" in text or "no prices" in text:
        return NO_PRICE
    if status == "margin" or "margin" in text:
        return MARGIN
    return INVALID
