"""`--param key=value`, `--broker key=value` and `ecore --version`."""

import json
from importlib import metadata
from pathlib import Path

import pytest

from ecore.engine.cli.main import build_parser, main
from ecore.engine.sweep import SweepFileError, parse_sweep
from ecore.engine.sweep.overrides import with_overrides
from ecore.engine.validation.overrides import strategy_overrides
from ecore.strategies import EfficientCore

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SHORT = ["--start", "2020-01-02", "--end", "2020-03-31", "--no-benchmark", "--quiet"]


def test_version_prints_the_installed_package_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"ecore {metadata.version('ecore')}"


def test_a_param_on_the_command_line_runs_as_the_same_key_in_a_config_file(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text("[params]\nequity_weight = 0.8\nrebalance = \"quarter\"\n[broker]\nmargin_multiplier = 1.5\n")
    assert main(["backtest", *SHORT, "--config", str(config), "--out", str(tmp_path / "file")]) == 0
    assert main(["backtest", *SHORT, "--param", "equity_weight=0.8", "--param", "rebalance=quarter",
                 "--broker", "margin_multiplier=1.5", "--out", str(tmp_path / "flags")]) == 0
    file_metrics = json.loads((tmp_path / "file" / "metrics.json").read_text())
    flag_metrics = json.loads((tmp_path / "flags" / "metrics.json").read_text())
    assert file_metrics == flag_metrics
    assert main(["backtest", *SHORT, "--out", str(tmp_path / "default")]) == 0
    assert json.loads((tmp_path / "default" / "metrics.json").read_text()) != flag_metrics


def test_a_param_overrides_the_config_files_value(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[params]\nequity_weight = 0.5\n")
    assert main(["backtest", *SHORT, "--config", str(config), "--param", "equity_weight=0.8",
                 "--out", str(tmp_path / "a")]) == 0
    assert main(["backtest", *SHORT, "--param", "equity_weight=0.8", "--out", str(tmp_path / "b")]) == 0
    assert (json.loads((tmp_path / "a" / "metrics.json").read_text())
            == json.loads((tmp_path / "b" / "metrics.json").read_text()))


@pytest.mark.parametrize("args, message", [
    (["--param", "equity_weight=1.5"], "--param equity_weight=1.5: must be a number from 0 to 1"),
    (["--param", "roll_offset=5.5"], "--param roll_offset=5.5: must be a whole number, got 5.5"),
    (["--param", "bonds_first=maybe"], "--param bonds_first=maybe: must be true or false"),
    (["--param", "equity_wieght=0.8"], "--param equity_wieght: unknown parameter for EfficientCore; known:"),
    (["--param", "equity_weight"], "--param: 'equity_weight' is not key=value"),
    (["--param", "drift_band=0.1", "--param", "drift_band=0.2"], "--param: drift_band is given twice"),
    (["--broker", "margin_multiplier=0.5"], "--broker margin_multiplier=0.5: must be a number from 1 to 20"),
    (["--broker", "costs.commission=1"], "--broker costs.commission: unknown cost setting"),
    (["--broker", "leverage=2"], "--broker leverage: unknown broker setting"),
])
def test_a_bad_override_is_one_line_naming_the_option_and_key(args, message, capsys, tmp_path):
    assert main(["backtest", *SHORT, "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "metrics.json").exists()


def test_values_are_typed_by_the_strategys_defaults():
    got = strategy_overrides(["roll_offset=6", "drift_band=1e-1", "bonds_first=no", "equity=SPY",
                              "target_duration=7", "ladder={ZN = 0.5, ZB = 0.5}"], EfficientCore, True)
    assert got == {"roll_offset": 6, "drift_band": 0.1, "bonds_first": False, "equity": "SPY",
                   "target_duration": 7, "ladder": {"ZN": 0.5, "ZB": 0.5}}
    assert type(got["roll_offset"]) is int and type(got["drift_band"]) is float


def test_a_user_strategys_tuple_parameter_takes_a_comma_separated_list():
    import backtrader as bt

    class Pair(bt.Strategy):
        params = dict(symbols=("SPY", "EFA"), windows=(21, 63), scale=1.0)

    got = strategy_overrides(["symbols=IVV,EEM", "windows=[10, 20]", "scale=2"], Pair, False)
    assert got == {"symbols": ("IVV", "EEM"), "windows": (10, 20), "scale": 2.0}


def test_a_sweep_param_is_fixed_for_every_run_and_may_not_be_swept():
    spec = parse_sweep({"strategy": "EfficientCore", "grid": {"equity_weight": [0.8, 0.9]},
                        "params": {"drift_band": 0.05}})
    fixed = with_overrides(spec, ["drift_band=0.1", "rebalance=quarter"], ["margin_multiplier=2"])
    config = fixed.run_config({"equity_weight": 0.8})
    assert config["params"] == {"drift_band": 0.1, "rebalance": "quarter", "equity_weight": 0.8}
    assert config["broker"] == {"margin_multiplier": 2.0}
    with pytest.raises(SweepFileError, match="--param equity_weight: <sweep> sweeps equity_weight"):
        with_overrides(spec, ["equity_weight=0.7"])


def test_paper_takes_params_from_the_command_line():
    from ecore.engine.cli.paper import config_from_args

    args = build_parser().parse_args(["paper", "--config", str(EXAMPLES / "risk_parity_paper.toml"),
                                      "--param", "target_vol=0.05", "--param", "vol_window=21"])
    config = config_from_args(args)
    assert config.strategy_params["target_vol"] == 0.05 and config.strategy_params["vol_window"] == 21
