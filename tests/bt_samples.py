"""Strategies written after backtrader's samples (order-execution, stoptrail, oco, bracket,
order_target, close-daily), in our own words, to run on ``MarginBroker`` and on backtrader's
``BackBroker`` alike.  Each takes the data it trades as ``self.data``."""

from __future__ import annotations

import datetime as dt
import random

import backtrader as bt

EXECTYPES = {name: getattr(bt.Order, name) for name in
             ("Market", "Close", "Limit", "Stop", "StopLimit", "StopTrail", "StopTrailLimit")}


class OrderExecution(bt.Strategy):
    """order-execution: buy on an SMA cross-up with the given order type, sell on a cross-down.
    ``valid``: days (a date that many days ahead), or "day", "gtc", "timedelta"."""

    params = (("smaperiod", 15), ("exectype", "Market"), ("perc1", 3.0), ("perc2", 1.0),
              ("valid", 4), ("trailpercent", 0.02), ("side", "buy"))

    def __init__(self):
        self.cross = bt.ind.CrossOver(self.data.close, bt.ind.SMA(period=self.p.smaperiod))
        self.order = None

    def notify_order(self, order):
        if order.status in (order.Submitted, order.Accepted):
            self.order = order
            return
        self.order = None

    def _valid(self):
        v = self.p.valid
        if v == "day":
            return bt.Order.DAY
        if v == "zero":
            return 0
        if v == "timedelta":
            return dt.timedelta(days=3)
        if v == "datetime":
            return dt.datetime.combine(self.data.datetime.date(0) + dt.timedelta(days=5), dt.time(12))
        if v in ("gtc", None, 0):
            return None
        return self.data.datetime.date(0) + dt.timedelta(days=int(v))

    def next(self):
        if self.order:
            return
        entry, exit_ = (self.buy, self.sell) if self.p.side == "buy" else (self.sell, self.buy)
        up = 1 if self.p.side == "buy" else -1
        if self.position:
            if self.cross * up < 0:
                exit_(size=abs(self.position.size))
            return
        if self.cross * up <= 0:
            return
        close = self.data.close[0]
        kind = EXECTYPES[self.p.exectype]
        away = close * (1.0 - up * self.p.perc1 / 100.0)  # a limit: better than the close
        beyond = close * (1.0 + up * self.p.perc1 / 100.0)  # a stop: worse than the close
        plimit = close * (1.0 + up * self.p.perc2 / 100.0)
        if kind in (bt.Order.Market, bt.Order.Close):
            entry(exectype=kind)
        elif kind == bt.Order.Limit:
            entry(exectype=kind, price=away, valid=self._valid())
        elif kind == bt.Order.Stop:
            entry(exectype=kind, price=beyond, valid=self._valid())
        elif kind == bt.Order.StopLimit:
            entry(exectype=kind, price=beyond, plimit=plimit, valid=self._valid())
        elif kind == bt.Order.StopTrail:
            entry(exectype=kind, trailpercent=self.p.trailpercent, valid=self._valid())
        else:
            entry(exectype=kind, price=close, plimit=close * (1.0 + up * 0.005),
                  trailpercent=self.p.trailpercent, valid=self._valid())


class StopTrail(bt.Strategy):
    """stoptrail: enter on an SMA cross-up, then protect the position with a trailing stop."""

    params = (("p1", 10), ("p2", 30), ("stoptype", bt.Order.StopTrail), ("trailamount", 0.0),
              ("trailpercent", 0.0), ("limitoffset", 0.0))

    def __init__(self):
        self.crup = bt.ind.CrossUp(bt.ind.SMA(period=self.p.p1), bt.ind.SMA(period=self.p.p2))
        self.order = None
        self.stops = []

    def next(self):
        if not self.position:
            if self.crup:
                self.buy()
                self.order = None
        elif self.order is None:
            price = plimit = None
            if self.p.stoptype == bt.Order.StopTrailLimit:
                price = self.data.close[0]
                plimit = price + self.p.limitoffset
            self.order = self.sell(exectype=self.p.stoptype, price=price, plimit=plimit,
                                   trailamount=self.p.trailamount, trailpercent=self.p.trailpercent)
        else:
            self.stops.append(round(self.order.created.price, 6))


