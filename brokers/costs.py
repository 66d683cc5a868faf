"""Trading costs of the simulated broker: commissions and slippage.

Defaults look like a retail account at Interactive Brokers (values as of 2025-2026, [U] =
not confirmed against a current fee schedule; all configurable):

* Futures: IB "tiered" commission $0.85 per contract (<= 1,000 contracts a month) plus CBOT
  exchange fee (about $0.80 for a non-member on Treasury futures), clearing fee ($0.10) and NFA
  regulatory fee ($0.02): about $1.50-2.00 per contract per side; default **$1.85** [U].
* Shares: IB "fixed" pricing, **$0.005 per share**, minimum $1.00, maximum 1% of trade value.
* Slippage, futures: a market order pays half the bid/ask spread over the settlement price (about
  the mid); Treasury futures quote one tick wide, so **0.5 tick** by default.
* Slippage, shares: **2 basis points** of the price (half the spread of a liquid ETF plus a little
  impact) [U].
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class CostModel:
    futures_commission: float = 1.85  # dollars per contract per side
    share_commission: float = 0.005  # dollars per share
    share_min_commission: float = 1.00  # dollars per order
    share_max_commission_pct: float = 0.01  # of trade value
    futures_slippage_ticks: float = 0.5  # ticks per contract against the trader
    share_slippage_bps: float = 2.0  # basis points of price against the trader

    def __post_init__(self):
        for name in ("futures_commission", "share_commission", "share_min_commission",
                     "share_max_commission_pct", "futures_slippage_ticks", "share_slippage_bps"):
            if getattr(self, name) < 0:
                raise ValueError(f"CostModel.{name} must not be negative")

    @classmethod
    def zero(cls) -> "CostModel":
        """No commission and no slippage (tests and hand calculations)."""
        return cls(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)

    def futures_fee(self, contracts: float) -> float:
        return self.futures_commission * abs(contracts)

    def share_fee(self, shares: float, price: float) -> float:
        shares = abs(shares)
        if shares == 0 or self.share_commission == 0:
            return 0.0
        fee = max(self.share_commission * shares, self.share_min_commission)
        return min(fee, self.share_max_commission_pct * shares * price) if self.share_max_commission_pct else fee

    def slipped(self, price: float, size: float, tick: float | None = None) -> float:
        """``price`` after slippage against the trader of an order of ``size`` (signed): plus or
        minus ``futures_slippage_ticks`` ticks of ``tick`` points (futures), else
        ``share_slippage_bps`` basis points (shares)."""
        if tick is not None:
            return price + math.copysign(self.futures_slippage_ticks * tick, size)
        bps = self.share_slippage_bps / 1e4
        return price * (1 + bps) if size > 0 else price * (1 - bps)
