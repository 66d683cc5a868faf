"""A sweep's workers keep their runs' broker events out of the terminal: the results count them."""

import subprocess

import pandas as pd

SWEEP = """
strategy = "EfficientCore"
start = 2023-01-02
end = 2024-12-31
[grid]
equity_weight = [0.93, 0.95]
"""


def test_margin_calls_are_counted_in_the_results_not_printed_by_the_workers(tmp_path):
    (tmp_path / "s.toml").write_text(SWEEP)
    r = subprocess.run(["ecore", "sweep", "s.toml", "--workers", "2", "--out", "out"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    calls = pd.read_csv(tmp_path / "out" / "results.csv").set_index("equity_weight")["margin_calls"]
    # 95 % in shares leaves too little cash behind the futures through the 2023 bond sell-off.
    assert calls[0.95] == 12 and calls[0.93] == 0
    assert "margin call" not in r.stderr
