"""Issue 22, item 3: the resume key of a sweep covers every module of the user's code that the
strategy loads from outside site-packages (at any depth, relative imports and imports inside
functions included), and the files the runs read; changing any of them reruns."""

from __future__ import annotations

import sys
import textwrap

import pytest

from ecore.engine.backtest.user_code import user_source_files
from ecore.engine.cli.main import main
from ecore.engine.sweep import load_sweep
from ecore.engine.sweep.backtests import EventDrivenBacktester

MODULES = ("ks_strategy", "ks_helper", "ks_deep", "ks_lazy", "kspkg", "kspkg.core", "kspkg.util")


@pytest.fixture(autouse=True)
def clean_imports(monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in MODULES:
        sys.modules.pop(name, None)
    yield
    for name in MODULES:
        sys.modules.pop(name, None)


def write(folder, helper_size="10"):
    (folder / "ks_strategy.py").write_text(textwrap.dedent("""\
        import backtrader as bt
        import json

        from ks_helper import size


        class Hold(bt.Strategy):
            instruments = ("SPY",)
            params = (("scale", 1),)

            def next(self):
                import ks_lazy  # noqa: F401  (imported inside a method)
                if not self.position:
                    self.buy(size=size() * self.p.scale)
        """))
    (folder / "ks_helper.py").write_text(f"from ks_deep import base\n\ndef size():\n    return base() * {helper_size}\n")
    (folder / "ks_deep.py").write_text("def base():\n    return 1\n")
    (folder / "ks_lazy.py").write_text("X = 1\n")


def identity(folder):
    (folder / "s.toml").write_text('strategy = "ks_strategy.Hold"\nstart = 2021-01-04\nend = 2021-03-31\n'
                                   "[grid]\nscale = [1, 2]\n")
    for name in MODULES:
        sys.modules.pop(name, None)
    return EventDrivenBacktester().identity(load_sweep(folder / "s.toml"))


def test_the_user_files_of_a_strategy_are_its_module_and_what_it_imports_at_any_depth(tmp_path):
    write(tmp_path)
    sys.path.append(str(tmp_path))
    import ks_strategy  # noqa: F401

    names = [p.name for p in user_source_files(["ks_strategy"])]
    assert names == ["ks_deep.py", "ks_helper.py", "ks_lazy.py", "ks_strategy.py"]  # json, backtrader: not the user's


@pytest.mark.parametrize("edited", ["ks_helper.py", "ks_deep.py", "ks_lazy.py"])
def test_editing_a_module_the_strategy_imports_changes_the_resume_key(tmp_path, edited):
    write(tmp_path)
    before = identity(tmp_path)
    path = tmp_path / edited
    path.write_text(path.read_text() + "\n# edited\n")
    after = identity(tmp_path)
    assert before["strategy"] != after["strategy"]
    assert before["data"] == after["data"] and before["code"] == after["code"]


def test_relative_imports_inside_a_user_package_are_followed(tmp_path):
    pkg = tmp_path / "kspkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "core.py").write_text("from .util import k\nimport backtrader as bt\n\nclass S(bt.Strategy):\n    pass\n")
    (pkg / "util.py").write_text("k = 1\n")
    sys.path.append(str(tmp_path))
    import kspkg.core  # noqa: F401

    assert [p.name for p in user_source_files(["kspkg.core"])] == ["__init__.py", "core.py", "util.py"]


def test_editing_the_margin_schedule_a_sweep_reads_changes_the_resume_key(tmp_path):
    src = "date,root,maintenance,source\n2000-01-03,ZN,1500,test\n"
    (tmp_path / "m.csv").write_text(src)
    (tmp_path / "s.toml").write_text('strategy = "EfficientCore"\n[broker]\nmargin_schedule = "m.csv"\n'
                                     "[grid]\ndrift_band = [0.05, 0.1]\n")
    before = EventDrivenBacktester().identity(load_sweep(tmp_path / "s.toml"))
    (tmp_path / "m.csv").write_text(src.replace("1500", "1600"))
    after = EventDrivenBacktester().identity(load_sweep(tmp_path / "s.toml"))
    assert before["inputs"] != after["inputs"]


def test_a_sweep_resumed_after_editing_a_helper_module_reruns_every_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path)
    (tmp_path / "s.toml").write_text('strategy = "ks_strategy.Hold"\nstart = 2021-01-04\nend = 2021-03-31\n'
                                     "benchmark = false\n[grid]\nscale = [1, 2]\n")
    argv = ["sweep", "s.toml", "--workers", "1", "--no-progress", "--out", "out"]
    assert main(argv) == 0
    assert "2 runs (2 executed now, 0 already done" in capsys.readouterr().out
    assert main(argv) == 0
    assert "(0 executed now, 2 already done" in capsys.readouterr().out
    write(tmp_path, helper_size="20")
    for name in MODULES:
        sys.modules.pop(name, None)
    assert main(argv) == 0
    assert "(2 executed now, 0 already done" in capsys.readouterr().out


def test_a_runs_file_line_that_is_not_a_run_is_not_a_finished_run(tmp_path):
    from ecore.engine.sweep.store import read_rows

    (tmp_path / "runs.jsonl").write_text('{"key": 5}\n[1, 2]\n{"key": "abc", "status": "ok", "params": {}}\nnot json\n')
    assert list(read_rows(tmp_path / "runs.jsonl")) == ["abc"]
