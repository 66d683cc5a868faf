"""Fills: at what price an order trades, what it costs, and whether margin lets it through.

* Whether and at what price a waiting order trades on the fill day is :mod:`.triggers`' one
  rule (backtrader's): Market orders at the day's settlement (or the price book's open with
  ``futures_fill="open"``) or the share's close, Close orders at the close, limits and stops
  inside the day's range where the bar has one (see :func:`futures_bar`, :func:`share_bar`).
* Futures fill at that price plus ``futures_slippage_ticks`` against the order (never past a
  limit price); the fill books ``q x m x (S_t - P_fill)`` of
  variation margin at once, so the position is marked at the settlement from its first day.
* Shares fill at that price (or, for a market order under cheat-on-close/open, the cheat price)
  plus ``share_slippage_bps`` against the order (never past a limit), only on days the stock
  market traded; a sale below zero is a short sale under :mod:`.short_sales` (refused when the
  broker's ``short_sales`` is off).
* Pre-trade margin: an order that does not only reduce a position must leave margin equity at or
  above the initial margin of the resulting positions, or it is refused (status ``Margin``);
  share purchases also need the cash (``share_buys_need_cash``).  A contract inside its delivery
  window accepts only closing orders.

Each function returns a :class:`Fill` (done: the broker executes the order), a
:class:`Refusal` (the broker rejects it with status ``Margin``) or None (the order waits for a
later day), and raises :class:`~.orders.OrderError` for an order that can never fill.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ..data.contracts import Contract
from . import journal as J
from .account import Account
from .delivery_guard import guard_day
from .orders import FuturesCommInfo, OrderError, share_comminfo
from . import short_sales
from .positions import new_average, reduces, split
from .triggers import Bar, match


@dataclass(frozen=True)
class Fill:
    """An executed trade: size (contracts or shares, signed), price (points or dollars), the
    closed and opened parts, realised P&L and commission (dollars)."""

    size: float
    price: float
    closed: float
    opened: float
    pnl: float
    commission: float
    mult: float
    comminfo: object


@dataclass(frozen=True)
class Refusal:
    """An order margin (or cash) does not allow; ``reason`` says by how much."""

    reason: str


def futures_price(account: Account, c: Contract, day: dt.date, futures_fill: str) -> float | None:
    """The price a futures order fills at before slippage: settlement, or the open if asked for."""
    s = account.book.settle(c, day)
    if s is None:
        return None
    if futures_fill == "open":
        o = account.book.value(c, day, "open")
        if o is not None and not pd.isna(o) and o > 0:
            return float(o)
    return s


def futures_bar(account: Account, c: Contract, day: dt.date, settle: float, futures_fill: str) -> Bar:
    """``c``'s bar on ``day`` from the price book: its open, high and low where the row carries
    them (real rows), else the settlement; a Market order fills at ``futures_price``."""
    book = account.book
    ohl = [book.value(c, day, k) for k in ("open", "high", "low")]
    return Bar.of(settle, *ohl, market=futures_price(account, c, day, futures_fill))


def share_bar(data, close: float, share_fill: str = "close") -> Bar:
    """The share feed's current bar (a closes-only feed's open, high and low equal its close);
    a Market order fills at the close, or at the open with ``share_fill="open"``."""
    lines = data.lines
    o = float(lines.open[0])
    return Bar.of(close, o, float(lines.high[0]), float(lines.low[0]), market=o if share_fill == "open" else close)


def within_limit(price: float, limit: float | None, size: float) -> float:
    """``price`` after slippage, never worse than an order's limit price."""
    if limit is None:
        return price
    return min(price, limit) if size > 0 else max(price, limit)


def futures_equity_after(equity: float, size: float, mult: float, settle: float, fill: float,
                         commission: float) -> float:
    """Margin equity (dollars) after ``size`` contracts (signed) fill at ``fill`` points with the
    day's settlement at ``settle``: the fill books ``size x mult x (settle - fill)`` of variation
    margin at once (the slippage paid), and the commission (dollars) is paid."""
    return equity + size * mult * (settle - fill) - commission


def share_equity_after(equity: float, old: float, size: float, fill: float, close: float,
                       commission: float, share_collateral: float) -> float:
    """Margin equity (dollars) after buying ``size`` shares at ``fill`` (dollars) from a
    position of ``old``: cash pays fill and commission; the shares count at their ``close``, times
    ``share_collateral`` (shares bought back to cover a short release their value from the
    locked proceeds)."""
    covered = min(size, max(-old, 0.0))
    return (equity - size * fill - commission + share_collateral * (size - covered) * close
            + covered * close)


def cash_refusal(symbol: str, size: float, fill: float, commission: float, cash: float) -> str | None:
    """Why buying ``size`` shares at ``fill`` plus ``commission`` (dollars) is refused with
    ``cash`` dollars (``share_buys_need_cash``), or None when the cash pays for it."""
    if cash - size * fill - commission < 0:
        return (f"insufficient cash: buying {size:g} {symbol} needs ${size * fill + commission:,.2f}, "
                f"cash is ${cash:,.2f}")
    return None


