"""ecore.engine: runs everything, one room per use.

Read the sub-packages as a table of contents, lowest first (each imports only those above it
in this list, and :mod:`.errors` below them all; ``tests/test_layering.py`` keeps it so):

* :mod:`.errors` - the user-facing error and the exit statuses;
* :mod:`.validation` - every input checked before any work (options, configs, data, outputs);
* :mod:`.report` - what a run produced and how it is shown: results, metrics, report.html,
  the output folder;
* :mod:`.backtest` - one backtest: the runner, the strategy's instruments, recording,
  scenarios, data requirements;
* :mod:`.sweep` - parameter sweeps on a local pool or Dask, and the vectorized fast path;
* :mod:`.paper` - paper trading against Interactive Brokers: config, the run, its summary and
  the account's status;
* :mod:`.api` - the Python interface: ``from ecore.engine.api import backtest, sweep``;
* :mod:`.cli` - the ``ecore`` command: the entry point and one module per sub-command.
"""
