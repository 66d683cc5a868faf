import json
import subprocess
import sys

import pytest


def run(*args):
    # The command as users start it, for the help, a table and an error; the other tests call
    # main() in this process (a process start costs about 0.7 s).
    # this interpreter's ecore (an "ecore" on PATH may be another installation)
    launch = "import sys; from ecore.engine.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", launch, *args], capture_output=True, text=True)


class Ran:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def here(capsys):
    """``ecore`` in this process (the bundled data stays loaded between calls)."""
    from ecore.engine.cli.main import main

    def call(*args):
        status = main(list(args))
        out = capsys.readouterr()
        return Ran(status, out.out, out.err)

    return call


def test_help_runs():
    r = run("--help")
    assert r.returncode == 0 and "contract" in r.stdout


def test_contract_table_shows_key_dates():
    r = run("contract", "ZNH25", "ZTH25")
    assert r.returncode == 0, r.stderr
    assert "2025-03-20" in r.stdout and "2025-03-31" in r.stdout and "First notice day" in r.stdout


def test_contract_json_has_iso_dates_named_for_the_dates(here):
    r = here("contract", "--json", "ZN 202503")
    rec = json.loads(r.stdout)
    assert rec["last_trading_day"] == "2025-03-20"
    assert rec["first_notice_day"] == "2025-02-28"
    assert rec["first_intention_day"] == "2025-02-27"
    assert rec["last_delivery_day"] == "2025-03-31"


def test_several_codes_give_a_json_list(here):
    r = here("contract", "--json", "ZNH25", "UBM26")
    assert [x["code"] for x in json.loads(r.stdout)] == ["ZNH25", "UBM26"]


def test_unknown_root_is_a_one_line_error_naming_it():
    r = run("contract", "QQH25")
    assert r.returncode == 2
    assert "QQ" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_old_contracts_show_the_tick_of_their_time(here):
    # ZT traded in quarters of a 32nd until January 2019.
    rec = json.loads(here("contract", "--json", "ZTH03").stdout)
    assert rec["tick_32nds"] == "1/4" and rec["tick_value"] == 15.625


def test_basket_lists_the_deliverable_issues_with_their_conversion_factors(here):
    r = here("contract", "ZNM26", "--basket", "--json")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    first = rec["issues"][0]
    # 3-1/2 % of 15 Feb 2033: 6 years 8 months from 1 June 2026, counted 6y6m for ZN
    assert (first["cusip"], first["coupon"], first["maturity"], first["cf"]) == ("91282CGM7", 0.035, "2033-02-15", 0.8671)
    assert all(i["kind"] == "Note" for i in rec["issues"])
    assert rec["issues"][-1]["maturity"] <= "2034-06-01"  # at most 8 years from 1 June 2026


def test_basket_on_a_date_names_the_cheapest_and_its_implied_repo(here):
    r = here("contract", "ZNM26", "--basket", "--date", "2026-04-17", "--json")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["ctd"] == "91282CGM7"
    assert [i["cusip"] for i in rec["issues"] if i["ctd"]] == ["91282CGM7"]
    assert rec["price_source"] == "synthetic"
    # at the model's own (tick-rounded) price the implied repo is the model's carry rate: SOFR
    # plus ZN's implied-repo spread
    assert rec["ctd_implied_repo"] == pytest.approx(rec["carry_rate"], abs=0.0005)
    assert rec["carry_rate"] == pytest.approx(rec["repo"] + rec["implied_repo_spread"])
    table = here("contract", "ZNM26", "--basket", "--date", "2026-04-17").stdout
    assert "cheapest to deliver: 91282CGM7, implied repo" in table


def test_basket_implied_repo_against_a_real_settlement(tmp_path, here):
    # A real settlement one point above the model's: buying the cheapest and delivering it earns
    # about one point more over the six weeks to delivery, a higher implied repo.
    from ecore.data.market import BUNDLED_DIR

    (tmp_path / "yields").symlink_to(BUNDLED_DIR / "yields")
    model = json.loads(here("contract", "ZNM26", "--basket", "--date", "2026-04-17", "--json").stdout)
    (tmp_path / "real_futures").mkdir()
    (tmp_path / "real_futures" / "zn.csv").write_text(
        "date,contract,settle\n2026-04-17,ZNM26,%r\n" % (model["futures_price"] + 1.0))
    r = here("contract", "ZNM26", "--basket", "--date", "2026-04-17", "--json", "--data", str(tmp_path))
    assert r.returncode == 0, r.stderr
    # a user folder's gaps are reported (DGS20 1987-1993): one warning line on stderr
    assert [line for line in r.stderr.splitlines() if "DGS20" in line][0].startswith("ecore contract: warning: ")
    rec = json.loads(r.stdout)
    assert rec["price_source"] == "real"
    assert rec["ctd_implied_repo"] - model["ctd_implied_repo"] == pytest.approx(
        0.8671 / 96.86 * 360 / 45, rel=0.05)  # CF / dirty price x 360 / days to 1 June


@pytest.mark.parametrize("args, words", [
    (("ZNH26", "--basket", "--date", "2026-04-17"), "after ZNH26's last trading day (2026-03-20)"),
    (("ZNM26", "--basket", "--date", "2026-04-18"), "no yields that day"),
    (("ZNM26", "--date", "2026-04-17"), "--date goes with --basket"),
    (("TWEZ10", "--basket"), "TWEZ10: TWE was launched on 2022-03-07, after this contract's last trading day"),
])
def test_basket_mistakes_are_one_line(args, words, here):
    r = here("contract", *args)
    assert r.returncode == 2
    assert words in r.stderr and len(r.stderr.strip().splitlines()) == 1
