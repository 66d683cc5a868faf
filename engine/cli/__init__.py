"""The ``ecore`` command: the entry point (:mod:`.main`) and one module per sub-command
(backtest, sweep, paper, data, contract)."""
