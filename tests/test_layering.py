"""The four folders import in one direction: data <- brokers <- strategies <- engine.

``data/`` imports nothing else of ours; ``brokers/`` and ``strategies/`` import only ``data/``
(a strategy reaches the broker through backtrader's interfaces); ``engine/`` may import all.
Each module's imports are read with ``ast`` (lazy imports inside functions included), so a
violation names the file, the line and the module it reaches for.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("data", "brokers", "strategies", "engine")
ALLOWED = {
    "data": {"data"},
    "brokers": {"data", "brokers"},
    "strategies": {"data", "strategies"},
    "engine": {"data", "brokers", "strategies", "engine"},
}


def _module_parts(path: Path, root: Path) -> list[str]:
    """``brokers/ib/session.py`` -> ["ecore", "brokers", "ib", "session"]."""
    rel = path.relative_to(root).with_suffix("")
    parts = ["ecore", *rel.parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_layers(path: Path, root: Path = ROOT) -> list[tuple[int, str, str]]:
    """(line, imported module, its layer) for every import of ours in ``path`` (under ``root``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_parts(path, root)
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # ``from ... import data`` imports a sub-package by name.
            targets = [module] + [f"{module}.{a.name}" for a in node.names] if not node.module else [module]
        for target in targets:
            parts = target.split(".")
            if parts[0] == "ecore" and len(parts) > 1 and parts[1] in LAYERS:
                found.append((node.lineno, target, parts[1]))
    return found


def violations(root: Path = ROOT) -> list[str]:
    """One line per import against the direction: ``file:line imports target (rule)``."""
    bad = []
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            for line, target, target_layer in imported_layers(path, root):
                if target_layer not in ALLOWED[layer]:
                    bad.append(f"{path.relative_to(root)}:{line} imports {target} "
                               f"({layer}/ may import only {', '.join(sorted(ALLOWED[layer]))})")
    return bad


def test_every_folder_imports_only_the_layers_below_it():
    assert violations() == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        f = tmp_path / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    return tmp_path


def test_a_lazy_relative_import_against_the_direction_is_named_with_its_line(tmp_path):
    root = _tree(tmp_path, {"data/probe.py": "import math\n\n\ndef f():\n    from ..engine.runner import run\n",
                            "engine/runner.py": "from ..data.probe import f\n"})
    assert violations(root) == ["data/probe.py:5 imports ecore.engine.runner (data/ may import only data)"]


def test_strategies_may_not_import_the_broker(tmp_path):
    root = _tree(tmp_path, {"strategies/s.py": "from ecore.brokers.simulated import MarginBroker\n"})
    assert violations(root) == [
        "strategies/s.py:1 imports ecore.brokers.simulated (strategies/ may import only data, strategies)"]


@pytest.mark.parametrize("source, expected", [
    ("from ecore.brokers.margin import MarginModel\n", [(1, "ecore.brokers.margin", "brokers")]),
    ("import ecore.engine.cli\n", [(1, "ecore.engine.cli", "engine")]),
    ("from ... import engine\n", [(1, "ecore.engine", "engine")]),
    ("from .loaders import load_closes\n", [(1, "ecore.data.sub.loaders", "data")]),
    ("import numpy\nfrom backtrader import Strategy\n", []),
])
def test_the_checker_reads_absolute_relative_and_package_imports(tmp_path, source, expected):
    root = _tree(tmp_path, {"data/sub/m.py": source})
    assert imported_layers(root / "data/sub/m.py", root) == expected
