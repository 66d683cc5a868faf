"""The roll keeper: moves futures positions taken through root feeds to the next contract on the
roll day, for strategies that do not roll their own (``rolls_itself`` is not set).

The engine adds it to the Cerebro run after the user's strategy, so it sees that day's orders.
Each Treasury business day, for every position in a contract of a root the run has a root feed
for (contracts that a feed carries as one fixed contract are left alone), it checks whether the
next business day (the fill day) is inside the contract's roll window under the run's
:class:`~ecore.data.rolls.RollRule`; if so it sells the old contract and buys the contract the
root feed holds on the fill day (or a slice of the position, with ``spread_days`` > 1).  These
are two real trades with their costs: the spread between the contracts is never booked as
profit.  Market orders the strategy placed today in the old contract (on the root feed, the day
before the roll: they fill with the roll) are counted in, so one roll moves the whole position;
orders that may never fill (limit orders, earlier days' orders) are not.  When the broker cancels
or rejects the order in the old contract at once (a safety limit, the kill switch), the order in
the new one is held back: the account never holds both for want of the first leg.

Orders go through backtrader's broker interface with ``contract=`` order information, which the
simulated ``MarginBroker`` and the Interactive Brokers ``IBBroker`` both understand, and are
owned by the strategy: its ``notify_order`` and ``notify_trade`` see the roll (``order.info
["kind"] == "roll"``), and its backtrader trades close in the old contract and open in the new.
In paper trading nothing is sent on replayed bars.
"""

from __future__ import annotations

import datetime as dt
import logging

import backtrader as bt

from ..data.calendar import treasury_calendar
from ..data.contracts import Contract, ContractError
from ..data.rolls import RollRule
from .orders import order_instrument

log = logging.getLogger(__name__)


class RollKeeper(bt.Strategy):
    """Rolls positions in ``roots`` (root feeds) under ``roll_rule`` on behalf of ``owner``."""

    params = dict(
        owner=None,  # the strategy whose positions these are (default: the run's first strategy)
        roots=(),  # roots with a feed of the held contract, e.g. ("ZN", "ZB")
        fixed=(),  # contract codes a feed carries as one contract: never rolled
        roll_rule=None,  # RollRule; default RollRule()
    )

    def __init__(self):
        self.rule = self.p.roll_rule or RollRule()
        self.calendar = treasury_calendar()
        self.feeds = {d._name: d for d in self.datas if d._name in set(self.p.roots)}
        self.events: list[dict] = []  # {"date", "kind": "roll", "detail"}, as strategies record them

    def prenext(self):
        # A position may be taken before every feed has started (warm-up, later listings).
        self.next()

    def next(self):
        if any(d.islive() and d._laststatus != d.LIVE for d in self.datas):
            return  # paper trading: replayed bars warm the feeds; orders wait for the live bar
        started = [d for d in self.datas if len(d)]
        if not started:
            return
        day = max(d.datetime.date(0) for d in started)
        if not self.calendar.is_business_day(day):
            return  # no Treasury settlement today: orders would wait; decide on the next one
        fill_day = self.calendar.next_business_day(day)
        moves = []
        for old, size in self._positions(day).items():
            contract = Contract.parse(old)
            window = self.rule.roll_window(contract)
            if fill_day < window[0]:
                continue
            target = self.rule.held(contract.root, fill_day)
            new = target if target > contract else contract.next()
            remaining = sum(1 for d in window if d >= fill_day)
            move = size if remaining <= 1 else int(round(size / remaining))
            if move:
                moves.append((contract.root, old, new.code, move))
        # every old contract leaves before any new one is ordered: a broker that checks margin
        # as orders arrive (IB, the paper broker) sees the sales first, as the simulated broker
        # fills them (risk-reducing orders first)
        leaving = [m for m in moves if self._close(day, *m)]
        for root, old, new, move in leaving:
            self._open(day, root, old, new, move)

    def _positions(self, day: dt.date) -> dict[str, int]:
        """Contracts of the rolled roots, by code: held, plus today's market orders."""
        roots = set(self.feeds)
        fixed = set(self.p.fixed)
        out: dict[str, int] = {}
        for code, size in self.broker.contract_positions().items():
            out[code] = out.get(code, 0) + int(size)
        for order in self.broker.get_orders_open():
            if order.exectype not in (None, bt.Order.Market, bt.Order.Close) or \
                    bt.num2date(order.created.dt).date() != day:
                continue
            code = order_instrument(order)
            out[code] = out.get(code, 0) + int(order.size)  # signed: sells are negative
        kept = {}
        for code, size in sorted(out.items()):
            try:
                contract = Contract.parse(code)
            except (ContractError, ValueError):
                continue  # shares, or a calendar spread
            if size and contract.root in roots and code not in fixed:
                kept[code] = size
        return kept

    def _strategy(self):
        if self.p.owner is not None:
            return self.p.owner
        return next(s for s in self.env.runningstrats if s is not self)

    def _close(self, day: dt.date, root: str, old: str, new: str, size: int) -> bool:
        """Order ``old`` out (``size`` contracts, signed as held); False when that order did not
        go (a limit, a rejection, the kill switch): opening the new one alone would hold both,
        and a later day rolls what is still held."""
        owner, data, broker = self._strategy(), self.feeds[root], self.broker
        close = broker.sell if size > 0 else broker.buy
        first = close(owner, data, size=abs(size), contract=old, kind="roll")
        if first.status in (bt.Order.Canceled, bt.Order.Rejected, bt.Order.Margin,
                            bt.Order.Expired):
            log.warning("%s: roll of %+d contracts into %s held back: the order in %s was %s (%s)",
                        day, size, new, old, first.getstatusname(), first.info.get("reason", ""))
            return False
        return True

    def _open(self, day: dt.date, root: str, old: str, new: str, size: int) -> None:
        owner, data, broker = self._strategy(), self.feeds[root], self.broker
        open_ = broker.buy if size > 0 else broker.sell
        open_(owner, data, size=abs(size), contract=new, kind="roll")
        self.events.append({"date": day, "kind": "roll", "detail": f"{old} -> {new}: {size:+d} contracts"})
