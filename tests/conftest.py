import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ECORE_SHARED", ROOT.parent / "shared"))

# Tests run `ecore` as users do, from PATH: make that the command installed beside the Python
# running the tests (a venv's bin/), not whatever other install a shell finds first.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture(scope="session")
def shared() -> Path:
    """The read-only folder of reference material and real market data beside the repository."""
    if not (SHARED / "data").is_dir():
        raise RuntimeError(f"shared data folder not found at {SHARED}; set ECORE_SHARED")
    return SHARED
