"""Issue 26, item 4: one account, exactly.  Under a login with several accounts (an advisor's,
or linked paper accounts) IB sends the other accounts' positions, open orders, executions and
completed orders on the same connection; ecore counts only the configured account's, and the
kill switch cancels only ecore's orders of that account, one by one (IB's global cancel would
take every account's orders, manual ones included).  Against the fake gateway, with both
client libraries."""

import threading

import pytest

from ecore.brokers.ib.journal import Journal
from ecore.brokers.ib.simulator import Accept, FakeGateway
from ib_helpers import CLIENTS, run, zn_gateway

OURS, OTHER = "DU1111111", "DU2222222"
REF = "ecore-20250313-ZNM25-target-1"


@pytest.fixture
def login():
    gw = zn_gateway(FakeGateway(accounts=[OURS, OTHER]))
    gw.start()
    yield gw
    gw.stop()
    assert gw.errors == []


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_another_accounts_working_order_and_position_are_not_netted_against_ours(
        login, lib_name, tmp_path):
    login.add_foreign_order(login.znm, "BUY", 3, OTHER)
    login.other_account_positions = [(OTHER, login.znm, 5.0)]
    result = run(login, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, account=OURS)

    mine = [o for o in login.placed if o.account == OURS]
    assert [(o.orderRef, o.totalQuantity) for o in mine] == [(REF, 3.0)]
    assert result.positions == {"ZNM25": 3.0}


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_another_accounts_fill_under_the_same_order_ref_is_not_journaled_as_ours(
        login, lib_name, tmp_path):
    # our order rests; a twin ecore run for the linked account uses the same orderRef
    login.order_script = lambda order: [Accept()]
    run(login, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, account=OURS, once_timeout=0.3)
    twin = login.add_foreign_order(login.znm, "BUY", 3, OTHER, client_id=0, order_ref=REF)
    login.fill_foreign_order(twin)
    login.master_client_id = 7  # the session sees every client's executions
    run(login, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, account=OURS, once_timeout=0.3)

    journal = Journal(tmp_path / "journal.sqlite")
    assert journal.executions(REF) == []
    assert journal.entry(REF).status == "working"
    journal.close()
    assert len([o for o in login.placed if o.account == OURS]) == 1


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_kill_switch_cancels_only_our_orders_of_the_account_one_by_one(
        login, lib_name, tmp_path):
    manual = login.add_foreign_order(login.znm, "SELL", 2, OTHER)
    login.order_script = lambda order: [Accept()]
    trip = threading.Thread(target=lambda: login.wait_for(
        lambda: [o for o in login.placed if o.account == OURS]) and (tmp_path / "STOP").touch())
    trip.start()
    result = run(login, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, account=OURS)
    trip.join()

    assert result.broker.stopped and result.broker.killed == 1
    assert manual.status == "Submitted"  # the other account's order is left alone
    assert [o.status for o in login.placed if o.account == OURS] == ["Cancelled"]
    assert not any(m[0] == "58" for m in login.received)  # no global cancel
