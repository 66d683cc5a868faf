"""The README's Python example runs, and its numbers are `ecore backtest`'s to the cent."""

import json
from pathlib import Path

import pandas as pd
import pytest

from ecore.engine.cli.main import main

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_example() -> str:
    """The ```python block after the ``<!-- api-example`` marker of the README."""
    text = README.read_text(encoding="utf-8")
    start = text.index("```python\n", text.index("<!-- api-example")) + len("```python\n")
    return text[start:text.index("```", start)]


@pytest.mark.slow
def test_the_readme_python_example_runs_and_matches_ecore_backtest_to_the_cent(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(readme_example(), str(README), "exec"), namespace)
    printed = capsys.readouterr().out
    run, folds = namespace["run"], namespace["folds"]

    assert main(["backtest", "--start", "2018-08-02", "--end", "2020-12-31", "--param", "equity_weight=0.9",
                 "--param", "futures_notional=0.6", "--quiet", "--out", str(tmp_path / "cli")]) == 0
    cli_summary = capsys.readouterr().out.split("\n\nwrote")[0]
    assert cli_summary in printed  # the same table, line for line
    cli = json.loads((tmp_path / "cli" / "metrics.json").read_text())
    api = json.loads((tmp_path / "ecore-out" / "api" / "metrics.json").read_text())
    assert api == cli
    final = next(v["final_nav"] for v in (cli.get("strategy", cli),) if "final_nav" in v)
    assert f"final NAV ${final:,.2f}" in printed
    cli_daily = pd.read_csv(tmp_path / "cli" / "daily.csv")
    api_daily = pd.read_csv(tmp_path / "ecore-out" / "api" / "daily.csv")
    assert (cli_daily["nav"].round(2) == api_daily["nav"].round(2)).all() and len(cli_daily) == len(api_daily)
    assert (run.nav.round(2).to_numpy() == cli_daily["nav"].round(2).to_numpy()).all()
    assert (tmp_path / "ecore-out" / "api.html").stat().st_size > 0
    assert set(folds["fold"]) == {1, 2} and folds["chosen"].sum() == 4
