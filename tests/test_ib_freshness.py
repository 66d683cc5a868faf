"""Issue 26, item 7: a paper run does not price its ladder on a stale curve.  The bundled yields
end 2026-04-17; a run deciding on a session more than five business days later stops before
connecting and tells the user to run `ecore data download`.  Closes are not read by a paper run
(the fund's prices are IB's bars): stale closes are said, not a reason to stop."""

import dataclasses
import datetime as dt

import pytest

from ecore.data.market import load_market
from ecore.engine.paper.freshness import TOLERATED_BUSINESS_DAYS, StaleData, check_freshness
from ib_core_helpers import clock_at
from ib_helpers import CLIENTS, gateway, run  # noqa: F401

YIELDS_END = dt.date(2026, 4, 17)  # a Friday


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_a_december_run_on_the_bundled_yields_stops_before_connecting(gateway, lib_name, tmp_path):
    with pytest.raises(StaleData) as caught:
        run(gateway, lib_name, tmp_path, (), None, strategy="EfficientCore",
            params={"equity": "IVV"}, clock=clock_at(dt.date(2026, 12, 4)))

    message = str(caught.value)
    assert "the yields of the bundled data set end 2026-04-17, 158 business days before the " \
        "session of 2026-12-04" in message
    assert "at most 5 tolerated" in message and "ecore data download" in message
    assert gateway.received == [] and gateway.placed == []


def test_five_business_days_are_tolerated_six_are_not():
    market = load_market(None)
    assert TOLERATED_BUSINESS_DAYS == 5
    assert check_freshness(market, dt.date(2026, 4, 24)) == []  # 5 business days later
    with pytest.raises(StaleData, match="6 business days before the session of 2026-04-27"):
        check_freshness(market, dt.date(2026, 4, 27))


def test_stale_closes_are_said_and_the_funds_prices_are_ibs():
    market = load_market(None)
    old = dataclasses.replace(market, closes=market.closes.loc[:"2026-03-31"])
    [note] = check_freshness(old, dt.date(2026, 4, 20))
    assert note == ("the closes of the bundled data set end 2026-03-31; the fund's prices are "
                    "IB's daily bars (the folder's only before IB's first)")
