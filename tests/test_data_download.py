"""``ecore data download`` against a loopback HTTP server with recorded responses."""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ecore.data.download import download_close, download_yield, yahoo_csv
from ecore.data.market import load_market
from ecore.engine.cli.main import main

FRED_DGS10 = b"observation_date,DGS10\n2026-04-15,4.30\n2026-04-16,\n2026-04-17,4.26\n"
FRED_DGS3MO = b"observation_date,DGS3MO\n2026-04-15,3.71\n2026-04-16,3.70\n2026-04-17,3.70\n"
FRED_MALFORMED = b"observation_date,DGS5\n2026-04-15,3.90\n2026-04-16,three\n"
FRED_TRUNCATED_FULL = b"observation_date,DGS2\n2026-04-15,3.70\n2026-04-16,3.72\n2026-04-17,3.71\n"
FRED_SOFR = b"observation_date,SOFR\n2026-04-15,3.64\n2026-04-16,3.66\n2026-04-17,3.65\n"
FRED_DFF = b"observation_date,DFF\n2018-03-30,1.68\n2018-03-31,1.68\n2018-04-01,1.68\n2018-04-02,1.68\n"
FRED_DGS3 = b"observation_date,DGS3\n2026-04-15,3.76\n2026-04-16,3.77\n2026-04-17,3.74\n"


def chart(symbol, closes):
    # 14:30 UTC, gmtoffset -14400 (New York summer time)
    stamps = [1776346200 + 86400 * i for i in range(len(closes))]
    return json.dumps({"chart": {"result": [{
        "meta": {"symbol": symbol, "gmtoffset": -14400},
        "timestamp": stamps,
        "indicators": {"quote": [{"close": closes}], "adjclose": [{"adjclose": closes}]},
    }], "error": None}}).encode()


RESPONSES = {
    ("fred", "DGS10"): (200, FRED_DGS10, None),
    ("fred", "DGS3MO"): (200, FRED_DGS3MO, None),
    ("fred", "DGS5"): (200, FRED_MALFORMED, None),
    ("fred", "DGS2"): (200, FRED_TRUNCATED_FULL[:40], len(FRED_TRUNCATED_FULL)),  # connection drops
    ("fred", "DGS30"): (404, b"Not Found", None),
    ("fred", "SOFR"): (200, FRED_SOFR, None),
    ("fred", "DFF"): (200, FRED_DFF, None),
    ("fred", "DGS3"): (200, FRED_DGS3, None),
    ("yahoo", "IVV"): (200, chart("IVV", [700.5, None, 705.25]), None),
    ("yahoo", "AGG"): (200, chart("AGG", [97.1, -1.0]), None),  # malformed: negative price
    ("yahoo", "EEM"): (200, chart("EEM", [64.0, 64.5])[:60], None),  # truncated JSON, no length
    ("yahoo", "NOPE"): (404, b'{"chart":{"result":null,"error":{"code":"Not Found"}}}', None),
}


