"""A fake gateway scripted for EfficientCore: IVV and the held and next contracts of the six
ladder roots, with daily bars ending on a chosen live day, and a $10M paper account; and the
ladder the strategy must trade, computed independently from the same quotes."""

from __future__ import annotations

import datetime as dt

import backtrader as bt

from ecore.data.market import load_market
from ecore.data.synthetic_futures import build_price_book
from ecore.data.calendar import treasury_calendar
from ecore.data.contracts import Contract, spec
from ecore.strategies.ladder import DEFAULT_TEMPLATE, LegQuote, aggregate_index_duration, build_ladder
from ecore.data.rolls import RollRule

ROOTS = ("ZT", "ZF", "ZN", "TN", "ZB", "UB")
NAV = 10_000_000.0
IVV_PRICE = 550.0
# IB closes of the held contracts (points); the next contract settles a quarter point lower.
HELD_PRICE = {"ZT": 102.5, "ZF": 107.25, "ZN": 110.5, "TN": 113.0, "ZB": 117.5, "UB": 122.0}
NEXT_DISCOUNT = 0.25
BAR_COUNT = 4


def bar_days(live_day: dt.date) -> list[dt.date]:
    """The ``BAR_COUNT`` business days ending on ``live_day``."""
    cal = treasury_calendar()
    return [cal.add_business_days(live_day, -k) for k in range(BAR_COUNT - 1, -1, -1)]


def clock_at(live_day: dt.date):
    """The schedule clock of a run at 17:00 on ``live_day`` (New York)."""
    return lambda tz: dt.datetime.combine(live_day, dt.time(17, 0), tzinfo=tz)


def contracts_around(live_day: dt.date) -> dict[str, tuple[Contract, Contract]]:
    """Per root, the contract held at ``live_day``'s close and the one it rolls into."""
    rule = RollRule()
    return {r: (rule.held(r, live_day), rule.next(r, live_day)) for r in ROOTS}


def price_of(contract: Contract, live_day: dt.date) -> float:
    held, _ = contracts_around(live_day)[contract.root]
    return HELD_PRICE[contract.root] - (0.0 if contract == held else NEXT_DISCOUNT)


def script_core(gateway, live_day: dt.date) -> dict:
    """Add IVV and, per root, the held and next contracts with flat daily bars ending on
    ``live_day``; returns ``{instrument name: gateway Instrument}``."""
    days = [d.strftime("%Y%m%d") for d in bar_days(live_day)]
    gateway.account_values.update(NetLiquidation=NAV, TotalCashValue=NAV,
                                  ExcessLiquidity=NAV, BuyingPower=4 * NAV)
    made = {"IVV": gateway.add_stock(
        "IVV", price=IVV_PRICE, bars=[(d, IVV_PRICE, IVV_PRICE, IVV_PRICE, IVV_PRICE, 5000)
                                      for d in days])}
    for held, nxt in contracts_around(live_day).values():
        for c in (held, nxt):
            px = price_of(c, live_day)
            made[c.code] = gateway.add_future(
                c.spec.ib_symbol, f"{c.year}{c.month:02d}",
                c.last_trading_day().strftime("%Y%m%d"), multiplier=str(c.spec.multiplier),
                price=px, bars=[(d, px, px, px, px, 900) for d in days])
    return made


def expected_ladder(live_day: dt.date):
    """The ladder EfficientCore must trade on ``live_day``: the contracts held on the next
    business day (the fill day), priced at IB's closes, with the synthetic model's durations
    on the bundled yields, duration-matched to the Aggregate index, 60% of NAV notional."""
    fill_day = treasury_calendar().next_business_day(live_day)
    book = build_price_book(load_market(), roots=ROOTS, start=live_day - dt.timedelta(days=10),
                            end=live_day)
    quotes = {}
    for root in ROOTS:
        code = RollRule().held(root, fill_day).code
        duration = float(book.value(code, live_day, "duration"))
        quotes[root] = LegQuote(root, code, price_of(Contract.parse(code), live_day), duration)
    return build_ladder(quotes, DEFAULT_TEMPLATE, aggregate_index_duration(live_day), 0.60 * NAV)


def expected_ladder_beyond_the_yields(live_day: dt.date):
    """As :func:`expected_ladder` when ``live_day`` is after the bundled yields end: each
    contract's duration is the model's on the yields' last day, carried forward (what a paper
    run's price book does)."""
    import pandas as pd

    from ecore.data.paper_book import PaperPriceBook

    fill_day = treasury_calendar().next_business_day(live_day)
    codes = {root: RollRule().held(root, fill_day).code for root in ROOTS}
    book = PaperPriceBook(load_market(), ROOTS, live_day - dt.timedelta(days=10), live_day)
    book.add_settlements(pd.DataFrame({"date": [live_day] * len(ROOTS), "contract": list(codes.values()),
                                       "settle": [price_of(Contract.parse(c), live_day) for c in codes.values()]}))
    quotes = {root: LegQuote(root, code, price_of(Contract.parse(code), live_day),
                             float(book.value(code, live_day, "duration")))
              for root, code in codes.items()}
    return build_ladder(quotes, DEFAULT_TEMPLATE, aggregate_index_duration(live_day), 0.60 * NAV)


def ib_name(contract_code: str) -> str:
    """The gateway's localSymbol of a futures code ("ZN   JUN 25")."""
    c = Contract.parse(contract_code)
    return f"{spec(c.root).ib_symbol:<5}{dt.date(c.year, c.month, 1):%b %y}".upper()


class BuyOnRoot(bt.Strategy):
    """On the live bar, buy ``size`` of ``contract`` through the root feed ``root``, and record
    the root feed's lines as the strategy saw them (``seen``)."""

    params = (("root", "ZN"), ("contract", "ZNZ25"), ("size", 2))

    def __init__(self):
        self.seen = None
        self.notes = []

    def notify_order(self, order):
        self.notes.append((order.info.get("contract"), order.getstatusname(), order.executed.size))

    def next(self):
        data = self.getdatabyname(self.p.root)
        if data._laststatus != data.LIVE:
            return
        self.seen = (data.datetime.date(0), data.close[0], int(data.lines.held[0]),
                     data.next_close[0], int(data.lines.next[0]))
        self.buy(data=data, size=self.p.size, contract=self.p.contract)
