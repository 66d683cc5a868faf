"""`ecore paper`: paper accounts only, --dry-run sends nothing, configuration errors name the
field. Runs the real command line against the fake gateway."""


import pytest

from ecore.brokers.ib.connection import ConnectionSettings
from ecore.brokers.ib.errors import PaperAccountRequired
from ecore.engine.cli.main import main
from ecore.engine.paper.config import load_config
from ecore.brokers.ib.simulator import FakeGateway
from ib_helpers import CLIENTS, bars, bars_to_now, gateway, run, write_target_config, zn_gateway  # noqa: F401  (gateway is a fixture)


def write_config(tmp_path, port, lib_name, extra=""):
    return write_target_config(tmp_path, port, lib_name, extra=extra)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_dry_run_prints_the_orders_and_sends_nothing(gateway, lib_name, tmp_path, capsys):
    bars_to_now(gateway)
    cfg = write_config(tmp_path, gateway.port, lib_name)
    status = main(["paper", "--config", str(cfg), "--dry-run"])

    out = capsys.readouterr().out
    assert status == 0
    assert "dry run: 2 order(s) computed, none sent" in out
    # IB's what-if margin: 3 ZN at $2,000 initial and $1,800 maintenance each; SPY at 25%
    assert "BUY 3 ZNM25 MKT  notional $330,000  margin initial +6,000 maintenance +5,400" in out
    assert "BUY 200 SPY MKT  notional $112,000  margin initial +28,000 maintenance +28,000" in out
    assert gateway.placed == []
    # the orders' what-ifs, and the pre-trade margin check's probe of one ZN (margin_rules)
    assert sorted((i.symbol, a, q) for i, a, q in gateway.what_ifs) == [
        ("SPY", "BUY", 200.0), ("ZN", "BUY", 1.0), ("ZN", "BUY", 3.0)]
    assert not any(m[0] in ("4", "58") for m in gateway.received)
    assert not (tmp_path / "journal.sqlite").exists()  # a dry run writes nothing


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_live_account_is_refused_and_nothing_is_sent(lib_name, tmp_path, capsys):
    live = zn_gateway(FakeGateway(account="U7654321"))
    live.start()
    try:
        cfg = write_config(tmp_path, live.port, lib_name)
        status = main(["paper", "--config", str(cfg), "--once"])
    finally:
        live.stop()

    err = capsys.readouterr().err
    assert status == 2
    assert "'U7654321' is not a paper account" in err
    assert live.placed == []
    assert not any(m[0] in ("3", "20") for m in live.received)


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_live_account_among_several_must_not_be_chosen(lib_name, tmp_path):
    both = zn_gateway(FakeGateway(accounts=["DU1111111", "U2222222"]))
    both.start()
    try:
        with pytest.raises(PaperAccountRequired, match="several accounts"):
            run(both, lib_name, tmp_path, ["ZNM25"], {"ZNM25": 1})
    finally:
        both.stop()
    assert both.placed == []


def test_configured_live_account_is_refused_before_connecting():
    with pytest.raises(PaperAccountRequired, match="account: 'U1234567'"):
        ConnectionSettings(account="U1234567")


def test_paper_command_has_no_flag_to_allow_live_accounts():
    import argparse

    from ecore.engine.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    flags = {s for a in sub.choices["paper"]._actions for s in a.option_strings}
    assert flags == {"-h", "--help", "--config", "--host", "--port", "--client-id", "--client",
                     "--strategy", "--instruments", "--dry-run", "--once", "--retry-rejected",
                     "--param", "--at", "--journal", "--once-timeout", "--data", "--day", "--from",
                     "--to", "--cash", "--out", "--in-process", "--history-from"}
    assert [a.choices for a in sub.choices["paper"]._actions if a.dest == "action"] == [
        ["run", "status", "simulate", "replay"]]


def test_config_with_a_wrong_type_names_the_field(tmp_path):
    cfg = write_config(tmp_path, "\"7497\"", "ib_async")
    with pytest.raises(ValueError, match=r"paper\.toml, line 3: ib\.port: '7497' must be a whole number"):
        load_config(cfg)


def test_config_without_strategy_class_names_the_field(tmp_path):
    cfg = tmp_path / "paper.toml"
    cfg.write_text("[strategy]\ninstruments = ['SPY']\n")
    with pytest.raises(ValueError, match=r"strategy\.class: missing"):
        load_config(cfg)


def test_unknown_limit_is_an_error_naming_it(gateway, tmp_path):
    with pytest.raises(ValueError, match=r"limits\.max_lots: unknown limit"):
        run(gateway, "ib_async", tmp_path, ["ZNM25"], {"ZNM25": 1}, limits={"max_lots": 3})


def test_flags_override_the_configured_connection(gateway, tmp_path, capsys):
    bars_to_now(gateway)
    cfg = write_config(tmp_path, 1, "ib_async")  # port 1: nothing listens there
    status = main(["paper", "--config", str(cfg), "--port", str(gateway.port), "--dry-run"])
    assert status == 0
    assert any(m[0] == "71" and m[2] == "9" for m in gateway.received)  # startApi, client 9


def test_config_relative_paths_are_relative_to_the_config_file(tmp_path):
    cfg = write_config(tmp_path, 7497, "ib_async", extra="")
    config = load_config(cfg)
    assert config.journal == tmp_path / "journal.sqlite"
    assert (config.port, config.client_id, config.instruments) == (7497, 9, ("SPY", "ZNM25"))


@pytest.mark.parametrize("lib_name", CLIENTS)
def test_dry_run_reports_orders_the_limits_would_refuse(gateway, lib_name, tmp_path, capsys):
    bars_to_now(gateway)
    cfg = write_config(tmp_path, gateway.port, lib_name, extra="""
        [limits]
        max_order_quantity = 100
    """)
    status = main(["paper", "--config", str(cfg), "--dry-run"])

    captured = capsys.readouterr()
    assert status == 4  # not everything the strategy meant would go out
    assert "dry run: 1 order(s) computed, none sent" in captured.out
    assert "quantity 200 exceeds max_order_quantity 100" in captured.err
    assert gateway.placed == []


def test_contract_disagreeing_with_our_table_stops_the_command(tmp_path, capsys):
    wrong = FakeGateway()
    wrong.add_stock("SPY", bars=bars(560.0))
    wrong.add_future("ZN", "202506", "20250617", bars=bars(110.0))  # our table: 2025-06-18
    bars_to_now(wrong)
    wrong.start()
    try:
        cfg = write_config(tmp_path, wrong.port, "ib_async")
        status = main(["paper", "--config", str(cfg), "--once"])
    finally:
        wrong.stop()
    assert status == 2
    assert "ZNM25: IB last trading day 20250617 != ours 20250618" in capsys.readouterr().err
    assert wrong.placed == []
