"""`ecore backtest` as users run it."""

import json
import subprocess

import pandas as pd
import pytest

OUTPUTS = {"report.html", "metrics.json", "daily.csv", "trades.csv", "journal.csv", "events.csv",
           "benchmark_daily.csv", "benchmark_events.csv"}


def ecore(*args, cwd):
    return subprocess.run(["ecore", *args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.mark.slow
def test_backtest_with_no_arguments_writes_every_output(tmp_path):
    r = ecore("backtest", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    out = tmp_path / "ecore-out"
    assert {p.name for p in out.iterdir()} == OUTPUTS | {".ecore-manifest.json"}
    assert "EfficientCore" in r.stdout and "SixtyForty" in r.stdout and "CAGR" in r.stdout
    daily = pd.read_csv(out / "daily.csv")
    for col in ("date", "nav", "cash", "shares_value", "futures_notional", "initial_margin",
                "maintenance_margin", "excess_liquidity", "ladder_duration"):
        assert col in daily.columns
    assert daily["date"].iloc[0] <= "2003-09-30" and daily["date"].iloc[-1] >= "2026-04-17"
    journal = pd.read_csv(out / "journal.csv")
    assert list(journal.columns[:5]) == ["date", "kind", "instrument", "amount", "balance"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["strategy"]["rolls"] > 80  # four roots from 2003, six from 2016, every quarter


def test_a_short_backtest_writes_its_outputs_where_asked(tmp_path):
    r = ecore("backtest", "--start", "2021-01-04", "--end", "2021-06-30", "--out", "res", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert {p.name for p in (tmp_path / "res").iterdir()} == OUTPUTS | {".ecore-manifest.json"}


@pytest.mark.parametrize(
    "args,config,words",
    [
        ((), 'strategy = "EfficientCore"\nstart = "2021-01-04"\nend = "2021-03-31"\nleverage = 2\n', "unknown key 'leverage'"),
        ((), '[params]\nequity_wieght = 0.9\n', "unknown parameter 'equity_wieght'"),
        ((), '[params]\nequity = "QQQ"\n', "unknown symbol 'QQQ'"),
        ((), '[params]\ndrift_band = -0.05\n', "params.drift_band: must be a number above 0 up to 0.5"),
        ((), '[broker]\ncash = 5\n', "unknown broker setting 'cash'"),
        ((), 'benchmark = 5\n', "benchmark: give true, false, a text"),
        ((), 'benchmark = "60/50"\n', "benchmark: '60/50': the two weights must add up to 100"),
        ((), 'benchmark = { strategy = "SixtyForty", equity_weight = 2 }\n', "benchmark.equity_weight: must be"),
        (("--start", "2019-01-05", "--end", "2019-01-06"), None, "fewer than two trading days"),
        ((), '[params]\nladder = { ZN = 0.5, ZQ = 0.5 }\n', "params.ladder.ZQ: unknown name"),
        (("--start", "1990-01-02"), None, "start 1990-01-02 is outside the data"),
        (("--end", "2031-01-02"), None, "end 2031-01-02 is outside the data"),
        (("--strategy", "NinetySixty"), None, "unknown strategy 'NinetySixty'"),
        (("--scenario", "meteor"), None, "--scenario: must be one of rate_shock, margin_hike"),
    ],
)
def test_bad_input_is_a_one_line_error_and_nothing_is_written(
        tmp_path, args, config, words, monkeypatch, capsys):
    # in process (main() is what the `ecore` script calls): a process start per row cost about a
    # second each; the real command's one line and status 2 are tested in test_bad_inputs.py
    from ecore.engine.cli.main import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ECORE_DEBUG", raising=False)
    extra = []
    if config is not None:
        (tmp_path / "run.toml").write_text(config)
        extra = ["--config", "run.toml"]
    try:
        code = main(["backtest", *args, *extra, "--out", "res", "--quiet"])
    except SystemExit as exc:  # argparse's own mistakes
        code = exc.code
    stderr = capsys.readouterr().err
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], stderr
    assert not (tmp_path / "res").exists()


def test_config_file_sets_strategy_dates_and_params(tmp_path):
    (tmp_path / "run.toml").write_text(
        'strategy = "EfficientCore"\nstart = "2021-01-04"\nend = "2021-03-31"\ncash = 20000000\n'
        "benchmark = false\n[params]\nfutures_notional = 0.5\ntarget_duration = 6.0\n"
    )
    r = ecore("backtest", "--config", "run.toml", "--out", "res", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    daily = pd.read_csv(tmp_path / "res" / "daily.csv")
    assert daily["nav"].iloc[0] == 20_000_000
    assert daily["futures_weight"].iloc[5:].between(0.45, 0.55).all()
    assert not (tmp_path / "res" / "benchmark_daily.csv").exists()


def test_command_line_strategy_takes_the_config_files_params(tmp_path):
    (tmp_path / "run.toml").write_text('[params]\nsleeve = "EEM"\n')
    r = ecore("backtest", "--strategy", "CorePlus", "--config", "run.toml", "--start", "2021-01-04",
              "--end", "2021-03-31", "--no-benchmark", "--out", "res", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "EEM" in set(pd.read_csv(tmp_path / "res" / "trades.csv")["instrument"])


def test_a_closed_pipe_does_not_lose_the_outputs(tmp_path):
    r = subprocess.run(f"ecore backtest --start 2021-01-04 --end 2021-02-26 --quiet --out res | head -1",
                       shell=True, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert "Traceback" not in r.stderr
    assert {p.name for p in (tmp_path / "res").iterdir()} == OUTPUTS | {".ecore-manifest.json"}


def test_a_data_folder_without_the_bill_rate_is_named(tmp_path, shared):
    (tmp_path / "d" / "yields").mkdir(parents=True)
    (tmp_path / "d" / "yields" / "DGS10.csv").write_text((shared / "data" / "yields" / "DGS10.csv").read_text())
    r = ecore("backtest", "--data", "d", "--out", "res", "--quiet", cwd=tmp_path)
    assert r.returncode == 2 and "no yields/DGS3MO.csv" in r.stderr
