"""SixtyForty on a paper account run once a day from cron: it allocates once, then trades only
when the quarter turns — a new process in the same quarter sends nothing."""

import datetime as dt

import pytest

from ecore.brokers.ib.simulator import FakeGateway
from ib_core_helpers import bar_days, clock_at
from ib_helpers import CLIENTS, run

NAV = 1_000_000.0
IVV, AGG = 500.0, 100.0


@pytest.fixture
def gateway():
    gw = FakeGateway()
    yield gw
    gw.stop()
    assert gw.errors == []


def script(gw, live_day):
    days = [d.strftime("%Y%m%d") for d in bar_days(live_day)]
    gw.account_values.update(NetLiquidation=NAV, TotalCashValue=NAV, ExcessLiquidity=NAV, BuyingPower=NAV)
    made = {s: gw.add_stock(s, price=p, bars=[(d, p, p, p, p, 1000) for d in days])
            for s, p in (("IVV", IVV), ("AGG", AGG))}
    return made


def run_6040(gw, lib_name, tmp_path, day):
    gw.start()
    return run(gw, lib_name, tmp_path, (), None, strategy="SixtyForty", params={}, clock=clock_at(day))


def orders(gw):
    return sorted((o.instrument.localSymbol, o.action, o.totalQuantity) for o in gw.placed)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_first_run_allocates_sixty_forty(gateway, lib_name, tmp_path):
    script(gateway, dt.date(2025, 5, 14))
    run_6040(gateway, lib_name, tmp_path, dt.date(2025, 5, 14))
    # 60% and 40% of $1M less the 0.2% cash buffer: 1197 IVV at $500, 3992 AGG at $100.
    assert orders(gateway) == [("AGG", "BUY", 3992), ("IVV", "BUY", 1197)]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_new_process_in_the_same_quarter_sends_nothing(gateway, lib_name, tmp_path):
    made = script(gateway, dt.date(2025, 5, 15))
    gateway.set_position(made["IVV"], 1100, IVV)
    gateway.set_position(made["AGG"], 4500, AGG)
    run_6040(gateway, lib_name, tmp_path, dt.date(2025, 5, 15))
    assert orders(gateway) == []


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_the_first_day_of_a_quarter_rebalances(gateway, lib_name, tmp_path):
    made = script(gateway, dt.date(2025, 7, 1))
    gateway.set_position(made["IVV"], 1100, IVV)
    gateway.set_position(made["AGG"], 4500, AGG)
    run_6040(gateway, lib_name, tmp_path, dt.date(2025, 7, 1))
    assert orders(gateway) == [("AGG", "SELL", 508), ("IVV", "BUY", 97)]
