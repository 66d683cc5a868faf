"""Where a sweep's runs execute: a local process pool, or a Dask distributed cluster.

Both hand back one :class:`~.runs.RunRecord` per task as each run finishes, in completion order,
and stop the remaining runs when the consumer stops iterating (Ctrl-C, SIGTERM, an error).
Market data are loaded once per worker process (see :func:`.runs.loaded_market`): by the pool's
initializer, and on a Dask worker by its first task.  Neither uses backtrader's ``optstrategy``.
"""

from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from .runs import Backtester, RunRecord, RunTask, execute, init_pool_worker
from .spec import SweepSpec


class WorkerDied(RuntimeError):
    """A worker process of the local pool died (killed, out of memory); the sweep can be resumed."""


class WorkerSetupError(ValueError):
    """A Dask worker cannot run the sweep (the strategy's module does not import there)."""


class Executor(ABC):
    """Runs a sweep's tasks; ``describe()`` says where, for the progress line."""

    @abstractmethod
    def run(self, tasks: list[RunTask], token: str, backtester: Backtester,
            spec: SweepSpec) -> Iterator[RunRecord]:
        """Yield each task's record as it finishes; closing the iterator stops what is left."""

    @abstractmethod
    def describe(self) -> str:
        """Where runs execute, e.g. ``local pool, 4 workers``."""


class LocalPool(Executor):
    """A process pool on this machine with ``workers`` processes (default: one per CPU)."""

    def __init__(self, workers: int | None = None):
        if workers is not None and workers < 1:
            raise ValueError(f"--workers must be at least 1, got {workers}")
        self.workers = workers or os.cpu_count() or 1

    def describe(self) -> str:
        return f"local pool, {self.workers} worker{'s' if self.workers != 1 else ''}"

    def run(self, tasks, token, backtester, spec):
        if not tasks:
            return
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)), initializer=init_pool_worker,
                                   initargs=(token, backtester, spec))
        finished = False
        try:
            futures = [pool.submit(execute, task, token, backtester, spec) for task in tasks]
            for future in as_completed(futures):
                try:
                    record = future.result()
                except BrokenProcessPool:
                    raise WorkerDied("a worker process died (killed or out of memory); "
                                     "run the sweep again to resume") from None
                yield record
            finished = True
        finally:
            _stop_pool(pool, wait=finished)


def _stop_pool(pool: ProcessPoolExecutor, wait: bool) -> None:
    """Shut the pool down; unless ``wait``, cancel queued runs and end running ones now.

    ``ProcessPoolExecutor`` can only cancel runs that have not started, so the worker processes
    (its ``_processes``) are terminated: they hold nothing but market data and a run in progress.
    """
    if wait:
        pool.shutdown(wait=True)
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=10)


class DaskCluster(Executor):
    """Runs on a Dask distributed cluster: an existing scheduler at ``address``
    (``tcp://host:8786``), or ``"local"`` for a :class:`distributed.LocalCluster` of ``workers``
    single-threaded worker processes on 127.0.0.1.  The package (and any custom backtester's module)
    must be importable on the workers; a user strategy's module is checked on every worker before
    any run (``backtester.worker_check``), and a worker that cannot import it stops the sweep
    with one line naming the module and the worker.
    """

    def __init__(self, address: str, workers: int | None = None):
        if not address:
            raise ValueError("--cluster needs a scheduler address (tcp://host:8786) or 'local'")
        if workers is not None and workers < 1:
            raise ValueError(f"--workers must be at least 1, got {workers}")
        self.address = address
        self.workers = workers

    def describe(self) -> str:
        if self.address == "local":
            n = self.workers or os.cpu_count() or 1
            return f"Dask LocalCluster, {n} worker{'s' if n != 1 else ''}"
        return f"Dask cluster at {self.address}"

    def run(self, tasks, token, backtester, spec):
        if not tasks:
            return
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_as_completed

        cluster = None
        if self.address == "local":
            cluster = LocalCluster(n_workers=self.workers or os.cpu_count() or 1, threads_per_worker=1,
                                   processes=True, host="127.0.0.1", dashboard_address=None,
                                   silence_logs=logging.ERROR)
            client = Client(cluster)
        else:
            client = Client(self.address, timeout="30s")
        futures = []
        try:
            _check_workers(client, backtester, spec)
            futures = client.map(execute, tasks, token=token, backtester=backtester, spec=spec, pure=False)
            task_of = {future.key: task for future, task in zip(futures, tasks)}
            for future in dask_as_completed(futures):
                try:
                    record = future.result()
                except Exception as exc:  # the task killed its workers, or could not be sent
                    task = task_of[future.key]
                    record = RunRecord(task.key, task.params, "failed", error=f"{type(exc).__name__}: {exc}")
                future.release()
                yield record
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                client.cancel(pending)
            client.close()
            if cluster is not None:
                cluster.close()


def _check_workers(client, backtester, spec) -> None:
    """Run the backtester's worker check on every worker; the first that fails is named."""
    check = getattr(backtester, "worker_check", None)
    job = check(spec) if check is not None else None
    if job is None:
        return
    function, args = job
    for worker, error in sorted(client.run(function, *args).items()):
        if error:
            raise WorkerSetupError(
                f"{spec.source}: strategy {spec.strategy!r}: its module {args[0]!r} is not importable on "
                f"Dask worker {worker} ({error}); install it there or put it on the workers' PYTHONPATH")
