"""Plain backtrader strategies with protective orders, as a user writes them (nothing imported
from ecore), for ``ecore backtest --strategy order_strategies.NAME``; ``OrderLog`` is an analyzer
(``--analyzers order_strategies.OrderLog``) whose analysis (analyzers.json) is every order's life."""

import backtrader as bt


class StopLossCross(bt.Strategy):
    """On every feed: buy on a fast/slow SMA cross-up, protect the fill with a sell stop
    ``stop_pct`` below it (a trailing stop with ``trail``), and on a cross-down cancel the stop
    and close."""

    params = (("fast", 10), ("slow", 30), ("stop_pct", 0.01), ("shares", 100), ("contracts", 2),
              ("trail", False))

    def __init__(self):
        self.cross = {d._name: bt.ind.CrossOver(bt.ind.SMA(d.close, period=self.p.fast),
                                                bt.ind.SMA(d.close, period=self.p.slow)) for d in self.datas}
        self.entries, self.stops, self.exits = {}, {}, {}

    def notify_order(self, order):
        name = order.data._name
        if order.status != order.Completed:
            if not order.alive():
                for book in (self.entries, self.stops, self.exits):
                    if book.get(name) is not None and book[name].ref == order.ref:
                        book[name] = None
            return
        if self.entries.get(name) is not None and order.ref == self.entries[name].ref:
            self.entries[name] = None
            size = abs(order.executed.size)
            if self.p.trail:
                self.stops[name] = self.sell(data=order.data, size=size, exectype=bt.Order.StopTrail,
                                            trailpercent=self.p.stop_pct)
            else:
                self.stops[name] = self.sell(data=order.data, size=size, exectype=bt.Order.Stop,
                                            price=order.executed.price * (1 - self.p.stop_pct))
        elif self.stops.get(name) is not None and order.ref == self.stops[name].ref:
            self.stops[name] = None
        elif self.exits.get(name) is not None and order.ref == self.exits[name].ref:
            self.exits[name] = None

    def next(self):
        for d in self.datas:
            name = d._name
            if self.entries.get(name) or self.exits.get(name):
                continue
            pos = self.getposition(d).size
            if not pos and self.cross[name][0] > 0 and not self.stops.get(name):
                size = self.p.contracts if "held" in d.lines.getlinealiases() else self.p.shares
                self.entries[name] = self.buy(data=d, size=size)
            elif pos > 0 and self.cross[name][0] < 0 and self.stops.get(name):
                self.cancel(self.stops[name])
                self.exits[name] = self.close(data=d)


class BracketCross(bt.Strategy):
    """On every feed: on a cross-up, ``buy_bracket``: a limit entry ``below`` under the close,
    good for ``days``, with a stop-loss and a take-profit ``width`` either side, good till
    cancelled; no new bracket while one is working."""

    params = (("fast", 5), ("slow", 20), ("below", 0.002), ("width", 0.01), ("days", 5),
              ("shares", 100), ("contracts", 2))

    def __init__(self):
        self.cross = {d._name: bt.ind.CrossOver(bt.ind.SMA(d.close, period=self.p.fast),
                                                bt.ind.SMA(d.close, period=self.p.slow)) for d in self.datas}
        self.working = {d._name: [] for d in self.datas}

    def notify_order(self, order):
        refs = self.working[order.data._name]
        if not order.alive() and order.ref in refs:
            refs.remove(order.ref)

    def next(self):
        import datetime as dt

        for d in self.datas:
            name = d._name
            if self.working[name] or self.getposition(d).size or self.cross[name][0] <= 0:
                continue
            c = d.close[0]
            size = self.p.contracts if "held" in d.lines.getlinealiases() else self.p.shares
            entry = c * (1 - self.p.below)
            orders = self.buy_bracket(data=d, size=size, price=entry, valid=dt.timedelta(days=self.p.days),
                                      stopprice=entry * (1 - self.p.width), limitprice=entry * (1 + self.p.width),
                                      stopargs=dict(valid=None), limitargs=dict(valid=None))  # legs: GTC
            self.working[name] = [o.ref for o in orders]


class OrderLog(bt.Analyzer):
    """Every order of the run: statuses in notification order, its type, prices, fill, the
    contract it trades (``tradeid`` on a root feed) and, for every day it waited, the feed's close
    and held contract month."""

    def start(self):
        self.orders = {}
        self.alive = {}

    def notify_order(self, order):
        rec = self.orders.setdefault(str(order.ref), {
            "data": order.data._name, "type": order.getordername(), "side": "buy" if order.isbuy() else "sell",
            "parent": str(order.parent.ref) if order.parent is not None else None,
            "statuses": [], "waited": []})
        rec["statuses"].append(order.getstatusname())
        rec["stop"] = order.created.price
        rec["tradeid"] = str(order.tradeid)
        if order.status == order.Completed:
            rec["fill_date"] = bt.num2date(order.executed.dt).date().isoformat()
            rec["fill_price"] = order.executed.price
            rec["size"] = order.executed.size
        if order.alive():
            self.alive[order.ref] = order
        else:
            self.alive.pop(order.ref, None)

    def next(self):
        for ref, order in self.alive.items():
            d = order.data
            held = int(d.held[0]) if "held" in d.lines.getlinealiases() else None
            self.orders[str(ref)]["waited"].append([d.datetime.date(0).isoformat(), d.close[0], held,
                                                    order.created.price])

    def get_analysis(self):
        return self.orders
