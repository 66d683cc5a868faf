"""No module under ``brokers/`` is over 700 lines (issue 20).

A module that long holds more than one job, and a newcomer can no longer find a job by the file's
name (``brokers/ib/session.py`` was split into ``connection``, ``picture``, ``reconcile`` and
``orders`` for that).  A failure names each offender with its line count.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 700


def too_long(root: Path, limit: int = LIMIT) -> list[str]:
    """``folder/.../module.py: N lines`` for every module under ``root`` over ``limit`` lines."""
    found = []
    for path in sorted(root.rglob("*.py")):
        lines = len(path.read_text().splitlines())
        if lines > limit:
            found.append(f"{path.relative_to(root.parent)}: {lines} lines (at most {limit})")
    return found


def test_no_module_under_brokers_is_over_700_lines():
    assert too_long(ROOT / "brokers") == []


def test_an_over_long_module_is_named_with_its_line_count(tmp_path):
    brokers = tmp_path / "brokers"
    (brokers / "ib").mkdir(parents=True)
    (brokers / "ib" / "big.py").write_text("x = 1\n" * 701)
    (brokers / "ib" / "at_the_limit.py").write_text("x = 1\n" * 700)
    (brokers / "small.py").write_text('"""A short module."""\n')

    assert too_long(brokers) == ["brokers/ib/big.py: 701 lines (at most 700)"]
