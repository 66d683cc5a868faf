import json
import subprocess
import sys


def run(*args):
    return subprocess.run(["ecore", *args], capture_output=True, text=True)


def test_help_runs():
    r = run("--help")
    assert r.returncode == 0 and "contract" in r.stdout


def test_contract_table_shows_key_dates():
    r = run("contract", "ZNH25", "ZTH25")
    assert r.returncode == 0, r.stderr
    assert "2025-03-20" in r.stdout and "2025-03-31" in r.stdout and "First notice day" in r.stdout


def test_contract_json_has_iso_dates_named_for_the_dates():
    r = run("contract", "--json", "ZN 202503")
    rec = json.loads(r.stdout)
    assert rec["last_trading_day"] == "2025-03-20"
    assert rec["first_notice_day"] == "2025-02-28"
    assert rec["first_intention_day"] == "2025-02-27"
    assert rec["last_delivery_day"] == "2025-03-31"


def test_several_codes_give_a_json_list():
    r = run("contract", "--json", "ZNH25", "UBM26")
    assert [x["code"] for x in json.loads(r.stdout)] == ["ZNH25", "UBM26"]


def test_unknown_root_is_a_one_line_error_naming_it():
    r = run("contract", "QQH25")
    assert r.returncode == 2
    assert "QQ" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_old_contracts_show_the_tick_of_their_time():
    # ZT traded in quarters of a 32nd until January 2019.
    rec = json.loads(run("contract", "--json", "ZTH03").stdout)
    assert rec["tick_32nds"] == "1/4" and rec["tick_value"] == 15.625
