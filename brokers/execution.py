"""How backtrader's broker settings move fill prices: cheat-on-close, cheat-on-open, slippage.

* ``set_coc(True)``: a market order fills at the close of the bar it was created on (backtrader's
  ``order.created.pclose``), booked on the next bar;
* ``set_coo(True)`` (``Cerebro(cheat_on_open=True)``): a market order created in ``next_open``
  fills at that same bar's open; without it such an order waits for the next bar;
* ``set_slippage_perc(perc)`` / ``set_slippage_fixed(points)``, with ``slip_open``,
  ``slip_limit``, ``slip_match`` and ``slip_out`` as backtrader's ``BackBroker``: the price moves
  against the trader, capped at the bar's high (buys) or low (sells) unless ``slip_out``.  Once
  set, it replaces the CostModel's slippage for every order.

Shares only: futures fill at the day's settlement (or open), so cheat-on-close and cheat-on-open
refuse a futures order with a reason (never silently); slippage on a futures order is the
settings' full amount, not capped by a bar (the feed's bar need not be the contract traded).
"""

from __future__ import annotations

from dataclasses import dataclass

from backtrader.order import Order

from .commission import Commissions


@dataclass(frozen=True)
class Slippage:
    """backtrader's slippage settings; ``perc`` as a decimal (0.01 = 1%), ``fixed`` in price units."""

    perc: float = 0.0
    fixed: float = 0.0
    slip_open: bool = True
    slip_limit: bool = True
    slip_match: bool = True
    slip_out: bool = False

    @property
    def active(self) -> bool:
        return bool(self.perc or self.fixed)

    def apply(self, order, price: float, size: float, limit: bool = False) -> float | None:
        """The slipped price of a market order at ``price`` (BackBroker's ``_slip_up/_slip_down``
        with the bar's high/low as bounds; ``slip_open`` governs market orders); None when it
        falls outside the bar and neither ``slip_match`` nor ``slip_out`` allows it."""
        if not self.slip_open and not limit:
            return price
        data = order.data
        inst = getattr(order, "_ecore_inst", None)
        # A futures order fills at the settlement of the contract it trades, which a root feed's
        # bar need not carry: its slippage is not capped by the feed's high/low.
        capped = (inst is None or inst.kind == "share") and len(data)
        if size > 0:
            pslip = price * (1 + self.perc) if self.perc else price + self.fixed
            bound = float(data.high[0]) if capped else float("nan")
            if not bound == bound or pslip <= bound or self.slip_out:  # NaN: no high to cap it
                return pslip
        else:
            pslip = price * (1 - self.perc) if self.perc else price - self.fixed
            bound = float(data.low[0]) if capped else float("nan")
            if not bound == bound or pslip >= bound or self.slip_out:
                return pslip
        if self.slip_match or (limit and self.slip_limit):
            return bound
        return None  # the slipped price is outside the bar: no fill on this bar (backtrader)


class Execution:
    """The broker-API settings that change fills: ``coc``, ``coo``, ``slippage``, commissions."""

    def __init__(self):
        self.coc = False
        self.coo = False
        self.slippage = Slippage()
        self.commissions = Commissions()

    def cheat_price(self, order) -> float | None:
        """The price a share market order fills at under cheat-on-close (the creation bar's
        close) or cheat-on-open (the bar's open, on its creation bar); None when neither applies
        and the order trades under the trigger rule (:mod:`.triggers`)."""
        if order.exectype not in (None, Order.Market):
            return None
        if self.coc and order.info.get("coc", True):
            return float(order.created.pclose)
        if self.coo and created_this_bar(order):
            return float(order.data.open[0])
        return None

    def base_price(self, order, close: float) -> float:
        """Price a share order fills at before slippage: the cheat price (:meth:`cheat_price`)
        when one applies, else ``close``."""
        cheat = self.cheat_price(order)
        return close if cheat is None else cheat

    def commission(self, order, size: float, price: float) -> float | None:
        return self.commissions.commission(order.data, size, price)

    def fill_time(self, order) -> float:
        """When backtrader dates a fill: the creation bar's time for a cheat-on-close share
        order, else the current bar's."""
        if self.coc and order._ecore_inst.kind == "share" and order.exectype in (None, Order.Market) \
                and order.info.get("coc", True):
            return order.created.dt
        return order.data.datetime[0]


def reported_values(fill, kind: str) -> tuple[float, float]:
    """(closed value, opened value) of a fill in dollars as backtrader reports them: a closed part
    at its cost basis (the average entry price, found from the realised P&L), an opened part at
    the fill; shares signed (a short's value negative, backtrader's ``shortcash``), futures as
    notional (``FuturesCommInfo``)."""
    price, mult = fill.price, fill.mult
    basis = price + fill.pnl / (fill.closed * mult) if fill.closed else price
    if kind == "share":
        return -fill.closed * basis, fill.opened * price
    return abs(fill.closed) * basis * mult, abs(fill.opened) * price * mult


def created_this_bar(order) -> bool:
    """Whether ``order`` was created on its data's current bar (in ``next_open``)."""
    data = order.data
    return bool(len(data)) and data.datetime[0] <= order.created.dt
