"""backtrader's order vocabulary on IB paper, against the fake gateway with both client libraries:
each order type sent as IB's native order, brackets and OCA groups, Close mapped to MOC or
refused, validity as tif, several orders on one instrument on one day, and a restart with a
working bracket and a working GTC stop (nothing sent twice)."""

import datetime as dt
from zoneinfo import ZoneInfo

import backtrader as bt
import pytest

from ecore.brokers.ib.journal import Journal
from ib_helpers import CLIENTS, clock_at, gateway, run  # noqa: F401  (gateway is a fixture)

STRATEGY = "test_ib_order_types.Scripted"
NEXT_DAY = dt.date(2025, 3, 14)


class Scripted(bt.Strategy):
    """On the live bar, places ``orders`` (and cancels the first once accepted if
    ``cancel_first``): dicts of ``feed``, ``side`` (buy/sell), ``size`` and
    any of ``exectype`` (backtrader's name), ``price``, ``plimit``, ``valid`` ("DAY", a date or
    None), ``trailamount``, ``trailpercent``, ``oco`` (index of an earlier order); or
    ``bracket`` = (limit price, stop price, take-profit price) for ``buy_bracket``."""

    params = (("orders", []), ("cancel_first", False))

    def __init__(self):
        self.notes = []
        self.placed = []

    def notify_order(self, order):
        self.notes.append((order.data._name, order.getstatusname(), order.info.get("reason", "")))
        if self.p.cancel_first and self.placed and order.ref == self.placed[0].ref and \
                order.getstatusname() == "Accepted":
            self.cancel(self.placed[0])

    def next(self):
        if self.data._laststatus != self.data.LIVE or self.placed:
            return
        for spec in self.p.orders:
            data = self.getdatabyname(spec["feed"])
            if "bracket" in spec:
                price, stop, limit = spec["bracket"]
                kw = {"exectype": getattr(bt.Order, spec["exectype"])} \
                    if "exectype" in spec else {}
                self.placed += self.buy_bracket(data=data, size=spec["size"], price=price,
                                                stopprice=stop, limitprice=limit, **kw)
                continue
            kw = {k: spec[k] for k in ("price", "plimit", "trailamount", "trailpercent")
                  if k in spec}
            if "exectype" in spec:
                kw["exectype"] = getattr(bt.Order, spec["exectype"])
            if "valid" in spec:
                kw["valid"] = bt.Order.DAY if spec["valid"] == "DAY" else spec["valid"]
            if "oco" in spec:
                kw["oco"] = self.placed[spec["oco"]]
            side = self.buy if spec["side"] == "buy" else self.sell
            self.placed.append(side(data=data, size=spec["size"], **kw))


def place(gateway, lib_name, tmp_path, instruments, orders, **kw):
    kw.setdefault("once_timeout", 1.5)  # a resting netted limit holds the run this long
    return run(gateway, lib_name, tmp_path, instruments, None, strategy=STRATEGY,
               params={"orders": orders}, **kw)


def orders_reported(gateway, lib_name) -> dict:
    """{orderRef: Order} as the client library decodes the open orders the gateway reports on
    connecting (client id 7, the runs')."""
    import importlib

    ib = importlib.import_module(lib_name).IB()
    ib.connect("127.0.0.1", gateway.port, clientId=7, timeout=5)
    try:
        return {t.order.orderRef: t.order for t in ib.openTrades()}
    finally:
        ib.disconnect()


def paper_config(gateway, lib_name, tmp_path, instruments, orders, once_timeout):
    """A paper config of the scripted strategy sending ``orders`` (TOML inline tables) on
    ``instruments``, for the ``ecore paper`` command."""
    cfg = tmp_path / "paper.toml"
    listed = ", ".join(f'"{i}"' for i in instruments)
    scripted = ",\n  ".join(orders)
    cfg.write_text(f"""
[ib]
port = {gateway.port}
client_id = 9
client = "{lib_name}"
journal = "journal.sqlite"
[strategy]
class = "{STRATEGY}"
instruments = [{listed}]
params = {{ orders = [
  {scripted} ] }}
[schedule]
history_days = 4
once_timeout = {once_timeout}
""")
    return cfg


