"""Issue 26, items 1 and 6: a rejection, whatever order IB sends its parts in, is journaled
rejected with IB's reason; a rejection or cancel by IB found by a later run is reported by that
run; a rejected intent is sent again the same day only with ``--retry-rejected``, and never
doubles an order IB holds.  Against the fake gateway, with both client libraries.

What real TWS does (the fake plays each): error 201 then openOrder/orderStatus ``Inactive``
(ib_insync#554); ``Inactive`` first and the reason after it (ib_insync#313); ``Inactive`` alone
(nautilus_trader#3603/#3723 treat it as a rejection unless ``whyHeld`` is "locate"); an order
resting until the open rejected at the open, seen by the next session only among the completed
orders; TWS's precautionary size limit refusing an order with error 451."""

import datetime as dt

import pytest

from ecore.brokers.ib.journal import Journal
from ecore.brokers.ib.simulator import SIZE_LIMIT_TEXT, Accept, Fill, Hold, Reject, Rest
from ib_helpers import CLIENTS, gateway, run  # noqa: F401

REF = "ecore-20250313-ZNM25-target-1"
REASON = "MUST EXCEED THE INITIAL MARGIN"


def entry(tmp_path, ref=REF):
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        return journal.entry(ref)
    finally:
        journal.close()


@pytest.mark.parametrize("lib_name", CLIENTS)
@pytest.mark.parametrize("script", [
    Reject(201, error_first=True),  # 201, then Inactive
    Reject(201, inactive_first=True),  # Inactive, then 201 at once
    Reject(201, inactive_first=True, text_delay=0.4),  # Inactive, the reason 0.4 s later
], ids=["201-then-inactive", "inactive-then-201", "inactive-then-late-201"])
def test_a_rejection_is_journaled_rejected_with_ibs_reason_whatever_the_order(
        gateway, lib_name, tmp_path, script):
    gateway.order_script = lambda order: [script]
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    e = entry(tmp_path)
    assert e.status == "rejected" and "IB error 201" in e.reason and REASON in e.reason
    assert [n[1] for n in result.strategy.notes if n[1] in ("Rejected", "Canceled")] == \
        ["Rejected"]
    assert result.summary.exit_code == 4 and len(result.summary.rejected) == 1


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_inactive_alone_is_a_rejection_without_a_reason(gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [Reject(201, no_text=True)]
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    e = entry(tmp_path)
    assert (e.status, e.reason) == ("rejected",
                                    "rejected by IB, no reason given (status Inactive)")
    assert result.summary.exit_code == 4
    assert "rejected    ecore-20250313-ZNM25-target-1: rejected by IB, no reason given" in \
        result.summary.text()


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_same_day_rerun_does_not_resend_a_late_reasoned_rejection(gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [Reject(201, inactive_first=True, text_delay=0.3)]
    run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})
    second = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})

    assert [o.orderRef for o in gateway.placed] == [REF]
    assert second.summary.exit_code == 4
    assert second.summary.held_back[0][0] == REF
    assert "--retry-rejected" in second.summary.text()


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_an_order_rejected_at_the_open_while_no_process_ran_is_reported_by_the_next_run(
        gateway, lib_name, tmp_path):
    # evening: the order rests until the open and the run ends (exit 0: IB holds it)
    gateway.clock = lambda: dt.datetime(2025, 3, 13, 17, 0, tzinfo=dt.timezone.utc)
    gateway.order_script = lambda order: [Rest()]
    first = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, once_timeout=0.3)
    assert first.summary.exit_code == 0 and first.summary.working == (REF,)
    # 09:30 next day, no ecore process: IB rejects it at the open
    gateway.clock = lambda: dt.datetime(2025, 3, 14, 14, 30, tzinfo=dt.timezone.utc)
    gateway.reject_open_orders(201, "Order rejected - reason:" + REASON)
    gateway.clock = lambda: dt.datetime(2025, 3, 14, 21, 0, tzinfo=dt.timezone.utc)
    gateway.order_script = lambda order: [Accept(), Fill()]
    # the next run (targets unchanged, its day's order fills) reports the rejection it found
    second = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 0})

    e = entry(tmp_path)
    assert e.status == "rejected" and REASON in e.reason
    assert second.summary.exit_code == 4
    [(ref, status, why)] = second.summary.found_ended
    assert (ref, status) == (REF, "rejected") and REASON in why
    assert f"rejected    {REF}: IB rejected it: Order rejected" in second.summary.text()


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_after_a_451_is_fixed_retry_rejected_sends_the_intent_again_once(
        gateway, lib_name, tmp_path):
    gateway.order_script = lambda order: [Reject(451, SIZE_LIMIT_TEXT.format(id=order.orderId))]
    first = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})
    assert "IB error 451" in entry(tmp_path).reason and first.summary.exit_code == 4
    # the user raises TWS's size limit; without the flag nothing goes
    gateway.order_script = lambda order: [Accept(), Fill()]
    held = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3})
    assert len(gateway.placed) == 1 and held.summary.exit_code == 4
    retried = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, retry_rejected=True)
    again = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, retry_rejected=True)

    assert [o.orderRef for o in gateway.placed] == [REF, "ecore-20250313-ZNM25-target-2"]
    assert retried.summary.exit_code == 0 and again.summary.exit_code == 0
    assert gateway.positions[gateway.znm.conId] == 3


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_retry_rejected_never_doubles_an_order_ib_holds_after_all(gateway, lib_name, tmp_path):
    # IB answers 201 but keeps the order working (a journal saying rejected is wrong)
    gateway.order_script = lambda order: [Accept(), Reject(201, no_text=True)]

    def revive(order):
        order.status = "Submitted"
        order.completed_at = None
    run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, once_timeout=0.5)
    for order in gateway.placed:
        revive(order)
    result = run(gateway, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 3}, retry_rejected=True,
                 once_timeout=0.5)

    assert len(gateway.placed) == 1
    assert entry(tmp_path).status == "working"
    assert result.summary.exit_code == 0


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_inactive_while_ib_locates_shares_is_not_a_rejection(gateway, lib_name, tmp_path):
    import threading

    # a short sale: IB says Inactive with whyHeld "locate", and fills it once it found the
    # shares, well after the grace an Inactive order gets for its reason
    gateway.order_script = lambda order: [Accept(), Hold("locate")]
    found = threading.Timer(2.0, gateway.fill_open_orders)
    found.start()
    result = run(gateway, lib_name, tmp_path, ["SPY"], {"SPY": -100})
    found.join()

    e = entry(tmp_path, "ecore-20250313-SPY-target-1")
    assert e.status == "filled"
    assert result.summary.exit_code == 0 and result.positions == {"SPY": -100.0}
