"""What the simulated gateway holds: the contracts it knows, the orders placed with it and the
executions it made."""

from __future__ import annotations

import dataclasses
import datetime as dt


@dataclasses.dataclass
class Instrument:
    """One contract the gateway knows: what ``reqContractDetails`` returns for it."""

    conId: int
    symbol: str
    secType: str
    exchange: str
    currency: str = "USD"
    lastTradeDate: str = ""  # YYYYMMDD for futures and options
    multiplier: str = ""
    localSymbol: str = ""
    tradingClass: str = ""
    primaryExchange: str = ""
    price: float = 100.0
    bars: list = dataclasses.field(default_factory=list)  # (YYYYMMDD, o, h, l, c, volume)
    strike: float = 0.0
    right: str = ""
    init_margin: float | None = None  # dollars per contract/share (what-if answers)
    maint_margin: float | None = None
    order_types: str = ""  # contract details' ``orderTypes``; "" = ``resting.order_types_of``

    def wire(self) -> list:
        """The 11 contract fields of openOrder/execDetails/position (no primaryExchange)."""
        return [self.conId, self.symbol, self.secType, self.lastTradeDate, self.strike,
                self.right, self.multiplier, self.exchange, self.currency, self.localSymbol,
                self.tradingClass]

    def margins(self) -> tuple[float, float]:
        """(initial, maintenance) margin in dollars of one contract or share."""
        if self.init_margin is not None:
            return self.init_margin, self.maint_margin if self.maint_margin is not None else \
                self.init_margin * 0.9
        if self.secType == "FUT":
            return 2_000.0, 1_800.0
        return 0.25 * self.price, 0.25 * self.price


@dataclasses.dataclass
class PlacedOrder:
    """An order as the client sent it, with the gateway's bookkeeping."""

    orderId: int
    clientId: int
    permId: int
    instrument: Instrument
    action: str
    totalQuantity: float
    orderType: str
    lmtPrice: str
    tif: str
    account: str
    orderRef: str
    legs: list  # for BAG: [(conId, ratio, action)]
    filled: float = 0.0
    avgFillPrice: float = 0.0
    status: str = "PendingSubmit"
    completed_at: dt.datetime | None = None
    completed_status: str = ""
    why_held: str = ""  # IB's whyHeld of the order's status ("locate": shares being located)
    # IB's native terms (``resting.read_terms``): stops, trailing stops, brackets, OCA, GTD
    auxPrice: float | None = None
    ocaGroup: str = ""
    ocaType: int = 0
    parentId: int = 0
    transmit: bool = True
    goodTillDate: str = ""
    trailStopPrice: float | None = None
    trailingPercent: float | None = None
    lmtPriceOffset: float | None = None
    held: bool = False  # placed with transmit=False, waiting for its bracket
    oca_reported: str = ""  # the ocaGroup IB reports when it differs from the one sent
    triggered: bool = False  # a stop whose trigger was reached

    @property
    def remaining(self) -> float:
        return self.totalQuantity - self.filled


@dataclasses.dataclass
class ExecutionRecord:
    orderId: int
    clientId: int
    permId: int
    instrument: Instrument
    execId: str
    at: dt.datetime  # the gateway's local time of the execution
    side: str
    shares: float
    price: float
    cumQty: float
    avgPrice: float
    orderRef: str
    commission: float
    commission_sent: bool = False
    account: str = ""  # the order's account ("" = the login's first)

    @property
    def time(self) -> str:
        # IB's format: two spaces, no zone (the gateway's login time zone)
        return self.at.strftime("%Y%m%d  %H:%M:%S")
