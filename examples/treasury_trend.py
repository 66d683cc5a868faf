"""Time-series momentum on the six Treasury futures roots, volatility-targeted (plain backtrader)."""
import math

import backtrader as bt


class RollAdjustedReturn(bt.Indicator):
    """A root feed's daily return; across a roll, from the new contract's previous close."""
    lines = ("ret",)

    def __init__(self):
        self.addminperiod(2)

    def next(self):
        d = self.data
        previous = d.close[-1] if d.held[0] == d.held[-1] else d.next_close[-1]
        self.lines.ret[0] = d.close[0] / previous - 1.0


class TreasuryTrend(bt.Strategy):
    """Long each root whose return over `lookback` days is positive, short the others, each sized
    to an equal share of `target_vol`; trades when a position is `band` off its target."""
    instruments = ("ZT", "ZF", "ZN", "TN", "ZB", "UB")
    params = dict(lookback=252, vol_window=63, target_vol=0.10, band=0.25)

    def __init__(self):
        returns = {d: RollAdjustedReturn(d) for d in self.datas}
        self.trend = {d: bt.ind.SumN(r, period=self.p.lookback) for d, r in returns.items()}
        self.vol = {d: bt.ind.StdDev(r, period=self.p.vol_window) * math.sqrt(252) for d, r in returns.items()}

    def next(self):
        nav = self.broker.getvalue()
        for d in self.datas:
            if self.vol[d][0] <= 0:
                continue
            target = math.copysign(nav * self.p.target_vol / len(self.datas) / self.vol[d][0], self.trend[d][0])
            held = self.broker.getvalue(datas=[d])  # signed notional of the root's contracts
            if abs(target - held) > self.p.band * abs(target):
                self.order_target_value(data=d, target=target)