def sent(gateway):
    return [(o.orderType, o.action, o.totalQuantity) for o in gateway.placed]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_stop_is_ibs_stp_good_till_cancelled_and_fills_where_the_path_reaches_it(
        gateway, lib_name, tmp_path):
    gateway.set_position(gateway.spy, 100)
    result = place(gateway, lib_name, tmp_path, ["SPY"],
                   [{"feed": "SPY", "side": "sell", "size": 100, "exectype": "Stop",
                     "price": 550.0}])

    [order] = gateway.placed
    assert (order.orderType, order.auxPrice, order.tif) == ("STP", 550.0, "GTC")
    assert [n[1] for n in result.strategy.notes] == ["Submitted", "Accepted"]
    gateway.move_price(gateway.spy, 555.0, 551.0)
    assert order.status == "Submitted"
    gateway.move_price(gateway.spy, 549.0)
    assert (order.status, order.avgFillPrice, gateway.positions[gateway.spy.conId]) == \
        ("Filled", 549.0, 0.0)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_stop_limit_triggers_then_waits_for_its_limit(gateway, lib_name, tmp_path):
    gateway.set_position(gateway.spy, 100)
    place(gateway, lib_name, tmp_path, ["SPY"],
          [{"feed": "SPY", "side": "sell", "size": 100, "exectype": "StopLimit",
            "price": 550.0, "plimit": 549.5}])

    [order] = gateway.placed
    assert (order.orderType, order.auxPrice, float(order.lmtPrice)) == ("STP LMT", 550.0, 549.5)
    gateway.move_price(gateway.spy, 549.0)  # triggered, under the limit: no fill
    assert (order.triggered, order.status) == (True, "Submitted")
    gateway.move_price(gateway.spy, 549.75)
    assert (order.status, order.avgFillPrice) == ("Filled", 549.75)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_trailing_stop_follows_the_best_price_and_fills_when_it_turns(
        gateway, lib_name, tmp_path):
    gateway.set_position(gateway.spy, 100)
    place(gateway, lib_name, tmp_path, ["SPY"],
          [{"feed": "SPY", "side": "sell", "size": 100, "exectype": "StopTrail",
            "trailamount": 2.0}])

    [order] = gateway.placed
    assert (order.orderType, order.auxPrice) == ("TRAIL", 2.0)
    gateway.move_price(gateway.spy, 565.0, 563.5, 566.0)
    assert [stop for _, stop in gateway.trail_updates] == [558.0, 563.0, 564.0]
    gateway.move_price(gateway.spy, 564.0)
    assert (order.status, order.avgFillPrice) == ("Filled", 564.0)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_trailing_percent_and_trailing_stop_limit_carry_ibs_fields(gateway, lib_name, tmp_path):
    gateway.set_position(gateway.spy, 200)
    place(gateway, lib_name, tmp_path, ["SPY"], [
        {"feed": "SPY", "side": "sell", "size": 100, "exectype": "StopTrail",
         "trailpercent": 0.05},
        {"feed": "SPY", "side": "sell", "size": 100, "exectype": "StopTrailLimit",
         "price": 555.0, "plimit": 554.0, "trailamount": 5.0}])

    percent, limit = gateway.placed
    assert (percent.orderType, percent.trailingPercent) == ("TRAIL", 5.0)
    assert (limit.orderType, limit.auxPrice, limit.trailStopPrice, limit.lmtPriceOffset) == \
        ("TRAIL LIMIT", 5.0, 555.0, 1.0)
    assert percent.trailStopPrice == pytest.approx(560.0 * 0.95)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_limits_good_till_cancelled_till_a_date_and_for_the_day_are_each_sent_and_expire(
        gateway, lib_name, tmp_path):
    gateway.price_driven = True  # limits rest until the price reaches them
    result = place(gateway, lib_name, tmp_path, ["SPY"], [
        {"feed": "SPY", "side": "buy", "size": 10, "exectype": "Limit", "price": 550.0},
        {"feed": "SPY", "side": "buy", "size": 10, "exectype": "Limit", "price": 549.0,
         "valid": dt.date(2025, 3, 20)},
        {"feed": "SPY", "side": "buy", "size": 10, "exectype": "Limit", "price": 548.0,
         "valid": "DAY"}])

    assert [(o.tif, o.goodTillDate) for o in gateway.placed] == [
        ("GTC", ""), ("GTD", "20250320 00:00:00 US/Eastern"), ("DAY", "")]
    assert [n[1] for n in result.strategy.notes].count("Accepted") == 3
    new_york = ZoneInfo("America/New_York")
    gateway.close_session(now=dt.datetime(2025, 3, 14, 16, 0, tzinfo=new_york))
    assert [o.status for o in gateway.placed] == ["Submitted", "Submitted", "Cancelled"]
    gateway.close_session(now=dt.datetime(2025, 3, 20, 16, 0, tzinfo=new_york))
    assert [o.status for o in gateway.placed] == ["Submitted", "Cancelled", "Cancelled"]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_several_market_orders_on_one_instrument_on_one_day_are_each_sent(
        gateway, lib_name, tmp_path):
    result = place(gateway, lib_name, tmp_path, ["SPY"], [
        {"feed": "SPY", "side": "buy", "size": 100}, {"feed": "SPY", "side": "buy", "size": 50}])

    assert sent(gateway) == [("MKT", "BUY", 100.0), ("MKT", "BUY", 50.0)]
    assert [n[1] for n in result.strategy.notes].count("Completed") == 2
    assert result.positions == {"SPY": 150.0}


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_bracket_children_wait_for_the_parent_and_cancel_each_other(gateway, lib_name, tmp_path):
    place(gateway, lib_name, tmp_path, ["SPY"],
          [{"feed": "SPY", "side": "buy", "size": 10, "bracket": (555.0, 540.0, 580.0)}])

    parent, stop, profit = gateway.placed
    assert [(o.orderType, o.transmit) for o in gateway.placed] == [
        ("LMT", False), ("STP", False), ("LMT", True)]
    assert stop.parentId == profit.parentId == parent.orderId
    assert [o.status for o in gateway.placed] == ["Submitted", "PreSubmitted", "PreSubmitted"]
    gateway.move_price(gateway.spy, 554.0)
    assert [o.status for o in gateway.placed] == ["Filled", "Submitted", "Submitted"]
    gateway.move_price(gateway.spy, 581.0)
    assert [o.status for o in gateway.placed] == ["Filled", "Cancelled", "Filled"]
    assert gateway.positions[gateway.spy.conId] == 0.0


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_oco_orders_share_an_oca_group_and_ib_cancels_the_others(gateway, lib_name, tmp_path):
    gateway.price_driven = True
    place(gateway, lib_name, tmp_path, ["SPY"], [
        {"feed": "SPY", "side": "buy", "size": 10, "exectype": "Limit", "price": 550.0},
        {"feed": "SPY", "side": "buy", "size": 10, "exectype": "Limit", "price": 545.0,
         "oco": 0},
        {"feed": "SPY", "side": "buy", "size": 10, "exectype": "Stop", "price": 570.0,
         "oco": 0}])

    groups = {o.ocaGroup for o in gateway.placed}
    assert len(groups) == 1 and groups != {""}
    assert {o.ocaType for o in gateway.placed} == {1}
    gateway.move_price(gateway.spy, 549.0)
    assert [o.status for o in gateway.placed] == ["Filled", "Cancelled", "Cancelled"]
    assert gateway.positions[gateway.spy.conId] == 10.0


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_close_is_moc_where_ib_offers_it_and_refused_naming_the_instrument_elsewhere(
        gateway, lib_name, tmp_path):
    result = place(gateway, lib_name, tmp_path, ["SPY", "ZNM25"], [
        {"feed": "SPY", "side": "buy", "size": 10, "exectype": "Close"},
        {"feed": "ZNM25", "side": "buy", "size": 1, "exectype": "Close"}])

    assert sent(gateway) == [("MOC", "BUY", 10.0)]
    [refused] = [n for n in result.strategy.notes if n[1] == "Rejected"]
    assert refused[0] == "ZNM25" and "IB does not offer for ZNM25" in refused[2]
    assert any("ZNM25" in line for line in result.summary.refused)
    gateway.close_session([(gateway.spy, 561.0)])
    assert (gateway.placed[0].status, gateway.placed[0].avgFillPrice) == ("Filled", 561.0)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_restart_finds_the_working_bracket_and_gtc_stop_and_sends_nothing_twice(
        gateway, lib_name, tmp_path):
    gateway.set_position(gateway.znm, 2)
    orders = [{"feed": "SPY", "side": "buy", "size": 10, "bracket": (555.0, 540.0, 580.0)},
              {"feed": "ZNM25", "side": "sell", "size": 2, "exectype": "Stop", "price": 109.0}]
    place(gateway, lib_name, tmp_path, ["SPY", "ZNM25"], orders)
    assert len(gateway.placed) == 4

    gateway.restart()
    for inst in (gateway.spy, gateway.znm):
        inst.bars.append((f"{NEXT_DAY:%Y%m%d}", *inst.bars[-1][1:]))
    again = place(gateway, lib_name, tmp_path, ["SPY", "ZNM25"], orders,
                  clock=clock_at(NEXT_DAY))

    assert len(gateway.placed) == 4  # nothing sent again
    # IB reports them again after the restart, as placed
    seen = orders_reported(gateway, lib_name)
    stop = seen[gateway.placed[3].orderRef]
    assert (stop.orderType, stop.auxPrice, stop.tif) == ("STP", 109.0, "GTC")
    children = [seen[o.orderRef] for o in gateway.placed[1:3]]
    assert [c.parentId for c in children] == [gateway.placed[0].orderId] * 2
    # IB's wart: a waiting child's ocaGroup comes back as a number of its own; ecore adopts by
    # its journal, not by what IB reports
    assert all(c.ocaGroup.isdigit() for c in children)
    assert [n[1] for n in again.strategy.notes].count("Accepted") == 4
    journal = Journal(tmp_path / "journal.sqlite")
    assert [e.status for e in journal.entries()] == ["working"] * 4
    gateway.move_price(gateway.spy, 554.0)
    assert [o.status for o in gateway.placed[:3]] == ["Filled", "Submitted", "Submitted"]
    gateway.move_price(gateway.znm, 108.5)
    assert gateway.placed[3].status == "Filled"


