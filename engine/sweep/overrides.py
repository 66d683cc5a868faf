"""``ecore sweep --param/--broker``: fixed settings from the command line laid over a sweep file."""

from __future__ import annotations

import dataclasses

from .spec import BROKER_PREFIX, SweepFileError, SweepSpec


def with_overrides(spec: SweepSpec, params=(), broker=()) -> SweepSpec:
    """``spec`` with ``--param``/``--broker`` assignments fixed for every run, typed and checked
    as in ``ecore backtest`` (:mod:`ecore.engine.validation.overrides`).  A setting the file
    sweeps cannot also be fixed: the error names it."""
    from ..backtest.instruments import PlanError, is_ours, strategy_class
    from ..validation.overrides import broker_overrides, strategy_overrides

    try:
        cls = strategy_class(spec.strategy, f"{spec.source}: strategy", (spec.base_dir,) if spec.base_dir else ())
    except PlanError as exc:
        raise SweepFileError(str(exc)) from None
    fixed_params = strategy_overrides(params, cls, is_ours(cls)) if params else {}
    fixed_broker = broker_overrides(broker, spec.base_dir) if broker else {}
    swept = set(spec.parameter_names)
    for name in fixed_params:
        if name in swept:
            raise SweepFileError(f"--param {name}: {spec.source} sweeps {name}; drop it from the file's axes "
                                 "or from the command line")
    for name in fixed_broker:
        if BROKER_PREFIX + name in swept:
            raise SweepFileError(f"--broker {name}: {spec.source} sweeps broker.{name}; drop it from the "
                                 "file's axes or from the command line")
    merged_broker = dict(spec.broker)
    for key, value in fixed_broker.items():
        if key == "costs" and isinstance(merged_broker.get("costs"), dict):
            value = {**merged_broker["costs"], **value}
        merged_broker[key] = value
    return dataclasses.replace(spec, params={**spec.params, **fixed_params}, broker=merged_broker)
