"""Risk parity of equity shares and Treasury futures, on ecore's strategy base.

Each asset gets an equal share of a volatility budget: weight = target_vol / (assets x its own
annualised volatility), as a fraction of NAV; shares are fully paid (at most ``max_shares`` of
NAV), futures sized by notional and cut to keep their initial margin within ``margin_budget`` of
the cash that backs them.  Rebalanced when the month turns; the engine rolls the futures.
"""
import math

import backtrader as bt

from ecore.strategies import DailyReturn, Strategy


class RiskParity(Strategy):
    instruments = ("SPY", "ZN", "ZB")
    recorded_events = ("rebalance",)
    params = dict(target_vol=0.10, vol_window=63, max_shares=0.8, margin_budget=0.5)

    def __init__(self):
        super().__init__()
        self.vol = {d: bt.ind.StdDev(DailyReturn(d), period=self.p.vol_window) * math.sqrt(252)
                    for d in self.datas}
        self.month = None

    def next(self):
        month = (self.today().year, self.today().month)
        if self.replaying():  # paper trading: the history only warms the indicators up
            self.month = month
            return
        invested = any(self.getposition(d).size for d in self.datas)
        if (invested and month == self.month) or self.has_pending_orders():
            return
        self.month = month
        nav = self.broker.getvalue()
        weights = {d: self.p.target_vol / len(self.datas) / self.vol[d][0] for d in self.datas}
        futures = {d: self.held_contract(self.root_of(d)) for d in self.datas if self.root_of(d)}
        counts = self.within_margin({code: round(weights[d] * nav / (d.close[0] * self.multiplier(code)))
                                     for d, code in futures.items()})
        for d in self.datas:
            if d in futures:
                self.order_contract(futures[d], counts[futures[d]] - int(self.getposition(d).size), "rebalance")
            else:
                shares = math.floor(min(weights[d], self.p.max_shares) * nav / d.close[0])
                self.order_shares(d._name, shares - self.shares_held(d._name), "rebalance")
        self.record_event("rebalance", ", ".join(f"{d._name} {w:.0%}" for d, w in weights.items()))

    def within_margin(self, counts: dict) -> dict:
        """Contracts by code, scaled down when their initial margin (dollars) would exceed
        ``margin_budget`` of margin equity; unchanged where the broker applies its own (IB)."""
        requirements, equity = self.margin_requirements(counts), self.margin_equity()
        if requirements is None or equity is None or requirements[1] <= self.p.margin_budget * equity:
            return counts
        factor = max(self.p.margin_budget * equity, 0.0) / requirements[1]
        return {code: math.floor(n * factor) for code, n in counts.items()}