class ScaleIn(bt.Strategy):
    """Buys ``first`` on the live bar (a limit at ``limit`` if given) and ``then`` more at the
    market when the first order reaches ``on`` (a status name): a second same-direction order
    of the same day, decided in a later cycle of the same run."""

    params = (("first", 100), ("then", 50), ("limit", None), ("on", "Completed"))

    def __init__(self):
        self.notes = []
        self.started = False
        self.added = False

    def notify_order(self, order):
        self.notes.append((order.getstatusname(), order.size, order.info.get("reason", "")))
        if order.getstatusname() == self.p.on and not self.added:
            self.added = True
            self.buy(data=self.data, size=self.p.then)

    def next(self):
        if self.data._laststatus != self.data.LIVE or self.started:
            return
        self.started = True
        kw = {"exectype": bt.Order.Limit, "price": self.p.limit} if self.p.limit else {}
        self.buy(data=self.data, size=self.p.first, **kw)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_second_buy_after_the_first_filled_is_sent_not_held_to_the_first_target(
        gateway, lib_name, tmp_path):
    result = run(gateway, lib_name, tmp_path, ["SPY"], None,
                 strategy="test_ib_order_types.ScaleIn", once_timeout=5.0)

    assert sent(gateway) == [("MKT", "BUY", 100.0), ("MKT", "BUY", 50.0)]
    assert [n for n in result.strategy.notes if n[0] == "Completed"] == [
        ("Completed", 100, ""), ("Completed", 50, "")]
    assert result.positions == {"SPY": 150.0}


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_second_buy_while_the_first_rests_is_sent_not_reported_accepted_and_left_unsent(
        gateway, lib_name, tmp_path):
    gateway.price_driven = True
    result = run(gateway, lib_name, tmp_path, ["SPY"], None, once_timeout=1.5,
                 strategy="test_ib_order_types.ScaleIn",
                 params={"limit": 550.0, "on": "Accepted"})

    assert sent(gateway) == [("LMT", "BUY", 100.0), ("MKT", "BUY", 50.0)]
    assert result.positions == {"SPY": 50.0}
    assert gateway.placed[0].status == "Submitted"


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_same_day_rerun_of_the_same_decision_still_sends_nothing_twice(
        gateway, lib_name, tmp_path):
    for _ in range(2):
        run(gateway, lib_name, tmp_path, ["SPY"], None, strategy="test_ib_order_types.ScaleIn",
            once_timeout=5.0)

    assert sent(gateway) == [("MKT", "BUY", 100.0), ("MKT", "BUY", 50.0)]
    assert gateway.positions[gateway.spy.conId] == 150.0


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_gtd_limit_ib_ends_at_its_date_is_expired_for_the_strategy(gateway, lib_name, tmp_path):
    import threading

    gateway.price_driven = True
    after = dt.datetime(2025, 3, 20, 16, 0, tzinfo=ZoneInfo("America/New_York"))
    timer = threading.Timer(1.0, gateway.close_session, kwargs={"now": after})
    timer.start()
    result = place(gateway, lib_name, tmp_path, ["SPY"], [
        {"feed": "SPY", "side": "buy", "size": 10, "exectype": "Limit", "price": 549.0,
         "valid": dt.date(2025, 3, 20)}], once_timeout=5.0)
    timer.join()

    assert gateway.expired == [gateway.placed[0].orderRef]
    [expired] = [n for n in result.strategy.notes if n[1] == "Expired"]
    assert "GTD 20250320 00:00:00" in expired[2]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_dry_run_lists_the_native_orders_and_sends_nothing(gateway, lib_name, tmp_path):
    gateway.set_position(gateway.spy, 100)
    result = place(gateway, lib_name, tmp_path, ["SPY"], [
        {"feed": "SPY", "side": "sell", "size": 100, "exectype": "Stop", "price": 550.0},
        {"feed": "SPY", "side": "buy", "size": 10}], dry_run=True)

    assert gateway.placed == []
    assert [(d.intent.order_type, d.intent.action, d.intent.quantity)
            for d in result.broker.dry_run_orders] == [("STP", "SELL", 100.0), ("MKT", "BUY", 10.0)]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_ecore_paper_sends_a_stop_and_says_which_close_it_refused(
        gateway, lib_name, tmp_path, capsys):
    from ecore.engine.cli.main import main
    from ib_helpers import bars_to_now

    bars_to_now(gateway)
    gateway.set_position(gateway.spy, 100)
    cfg = paper_config(gateway, lib_name, tmp_path, ["SPY", "ZNM25"], [
        '{ feed = "SPY", side = "sell", size = 100, exectype = "Stop", price = 550.0 }',
        '{ feed = "ZNM25", side = "buy", size = 1, exectype = "Close" }'], once_timeout=5)
    status = main(["paper", "--config", str(cfg), "--once"])

    out = capsys.readouterr().out
    assert status == 4  # a refused order: not everything meant was done
    assert sent(gateway) == [("STP", "SELL", 100.0)]
    assert "working 1" in out and "refused 1" in out
    assert "refused     ZNM25: a Close order needs IB's MOC" in out


