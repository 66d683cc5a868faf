"""Sweep files: a valid file becomes a SweepSpec; a bad one is an error naming the key."""

import datetime as dt
import textwrap

import pytest

from ecore.engine.sweep import SweepFileError, load_sweep, parse_sweep

GOOD = """
strategy = "EfficientCore"
start = 2020-01-01
end = "2021-12-31"
cash = 500_000
rank_by = "cagr"
ascending = false
top = 3
heatmap = ["futures_notional", "equity_weight"]

[params]
equity = "SPY"

[broker]
commission = 1.5

[grid]
equity_weight = [0.8, 0.9]
"broker.initial_ratio" = [1.1, 1.3]

[range]
futures_notional = { start = 0.4, stop = 0.8, step = 0.2 }

[random]
samples = 4
seed = 11
[random.params]
target_duration = { low = 4.0, high = 8.0 }
"""


def write(tmp_path, text):
    path = tmp_path / "sweep.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_valid_file_gives_every_setting(tmp_path):
    spec = load_sweep(write(tmp_path, GOOD))
    assert spec.strategy == "EfficientCore"
    assert (spec.start, spec.end) == (dt.date(2020, 1, 1), dt.date(2021, 12, 31))
    assert spec.cash == 500_000.0 and spec.rank_by == "cagr" and spec.top == 3
    assert spec.parameter_names == ["equity_weight", "broker.initial_ratio", "futures_notional",
                                    "target_duration"]
    assert len(spec.points()) == 2 * 2 * 3 * 4


def test_run_config_overlays_swept_values_on_shared_settings(tmp_path):
    spec = load_sweep(write(tmp_path, GOOD))
    config = spec.run_config({"equity_weight": 0.9, "broker.initial_ratio": 1.3, "futures_notional": 0.6})
    assert config["params"] == {"equity": "SPY", "equity_weight": 0.9, "futures_notional": 0.6}
    assert config["broker"] == {"commission": 1.5, "initial_ratio": 1.3}
    assert config["cash"] == 500_000.0 and config["strategy"] == "EfficientCore"


def test_a_relative_data_folder_is_read_from_the_sweep_files_folder(tmp_path):
    (tmp_path / "market").mkdir()
    spec = load_sweep(write(tmp_path, 'strategy = "EfficientCore"\ndata = "market"\n[grid]\na = [1]\n'))
    assert spec.data_dir == tmp_path / "market"


def test_broker_settings_may_be_swept_as_a_nested_table():
    spec = parse_sweep({"strategy": "S", "grid": {"broker": {"initial_ratio": [1.0, 1.2]}}})
    assert spec.parameter_names == ["broker.initial_ratio"]


BAD = [
    ("colour", {"colour": "red"}),
    ("strategy", {"strategy": ""}),
    ("start", {"start": "last year"}),
    ("end", {"start": "2021-01-01", "end": "2020-01-01"}),
    ("cash", {"cash": -5}),
    ("data", {"data": "no/such/folder"}),
    ("top", {"top": 0}),
    ("ascending", {"ascending": "yes"}),
    ("params", {"params": [1, 2]}),
    ("grid.a", {"grid": {"a": 0.5}}),
    ("grid.a", {"grid": {"a": []}}),
    ("grid.a", {"grid": {"a": [[1, 2]]}}),
    ("range.b", {"range": {"b": {"start": 0, "stop": 1}}}),
    ("range.b.step", {"range": {"b": {"start": 0, "stop": 1, "step": "big"}}}),
    ("range.b", {"range": {"b": {"start": 0, "stop": 1, "step": 0}}}),
    ("range.a", {"grid": {"a": [1]}, "range": {"a": {"start": 0, "stop": 1, "step": 1}}}),
    ("random.samples", {"random": {"seed": 1, "params": {"u": {"low": 0, "high": 1}}}}),
    ("random.seed", {"random": {"samples": 3, "params": {"u": {"low": 0, "high": 1}}}}),
    ("random.params", {"random": {"samples": 3, "seed": 1}}),
    ("random.params.u.high", {"random": {"samples": 3, "seed": 1, "params": {"u": {"low": 1, "high": 0}}}}),
    ("random.params.u.low", {"random": {"samples": 3, "seed": 1, "params": {"u": {"low": 0, "high": 1, "log": True}}}}),
    ("random.params.u.spread", {"random": {"samples": 3, "seed": 1, "params": {"u": {"low": 0, "high": 1, "spread": 2}}}}),
    ("random.params.u.choices", {"random": {"samples": 3, "seed": 1, "params": {"u": {"choices": []}}}}),
    ("random.mode", {"random": {"samples": 3, "seed": 1, "mode": "sobol", "params": {"u": {"low": 0, "high": 1}}}}),
    ("params.a", {"params": {"a": 1}, "grid": {"a": [1, 2]}}),
    ("heatmap", {"heatmap": ["a", "zz"]}),
]


@pytest.mark.parametrize("key, changes", BAD, ids=[f"{k}-{i}" for i, (k, _) in enumerate(BAD)])
def test_a_bad_sweep_file_is_an_error_naming_the_key(key, changes):
    data = {"strategy": "EfficientCore", "grid": {"a": [1, 2]}, **changes}
    with pytest.raises(SweepFileError, match=f"key '{key}'"):
        parse_sweep(data)


def test_a_sweep_without_any_swept_parameter_is_an_error_naming_grid():
    with pytest.raises(SweepFileError, match="key 'grid'"):
        parse_sweep({"strategy": "EfficientCore"})


def test_a_file_that_is_not_toml_names_the_file(tmp_path):
    path = write(tmp_path, "strategy = \n")
    with pytest.raises(SweepFileError, match="sweep.toml: not valid TOML"):
        load_sweep(path)


def test_an_unknown_rank_by_metric_is_refused_before_any_run():
    from ecore.engine.sweep.spec import SweepFileError, parse_sweep

    with pytest.raises(SweepFileError, match="rank_by.*unknown metric 'sharp'"):
        parse_sweep({"strategy": "EfficientCore", "start": "2020-01-02", "end": "2020-12-31",
                     "rank_by": "sharp", "grid": {"equity_weight": [0.9]}})
