"""The messages the simulated gateway sends, encoded with the field order the client decodes at
the connection's negotiated server version (a mixin of :class:`~.gateway.FakeGateway`)."""

from __future__ import annotations

from .book import ExecutionRecord, Instrument, PlacedOrder
from .wire import UNSET


def _opt(value) -> object:
    """An optional price as IB sends it: empty when unset."""
    return "" if value is None else value


class Messages:

    def _send_position(self, conn, inst: Instrument, qty: float, account: str | None = None) -> None:
        conn.send(61, 3, account or self.accounts[0], *inst.wire(), qty,
                  self.avg_cost.get(inst.conId, 0.0))

    def _send_portfolio(self, conn, inst: Instrument, qty: float, account: str) -> None:
        mult = float(inst.multiplier) if inst.multiplier else 1.0
        conn.send(7, 8, inst.conId, inst.symbol, inst.secType, inst.lastTradeDate, inst.strike,
                  inst.right, inst.multiplier, inst.primaryExchange, inst.currency,
                  inst.localSymbol, inst.tradingClass, qty, inst.price, qty * inst.price * mult,
                  self.avg_cost.get(inst.conId, 0.0), 0.0, 0.0, account)

    def _send_status(self, conn, order: PlacedOrder, last_price: float = 0.0) -> None:
        if conn is None:
            return
        conn.send(3, order.orderId, order.status, order.filled, order.remaining,
                  order.avgFillPrice, order.permId, 0, last_price, order.clientId,
                  order.why_held, 0.0)

    def _send_execution(self, conn, ex: ExecutionRecord, req_id: int) -> None:
        fields = [11, req_id, ex.orderId, *ex.instrument.wire(), ex.execId, ex.time,
                  ex.account or self.accounts[0], ex.instrument.exchange, ex.side, ex.shares, ex.price,
                  ex.permId, ex.clientId, 0, ex.cumQty, ex.avgPrice, ex.orderRef, "", "", "", 1]
        if conn.version >= 178:
            fields.append(0)  # pendingPriceRevision
        conn.send(*fields)

    def _send_commission(self, conn, ex: ExecutionRecord) -> None:
        # IB's realizedPNL and yield are unset (E308) on an opening fill
        conn.send(59, 1, ex.execId, ex.commission, "USD", UNSET, UNSET, "")

    def _send_open_order(self, conn, order: PlacedOrder, what_if: tuple | None = None) -> None:
        if conn is None:
            return
        inst = order.instrument
        legs: list = [len(order.legs)]
        for con_id, ratio, action in order.legs:
            legs += [con_id, ratio, action, "CBOT", 0, 0, "", -1]
        fa = ["", "", ""] + ([""] if conn.version < 177 else [])  # faGroup..faProfile
        state = list(what_if) if what_if else [""] * 14
        conn.send(
            5, order.orderId, *inst.wire(),
            order.action, order.totalQuantity, order.orderType, order.lmtPrice,
            _opt(order.auxPrice), order.tif, order.oca_reported or order.ocaGroup,
            order.account, "O", 0,
            order.orderRef, order.clientId, order.permId,
            0, 0, 0, "", "",  # outsideRth, hidden, discretionaryAmt, goodAfterTime, sharesAlloc
            *fa, "",  # faGroup, faMethod, faPercentage, [faProfile], modelCode
            order.goodTillDate, "", "", "", 0, "", -1,  # goodTillDate ... exemptCode
            0, "", "", "", "", "",  # auctionStrategy, startingPrice ... stockRangeUpper
            "", 0, 0, 0, "", order.ocaType or 3, 0, 0, "",  # displaySize ... nbboPriceCap
            order.parentId, 0, "", 0, "", "",  # parentId, triggerMethod, volatility ... dnAux
            0, 0, _opt(order.trailStopPrice), _opt(order.trailingPercent), "", "",
            "",  # continuousUpdate, referencePriceType, trailStopPrice, trailingPercent ...
            *legs, 0, 0,  # order combo legs, smart combo routing params
            "", "", "",  # scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement
            "",  # hedgeType
            0, "", "", 0, 0,  # optOutSmartRouting, clearingAccount/Intent, notHeld, dnc
            "",  # algoStrategy
            0, 1 if what_if else 0, order.status, *state,  # solicited, whatIf, status, state
            0, 0,  # randomizeSize, randomizePrice
            0,  # conditions
            "", "", "", "", "", "", "", 0, "", "", "", "", 0, 0, "", 0,
            "", 0, 0,  # duration, postToAts, autoCancelParent
            "", "", 0, "", "",  # minTradeQty ... midOffsetAtHalf
        )

    def _send_completed_order(self, conn, order: PlacedOrder) -> None:
        """Message 101: no orderId, no clientId; orderRef, permId, filled quantity, the
        completion time and IB's free-text status."""
        inst = order.instrument
        legs: list = [len(order.legs)]
        for con_id, ratio, action in order.legs:
            legs += [con_id, ratio, action, "CBOT", 0, 0, "", -1]
        fa = ["", "", ""] + ([""] if conn.version < 177 else [])
        done = order.completed_at or self.now()
        conn.send(
            101, *inst.wire(),
            order.action, order.totalQuantity, order.orderType, order.lmtPrice, "",
            order.tif, "", order.account, "O", 0, order.orderRef, order.permId,
            0, 0, 0, "",  # outsideRth, hidden, discretionaryAmt, goodAfterTime
            *fa, "",  # faGroup, faMethod, faPercentage, [faProfile], modelCode
            "", "", "", "", 0, "", -1,  # goodTillDate ... exemptCode
            "", "", "", "", "",  # startingPrice ... stockRangeUpper
            "", 0, 0, "", 3, 0, "", 0,  # displaySize ... volatilityType
            "", "",  # deltaNeutralOrderType, deltaNeutralAuxPrice
            0, 0, "", "", "",  # continuousUpdate ... comboLegsDescrip
            *legs, 0, 0,  # order combo legs, smart combo routing params
            "", "", "",  # scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement
            "",  # hedgeType
            "", "", 0, 0,  # clearingAccount, clearingIntent, notHeld, dnc
            "",  # algoStrategy
            0, order.status, 0, 0,  # solicited, status, randomizeSize, randomizePrice
            0,  # conditions
            "", "", "", 0, 0, "", order.filled, 0, 0, "", 0, 0, 0,  # ... parentPermId
            done.strftime("%Y%m%d %H:%M:%S") + " US/Eastern", order.completed_status,
            "", "", "", "", "",  # minTradeQty ... midOffsetAtHalf
        )