OCO_ORDERS = [
    {"feed": "SPY", "side": "buy", "size": 10, "exectype": "Limit", "price": 550.0},
    {"feed": "SPY", "side": "buy", "size": 10, "exectype": "Limit", "price": 545.0, "oco": 0},
    {"feed": "SPY", "side": "buy", "size": 10, "exectype": "Stop", "price": 570.0, "oco": 0}]


@pytest.mark.parametrize("oca_style", ["cancelled", "inactive"])
@pytest.mark.parametrize("lib_name", CLIENTS)
def test_the_oco_member_that_fills_is_completed_and_its_siblings_canceled(
        gateway, lib_name, oca_style, tmp_path):
    """Whether IB ends the siblings as cancelled (202) or as rejected (201 "OCA order cancel",
    Inactive), the strategy sees them Canceled, not Rejected."""
    import threading

    gateway.price_driven = True
    gateway.oca_style = oca_style
    timer = threading.Timer(1.0, gateway.move_price, (gateway.spy, 571.0))
    timer.start()
    result = place(gateway, lib_name, tmp_path, ["SPY"], OCO_ORDERS, once_timeout=5.0)
    timer.join()

    assert [o.getstatusname() for o in result.strategy.placed] == \
        ["Canceled", "Canceled", "Completed"]
    assert result.positions == {"SPY": 10.0}


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_same_day_rerun_of_an_oco_group_sends_no_sibling_twice(gateway, lib_name, tmp_path):
    gateway.price_driven = True
    place(gateway, lib_name, tmp_path, ["SPY"], OCO_ORDERS)
    again = place(gateway, lib_name, tmp_path, ["SPY"], OCO_ORDERS)

    assert len(gateway.placed) == 3
    assert [o.getstatusname() for o in again.strategy.placed] == ["Accepted"] * 3
    gateway.move_price(gateway.spy, 549.0)
    assert [o.status for o in gateway.placed] == ["Filled", "Cancelled", "Cancelled"]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_market_bracket_fills_its_parent_and_leaves_both_legs_working(
        gateway, lib_name, tmp_path):
    result = place(gateway, lib_name, tmp_path, ["SPY"],
                   [{"feed": "SPY", "side": "buy", "size": 10, "exectype": "Market",
                     "bracket": (None, 540.0, 580.0)}])

    assert [(o.orderType, o.tif, o.status) for o in gateway.placed] == [
        ("MKT", "DAY", "Filled"), ("STP", "GTC", "Submitted"), ("LMT", "GTC", "Submitted")]
    assert [o.getstatusname() for o in result.strategy.placed] == \
        ["Completed", "Accepted", "Accepted"]
    assert result.positions == {"SPY": 10.0}


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_an_order_joining_a_group_that_already_filled_is_ended_by_ib_not_traded(
        gateway, lib_name, tmp_path):
    gateway.price_driven = True
    result = place(gateway, lib_name, tmp_path, ["SPY"], [
        {"feed": "SPY", "side": "buy", "size": 10, "exectype": "Limit", "price": 565.0},
        {"feed": "SPY", "side": "buy", "size": 10, "exectype": "Limit", "price": 545.0,
         "oco": 0}])

    assert [o.status for o in gateway.placed] == ["Filled", "Inactive"]
    assert [o.getstatusname() for o in result.strategy.placed] == ["Completed", "Canceled"]
    assert result.positions == {"SPY": 10.0}


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_cancelling_a_bracket_parent_cancels_its_legs_at_ib(gateway, lib_name, tmp_path):
    result = run(gateway, lib_name, tmp_path, ["SPY"], None, strategy=STRATEGY,
                 params={"orders": [{"feed": "SPY", "side": "buy", "size": 10,
                                     "bracket": (555.0, 540.0, 580.0)}],
                         "cancel_first": True}, once_timeout=5.0)

    assert [o.status for o in gateway.placed] == ["Cancelled"] * 3
    assert [o.getstatusname() for o in result.strategy.placed] == ["Canceled"] * 3


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_priced_close_is_loc_and_trades_at_the_close_only_within_its_limit(
        gateway, lib_name, tmp_path):
    gateway.spy2 = gateway.add_stock("IVV", primary="NYSE", price=600.0,
                                     bars=[(d, 600.0, 600.5, 599.5, 600.0, 1000)
                                           for d in ("20250310", "20250311", "20250312",
                                                     "20250313")])
    place(gateway, lib_name, tmp_path, ["SPY", "IVV"], [
        {"feed": "SPY", "side": "buy", "size": 10, "exectype": "Close", "price": 559.0},
        {"feed": "IVV", "side": "buy", "size": 5, "exectype": "Close", "price": 601.0}])

    assert [(o.orderType, float(o.lmtPrice), o.tif) for o in gateway.placed] == [
        ("LOC", 559.0, "DAY"), ("LOC", 601.0, "DAY")]
    gateway.close_session([(gateway.spy, 561.0), (gateway.spy2, 600.25)])
    assert [(o.status, o.avgFillPrice) for o in gateway.placed] == [
        ("Cancelled", 0.0), ("Filled", 600.25)]


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_dry_run_and_status_show_each_orders_stop_trail_and_validity(
        gateway, lib_name, tmp_path, capsys):
    from ecore.engine.cli.main import main
    from ib_helpers import bars_to_now

    bars_to_now(gateway)
    gateway.set_position(gateway.spy, 200)
    cfg = paper_config(gateway, lib_name, tmp_path, ["SPY"], [
        '{ feed = "SPY", side = "sell", size = 100, exectype = "Stop", price = 550.0 }',
        '{ feed = "SPY", side = "sell", size = 100, exectype = "StopTrail", trailpercent = 0.05 }'],
        once_timeout=3)
    assert main(["paper", "--config", str(cfg), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "SELL 100 SPY STP stop 550 GTC  notional $55,000" in out
    assert "SELL 100 SPY TRAIL trail 5% GTC  notional" in out

    assert main(["paper", "--config", str(cfg), "--once"]) == 0
    capsys.readouterr()
    assert main(["paper", "status", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "SELL 100 SPY STP stop 550 GTC Submitted" in out
    assert "SELL 100 SPY TRAIL trail 5% GTC Submitted" in out


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_dry_run_computes_a_bracket_and_an_oco_group_with_their_links(
        gateway, lib_name, tmp_path):
    from ecore.brokers.ib.order_types import OrderTerms

    result = place(gateway, lib_name, tmp_path, ["SPY"], [
        {"feed": "SPY", "side": "buy", "size": 10, "bracket": (555.0, 540.0, 580.0)},
        *[dict(o, oco=3) if "oco" in o else o for o in OCO_ORDERS]], dry_run=True)

    assert gateway.placed == []
    intents = [d.intent for d in result.broker.dry_run_orders]
    assert len({i.order_ref for i in intents}) == 6  # six distinct orderRefs
    terms = [OrderTerms.from_text(i.terms) for i in intents]
    assert terms[1].parent_ref == terms[2].parent_ref == intents[0].order_ref
    assert terms[3].oca_group == terms[4].oca_group == terms[5].oca_group != ""
    assert [o.getstatusname() for o in result.strategy.placed] == ["Accepted"] * 6
