"""Imports run one way, and never in a circle.

* The four folders: data <- brokers <- strategies <- engine.  ``data/`` imports nothing else of
  ours; ``brokers/`` and ``strategies/`` import only ``data/`` (a strategy reaches the broker
  through backtrader's interfaces); ``engine/`` may import all.
* The rooms of ``engine/``, lowest first (:data:`ENGINE_ORDER`): each imports only the rooms
  before it in the list (and its own).
* No import circle between any two modules of the package, lazy imports included.

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


#: The rooms of ``engine/``, lowest first: the user-facing error and exit statuses, input
#: checks, results and reports, one backtest, sweeps, paper trading, the Python interface
#: (``api``: backtest() and sweep()), the command line.  A room
#: may import the rooms before it, never one after it.
ENGINE_ORDER = ("errors", "validation", "report", "backtest", "sweep", "paper", "api", "cli")


def _module_parts(path: Path, root: Path) -> list[str]:
    """``brokers/ib/session.py`` -> ["ecore", "brokers", "ib", "session"]."""
    rel = path.relative_to(root).with_suffix("")
    parts = ["ecore", *rel.parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _import_nodes(path: Path, root: Path):
    """(node, module) for every import statement of ``path``: for ``from X import ...`` the
    absolute name of X (relative imports resolved), for ``import ...`` None."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_parts(path, root)
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield node, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                yield node, ".".join(base + ([node.module] if node.module else []))
            else:
                yield node, node.module or ""


def imported_layers(path: Path, root: Path = ROOT) -> list[tuple[int, str, str]]:
    """(line, imported module, its layer) for every import of ours in ``path`` (under ``root``)."""
    found = []
    for node, module in _import_nodes(path, root):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
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


def _modules(root: Path) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__.py``)."""
    found = {}
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            found[".".join(_module_parts(path, root))] = path
    return found


def _imported_names(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of everything ``path`` imports: ``from a.b import c`` gives ``a.b.c``
    (a module or a name in ``a.b``), ``import a.b`` gives ``a.b``."""
    names = []
    for node, module in _import_nodes(path, root):
        if module is None:
            names += [(node.lineno, a.name) for a in node.names]
        else:
            names += [(node.lineno, f"{module}.{a.name}") for a in node.names]
    return names


def import_graph(root: Path = ROOT) -> dict[str, dict[str, int]]:
    """{module: {module it imports: first line}}: ``from a.b import c`` is an edge to ``a.b.c``
    when that is a module, else to the package ``a.b``."""
    modules = _modules(root)

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, path in modules.items():
        edges: dict[str, int] = {}
        for line, target in _imported_names(path, root):
            hit = resolve(target)
            if hit and hit != name:
                edges.setdefault(hit, line)
        graph[name] = edges
    return graph


def import_cycles(root: Path = ROOT) -> list[list[str]]:
    """The import circles (strongly connected sets of two or more modules), each sorted."""
    graph = import_graph(root)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return sorted(cycles)


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "engine" else None


def engine_violations(root: Path = ROOT) -> list[str]:
    """One line per import of an ``engine/`` room by a room lower in :data:`ENGINE_ORDER`."""
    bad = []
    for path in sorted((root / "engine").rglob("*.py")):
        room = _room(".".join(_module_parts(path, root)))
        if room is None:
            continue
        for line, target, _layer in imported_layers(path, root):
            other = _room(target)
            if other is None or other == room or other not in ENGINE_ORDER:
                continue
            if room not in ENGINE_ORDER or ENGINE_ORDER.index(other) > ENGINE_ORDER.index(room):
                bad.append(f"{path.relative_to(root)}:{line} imports {target} "
                           f"(engine/{room} may import only {', '.join(ENGINE_ORDER[:ENGINE_ORDER.index(room)]) if room in ENGINE_ORDER else 'nothing: it is not in ENGINE_ORDER'})")
    return bad


def test_no_import_circle_anywhere_in_the_package():
    assert import_cycles() == []


def test_every_room_of_the_engine_imports_only_the_rooms_below_it():
    assert engine_violations() == []


def test_every_room_of_the_engine_is_in_the_order():
    rooms = {p.stem if p.is_file() else p.name for p in (ROOT / "engine").iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    assert rooms == set(ENGINE_ORDER)


def test_a_planted_circle_is_found(tmp_path):
    root = _tree(tmp_path, {"engine/__init__.py": "", "engine/sweep/__init__.py": "",
                            "engine/sweep/runs.py": "def f():\n    from .store import g\n",
                            "engine/sweep/store.py": "from .runs import f\n",
                            "engine/sweep/keys.py": "from .runs import f\n"})
    assert import_cycles(root) == [["ecore.engine.sweep.runs", "ecore.engine.sweep.store"]]


def test_a_circle_through_a_package_name_is_found(tmp_path):
    root = _tree(tmp_path, {"data/__init__.py": "from .a import x\n",
                            "data/a.py": "from ecore.data.b import y\n",
                            "data/b.py": "from ecore.data import z\n"})
    assert import_cycles(root) == [["ecore.data", "ecore.data.a", "ecore.data.b"]]


def test_a_lower_room_importing_a_higher_one_is_named(tmp_path):
    root = _tree(tmp_path, {"engine/validation/schema.py": "from ..cli.main import UserError\n",
                            "engine/cli/main.py": "from ..validation.schema import Rule\n"})
    assert engine_violations(root) == [
        "engine/validation/schema.py:1 imports ecore.engine.cli.main "
        "(engine/validation may import only errors)"]
