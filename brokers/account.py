"""The simulated account: cash journal, positions, and the margin they require.

Every economic rule of the simulated broker (settlement, accruals, fills, margin calls,
liquidation, the delivery guard) reads and changes one :class:`Account`; the broker class only
composes them in the order of a trading day and speaks backtrader's interface.
"""

from __future__ import annotations

import collections
import datetime as dt

from ..data.contracts import Contract
from . import journal as J
from .costs import CostModel
from .margin import MarginModel
from .positions import FuturesPosition, SharePosition
from .short_sales import ShortSaleRules, requirements as short_requirements, short_value


class Account:
    """What the broker holds for one client.

    ``journal`` is the only place cash and share value change.  ``futures`` maps a contract code
    to its position, ``shares`` a symbol to its position.  ``book`` is the futures price book,
    ``model`` the margin model, ``costs`` the commission and slippage model.
    """

    def __init__(self, cash: float, book, model: MarginModel, costs: CostModel, share_collateral: float):
        self.journal = J.Journal(cash)
        self.futures: dict[str, FuturesPosition] = {}
        self.shares: dict[str, SharePosition] = {}
        self.book = book
        self.model = model
        self.costs = costs
        self.share_collateral = float(share_collateral)
        self.counters = collections.Counter()
        self._req_memo: dict = {}
        #: Securities-margin rules for short sales of shares; None: short sales are refused.
        self.short_rules: ShortSaleRules | None = ShortSaleRules.bundled()
        #: Prices and commissions as backtrader's broker API set them (``execution.Execution``);
        #: None: ecore's CostModel alone.
        self.execution = None

    def commission(self, order, size: float, price: float) -> float:
        """Commission in dollars of trading ``size`` at ``price`` (points or dollars per share):
        the CommInfo set with ``setcommission``/``addcommissioninfo`` for the order's data, else
        the CostModel's fee."""
        if self.execution is not None:
            fee = self.execution.commission(order, size, price)
            if fee is not None:
                return fee
        inst = getattr(order, "_ecore_inst", None)
        if inst is not None and inst.kind == "future":
            return self.costs.futures_fee(size)
        return self.costs.share_fee(size, price)

    def slipped(self, order, base: float, size: float, tick: float | None = None, slip: bool = True) -> float | None:
        """The fill price of ``size`` at ``base`` after slippage against the trader: backtrader's
        ``set_slippage_perc``/``_fixed`` when set, else the CostModel's ticks (futures, ``tick``
        points each) or basis points (shares).  None: no fill on this bar (backtrader's slippage
        outside the bar without ``slip_match``)."""
        if not slip:
            return base
        if self.execution is not None and self.execution.slippage.active:
            return self.execution.slippage.apply(order, base, size)
        return self.costs.slipped(base, size, tick)

    def margin_equity(self) -> float:
        """Equity that backs futures margin (dollars): cash plus ``share_collateral`` times the
        shares' market value."""
        j = self.journal
        # Short-sale proceeds are collateral for the borrowed shares: they back nothing else.
        shorts = short_value(self) if self.shares else 0.0
        return j.cash + self.share_collateral * (j.shares_value + shorts) - shorts

    def future(self, c: Contract) -> FuturesPosition:
        """The position in contract ``c`` (created flat when new)."""
        fp = self.futures.get(c.code)
        if fp is None:
            fp = self.futures[c.code] = FuturesPosition(c)
        return fp

    def share(self, symbol: str, data) -> SharePosition:
        """The position in ``symbol`` (created flat when new), remembering the feed that prices it."""
        sp = self.shares.get(symbol)
        if sp is None:
            sp = self.shares[symbol] = SharePosition(symbol, data=data)
        sp.data = data
        return sp

    def size_of(self, kind: str, name: str) -> float:
        """Signed size held of a contract (``kind="future"``) or share symbol."""
        held = self.futures if kind == "future" else self.shares
        return held[name].size if name in held else 0

    def held(self) -> dict[str, int]:
        """``{code: contracts}`` of every futures position, flat ones included."""
        return {c: fp.size for c, fp in self.futures.items()}

    def forget_flat(self) -> None:
        """Drop flat contracts, so that daily loops cover only what is held (a 25-year backtest
        trades hundreds of contracts)."""
        for code in [c for c, fp in self.futures.items() if not fp.size]:
            del self.futures[code]

    def notional(self) -> float:
        """Gross futures notional at the last marks (dollars)."""
        return sum(abs(fp.size) * fp.contract.spec.multiplier * (fp.mark or 0.0)
                   for fp in self.futures.values() if fp.size)

    def requirements(self, day: dt.date, sizes: dict[str, int] | None = None) -> tuple[float, float]:
        """(maintenance, initial) margin in dollars of ``sizes`` (``{code: contracts}``; default
        the positions held) on ``day``."""
        sizes = self.held() if sizes is None else sizes
        # Asked several times a day for the same positions: remember the day's answers.
        shorts = [(s, sp.size, sp.value) for s, sp in self.shares.items() if sp.size < 0] if self.shares else None
        key = (day, tuple(sorted((c, q) for c, q in sizes.items() if q)), tuple(shorts) if shorts else None)
        hit = self._req_memo.get(key)
        if hit is not None:
            return hit
        if self._req_memo and next(iter(self._req_memo))[0] != day:
            self._req_memo.clear()
        self._req_memo[key] = result = self._requirements(day, sizes)
        return result

    def _requirements(self, day: dt.date, sizes: dict[str, int]) -> tuple[float, float]:
        mm = im = 0.0
        for code, q in sizes.items():
            if q:
                c = self.futures[code].contract if code in self.futures else Contract.parse(code)
                maintenance, initial = self.model.requirement(c.root, day)
                mm += abs(q) * maintenance
                im += abs(q) * initial
        if self.short_rules is not None and self.shares:
            smm, sim = short_requirements(self, self.short_rules)
            mm, im = mm + smm, im + sim
        return mm, im

    def futures_requirements(self, day: dt.date) -> tuple[float, float]:
        """(maintenance, initial) margin in dollars of the futures held alone (no shorts)."""
        mm, im = self.requirements(day)
        if self.short_rules is not None and self.shares:
            smm, sim = short_requirements(self, self.short_rules)
            mm, im = mm - smm, im - sim
        return mm, im
