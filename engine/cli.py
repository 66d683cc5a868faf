"""The ``ecore`` command line.

Each sub-command lives in the module that does its job; this file only wires arguments to them
and turns user errors into one-line messages with exit status 2.
"""

from __future__ import annotations

import argparse
import sys


class UserError(Exception):
    """A mistake in the user's input: printed as one line, exit status 2."""


def _cmd_contract(args) -> int:
    from .contract_report import run

    print(run(args.codes, args.json))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecore",
        description="Backtest, sweep and paper-trade leveraged efficient-core (90/60) portfolios "
        "of equity shares and rolled U.S. Treasury futures.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser(
        "contract",
        help="print Treasury futures contract specifications and delivery dates",
        description="Print each contract's specification and key dates (first intention, first "
        "notice, last trading and last delivery day). Codes: ZNH25, ZNH5, 'ZN 202503', 'ZN MAR 25'.",
    )
    p.add_argument("codes", nargs="+", metavar="CODE")
    p.add_argument("--json", action="store_true", help="print JSON (ISO dates) instead of a table")
    p.set_defaults(func=_cmd_contract)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (UserError, ValueError, FileNotFoundError) as exc:
        print(f"ecore {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
