"""Command-line options of every ``ecore`` command, checked before the command does any work.

:data:`OPTIONS` holds one declarative list per command: the option, its rule (numbers finite and
in range, dates real, names well formed) and, for paths, what the path must be (a readable file,
an existing folder, an output folder with room).  ``ecore`` runs :func:`validate_options` right
after parsing, so ``--cash inf`` or ``--out`` pointing at a file stops in one line before any
data is read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .output_location import MB, check_input_file, check_input_folder, check_output_folder
from .benchmark_spec import parse_spec
from .schema import Choice, Custom, Date, InputError, ListOf, Number, Place, Rule, Text

#: What a backtest writes at most (report.html with plotly.js inline is about 5 MB; each CSV
#: about 1 MB for 23 years), measured on the default run and rounded up.
BACKTEST_BYTES = 30 * MB
#: What a download writes at most (15 series of under 1 MB each), rounded up.
DOWNLOAD_BYTES = 30 * MB
#: What a sweep writes besides its runs (sweep.html with plotly.js, the ranked tables).
SWEEP_BASE_BYTES = 20 * MB
#: Per run of a sweep: its runs.jsonl line and its NAV file (23 years of days), rounded up.
SWEEP_RUN_BYTES = 120 * 1024

SYMBOL = Text("a symbol such as IVV", r"[A-Za-z0-9][A-Za-z0-9.^-]{0,14}")
FRED_SERIES = Text("a FRED series id such as DGS10", r"[A-Za-z0-9]{1,30}")
URL = Text("an http(s) URL", r"https?://[^\s]+")
BENCHMARK_SPEC = Custom("a benchmark SPEC", lambda v: (parse_spec(v), v)[1])


@dataclass(frozen=True)
class Option:
    """One option: ``dest`` (argparse's name), ``flag`` (as typed), and either a value ``rule``
    or a path ``kind`` ("file", "folder", "out")."""

    dest: str
    flag: str
    rule: Rule | None = None
    kind: str | None = None
    expected_bytes: int = 0


OPTIONS: dict[str, tuple[Option, ...]] = {
    "backtest": (
        Option("config", "--config", kind="file"),
        Option("data", "--data", kind="folder"),
        Option("strategy", "--strategy", Text("a strategy name or package.module.Class")),
        Option("start", "--start", Date()),
        Option("end", "--end", Date()),
        Option("cash", "--cash", Number(0, 1e12, low_open=True, unit="dollars")),
        Option("scenario", "--scenario", Choice(("rate_shock", "margin_hike"))),
        Option("benchmark", "--benchmark", BENCHMARK_SPEC),
        Option("out", "--out", kind="out", expected_bytes=BACKTEST_BYTES),
    ),
    "sweep": (
        Option("file", "FILE", kind="file"),
        Option("workers", "--workers", Number(1, 1024, integer=True, unit="processes")),
        Option("top", "--top", Number(1, 10_000, integer=True, unit="runs")),
        Option("max_runs", "--max-runs", Number(1, 1e9, integer=True, unit="runs")),
        Option("cluster", "--cluster", Text("'local' or a scheduler address tcp://host:8786",
                                            r"local|(tcp|tls|ucx|inproc)://\S+|[\w.-]+:\d{1,5}")),
        # The sweep's folder is checked once its runs are counted (their size depends on it).
    ),
    "data download": (
        Option("out", "--out", kind="out", expected_bytes=DOWNLOAD_BYTES),
        Option("start", "--start", Date(dt.date(1900, 1, 1), dt.date.today())),
        Option("symbols", "--symbols", ListOf(SYMBOL, text_ok=True)),
        Option("series", "--series", ListOf(FRED_SERIES, min_items=1, text_ok=True)),
        Option("fred_url", "--fred-url", URL),
        Option("yahoo_url", "--yahoo-url", URL),
        Option("timeout", "--timeout", Number(0, 3600, low_open=True, unit="seconds")),
    ),
    "paper": (
        Option("config", "--config", kind="file"),
        Option("port", "--port", Number(1, 65535, integer=True, unit="a TCP port")),
        Option("client_id", "--client-id", Number(0, 2**31 - 1, integer=True)),
        Option("host", "--host", Text("a host name or address")),
        Option("data", "--data", kind="folder"),
        Option("day", "--day", Date()),
        Option("history_from", "--history-from", Date()),
        Option("start", "--from", Date()),
        Option("end", "--to", Date()),
        Option("cash", "--cash", Number(0, 1e12, low_open=True, unit="dollars")),
        Option("once_timeout", "--once-timeout", Number(0, 86400, low_open=True, unit="seconds")),
        Option("out", "--out", kind="out", expected_bytes=BACKTEST_BYTES),
    ),
    "contract": (),
}


def command_name(args) -> str:
    """``backtest``, ``data download``..., as keys of :data:`OPTIONS`."""
    name = getattr(args, "command", "") or ""
    inner = getattr(args, "data_command", None)
    return f"{name} {inner}" if inner else name


def validate_options(args) -> None:
    """Check the parsed ``args`` of one command against :data:`OPTIONS` (converted values are
    written back); raises :class:`InputError` naming the option."""
    place = Place("")
    for opt in OPTIONS.get(command_name(args), ()):
        value = getattr(args, opt.dest, None)
        if value is None:
            continue
        if opt.kind == "file":
            check_input_file(value, opt.flag)
        elif opt.kind == "folder":
            check_input_folder(value, opt.flag)
        elif opt.kind == "out":
            check_output_folder(value, opt.expected_bytes, opt.flag)
        elif opt.rule is not None:
            converted = opt.rule.check(value, place, (opt.flag,))
            if isinstance(opt.rule, Date):
                setattr(args, opt.dest, converted.isoformat())  # " 2021-01-04" as checked, stripped
            elif not isinstance(opt.rule, ListOf):
                setattr(args, opt.dest, converted)
    from .overrides import check_assignments

    for dest, flag in (("param", "--param"), ("broker", "--broker")):
        check_assignments(getattr(args, dest, None), flag)
    start, end = getattr(args, "start", None), getattr(args, "end", None)
    if command_name(args) == "backtest" and start and end:
        if dt.date.fromisoformat(end) <= dt.date.fromisoformat(start):
            raise InputError(f"--end: {end} is not after --start {start}")


def sweep_bytes(runs: int) -> int:
    """About what a sweep of ``runs`` runs writes into its folder."""
    return SWEEP_BASE_BYTES + runs * SWEEP_RUN_BYTES


def check_sweep_folder(out, runs: int, option: str = "--out") -> Path:
    """The sweep's folder can take ``runs`` runs (see :func:`sweep_bytes`)."""
    return check_output_folder(out, sweep_bytes(runs), option)
