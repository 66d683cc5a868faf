"""The ``ecore`` command line.

Each sub-command lives in the module that does its job; this file only wires arguments to them
and turns user errors into one-line messages with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Each module defines ``add_parser(subparsers)``, which registers one sub-command and sets
# ``func`` (taking the parsed args, returning an exit status).  Keep imports inside ``func`` so
# that ``ecore --help`` stays fast.
COMMAND_MODULES = [
    "ecore.engine.contract_report",
    "ecore.engine.paper",
    "ecore.engine.backtest_cli",
    "ecore.engine.data_cli",
    "ecore.engine.sweep.command",
]


class UserError(Exception):
    """A mistake in the user's input: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecore",
        description="Backtest, sweep and paper-trade leveraged efficient-core (90/60) portfolios "
        "of equity shares and rolled U.S. Treasury futures.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        # The reader went away (``ecore ... | head``): not an error of ours.  Point stdout at
        # devnull so that Python's own flush at exit does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (UserError, ValueError, FileNotFoundError) as exc:
        # Input errors (ours subclass ValueError and name the file, row or field) are one line;
        # ECORE_DEBUG=1 shows the traceback when the line is not enough.
        if os.environ.get("ECORE_DEBUG"):
            raise
        print(f"ecore {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
