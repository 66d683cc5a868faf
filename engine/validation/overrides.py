"""``--param key=value`` and ``--broker key=value``: one setting from the command line, typed
and checked like the same key in a config file.

A value is read as a TOML value (``0.9``, ``true``, ``"SPY"``, ``[126, 252]``,
``{ZN = 0.5, ZB = 0.5}``), else as text (``SPY``), then typed by the strategy's default for that
parameter: a whole number for an ``int`` (``126``, not ``126.5``), a number for a ``float``,
true/false (also yes/no, on/off, 1/0) for a ``bool``, text for a ``str``, a comma-separated list
or TOML array for a ``tuple``.  Our strategies' values are then checked against
:data:`.backtest_config.PARAM_RULES`; broker settings against :func:`.backtest_config.broker_rules`
(``costs.futures_commission=2.5`` sets one cost).  Errors name the option and the key:
``--param equity_weight=1.5: must be a fraction of NAV from 0 to 1, got 1.5``.
"""

from __future__ import annotations

import sys

from .schema import InputError, Place

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def split_assignment(text: str, flag: str) -> tuple[str, str]:
    """``"key=value"`` → (key, value text); :class:`InputError` naming ``flag`` otherwise."""
    key, sep, value = str(text).partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError(f"{flag}: {text!r} is not key=value (e.g. {flag} equity_weight=0.8)")
    return key, value.strip()


def check_assignments(values, flag: str) -> None:
    """Every item of ``values`` is ``key=value``, no key given twice."""
    seen = set()
    for text in values or ():
        key, _ = split_assignment(text, flag)
        if key in seen:
            raise InputError(f"{flag}: {key} is given twice")
        seen.add(key)


def literal(text: str):
    """A TOML value if ``text`` is one, else the text itself."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def typed(value, default, where: str):
    """``value`` (as :func:`literal` read it) in the type of ``default``."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise InputError(f"{where}: must be true or false, got {value!r}")
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) != int(value):
            raise InputError(f"{where}: must be a whole number, got {value!r}")
        return int(value)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{where}: must be a number, got {value!r}")
        return float(value)
    if isinstance(default, (tuple, list)):
        items = value if isinstance(value, list) else [literal(p.strip()) for p in str(value).split(",") if p.strip()]
        if default:
            items = [typed(v, default[0], where) for v in items]
        return tuple(items) if isinstance(default, tuple) else list(items)
    if isinstance(default, str) and isinstance(value, bool):
        return str(value).lower()
    if isinstance(default, dict) and not isinstance(value, dict):
        raise InputError(f"{where}: must be a table such as {{ZN = 0.5, ZB = 0.5}}, got {value!r}")
    return value


def strategy_overrides(assignments, cls, ours: bool, flag: str = "--param") -> dict:
    """``{name: value}`` of ``--param`` assignments for strategy class ``cls``, typed by its
    defaults and, for our strategies (``ours``), checked by their rules."""
    from .backtest_config import params_rules

    rules = params_rules(cls, ours).fields
    defaults = dict(cls.params._getitems())
    out = {}
    for text in assignments or ():
        key, raw = split_assignment(text, flag)
        where = f"{flag} {key}={raw}"
        if key not in rules:
            raise InputError(f"{flag} {key}: unknown parameter for {cls.__name__}; known: "
                             f"{', '.join(sorted(rules))}")
        value = typed(literal(raw), defaults.get(key), where)
        out[key] = rules[key].check(value, Place(where), ()) if ours else value
    return out


def broker_overrides(assignments, base_dir=None, flag: str = "--broker") -> dict:
    """``{setting: value}`` of ``--broker`` assignments, checked by the broker table's rules;
    ``costs.NAME=value`` goes into the ``costs`` table."""
    from .backtest_config import COST_RULES, broker_rules

    rules = broker_rules(base_dir).fields
    out: dict = {}
    for text in assignments or ():
        key, raw = split_assignment(text, flag)
        where = f"{flag} {key}={raw}"
        head, _, sub = key.partition(".")
        value = literal(raw)
        if head == "costs" and sub:
            rule = COST_RULES.fields.get(sub)
            if rule is None:
                raise InputError(f"{flag} {key}: unknown cost setting; known: "
                                 f"{', '.join('costs.' + k for k in sorted(COST_RULES.fields))}")
            out.setdefault("costs", {})[sub] = rule.check(value, Place(where), ())
            continue
        if key not in rules or key == "costs":
            raise InputError(f"{flag} {key}: unknown broker setting; known: "
                             f"{', '.join(sorted(k for k in rules if k != 'costs'))}, costs.NAME")
        out[key] = rules[key].check(value, Place(where), ())
    return out
