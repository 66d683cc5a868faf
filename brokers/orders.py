"""What an order trades, and the checks every order passes before it waits for a fill.

* ``order.info["contract"]`` (``strategy.buy(data=feed, size=1, contract="ZNM25")``) -> that
  contract;
* a data whose name parses as a contract code (``"ZNH25"``) -> that contract;
* a data with a ``held`` line (a root feed: contract month as a number, 202503) -> the held
  contract of the root named by the data;
* anything else -> shares of the data's symbol.

``FuturesCommInfo`` is what backtrader sizes futures orders with: one contract's notional, so
``order_target_value`` and ``order_target_percent`` on a futures feed size by notional exposure.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass

from backtrader.comminfo import CommInfoBase
from backtrader.order import BuyOrder, Order, SellOrder

from ..data.contracts import Contract, ContractError, spec


# Every backtrader order type but Historical (orders replayed from a log, not decided by a strategy).
TRADABLE = (Order.Market, Order.Close, Order.Limit, Order.Stop, Order.StopLimit, Order.StopTrail,
            Order.StopTrailLimit)


class OrderError(ValueError):
    """An order that cannot be accepted or filled; the message says why."""


@dataclass(frozen=True)
class Instrument:
    kind: str  # "future" or "share"
    name: str  # contract code or share symbol
    contract: Contract | None = None


class FuturesCommInfo(CommInfoBase):
    """Commission-info object handed to backtrader for futures feeds.

    ``get_margin(price)`` is the notional of one contract, so that ``order_target_value`` and
    ``order_target_percent`` on a futures feed size the position by notional exposure
    (``getvalue(datas=[feed])`` is the signed notional of that feed's contracts).
    """

    params = (("stocklike", False), ("commtype", CommInfoBase.COMM_FIXED))

    def get_margin(self, price):
        return abs(price) * self.p.mult

    def getvaluesize(self, size, price):
        return size * price * self.p.mult

    def getvalue(self, position, price):
        return position.size * price * self.p.mult


def share_comminfo() -> CommInfoBase:
    return CommInfoBase(stocklike=True, commtype=CommInfoBase.COMM_FIXED, commission=0.0, mult=1.0)


def is_root_feed(data) -> bool:
    """A feed that carries the held contract of a root (it has a ``held`` line)."""
    return hasattr(data, "lines") and "held" in data.lines.getlinealiases()


def data_kind(data) -> str:
    """``"future"`` for a root feed or a feed named by a contract code, else ``"share"``."""
    if is_root_feed(data):
        return "future"
    return "future" if _names_a_contract(getattr(data, "_name", "") or "") else "share"


@functools.lru_cache(maxsize=1024)
def _names_a_contract(name: str) -> bool:
    """Whether a feed name is a contract code (asked for every share feed every day: a failed
    parse raises, so the answer is kept)."""
    try:
        Contract.parse(name)
        return True
    except (ContractError, ValueError):
        return False


def root_of_data(data) -> str:
    """The futures root a feed trades ("ZN" for a feed named "ZN" or "ZNH25")."""
    name = getattr(data, "_name", "") or ""
    try:
        return Contract.parse(name).root
    except (ContractError, ValueError):
        return spec(name).root


def belongs(contract: Contract, data) -> bool:
    """True when ``contract`` is what the feed ``data`` trades (its contract, or any of its root's)."""
    name = getattr(data, "_name", "") or ""
    try:
        return Contract.parse(name) == contract
    except (ContractError, ValueError):
        pass
    try:
        return spec(name).root == contract.root
    except ContractError:
        return False


def resolve(order) -> Instrument:
    """The contract or share symbol ``order`` trades (see the module docstring)."""
    data = order.data
    code = order.info.get("contract", None) if hasattr(order.info, "get") else None
    if code is not None:
        try:
            c = code if isinstance(code, Contract) else Contract.parse(str(code))
        except (ContractError, ValueError) as exc:
            raise OrderError(f"unknown contract {code!r}: {exc}") from None
        return Instrument("future", c.code, c)
    name = getattr(data, "_name", "") or ""
    try:
        c = Contract.parse(name)
        return Instrument("future", c.code, c)
    except (ContractError, ValueError):
        pass
    if "held" in data.lines.getlinealiases():
        try:
            held = int(round(float(data.held[0])))
            c = Contract(spec(name).root, held // 100, held % 100)
        except (ContractError, ValueError, IndexError, TypeError) as exc:
            raise OrderError(f"cannot tell which contract feed {name!r} holds: {exc}") from None
        return Instrument("future", c.code, c)
    return Instrument("share", name or "share", None)


def validate(order, inst: Instrument, day: dt.date | None, book) -> None:
    """Checks that need no prices of the fill day: size, order type, contract known and trading."""
    size = order.size
    if size is None or size == 0 or not math.isfinite(size):
        raise OrderError(f"order size must be a non-zero number, got {size!r}")
    kind = order.exectype
    if kind not in TRADABLE:
        name = Order.ExecTypes[kind] if isinstance(kind, int) and 0 <= kind < len(Order.ExecTypes) else kind
        raise OrderError(f"unsupported order type {name}: a simulated broker trades "
                         f"{', '.join(Order.ExecTypes[k] for k in TRADABLE)}")
    if kind == Order.Limit and order.price is None:
        raise OrderError("limit order without a limit price")
    if kind in (Order.StopLimit, Order.StopTrailLimit) and order.created.pricelimit is None:
        raise OrderError(f"{Order.ExecTypes[kind]} order without a limit price (plimit=)")
    if inst.kind == "future":
        if abs(size - round(size)) > 1e-9:
            raise OrderError(f"fractional contract size {abs(size)!r}: futures trade in whole contracts")
        c = inst.contract
        if c not in book:
            raise OrderError(f"unknown contract {c.code}: no prices for it in the price book")
        if day is not None and day > c.last_trading_day():
            raise OrderError(f"{c.code} stopped trading on {c.last_trading_day().isoformat()} (last trading day)")


def forced_order(data, contract: Contract, size: int, reason: str, event: str):
    """A market order the broker itself places (liquidation, delivery guard), marked
    ``info["forced"] = True`` with its reason."""
    cls = BuyOrder if size > 0 else SellOrder
    order = cls(owner=None, data=data, size=abs(size), price=None, exectype=Order.Market)
    order.addinfo(forced=True, reason=reason, contract=contract.code, event=event)
    order.reason = reason
    order._ecore_inst = Instrument("future", contract.code, contract)
    if is_root_feed(data):
        order.tradeid = contract.code
    return order
