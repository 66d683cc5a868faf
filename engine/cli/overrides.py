"""Options several sub-commands share: ``--param`` and ``--broker`` (what they mean and how they
are checked: :mod:`ecore.engine.validation.overrides`)."""

from __future__ import annotations


def add_override_options(parser, broker: bool = True) -> None:
    """``--param KEY=VALUE`` (and ``--broker KEY=VALUE``), repeatable, for a sub-command."""
    parser.add_argument("--param", action="append", metavar="KEY=VALUE",
                        help="set one strategy parameter, typed by the strategy's default (repeatable; "
                        "overrides the file's): --param equity_weight=0.8 --param rebalance=quarter")
    if broker:
        parser.add_argument("--broker", action="append", metavar="KEY=VALUE",
                            help="set one broker or margin setting (repeatable; overrides the file's): "
                            "--broker margin_multiplier=1.5 --broker costs.futures_commission=2.5")
