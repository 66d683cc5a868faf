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
import itertools
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .runs import Backtester, RunRecord, RunTask, execute, init_pool_worker
from .spec import SweepSpec


#: Tasks handed to the pool ahead of its workers: enough to keep them busy, few enough that a
#: sweep of any size holds only these in memory.
IN_FLIGHT_PER_WORKER = 2


class WorkerDied(RuntimeError):
    """A worker process of the local pool died (killed, out of memory); the sweep can be resumed."""


class WorkerSetupError(ValueError):
    """A Dask worker cannot run the sweep (the strategy's module does not import there)."""


class Executor(ABC):
    """Runs a sweep's tasks; ``describe()`` says where, for the progress line."""

    @abstractmethod
    def run(self, tasks, token: str, backtester: Backtester, spec: SweepSpec,
            total: int | None = None) -> Iterator[RunRecord]:
        """Yield each task's record as it finishes; closing the iterator stops what is left.
        ``tasks`` is any iterable of RunTask (``total`` of them, when known): it is consumed a
        few tasks ahead of the workers, never all at once."""

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

    def run(self, tasks, token, backtester, spec, total=None):
        tasks = iter(tasks)
        first = next(tasks, None)
        if first is None:
            return
        workers = self.workers if total is None else max(1, min(self.workers, total))
        queue = itertools.chain([first], tasks)
        while True:
            suspects: list = []
            yield from self._run_pool(queue, workers, token, backtester, spec, suspects)
            if not suspects:
                return
            # A worker died (killed, out of memory) with these runs in flight: run them again one
            # at a time, so a death names its run (a failed row) and the others finish.
            yield from self._isolate(suspects, token, backtester, spec)

    @staticmethod
    def _new_pool(workers, token, backtester, spec) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers, initializer=init_pool_worker,
                                   initargs=(token, backtester, spec, os.getpid()))

    def _run_pool(self, queue, workers, token, backtester, spec, suspects: list):
        """Run ``queue`` on a pool of ``workers``; when a worker dies, the runs in flight are
        put in ``suspects`` and the pool is given up."""
        pool = self._new_pool(workers, token, backtester, spec)
        finished = False
        try:
            pending = {}
            for task in itertools.islice(queue, IN_FLIGHT_PER_WORKER * workers):
                pending[pool.submit(execute, task, token, backtester, spec)] = task
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = False
                for future in done:
                    task = pending.pop(future)
                    if isinstance(future.exception(), BrokenProcessPool):
                        suspects.append(task)
                        broken = True
                        continue
                    if not broken:
                        for nxt in itertools.islice(queue, 1):
                            pending[pool.submit(execute, nxt, token, backtester, spec)] = nxt
                    yield future.result()
                if broken:
                    for future, task in pending.items():
                        if future.done() and future.exception() is None:
                            yield future.result()
                        else:
                            suspects.append(task)
                    return
            finished = True
        finally:
            _stop_pool(pool, wait=finished)

    def _isolate(self, suspects, token, backtester, spec):
        pool = None
        try:
            for task in suspects:
                if pool is None:
                    pool = self._new_pool(1, token, backtester, spec)
                future = pool.submit(execute, task, token, backtester, spec)
                try:
                    record = future.result()
                except BrokenProcessPool:
                    _stop_pool(pool, wait=False)
                    pool = None
                    record = RunRecord(task.key, task.params, "failed", error=WORKER_DIED)
                yield record
        finally:
            if pool is not None:
                _stop_pool(pool, wait=True)


#: The error of a run whose worker process died under it.
WORKER_DIED = ("WorkerDied: the worker process running this run died (killed, os._exit or out of "
               "memory); the other runs went on")


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

    def run(self, tasks, token, backtester, spec, total=None):
        tasks = iter(tasks)
        first = next(tasks, None)
        if first is None:
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
        task_of = {}
        try:
            _check_workers(client, backtester, spec)
            queue = itertools.chain([first], tasks)
            # A window of tasks ahead of the cluster's threads, topped up as runs finish.
            window = IN_FLIGHT_PER_WORKER * max(1, sum(client.nthreads().values()) or 1)

            def submit(task):
                future = client.submit(execute, task, token=token, backtester=backtester, spec=spec, pure=False)
                task_of[future.key] = (future, task)
                return future

            running = dask_as_completed([submit(t) for t in itertools.islice(queue, window)])
            for future in running:
                _, task = task_of.pop(future.key)
                try:
                    record = future.result()
                except Exception as exc:  # the task killed its workers, or could not be sent
                    record = RunRecord(task.key, task.params, "failed", error=f"{type(exc).__name__}: {exc}")
                future.release()
                for nxt in itertools.islice(queue, 1):
                    running.add(submit(nxt))
                yield record
        finally:
            pending = [f for f, _ in task_of.values() if not f.done()]
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
