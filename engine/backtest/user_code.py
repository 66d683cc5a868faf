"""When the user's code (a strategy, an analyzer, a module they import) exits or raises, the
command ends with one line naming the user's file and line, not backtrader's or ecore's.

:func:`user_frame` walks a traceback for the last frame outside the installed packages
(site-packages, the standard library), backtrader and ecore: the user's line that went wrong.
:func:`describe_failure` makes the one line: what raised (or called ``sys.exit``), the error and
``(at my_strategy.py:42)``.  A syntax error carries its own file and line.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import traceback
from pathlib import Path

import backtrader as bt

#: What a run lets through untouched: Ctrl-C and SIGTERM end the command as signals do.
PASS_THROUGH = (KeyboardInterrupt, GeneratorExit)


def _library_roots() -> tuple[str, ...]:
    roots = set()
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(name)
        if path:
            roots.add(os.path.realpath(path))
    for mod in (bt,):
        roots.add(os.path.realpath(os.path.dirname(mod.__file__)))
    ecore_root = Path(__file__).resolve().parents[2]  # the ecore package (engine/, data/, ...)
    for part in ("engine", "data", "brokers", "strategies"):
        roots.add(os.path.realpath(ecore_root / part))
    return tuple(sorted(roots))


_ROOTS: tuple[str, ...] | None = None


def is_user_file(filename: str) -> bool:
    """Whether ``filename`` is the user's code: not the standard library, not an installed
    package (site-packages, dist-packages), not backtrader, not ecore, not ``<frozen ...>``."""
    global _ROOTS
    if not filename or filename.startswith("<"):
        return False
    if _ROOTS is None:
        _ROOTS = _library_roots()
    real = os.path.realpath(filename)
    parts = Path(real).parts
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    return not any(real == r or real.startswith(r + os.sep) for r in _ROOTS)


def user_frame(exc: BaseException):
    """The last frame of ``exc``'s traceback in the user's code (a ``types.FrameType`` paired
    with its line number), or None."""
    found = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if is_user_file(frame.f_code.co_filename):
            found = (frame, lineno)
    return found


def user_location(exc: BaseException) -> str | None:
    """``FILE:LINE`` (the file's name) of the user's
    line that raised, or of a syntax error; None when no frame is the user's."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{_short(exc.filename)}:{exc.lineno}"
    found = user_frame(exc)
    if found is None:
        return None
    frame, lineno = found
    return f"{_short(frame.f_code.co_filename)}:{lineno}"


def _short(filename: str) -> str:
    # The file's name, as Python's own one-line summaries give it; the traceback
    # (ECORE_DEBUG=1) has the full path.
    return os.path.basename(filename)


def culprit(exc: BaseException) -> str | None:
    """The name of the user's class whose method raised (``self`` of the user's frame), with
    "analyzer " before an analyzer's; None when it cannot tell."""
    found = user_frame(exc)
    if found is None:
        return None
    owner = found[0].f_locals.get("self")
    if owner is None:
        return None
    cls = type(owner)
    if isinstance(owner, bt.Analyzer):
        return f"analyzer {cls.__name__}"
    if isinstance(owner, bt.Strategy):
        return f"strategy {cls.__name__}"
    return None


def what_happened(exc: BaseException) -> str:
    """``sys.exit(3) was called`` or ``ValueError: bad``, without newlines."""
    if isinstance(exc, SystemExit):
        code = exc.code
        text = f"sys.exit({code!r})" if code is not None else "sys.exit()"
        return f"{text} was called"
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg}"
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def describe_failure(exc: BaseException, who: str) -> str:
    """One line: ``who`` (e.g. "strategy MyStrat"), what happened, and where in the user's code.
    The class found in the traceback (an analyzer's method) takes precedence over ``who``."""
    where = user_location(exc)
    name = culprit(exc) or who
    at = f" (at {where})" if where else ""
    if isinstance(exc, SystemExit):
        return f"{name}: {what_happened(exc)}{at}: the run stopped, nothing was written"
    return f"{name} raised {what_happened(exc)}{at}"


def module_file_of(module_name: str) -> str | None:
    """The file a module was loaded from, if loaded."""
    return getattr(sys.modules.get(module_name), "__file__", None)


def _imported_names(tree, module_name: str, is_package: bool) -> set[str]:
    """Absolute names of the modules an AST imports (``from x import y``: ``x`` and ``x.y``)."""
    import ast

    package = module_name if is_package else module_name.rpartition(".")[0]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                up = node.level - 1
                if up > len(base):
                    continue
                base = base[: len(base) - up] if up else base
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod:
                continue
            names.add(mod)
            parts = mod.split(".")
            names.update(".".join(parts[:i]) for i in range(1, len(parts)))
            names.update(f"{mod}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def user_source_files(module_names) -> list[Path]:
    """Every source file of the user's code that the modules ``module_names`` load, directly or
    through their imports (read with ``ast``, so imports inside functions count too): the
    modules themselves and every module they import from outside the standard library,
    site-packages, backtrader and ecore.  Sorted; for the resume key of a sweep."""
    import ast
    import importlib.util

    seen: set[str] = set()
    files: set[Path] = set()
    todo = list(module_names)
    while todo:
        name = todo.pop()
        if not name or name in seen:
            continue
        seen.add(name)
        module = sys.modules.get(name)
        origin = getattr(module, "__file__", None) if module is not None else None
        is_package = bool(getattr(module, "__path__", None)) if module is not None else False
        if origin is None:
            try:
                found = importlib.util.find_spec(name)
            except (ImportError, ValueError, AttributeError):
                continue
            if found is None or not found.origin or not found.has_location:
                continue
            origin, is_package = found.origin, found.submodule_search_locations is not None
        if not origin.endswith(".py") or not is_user_file(origin):
            continue
        path = Path(origin).resolve()
        files.add(path)
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (OSError, SyntaxError, ValueError):
            continue
        todo.extend(_imported_names(tree, name, is_package))
    return sorted(files)
