"""ecore.engine: contracts, calendars, margin, broker simulation, runner and command line."""
