import os
import signal
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ECORE_SHARED", ROOT.parent / "shared"))

# Tests run `ecore` as users do, from PATH: make that the command installed beside the Python
# running the tests (a venv's bin/), not whatever other install a shell finds first.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

# A shell without job control starts background commands with Ctrl-C ignored, and an ignored
# signal stays ignored in every child: the tests of what `ecore` does on Ctrl-C would then see it
# run on.  Catching SIGINT here, as an interactive Python does, gives the children a default one
# (exec resets caught signals, not ignored ones).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def shared() -> Path:
    """The read-only folder of reference material and real market data beside the repository."""
    if not (SHARED / "data").is_dir():
        raise RuntimeError(f"shared data folder not found at {SHARED}; set ECORE_SHARED")
    return SHARED


def pytest_runtest_teardown(item, nextitem):
    """Collect a test module's garbage before the next module starts.

    Sessions against the fake gateway leave asyncio tasks behind in reference cycles (ib_async
    never retrieves a request's exception when the socket drops).  If the cyclic collector frees
    them later, their finalizers run in whatever the next test is doing; inside ``ast.parse``
    CPython 3.11 (3.11.7 here) then stopped with "SystemError: AST constructor recursion depth
    mismatch" (python/cpython#106905): test_layering after test_ib_soak, every time.  Collecting
    at module boundaries runs them in the module that made them.
    """
    if nextitem is None or nextitem.module is not item.module:
        import gc

        gc.collect()
