"""Issue 22, item 9: the README's examples run as written.  Every ``ecore ...`` command in the
README's fenced blocks runs on the bundled data (in a scratch folder holding the README's own
``run.toml``, a copy of ``examples/`` and a ``~/ecore-data`` built from the bundled set) and must
exit 0 without a traceback or a Python source line; commands that need Interactive Brokers or
the network are skipped, each with its reason listed in :data:`SKIPPED`."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"

#: Why a README command is not run here (matched on the command's start).
SKIPPED = {
    "ecore paper": "needs TWS/IB Gateway on a paper account (ecore paper connects even for --dry-run); "
                   "the fake gateway runs it in tests/test_ib_paper_cli.py",
    "ecore data download": "needs the network (FRED, Yahoo); tests/test_data_download.py runs it "
                           "against a loopback server",
}


def readme_commands(text: str) -> list[tuple[dict, list[str]]]:
    """``(environment, argv)`` of each ``ecore`` command in the fenced blocks of ``text``: lines
    are split at ``&&``, ``||``, ``;`` and pipes, ``NAME=value`` prefixes become environment,
    comments and redirections are dropped."""
    out = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M):
        for line in block.splitlines():
            line = line.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            for part in re.split(r"&&|\|\||;|\|", line):
                try:
                    words = shlex.split(part)
                except ValueError:  # not a shell line (a Python example)
                    continue
                env = {}
                while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
                    key, _, value = words.pop(0).partition("=")
                    env[key] = value
                if not words or words[0] != "ecore":
                    continue
                argv = []
                skip_next = False
                for w in words[1:]:
                    if skip_next:
                        skip_next = False
                        continue
                    if w in (">", ">>", "<", "2>"):
                        skip_next = True
                        continue
                    if re.match(r"^\d?>", w) or w.startswith(">"):
                        continue
                    argv.append(w)
                out.append((env, ["ecore", *argv]))
    return out


COMMANDS = readme_commands(README.read_text(encoding="utf-8"))


def test_the_readme_shows_the_commands_a_newcomer_runs_first():
    shown = [" ".join(argv) for _, argv in COMMANDS]
    assert "ecore backtest" in shown
    assert "ecore backtest --scenario rate_shock" in shown
    assert any(s.startswith("ecore sweep ") for s in shown)


def _skip_reason(argv) -> str | None:
    text = " ".join(argv)
    for start, reason in SKIPPED.items():
        if text.startswith(start):
            return reason
    return None


def _readme_toml(text: str) -> str:
    """The README's example config (the ```toml block with [params])."""
    for block in re.findall(r"^```toml\n(.*?)^```", text, re.S | re.M):
        if "[params]" in block and block.lstrip().startswith("strategy"):
            return block
    raise AssertionError("the README shows no example config")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A working folder as a reader has it: the README's run.toml, the examples, ~/ecore-data."""
    from ecore.data.market import BUNDLED_DIR

    root = tmp_path_factory.mktemp("readme")
    home = root / "home"
    data = home / "ecore-data"
    for kind in ("yields", "closes", "rates", "treasuries"):
        if (BUNDLED_DIR / kind).is_dir():
            shutil.copytree(BUNDLED_DIR / kind, data / kind)
    work = root / "work"
    work.mkdir()
    shutil.copytree(REPO / "examples", work / "examples")
    (work / "run.toml").write_text(_readme_toml(README.read_text(encoding="utf-8")))
    return work, home


@pytest.mark.slow
@pytest.mark.parametrize("env,argv", COMMANDS, ids=[" ".join(a) for _, a in COMMANDS])
def test_each_readme_command_runs_as_written(scratch, env, argv):
    reason = _skip_reason(argv)
    if reason:
        pytest.skip(reason)
    work, home = scratch
    environ = {**os.environ, "HOME": str(home)}
    environ.pop("ECORE_DEBUG", None)
    for key, value in env.items():
        environ[key] = value if key != "PYTHONPATH" else os.pathsep.join(
            [value, *filter(None, [os.environ.get("PYTHONPATH", "")])])
    args = [os.path.expanduser(a.replace("~", str(home), 1)) if a.startswith("~") else a for a in argv[1:]]
    if args and args[0] == "sweep":
        args += ["--no-progress"]
    elif args and args[0] == "backtest":
        args += ["--quiet"]
    r = subprocess.run([sys.executable, "-m", "ecore.engine.cli", *args], cwd=work, env=environ,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{' '.join(argv)} exited {r.returncode}: {r.stderr[-2000:]}"
    assert "Traceback" not in r.stderr
    assert not re.search(r"\.py:\d+: ", r.stderr), r.stderr  # no Python source line in a message
    if argv == ["ecore", "backtest"]:
        # the newcomer's first run opens with no warning, or one that names what to change
        for line in r.stderr.splitlines():
            if ": warning: " in line:
                assert "params." in line or "--" in line, line


def test_the_skipped_readme_commands_are_only_those_listed():
    skipped = {" ".join(a) for _, a in COMMANDS if _skip_reason(a)}
    assert all(s.startswith(("ecore paper", "ecore data download")) for s in skipped)
