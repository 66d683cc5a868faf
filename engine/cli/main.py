"""The ``ecore`` command line: the entry point.

Each sub-command lives in the module that does its job; this file only wires arguments to them
and turns user errors into one-line messages with exit status 2.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import signal
import sys

from ..errors import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, UserError

# Each module defines ``add_parser(subparsers)``, which registers one sub-command and sets
# ``func`` (taking the parsed args, returning an exit status).  Keep imports inside ``func`` so
# that ``ecore --help`` stays fast.
COMMAND_MODULES = [
    "ecore.engine.cli.contract",
    "ecore.engine.cli.paper",
    "ecore.engine.cli.backtest",
    "ecore.engine.cli.data",
    "ecore.engine.cli.sweep",
]


def _raise_terminated(signum, frame):
    raise Terminated()


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (the usage text is for ``--help``)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="ecore",
        description="Backtest, sweep and paper-trade leveraged efficient-core (90/60) portfolios "
        "of equity shares and rolled U.S. Treasury futures.",
    )
    parser.add_argument("--version", action="version", version=f"ecore {installed_version()}",
                        help="the installed ecore's version, and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).add_parser(sub)
    parser.commands = sub.choices  # for naming the command in its own mistakes
    return parser


def installed_version() -> str:
    """The version in the installed package's metadata ("unknown" when run from a source tree
    that was never installed)."""
    from importlib import metadata

    try:
        return metadata.version("ecore")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # named by the command they were given to: "ecore backtest: error: ..."
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    name = f"ecore {args.command}" + (f" {args.data_command}" if getattr(args, "data_command", None) else "")
    debug = bool(os.environ.get("ECORE_DEBUG"))
    previous = None
    if threading_main():
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        from ..validation.input_files import forget_inputs
        from ..validation.options import validate_options

        forget_inputs()  # each command reads its files afresh (and a pipe once)
        from ..validation.output_location import check_no_empty_paths

        check_no_empty_paths(sys.argv[1:] if argv is None else argv)
        validate_options(args)
        from .warnings_once import collecting

        # each warning once, one line, when the command ends well (a paper run: as it comes)
        with collecting(name, live=args.command == "paper"):
            return args.func(args)
    except BrokenPipeError:
        # The reader went away (``ecore ... | head``): not an error of ours.  Point stdout at
        # devnull so that Python's own flush at exit does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt as exc:
        # Ctrl-C or SIGTERM: writers clean their staging folders on the way out, so nothing
        # half-written is left; one line says so.
        if debug:
            raise
        terminated = isinstance(exc, Terminated) or getattr(exc, "signum", None) == signal.SIGTERM
        what = "terminated (SIGTERM)" if terminated else "interrupted (Ctrl-C)"
        detail = str(exc) if str(exc) and not isinstance(exc, Terminated) else "no output was written or changed"
        print(f"{name}: {what}: {detail}", file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    except (UserError, ValueError, FileNotFoundError) as exc:
        # Input errors (ours subclass ValueError and name the file, row or field) are one line;
        # ECORE_DEBUG=1 shows the traceback when the line is not enough.
        if debug:
            raise
        print(f"{name}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        # A file or folder the command could not read or write (permission, read-only file
        # system, full disk): one line naming it.
        if debug or exc.errno is None:
            raise
        where = f": {exc.filename}" if exc.filename else ""
        extra = "; nothing half-written was left" if exc.errno == errno.ENOSPC else ""
        print(f"{name}: error: {exc.strerror or exc}{where}{extra}", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def threading_main() -> bool:
    """Whether this is the main thread (only it may install signal handlers)."""
    import threading

    return threading.current_thread() is threading.main_thread()


def _one_line(exc: BaseException) -> str:
    """The error's text on one line (a message from a library may hold newlines)."""
    return " ".join(str(exc).split("\n")).strip() or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