def fill_future(account: Account, order, day: dt.date, calendar, futures_fill: str = "settle",
                forced: bool = False, price: float | None = None, slip: bool = True,
                kind: str | None = None) -> Fill | Refusal | None:
    """Fill a futures order on ``day``; ``price`` (points) overrides the market price of a
    forced order, ``kind`` the journal kind of its variation margin."""
    inst = order._ecore_inst
    c = inst.contract
    if not forced and day > c.last_trading_day():
        raise OrderError(f"{c.code} stopped trading on {c.last_trading_day().isoformat()} (last trading day)")
    if not forced and not calendar.is_business_day(day):
        return None  # the futures market is shut today: the order waits
    settle = account.book.settle(c, day) if price is None else price
    if settle is None:
        raise OrderError(f"no settlement price for {c.code} on {day.isoformat()}: order not filled")
    size = int(round(order.size))
    mult = c.spec.multiplier
    tick = float(c.spec.tick(day))
    if price is not None:
        base, limit = settle, None
    else:
        hit = match(order, futures_bar(account, c, day, settle, futures_fill))
        if hit is None:
            return None  # not triggered today: keep waiting
        base, limit = hit.price, hit.limit
    fill = account.slipped(order, base, size, tick=tick, slip=slip)
    if fill is None:
        return None  # slipped outside the day's range: waits (backtrader's slip_match=False)
    fill = within_limit(fill, limit, size)
    fp = account.future(c)
    old = fp.size
    new = old + size
    comm = account.commission(order, size, fill)
    vm = size * mult * (settle - fill)
    if not reduces(old, new) and not forced:
        if day >= guard_day(c):
            raise OrderError(
                f"{c.code} is inside its delivery window (first intention day "
                f"{c.first_intention_day().isoformat()}): only closing orders are accepted")
        sizes = account.held()
        sizes[c.code] = new
        _, im_after = account.requirements(day, sizes)
        equity_after = futures_equity_after(account.margin_equity(), size, mult, settle, fill, comm)
        if equity_after < im_after:
            return Refusal(
                f"margin: equity after the trade ${equity_after:,.2f} < initial margin "
                f"${im_after:,.2f} of the resulting positions (short ${im_after - equity_after:,.2f})")
    journal = account.journal
    if fp.mark is None or not old:
        fp.mark = settle
        fp.mark_day = day
    elif fp.mark != settle:
        # a position not marked today (stale price): bring it to today's settlement first
        vm_old = old * mult * (settle - fp.mark)
        journal.post(day, J.VARIATION_MARGIN, c.code, vm_old, note="catch-up mark")
        fp.mark, fp.mark_day = settle, day
    # Slippage paid, in dollars (reports add it to commissions as a cost of trading).
    order.addinfo(slippage=size * mult * (fill - base))
    note = f"fill {size:+d} @ {fill} vs settle {settle}"
    if forced:
        note = f"FORCED ({order.info.get('reason', '')}) " + note
    journal.post(day, kind or (J.FORCED_LIQUIDATION if forced else J.VARIATION_MARGIN), c.code, vm, note=note)
    if comm:
        journal.post(day, J.COMMISSION, c.code, -comm, note=f"{abs(size)} contracts" + (" (forced)" if forced else ""))
    closed, opened, pnl = split(old, size, fp.price, fill, mult)
    fp.price = new_average(old, size, fp.price, fill)
    fp.size = new
    fp.data = order.data
    account.counters["forced_orders" if forced else "fills"] += 1
    return Fill(size, fill, closed, opened, pnl, comm, mult, FuturesCommInfo(mult=mult))


def fill_share(account: Account, order, day: dt.date, buys_need_cash: bool = True,
               share_fill: str = "close") -> Fill | Refusal | None:
    """Fill a share order at ``day``'s close of its feed, if the stock market traded."""
    data = order.data
    inst = order._ecore_inst
    if not len(data) or data.datetime.date(0) != day:
        return None  # no bar for this symbol today: a market order waits for the next close
    traded = getattr(data.lines, "traded", None)
    if traded is not None and not traded[0]:
        return None  # the stock market was shut (the feed repeats the last close): wait
    close = float(data.close[0])
    if not (close > 0):
        raise OrderError(f"no usable close for {inst.name} on {day.isoformat()}")
    size = float(order.size)
    sp = account.share(inst.name, data)
    old = sp.size
    new = old + size
    journal = account.journal
    cheat = account.execution.cheat_price(order) if account.execution is not None else None
    if cheat is not None:
        base, limit = cheat, None
    else:
        hit = match(order, share_bar(data, close, share_fill))
        if hit is None:
            return None  # not triggered today: keep waiting
        base, limit = hit.price, hit.limit
    fill = account.slipped(order, base, size)
    if fill is None:
        return None  # slipped outside the bar: waits (backtrader's slip_match=False)
    fill = within_limit(fill, limit, size)
    comm = account.commission(order, size, fill)
    if size < 0:
        why = short_sales.refusal(account, account.short_rules, inst.name, old, size, fill, comm,
                                  account.futures_requirements(day)[1])
        if why is not None:
            return Refusal(why)
    if size > 0 and not reduces(old, new):
        why = cash_refusal(inst.name, size, fill, comm, journal.cash) if buys_need_cash else None
        if why is not None:
            return Refusal(why)
        _, im = account.requirements(day)
        equity_after = share_equity_after(account.margin_equity(), old, size, fill, close, comm,
                                          account.share_collateral)
        if equity_after < im:
            return Refusal(f"margin: equity after the trade ${equity_after:,.2f} < initial margin ${im:,.2f}")
    order.addinfo(slippage=size * (fill - base))  # dollars paid over the market (or cheat) price
    kind = J.SHARE_BUY if size > 0 else J.SHARE_SELL
    journal.post(day, kind, inst.name, -size * fill, note=f"{size:+g} @ {fill}")
    journal.post(day, kind, inst.name, size * fill, account=J.SHARES, note=f"{size:+g} @ {fill}")
    sp.value += size * fill
    if comm:
        journal.post(day, J.COMMISSION, inst.name, -comm, note=f"{abs(size):g} shares")
    closed, opened, pnl = split(old, size, sp.price, fill, 1.0)
    sp.price = new_average(old, size, sp.price, fill)
    sp.size = new
    account.counters["fills"] += 1
    return Fill(size, fill, closed, opened, pnl, comm, 1.0, share_comminfo())
