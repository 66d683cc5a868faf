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

    def margin_equity(self) -> float:
        """Equity that backs futures margin (dollars): cash plus ``share_collateral`` times the
        shares' market value."""
        j = self.journal
        return j.cash + self.share_collateral * j.shares_value

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
        key = (day, tuple(sorted((c, q) for c, q in sizes.items() if q)))
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
        return mm, im
