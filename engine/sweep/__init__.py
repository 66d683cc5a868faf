"""Parameter sweeps: many backtests of one strategy, on this machine or on a Dask cluster.

* :mod:`.space` — grid lists, stepped ranges and seeded random samples;
* :mod:`.spec` — the TOML sweep file → :class:`SweepSpec`;
* :mod:`.runs` — one run: the :class:`Backtester` interface and what a worker returns;
* :mod:`.keys` — resume keys (parameters + data + code version);
* :mod:`.lock` — one sweep writes into a folder at a time (``sweep.lock``);
* :mod:`.store` — results streamed to ``runs.jsonl`` and the ranked Parquet/CSV table;
* :mod:`.executors` — local process pool, Dask cluster;
* :mod:`.driver` — :func:`run_sweep`;
* :mod:`.report` — ``sweep.html``;
* :mod:`.backtests` — the default backtester, over :func:`ecore.engine.backtest.runner.run_backtest`;
* :mod:`.fast` — the vectorized 90/60 evaluation behind ``ecore sweep --fast`` (day loop in
  :mod:`.fast_kernel`, packed prices in :mod:`.fast_prices`);
* :mod:`.folds` — holdout and walk-forward windows; :mod:`.walkforward` — their runs, table,
  choices and degradation; :mod:`.walkforward_report` — their sweep.html; :mod:`.fast_folds` —
  ``--fast`` with folds;
* :mod:`.overrides` — ``--param``/``--broker`` over a sweep file.

The ``ecore sweep`` command is :mod:`ecore.engine.cli.sweep`.
"""

from .driver import SweepInterrupted, SweepOutcome, plan_sweep, run_sweep
from .executors import DaskCluster, LocalPool
from .runs import Backtester, RunOutput
from .spec import SweepFileError, SweepSpec, load_sweep, parse_sweep

__all__ = [
    "Backtester", "DaskCluster", "LocalPool", "RunOutput", "SweepFileError", "SweepInterrupted",
    "SweepOutcome", "SweepSpec", "load_sweep", "parse_sweep", "plan_sweep", "run_sweep",
]
