"""One run of a sweep: what a worker is given, what it sends back, and how it runs it.

The sweep engine does not know how a backtest is run: it is handed a :class:`Backtester`, an
object with three methods: ``identity`` (what the results depend on besides the parameters, for
the resume key), ``load`` (market data, called once per worker process) and ``run`` (one backtest
on the loaded data).  The default is
:class:`ecore.engine.sweep.backtests.EventDrivenBacktester`, over ``ecore.engine.backtest.runner``; tests
hand in small pure functions.  A backtester must be picklable (defined at module level): it is
sent to every worker.

Each worker process keeps the loaded market data in :data:`_LOADED`, keyed by the sweep's token,
so data are loaded once per worker, not once per run.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import traceback
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .spec import SweepSpec


@dataclass(frozen=True)
class RunOutput:
    """What a backtester's ``run`` returns: ``metrics`` (name → number or text, as in
    ``metrics.json``) and ``nav`` (Series of net asset value in dollars indexed by date, or None).
    """

    metrics: dict
    nav: pd.Series | None = None


class Backtester(ABC):
    """How a sweep runs one backtest: a subclass defines all three methods."""

    @abstractmethod
    def identity(self, spec: SweepSpec) -> dict:
        """Fingerprints of what results depend on besides parameters: ``{"data": …, "code": …}``."""

    @abstractmethod
    def load(self, spec: SweepSpec) -> Any:
        """Market data shared by every run of the sweep; called once in each worker process."""

    @abstractmethod
    def run(self, spec: SweepSpec, config: dict, market: Any) -> RunOutput:
        """Run one backtest with ``config`` (see :meth:`SweepSpec.run_config`) on ``market``."""


@dataclass(frozen=True)
class RunTask:
    """One parameter set to run; ``key`` is its resume key (see :mod:`.keys`)."""

    key: str
    params: dict


@dataclass
class RunRecord:
    """The outcome of one run.

    ``status`` is ``"ok"`` or ``"failed"``; ``error`` is ``"ExceptionType: message"`` for a
    failed run; ``seconds`` is the wall time of the run in the worker (data loading excluded);
    ``nav_dates``/``nav_values`` are the NAV path (days, dollars) or None.
    """

    key: str
    params: dict
    status: str
    metrics: dict = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    worker: str = ""
    nav_dates: np.ndarray | None = None
    nav_values: np.ndarray | None = None
    warnings: tuple = ()  # distinct warning texts of the run (the sweep prints each once)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


_LOADED: dict[str, Any] = {}
_LOAD_LOCK = threading.Lock()


class _LoadFailure:
    """Stands in for market data whose loading raised, so that every run reports why."""

    def __init__(self, exc: BaseException):
        self.error = f"{type(exc).__name__}: {exc} (while loading market data)"


def loaded_market(token: str, backtester: Backtester, spec: SweepSpec) -> Any:
    """This process's market data for the sweep ``token``, loaded on first use."""
    with _LOAD_LOCK:
        if token not in _LOADED:
            _LOADED.clear()  # a worker keeps one sweep's data at a time
            try:
                _LOADED[token] = backtester.load(spec)
            except Exception as exc:  # reported by every run of this worker
                _LOADED[token] = _LoadFailure(exc)
        return _LOADED[token]


def quiet_run_logs() -> None:
    """Keep a worker's runs from printing their broker events (``margin call on ...``) through
    Python's last-resort handler: each run's margin calls are counted in its row of the results,
    and a line per call from every worker would bury the sweep's progress.  Handlers the user
    configured (on the root logger, inherited through fork) still receive them."""
    import logging

    package = logging.getLogger("ecore")
    if not any(isinstance(h, logging.NullHandler) for h in package.handlers):
        package.addHandler(logging.NullHandler())


def init_pool_worker(token: str, backtester: Backtester, spec: SweepSpec, parent: int | None = None) -> None:
    """Process-pool initializer: ignore Ctrl-C (the parent stops the pool), let SIGTERM end the
    process (a handler inherited from the parent could turn it into an exception), close the
    copy of the sweep's lock inherited through fork, die with the parent, load the data."""
    from .lock import release_inherited_locks

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    quiet_run_logs()
    release_inherited_locks()
    if parent is not None:
        die_with_parent(parent)
    loaded_market(token, backtester, spec)


#: Seconds between two checks that a pool worker's parent still runs.
PARENT_CHECK_SECONDS = 0.5


def die_with_parent(parent: int) -> None:
    """End this process as soon as process ``parent`` is gone (``kill -9`` of the sweep leaves
    no worker running on): a daemon thread watches the parent's id, which changes when the
    parent dies and the worker is handed to init or a subreaper."""
    if os.getppid() != parent:
        os._exit(1)

    def watch():
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="ecore-parent-watch", daemon=True).start()


def execute(task: RunTask, token: str, backtester: Backtester, spec: SweepSpec) -> RunRecord:
    """Run one task in this process; an exception becomes a failed record, never a crash."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    market = loaded_market(token, backtester, spec)
    started = time.perf_counter()
    if isinstance(market, _LoadFailure):
        return RunRecord(task.key, task.params, "failed", error=market.error, worker=worker)
    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught:  # the sweep reports them, not the worker
            warnings.simplefilter("always")
            out = backtester.run(spec, spec.run_config(task.params), market)
        if not isinstance(out, RunOutput):
            raise TypeError(f"backtester returned {type(out).__name__}, expected RunOutput")
        metrics = {str(k): _plain(v) for k, v in out.metrics.items()}
        dates = values = None
        if out.nav is not None and len(out.nav):
            dates = pd.DatetimeIndex(out.nav.index).values.astype("datetime64[D]")
            values = np.asarray(out.nav.to_numpy(), dtype=float)
    except (KeyboardInterrupt, GeneratorExit):
        raise
    except BaseException as exc:  # sys.exit in the user's code is a failed run, not the worker's end
        if isinstance(exc, SystemExit):
            error = f"SystemExit: sys.exit({exc.code!r}) was called{_user_where(exc)}"
        else:
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())}{_user_where(exc)}"
        return RunRecord(task.key, task.params, "failed", error=error,
                         seconds=time.perf_counter() - started, worker=worker)
    texts = tuple(dict.fromkeys(" ".join(str(w.message).split()) for w in caught))
    return RunRecord(task.key, task.params, "ok", metrics=metrics,
                     seconds=time.perf_counter() - started, worker=worker,
                     nav_dates=dates, nav_values=values, warnings=texts)


def _user_where(exc: BaseException) -> str:
    """`` [file.py:LINE]`` of the user's line that raised (else of the last frame), unless the
    message already says where."""
    from ..backtest.user_code import user_location

    if "(at " in str(exc):
        return ""
    where = user_location(exc)
    if where is None:
        last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
        where = f"{os.path.basename(last[0].filename)}:{last[0].lineno}" if last else None
    return f" [{where}]" if where else ""


def _plain(value):
    """Metric values as JSON-ready Python values (numpy numbers → float/int, dates → ISO text,
    tables → dicts with text keys)."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
