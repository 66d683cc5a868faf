"""A paper config's ``[broker]`` table is checked by the backtest's rules before connecting:
one line naming the file, the line and the key, exit 2."""

import subprocess
import sys

import pytest

from ecore.engine.paper.config import ConfigError, load_config

HEAD = 'strategy = "EfficientCore"\n[ib]\nport = 4002\n[broker]\n'


@pytest.mark.parametrize("line,named", [
    ('share_buys_need_cash = "no"', "line 5: broker.share_buys_need_cash: must be true or false"),
    ("costs = { futures_commission = -1 }", "line 5: broker.costs.futures_commission: must be a number from 0 to 100"),
    ("costs = { futures_comission = 1 }", "line 5: broker.costs: unknown broker.costs setting 'futures_comission'"),
    ("call_deadline_days = 1.5", "line 5: broker.call_deadline_days: must be a whole number"),
])
def test_a_bad_broker_setting_is_named_with_its_file_and_line(tmp_path, line, named):
    path = tmp_path / "paper.toml"
    path.write_text(HEAD + line + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}, {named}")


def test_good_broker_settings_are_kept_as_written(tmp_path):
    path = tmp_path / "paper.toml"
    path.write_text(HEAD + "share_buys_need_cash = false\ncosts = { futures_commission = 2.5 }\n")
    assert load_config(path).broker == {"share_buys_need_cash": False,
                                        "costs": {"futures_commission": 2.5}}


def test_the_command_stops_before_connecting_with_exit_2(tmp_path):
    path = tmp_path / "paper.toml"
    path.write_text(HEAD + 'share_buys_need_cash = "no"\n')
    done = subprocess.run([sys.executable, "-m", "ecore.engine.cli", "paper", "--config",
                           str(path), "--dry-run"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "broker.share_buys_need_cash: must be true or false, got 'no'" in line