class Handler(BaseHTTPRequestHandler):
    requests = []

    def do_GET(self):  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        Handler.requests.append(self.path)
        if url.path == "/fred":
            key = ("fred", q.get("id", [""])[0])
        else:
            key = ("yahoo", url.path.rsplit("/", 1)[-1])
        status, body, length = RESPONSES.get(key, (404, b"unknown", None))
        self.send_response(status)
        self.send_header("Content-Length", str(length if length is not None else len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    host, port = httpd.server_address
    yield f"http://{host}:{port}"
    httpd.shutdown()
    httpd.server_close()


def test_good_yield_and_close_downloads_load_as_a_data_folder(server, tmp_path):
    assert download_yield("DGS10", tmp_path, None, f"{server}/fred").ok
    assert download_yield("DGS3MO", tmp_path, "2026-01-01", f"{server}/fred").ok
    r = download_close("IVV", tmp_path, "2026-04-16", f"{server}/chart")
    assert r.ok and r.rows == 2
    assert (tmp_path / "closes" / "IVV.csv").read_text().splitlines() == [
        "Date,Close", "2026-04-16,700.5", "2026-04-17,", "2026-04-18,705.25"]
    with pytest.warns(Warning):  # the null close is counted and reported
        m = load_market(tmp_path)
    assert m.yields.loc["2026-04-17", "DGS10"] == 4.26
    assert m.closes["IVV"].iloc[-1] == 705.25
    assert any("cosd=2026-01-01" in p for p in Handler.requests)
    assert not list(tmp_path.rglob("*.part"))


def test_overnight_rates_go_to_rates_and_finance_the_futures_of_the_folder(server, tmp_path):
    for series in ("DGS10", "DGS3MO", "DGS3", "SOFR", "DFF"):
        assert download_yield(series, tmp_path, None, f"{server}/fred").ok, series
    assert (tmp_path / "rates" / "SOFR.csv").read_bytes() == FRED_SOFR
    assert (tmp_path / "rates" / "DFF.csv").read_bytes() == FRED_DFF
    assert (tmp_path / "yields" / "DGS3.csv").exists()
    m = load_market(tmp_path)
    assert list(m.rates.columns) == ["SOFR", "DFF"]
    assert m.yields.loc["2026-04-17", "DGS3"] == 3.74
    # the folder has no treasuries/: the bundled note and bond table is used, and said so
    assert m.securities is None
    assert any(i.kind == "fallback" and "treasuries" in i.path for i in m.issues)


def test_the_default_download_includes_dgs3_and_the_overnight_rates():
    from ecore.data.download import FRED_SERIES, fred_folder

    assert {"DGS3", "SOFR", "DFF"} <= set(FRED_SERIES)
    assert (fred_folder("SOFR"), fred_folder("EFFR"), fred_folder("DGS3")) == ("rates", "rates", "yields")


@pytest.mark.parametrize("series,words", [
    ("DGS30", "HTTP 404"),
    ("DGS2", "truncated"),
    ("DGS5", "line 3, column 'DGS5'"),
])
def test_failed_yield_download_keeps_the_previous_file(server, tmp_path, series, words):
    previous = tmp_path / "yields" / f"{series}.csv"
    previous.parent.mkdir(parents=True)
    previous.write_text(f"observation_date,{series}\n2020-01-02,1.5\n")
    r = download_yield(series, tmp_path, None, f"{server}/fred")
    assert not r.ok
    assert words in r.message
    assert previous.read_text() == f"observation_date,{series}\n2020-01-02,1.5\n"
    assert not list(tmp_path.rglob("*.part"))


@pytest.mark.parametrize("symbol,words", [
    ("NOPE", "HTTP 404"),
    ("EEM", "not complete JSON"),
    ("AGG", "not positive"),
])
def test_failed_close_download_keeps_the_previous_file(server, tmp_path, symbol, words):
    previous = tmp_path / "closes" / f"{symbol}.csv"
    previous.parent.mkdir(parents=True)
    previous.write_text("Date,Close\n2020-01-02,1.5\n")
    r = download_close(symbol, tmp_path, "2026-01-01", f"{server}/chart")
    assert not r.ok and words in r.message, r.message
    assert previous.read_text() == "Date,Close\n2020-01-02,1.5\n"
    assert not list(tmp_path.rglob("*.part"))


def test_command_reports_failures_and_exit_status(server, tmp_path, capsys):
    status = main(["data", "download", "--out", str(tmp_path), "--series", "DGS10,DGS30",
                   "--symbols", "IVV,EEM", "--fred-url", f"{server}/fred", "--yahoo-url", f"{server}/chart",
                   "--timeout", "5"])
    out = capsys.readouterr().out
    assert status == 1
    assert "ok      DGS10" in out and "FAILED  DGS30" in out and "FAILED  EEM" in out
    assert "2 of 4 downloaded" in out
    assert (tmp_path / "yields" / "DGS10.csv").exists() and not (tmp_path / "yields" / "DGS30.csv").exists()
    status = main(["data", "download", "--out", str(tmp_path), "--series", "DGS10", "--symbols", "",
                   "--fred-url", f"{server}/fred"])
    assert status == 0


def test_command_rejects_a_bad_start(tmp_path, capsys):
    assert main(["data", "download", "--out", str(tmp_path), "--start", "yesterday"]) == 2
    assert "--start" in capsys.readouterr().err


def test_yahoo_error_payload():
    body = json.dumps({"chart": {"result": None, "error": {"code": "Not Found"}}}).encode()
    with pytest.raises(Exception, match="Yahoo error"):
        yahoo_csv(body, "X")
