"""The broker behaves the same under the Cerebro settings the runner uses (next mode, quick notify)."""

import pytest

import broker_helpers
import test_broker
import test_broker_backtrader

CASES = [
    test_broker.test_ten_year_losing_one_point_debits_1000,
    test_broker.test_cme_example_call_met_means_no_liquidation,
    test_broker.test_cme_example_unmet_call_is_liquidated_and_seen_by_the_strategy,
    test_broker.test_order_needing_more_margin_than_equity_is_rejected_and_changes_nothing,
    test_broker.test_roll_between_contracts_one_point_apart_changes_nav_only_by_costs,
    test_broker.test_position_is_closed_before_first_intention_day_with_a_warning,
    test_broker.test_interest_one_million_at_5pct_one_day_is_138_89,
    test_broker_backtrader.test_ordinary_strategy_and_target_orders,
    test_broker_backtrader.test_analyzers_time_return_drawdown_transactions,
    test_broker_backtrader.test_nav_identity_holds_with_shares_and_futures,
]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_runner_cerebro_settings(case, monkeypatch):
    monkeypatch.setattr(broker_helpers, "CEREBRO_KW", {"runonce": False, "preload": True, "quicknotify": True})
    case()
