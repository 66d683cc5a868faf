"""`ecore paper status` after fills made while no ecore run was connected: the journal it opens
read-only cannot record them, so it lists them as fills the next run will record (as it does:
test_ib_faults' fills_made_after_a_once_run_exits_are_recovered_by_the_next_run), without the
warning a trading run gives when it infers a fill IB no longer reports."""

import datetime as dt
import logging

import pytest

from ecore.brokers.ib.simulator import GATEWAY_TZ, Accept, Rest
from ecore.engine.cli.main import main
from ib_helpers import CLIENTS, gateway, run, write_target_config  # noqa: F401  (gateway is a fixture)

SPY, ZN = "ecore-20250313-SPY-target-1", "ecore-20250313-ZNM25-target-1"


class GatewayClock:
    def __init__(self, at: dt.datetime):
        self.at = at

    def __call__(self):
        return self.at


@pytest.fixture
def filled_overnight(gateway, tmp_path):
    """A run (client id 7) on 2025-03-13 left BUY 200 SPY and BUY 3 ZNM25 working; ZNM25
    filled at 110 on the evening session, SPY at 561 at the next open; it is now 2025-03-14
    12:00, so IB still has SPY's execution (since its midnight) but no longer ZNM25's."""
    clock = GatewayClock(dt.datetime(2025, 3, 13, 17, 0, tzinfo=GATEWAY_TZ))
    gateway.clock = clock
    gateway.order_script = lambda order: [Rest()] if order.instrument.symbol == "SPY" else [Accept()]
    run(gateway, "ib_async", tmp_path, ["SPY", "ZNM25"], {"SPY": 200, "ZNM25": 3},
        once_timeout=0.5)
    clock.at = dt.datetime(2025, 3, 13, 18, 5, tzinfo=GATEWAY_TZ)
    gateway.fill_open_orders(where=lambda o: o.instrument.secType == "FUT", price=110.0)
    clock.at = dt.datetime(2025, 3, 14, 9, 30, tzinfo=GATEWAY_TZ)
    gateway.fill_open_orders(where=lambda o: o.instrument.symbol == "SPY", price=561.0)
    clock.at = dt.datetime(2025, 3, 14, 12, 0, tzinfo=GATEWAY_TZ)
    return gateway


def status(gateway, lib_name, tmp_path, capsys, caplog, *args) -> str:
    """`ecore paper status`'s output; asserts it exits 0, warns of nothing, writes nothing."""
    cfg = write_target_config(tmp_path, gateway.port, lib_name)
    journal = tmp_path / "journal.sqlite"
    before = journal.read_bytes()
    capsys.readouterr()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ecore"):
        assert main(["paper", "status", "--config", str(cfg), *args]) == 0
    assert [r.getMessage() for r in caplog.records
            if r.name.startswith("ecore") and r.levelno >= logging.WARNING] == []
    assert journal.read_bytes() == before
    return capsys.readouterr().out


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_status_lists_fills_since_the_last_run_as_the_next_runs_to_record_without_warning(
        filled_overnight, lib_name, tmp_path, capsys, caplog):
    out = status(filled_overnight, lib_name, tmp_path, capsys, caplog)

    # on its own client id (10) IB shows status neither execution: SPY's order is in IB's
    # completed orders (filled today), ZNM25's only in the position (0 at the last run, now 3)
    assert "latest fills (0):" in out
    assert out.split("fills since the last run, to be recorded by the next run (2):\n")[1] \
        .splitlines() == [
            f"  -                    {SPY}  BOT 200 SPY (from IB's completed orders, price unknown)",
            f"  -                    {ZN}  BOT 3 ZNM25 (from the change in IB's positions, "
            "price unknown)"]


def test_status_on_the_runs_client_id_shows_the_execution_ib_still_reports_once(
        filled_overnight, tmp_path, capsys, caplog):
    out = status(filled_overnight, "ib_async", tmp_path, capsys, caplog, "--client-id", "7")

    lines = out.split("fills since the last run, to be recorded by the next run (2):\n")[1] \
        .splitlines()
    # SPY's execution, with its price, and not inferred a second time from the completed order
    assert [line.split()[1:] for line in lines] == [
        [SPY, "BOT", "200", "SPY", "@", "561"],
        [ZN, "BOT", "3", "ZNM25", "(from", "the", "change", "in", "IB's", "positions,", "price",
         "unknown)"]]
    assert lines[0].split()[0] == "2025-03-14T09:30:00"