class Oco(bt.Strategy):
    """oco: three buy limits below the close in one OCO group; hold, then close."""

    params = (("p1", 5), ("p2", 15), ("limit", 0.005), ("limdays", 3), ("limdays2", 1000),
              ("hold", 10), ("usetarget", False), ("switchp1p2", False), ("oco1oco2", False),
              ("do_oco", True))

    def __init__(self):
        self.cross = bt.ind.CrossOver(bt.ind.SMA(period=self.p.p1), bt.ind.SMA(period=self.p.p2))
        self.orefs = []
        self.holdstart = 0

    def notify_order(self, order):
        if order.status == order.Completed:
            self.holdstart = len(self)
        if not order.alive() and order.ref in self.orefs:
            self.orefs.remove(order.ref)

    def next(self):
        if self.orefs:
            return
        if not self.position:
            if self.cross > 0.0:
                c = self.data.close[0]
                p1, p2, p3 = c * (1 - self.p.limit), c * (1 - 4 * self.p.limit), c * (1 - 9 * self.p.limit)
                v1 = dt.timedelta(self.p.limdays)
                v2 = v3 = dt.timedelta(self.p.limdays2)
                if self.p.switchp1p2:
                    p1, p2, v1, v2 = p2, p1, v2, v1
                order = self.order_target_size if self.p.usetarget else self.buy
                key = "target" if self.p.usetarget else "size"
                o1 = order(exectype=bt.Order.Limit, price=p1, valid=v1, **{key: 1})
                o2 = order(exectype=bt.Order.Limit, price=p2, valid=v2, oco=o1 if self.p.do_oco else None, **{key: 1})
                oco3 = (o2 if self.p.oco1oco2 else o1) if self.p.do_oco else None
                o3 = order(exectype=bt.Order.Limit, price=p3, valid=v3, oco=oco3, **{key: 1})
                self.orefs = [o1.ref, o2.ref, o3.ref]
        elif len(self) - self.holdstart >= self.p.hold:
            if self.p.usetarget:
                self.order_target_size(target=0)
            else:
                self.close()


class Bracket(bt.Strategy):
    """bracket: a limit entry below the close with a stop-loss and a take-profit, by hand
    (``parent=``/``transmit=False``) or with ``buy_bracket``/``sell_bracket``; ``cancel_after``
    bars cancels a parent that has not traded (its children die with it)."""

    params = (("p1", 5), ("p2", 15), ("limit", 0.005), ("limdays", 3), ("limdays2", 1000),
              ("usebracket", False), ("switchp1p2", False), ("side", "buy"), ("width", 0.02),
              ("cancel_after", 0))

    def __init__(self):
        self.cross = bt.ind.CrossOver(bt.ind.SMA(period=self.p.p1), bt.ind.SMA(period=self.p.p2))
        self.orefs = []
        self.parent = None
        self.made = 0

    def notify_order(self, order):
        if not order.alive() and order.ref in self.orefs:
            self.orefs.remove(order.ref)

    def next(self):
        if self.orefs:
            if self.p.cancel_after and self.parent is not None and len(self) - self.made >= self.p.cancel_after \
                    and self.parent.status == bt.Order.Accepted:
                self.cancel(self.parent)
            return
        if self.position or not self.cross:
            return
        sign = 1 if self.p.side == "buy" else -1
        if self.cross * sign <= 0:
            return
        c = self.data.close[0]
        p1 = c * (1.0 - sign * self.p.limit)
        p2 = p1 - sign * self.p.width * c  # stop-loss
        p3 = p1 + sign * self.p.width * c  # take-profit
        v1, v2 = dt.timedelta(self.p.limdays), dt.timedelta(self.p.limdays2)
        if self.p.switchp1p2:
            p1, p2, v1, v2 = p2, p1, v2, v1
        self.made = len(self)
        if self.p.usebracket:
            make = self.buy_bracket if sign > 0 else self.sell_bracket
            orders = make(price=p1, valid=v1, stopprice=p2, stopargs=dict(valid=v2),
                          limitprice=p3, limitargs=dict(valid=v2))
        else:
            entry, leave = (self.buy, self.sell) if sign > 0 else (self.sell, self.buy)
            o1 = entry(exectype=bt.Order.Limit, price=p1, valid=v1, transmit=False)
            o2 = leave(exectype=bt.Order.Stop, price=p2, valid=v2, parent=o1, transmit=False)
            o3 = leave(exectype=bt.Order.Limit, price=p3, valid=v2, parent=o1, transmit=True)
            orders = [o1, o2, o3]
        self.parent = orders[0]
        self.orefs = [o.ref for o in orders]


class OrderTarget(bt.Strategy):
    """order_target: a target that moves with the day of the month, by size, value or percent."""

    params = (("use", "size"),)

    def start(self):
        self.order = None

    def notify_order(self, order):
        if not order.alive():
            self.order = None

    def next(self):
        if self.order:
            return
        d = self.data.datetime.date()
        size = d.day if d.month % 2 else 31 - d.day
        if self.p.use == "size":
            self.order = self.order_target_size(target=size)
        elif self.p.use == "value":
            self.order = self.order_target_value(target=size * 1000)
        else:
            self.order = self.order_target_percent(target=size / 100.0)


class CloseDaily(bt.Strategy):
    """close-daily: a seeded die decides entries and exits, with Close orders."""

    params = (("seed", 7),)

    def __init__(self):
        self.order = None
        self.rng = random.Random(self.p.seed)

    def notify_order(self, order):
        if order.status == order.Completed:
            self.order = None

    def next(self):
        if self.order:
            return
        if not self.rng.randint(0, 5):
            if self.position:
                self.order = self.close(exectype=bt.Order.Close)
            else:
                self.order = self.buy(exectype=bt.Order.Close)
