"""Plain backtrader strategies as a user writes them: nothing here is imported from ecore.

The tests run them with ``ecore backtest --strategy user_strategies.NAME``, in sweeps and on the
fake IB gateway, to check that any backtrader strategy gets the engine's feeds, rolls and reports.
"""

import backtrader as bt


class BuyAndHoldFive(bt.Strategy):
    """Buys ``contracts`` through the ZN root feed and ``shares`` of SPY on the first day, then
    holds them: the engine must roll the futures every quarter."""

    params = (("contracts", 5), ("shares", 1000))

    def __init__(self):
        self.bought = False

    def next(self):
        if not self.bought:
            self.buy(data=self.getdatabyname("ZN"), size=self.p.contracts)
            self.buy(data=self.getdatabyname("SPY"), size=self.p.shares)
            self.bought = True


class TargetWeights(bt.Strategy):
    """Every day, ``order_target_percent`` to ``weights`` ({feed name: fraction of NAV}; futures
    by notional)."""

    params = (("weights", {"SPY": 0.6, "ZN": 1.0}),)

    def next(self):
        for name, weight in self.p.weights.items():
            self.order_target_percent(data=self.getdatabyname(name), target=weight)


class TutorialCross(bt.Strategy):
    """The backtrader tutorial on the first feed: SMA crossover, ``self.order`` bookkeeping in
    ``notify_order``, closed trades collected in ``notify_trade``, ``self.close()`` to exit."""

    params = (("fast", 10), ("slow", 50), ("size", 2))

    def __init__(self):
        self.order = None
        self.cross = bt.ind.CrossOver(bt.ind.SMA(self.data.close, period=self.p.fast),
                                      bt.ind.SMA(self.data.close, period=self.p.slow))
        self.first_next = None
        self.closed = []  # (contract or symbol traded, pnl before commission)
        self.statuses = []

    def notify_order(self, order):
        if order.status in (order.Submitted, order.Accepted):
            return
        self.statuses.append(order.getstatusname())
        self.order = None

    def notify_trade(self, trade):
        if trade.isclosed:
            self.closed.append((trade.tradeid, trade.pnl))

    def next(self):
        if self.first_next is None:
            self.first_next = self.data.datetime.date(0)
        if self.order:
            return
        if not self.position:
            if self.cross > 0:
                self.order = self.buy(size=self.p.size)
        elif self.cross < 0:
            self.order = self.close()


class RestingLimit(bt.Strategy):
    """Buys 3 ZN at the market and leaves a buy limit far below the market working for ever."""

    def __init__(self):
        self.placed = False

    def next(self):
        if not self.placed:
            zn = self.getdatabyname("ZN")
            self.buy(data=zn, size=3)
            self.buy(data=zn, size=1, exectype=bt.Order.Limit, price=zn.close[0] / 2)
            self.placed = True


class RollsItself(BuyAndHoldFive):
    """Says it rolls its own futures and does not: the engine leaves its position alone."""

    rolls_itself = True


class DefaultFeeds(bt.Strategy):
    """Declares its feeds; sells ``contracts`` of the first one and holds the short."""

    instruments = ("ZB", "IVV")
    params = (("contracts", 3),)

    def next(self):
        if not self.position:
            self.sell(size=self.p.contracts)


class Broken(bt.Strategy):
    """Divides by zero on its tenth bar."""

    def next(self):
        if len(self) == 10:
            self.ratio = 1 / 0


class NotAStrategy:
    pass
