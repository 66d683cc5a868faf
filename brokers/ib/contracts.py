"""Our instrument names → Interactive Brokers contracts, qualified once and cross-checked.

An *instrument* is what the rest of ecore calls a tradable thing: a Treasury futures code
(``"ZNH25"``, parsed by ``ecore.data.contracts.Contract``) or an equity/ETF ticker (``"SPY"``).
Futures become ``Future(symbol, YYYYMM, "CBOT", multiplier, currency="USD", tradingClass)``;
shares become ``Stock(symbol, "SMART", "USD", primaryExchange=...)``.  Each is qualified with
IB once (``reqContractDetails``) and cached.  A qualified future must agree with our contract
table on multiplier and last trading day, or we stop: trading a contract whose size or expiry
differs from what the strategy modelled is worse than not trading.
"""

from __future__ import annotations

import datetime as dt
import types
from dataclasses import dataclass, field

from ...data.contracts import Contract, ContractError

# IB renamed its CBOT venue from ECBOT to CBOT in late 2022; accept both, send CBOT.
FUTURES_EXCHANGES = {"CBOT": "CBOT", "ECBOT": "CBOT"}


class ContractMismatch(RuntimeError):
    """IB's contract disagrees with our contract table (multiplier or last trading day)."""


class UnknownContract(LookupError):
    """IB found no contract, or more than one, for an instrument."""


def futures_contract(instrument: str) -> Contract | None:
    """The futures contract an instrument names, or None for an equity ticker."""
    try:
        return Contract.parse(instrument, reference=dt.date(2025, 1, 1))
    except (ContractError, ValueError):
        return None


def instrument_of(ib_contract) -> str | None:
    """Our instrument name for an IB contract: ``"ZNH25"`` for a future of our contract table,
    the ticker for shares, both in dollars; None for anything else ecore does not trade (options,
    whose symbol is their underlying's, other futures roots, currency balances, foreign shares),
    which is left alone."""
    if getattr(ib_contract, "currency", "USD") not in ("USD", ""):
        return None
    if ib_contract.secType == "FUT":
        try:
            return Contract.from_ib(ib_contract.symbol,
                                    ib_contract.lastTradeDateOrContractMonth).code
        except (ContractError, KeyError, ValueError):
            return None
    if ib_contract.secType == "STK":
        return ib_contract.symbol
    return None


@dataclass
class ContractBook:
    """Resolves and caches IB contracts for instruments.

    ``lib`` is the client module (``ib_async`` or ``ib_insync``); ``primary_exchanges`` maps a
    ticker to its listing venue (``{"SPY": "ARCA"}``) so SMART-routed shares are unambiguous;
    ``futures_exchange`` is ``"CBOT"`` (``"ECBOT"`` accepted and sent as ``CBOT``).
    """

    lib: types.ModuleType
    primary_exchanges: dict[str, str] = field(default_factory=dict)
    futures_exchange: str = "CBOT"
    _cache: dict[str, object] = field(default_factory=dict, repr=False)
    _order_types: dict[str, frozenset] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        exch = str(self.futures_exchange).upper()
        if exch not in FUTURES_EXCHANGES:
            raise ValueError(
                f"futures_exchange: {self.futures_exchange!r} is not one of CBOT, ECBOT")
        self.futures_exchange = FUTURES_EXCHANGES[exch]

    def unqualified(self, instrument: str):
        """The IB contract we ask IB to qualify for ``instrument`` (not yet carrying a conId)."""
        fut = futures_contract(instrument)
        if fut is not None:
            s = fut.spec
            return self.lib.Future(
                s.ib_symbol, fut.ib_contract_month, self.futures_exchange,
                multiplier=str(s.multiplier), currency="USD", tradingClass=s.ib_trading_class)
        symbol = instrument.strip().upper()
        if not symbol.replace(".", "").replace(" ", "").isalnum():
            raise ValueError(f"instrument: {instrument!r} is neither a futures code nor a ticker")
        return self.lib.Stock(symbol, "SMART", "USD",
                              primaryExchange=self.primary_exchanges.get(symbol, ""))

    def qualify(self, ib, instrument: str):
        """The qualified IB contract for ``instrument``; asks IB the first time only."""
        if instrument in self._cache:
            return self._cache[instrument]
        wanted = self.unqualified(instrument)
        details = ib.reqContractDetails(wanted)
        if len(details) != 1:
            found = "no contract" if not details else f"{len(details)} contracts"
            raise UnknownContract(f"IB returned {found} for {instrument} ({wanted})")
        contract = details[0].contract
        self._order_types[instrument] = frozenset(
            t.strip() for t in (details[0].orderTypes or "").split(",") if t.strip())
        # IB reports ``YYYYMMDD`` possibly followed by a time; keep the date.
        expiry = contract.lastTradeDateOrContractMonth.split()
        contract.lastTradeDateOrContractMonth = expiry[0] if expiry else ""
        if wanted.exchange == "SMART":
            contract.exchange = "SMART"
        fut = futures_contract(instrument)
        if fut is not None:
            self.cross_check(fut, contract)
        self._cache[instrument] = contract
        return contract

    def order_types(self, ib, instrument: str) -> frozenset:
        """The order types IB lists for ``instrument`` on its exchange (contract details'
        ``orderTypes``: "MOC", "LOC", "TRAIL"...)."""
        self.qualify(ib, instrument)
        return self._order_types.get(instrument, frozenset())

    @staticmethod
    def cross_check(fut: Contract, ib_contract) -> None:
        """Stop unless IB's multiplier and last trading day equal our contract table's."""
        ours_mult = fut.spec.multiplier
        try:
            theirs_mult = float(ib_contract.multiplier)
        except (TypeError, ValueError):
            raise ContractMismatch(
                f"{fut.code}: IB multiplier {ib_contract.multiplier!r} is not a number") from None
        if theirs_mult != ours_mult:
            raise ContractMismatch(
                f"{fut.code}: IB multiplier {ib_contract.multiplier} != ours {ours_mult}")
        ltd = ib_contract.lastTradeDateOrContractMonth
        ours_ltd = fut.last_trading_day().strftime("%Y%m%d")
        if ltd != ours_ltd:
            raise ContractMismatch(
                f"{fut.code}: IB last trading day {ltd} != ours {ours_ltd}")

    def multiplier(self, instrument: str) -> float:
        """Dollars per point per contract for futures; 1 for shares."""
        fut = futures_contract(instrument)
        return float(fut.spec.multiplier) if fut is not None else 1.0
