"""What a command tells the user when it stops: the user-facing error and the exit statuses.

It sits below every room of ``engine/`` (validation, backtest, sweep, paper, the command line),
so that any of them can raise a :class:`UserError` without importing the command line.
"""

from __future__ import annotations

import signal


class UserError(Exception):
    """A mistake in the user's input: printed as one line, exit status 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so that the same clean-up runs; the
    command exits with 143 (128 + SIGTERM) instead of 130."""

    signum = signal.SIGTERM


# Exit statuses of a command stopped by a signal: 128 + the signal's number, as a shell reports.
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143
