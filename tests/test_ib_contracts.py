"""Our instrument names → IB contracts: built from the contract table, qualified once, and
cross-checked (multiplier and last trading day) against it."""

import pytest

from ecore.brokers.ib.client import client_library
from ecore.brokers.ib.contracts import (ContractBook, ContractMismatch, UnknownContract,
                                        instrument_of)
from ecore.data.contracts import Contract
from ecore.brokers.ib.simulator import FakeGateway
from ib_helpers import CLIENTS, gateway  # noqa: F401  (gateway is a fixture)


@pytest.fixture(params=CLIENTS)
def connected(request, gateway):
    lib = client_library(request.param)
    ib = lib.IB()
    ib.connect("127.0.0.1", gateway.port, clientId=3, timeout=5)
    yield lib, ib
    ib.disconnect()


def details_requests(gateway):
    return [m for m in gateway.received if m[0] == "9"]


def test_future_is_built_from_the_contract_table():
    c = ContractBook(client_library("ib_async")).unqualified("ZNH25")
    assert (c.secType, c.symbol, c.lastTradeDateOrContractMonth, c.exchange, c.multiplier,
            c.currency, c.tradingClass) == ("FUT", "ZN", "202503", "CBOT", "1000", "USD", "ZN")


def test_stock_is_smart_routed_with_its_primary_exchange():
    c = ContractBook(client_library("ib_async"), {"SPY": "ARCA"}).unqualified("SPY")
    assert (c.secType, c.symbol, c.exchange, c.primaryExchange, c.currency) == (
        "STK", "SPY", "SMART", "ARCA", "USD")


def test_old_ecbot_venue_is_accepted_and_sent_as_cbot():
    book = ContractBook(client_library("ib_insync"), futures_exchange="ECBOT")
    assert book.unqualified("ZBU25").exchange == "CBOT"


def test_unknown_venue_is_an_error_naming_the_field():
    with pytest.raises(ValueError, match="futures_exchange: 'GLOBEX'"):
        ContractBook(client_library("ib_async"), futures_exchange="GLOBEX")


def test_qualified_future_carries_ibs_contract_id_and_last_trading_day(gateway, connected):
    lib, ib = connected
    c = ContractBook(lib).qualify(ib, "ZNH25")
    assert (c.conId, c.lastTradeDateOrContractMonth, c.localSymbol) == (
        gateway.znh.conId, "20250320", "ZN   MAR 25")
    assert instrument_of(c) == "ZNH25"


def test_contract_is_qualified_once_then_cached(gateway, connected):
    lib, ib = connected
    book = ContractBook(lib)
    first = book.qualify(ib, "ZNM25")
    before = len(details_requests(gateway))
    assert book.qualify(ib, "ZNM25") is first
    assert len(details_requests(gateway)) == before


def test_last_trading_day_disagreeing_with_our_table_stops(connected):
    lib, ib = connected
    wrong = FakeGateway()
    wrong.add_future("ZN", "202509", "20250918")  # our table: 2025-09-19
    wrong.start()
    try:
        ib2 = lib.IB()
        ib2.connect("127.0.0.1", wrong.port, clientId=3, timeout=5)
        with pytest.raises(ContractMismatch, match="ZNU25: IB last trading day 20250918 != ours"):
            ContractBook(lib).qualify(ib2, "ZNU25")
        ib2.disconnect()
    finally:
        wrong.stop()


def test_multiplier_disagreeing_with_our_table_stops():
    lib = client_library("ib_async")
    ib_contract = lib.Future("ZN", "20250320", "CBOT", multiplier="100", tradingClass="ZN")
    with pytest.raises(ContractMismatch, match="ZNH25: IB multiplier 100 != ours 1000"):
        ContractBook.cross_check(Contract.parse("ZNH25"), ib_contract)


def test_contract_ib_does_not_know_is_an_error_naming_it(connected):
    lib, ib = connected
    with pytest.raises(UnknownContract, match="no contract for ZBZ25"):
        ContractBook(lib).qualify(ib, "ZBZ25")


def test_nonsense_instrument_is_an_error_naming_the_field():
    with pytest.raises(ValueError, match="instrument: 'S&P 500'"):
        ContractBook(client_library("ib_async")).unqualified("S&P 500")
