"""What an order trades, told the way both brokers tell it, for code that sees orders it did not
place (the roll keeper netting open orders, the engine's record of fills).

In order: ``info["contract"]`` (``buy(data=feed, size=n, contract="ZNM25")``); the instrument the
IB broker resolved (``info["instrument"]``); a feed named by a contract code ("ZNH25"); a root
feed's contract on the bar the order was created (its ``held`` line then: an order placed the
day before a roll trades the old contract); else the feed's name (a share symbol).
"""

from __future__ import annotations

from ..data.contracts import Contract, ContractError, spec


def order_instrument(order) -> str:
    """The contract code ("ZNM25") or share symbol ("SPY") ``order`` trades."""
    info = order.info
    code = info.get("contract") or info.get("instrument")
    if code:
        return code if isinstance(code, str) else str(getattr(code, "code", code))
    data = order.data
    name = getattr(data, "_name", "") or ""
    try:
        return Contract.parse(name).code
    except (ContractError, ValueError):
        pass
    lines = data.lines
    if "held" in lines.getlinealiases():
        ago = order.plen - len(data)  # 0 on the bar the order was created
        held = int(round(float(lines.held[ago])))
        return Contract(spec(name).root, held // 100, held % 100).code
    return name
