"""Validation that runs before any work: one step per input kind.

* :mod:`.schema` — declarative rules (number ranges, choices, dates, tables) and the one-line
  :class:`~.schema.InputError` that names the file, line, column and key;
* :mod:`.toml_position` — where a key sits in a TOML file (line and column);
* :mod:`.options` — command-line options of every ``ecore`` command;
* :mod:`.backtest_config` — backtest config files (and the shared settings of sweep files);
* :mod:`.output_location` — an output folder is creatable, writable, not a file, with room;
* :mod:`.sufficiency` — every series a run needs covers its window, without long gaps or jumps;
* :mod:`.plausibility` — the account can hold the ladder, the target duration is reachable,
  a stress scenario falls inside the run.
"""
