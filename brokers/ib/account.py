"""An IB account's values in dollars, whatever its base currency.

IB sends the summary values (NetLiquidation, TotalCashValue, ExcessLiquidity, InitMarginReq,
MaintMarginReq) once, in the account's *base* currency (``EUR`` for a euro account, with no
``BASE`` row), and per-currency values once per currency plus ``BASE``.  ``ExchangeRate`` rows
give base units per unit of each currency.  ecore's strategies think in dollars, so the summary
values are read in the base currency (named by NetLiquidation's row) and converted with IB's own
USD rate; an account whose base is not USD and that has no USD rate is refused by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UnsupportedAccount

SUMMARY_TAGS = {"NetLiquidation": "net_liquidation", "TotalCashValue": "cash",
                "ExcessLiquidity": "excess_liquidity", "InitMarginReq": "initial_margin",
                "MaintMarginReq": "maintenance_margin"}


@dataclass(frozen=True)
class AccountState:
    """Account values in dollars (converted from ``base_currency`` at ``usd_rate`` base units
    per dollar when the base is not USD)."""

    net_liquidation: float
    cash: float
    excess_liquidity: float
    initial_margin: float
    maintenance_margin: float
    base_currency: str = "USD"
    usd_rate: float = 1.0


def account_state(values, account: str) -> AccountState:
    """The ``AccountState`` of ``account`` from the library's ``accountValues()`` rows."""
    rows = [v for v in values if v.account == account and not getattr(v, "modelCode", "")]
    base = next((v.currency for v in rows if v.tag == "NetLiquidation" and v.currency
                 and v.currency != "BASE"), "USD")
    rate = 1.0
    if base != "USD":
        usd = [v.value for v in rows if v.tag == "ExchangeRate" and v.currency == "USD"]
        try:
            rate = float(usd[0])
        except (IndexError, ValueError):
            raise UnsupportedAccount(
                f"account {account}: base currency {base} and IB sent no USD exchange rate; "
                "ecore trades in dollars") from None
        if not rate > 0:
            raise UnsupportedAccount(f"account {account}: USD exchange rate {usd[0]!r} is not "
                                     "a positive number")
    found = {}
    for v in rows:
        if v.tag in SUMMARY_TAGS and v.currency in (base, "BASE"):
            try:
                found.setdefault(SUMMARY_TAGS[v.tag], float(v.value) / rate)
            except ValueError:
                continue
    return AccountState(**{name: found.get(name, 0.0) for name in SUMMARY_TAGS.values()},
                        base_currency=base, usd_rate=rate)


def has_values(values, account: str) -> bool:
    """Whether IB sent ``account``'s net liquidation value (the account download happened)."""
    return any(v.account == account and v.tag == "NetLiquidation" for v in values)
