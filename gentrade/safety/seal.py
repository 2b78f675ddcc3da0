"""Library code sealed while a strategy runs: the runtime check against rewritten freqtrade or pandas.

A strategy shares its process with freqtrade. ``LocalTrade.calc_profit_ratio = lambda *a, **k: 0.5`` or
``numpy.mean = ...`` changes no file, opens no socket and starts no process, and CPython 3.11 raises no audit
event for an ordinary attribute set on a class or a module, so nothing else in the guard sees it; yet every
number of the report would then be the strategy's. The static audit refuses such writes by shape
(``writes.py``); this is the runtime layer for them.

The child asks the guard (by audit events, so the snapshot lives in the hook's closure where strategy code
cannot reach it) to *take* the seal once freqtrade is imported and before the strategy loads, and to *check*
it after the run, before anything is reported. The seal records, for every loaded module of the packages
that compute and report results, the functions and classes it holds, and for every class defined there the
functions, properties and class/static methods in its ``__dict__``. The check finds any of them replaced or
deleted, and any function added to such a class over one it inherits (an override slipped in); new names
are allowed, since libraries extend classes when a strategy imports them (qtpylib adds indicators to
pandas). Taking it a second time is refused: a strategy must not seal its own changes in.

Libraries may still add what they add lazily (SQLAlchemy's instrumentation, pandas' accessors cache to
instances, not classes), which is why only function-like entries count.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

SEAL_TAKE = "gentrade.seal.take"
SEAL_CHECK = "gentrade.seal.check"
SEALED_PACKAGES = ("freqtrade", "gentrade", "pandas", "numpy", "pydantic", "talib")
"""Packages whose code computes, stores or reports a result."""

_FUNCTION_LIKE = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodDescriptorType,
    classmethod,
    staticmethod,
    property,
    type,
)


def make_seal() -> tuple[Callable[[], str | None], Callable[[], str | None]]:
    """(take, check): ``take`` records the sealed code (None, or why it refuses); ``check`` names the first
    change since (None when there is none, or when no seal was taken: a process that never loads a strategy
    through the worker has nothing to compare)."""
    modules, prefixes = sys.modules, tuple(p + "." for p in SEALED_PACKAGES)
    packages = frozenset(SEALED_PACKAGES)
    isinstance_, vars_, list_, tuple_, frozenset_, getattr_ = (
        isinstance,
        vars,
        list,
        tuple,
        frozenset,
        getattr,
    )
    function_like, type_, callable_, any_ = _FUNCTION_LIKE, type, callable, any
    taken: list[
        tuple[tuple[tuple[str, object, str, object], ...], tuple[tuple[str, Any, frozenset[str]], ...]]
    ] = []

    def sealed_modules() -> list[tuple[str, types.ModuleType]]:
        return [
            (name, module)
            for name, module in list_(modules.items())
            if (name in packages or name.startswith(prefixes)) and isinstance_(module, types.ModuleType)
        ]

    def take() -> str | None:
        if taken:
            return "the seal was already taken; taking it again would seal changes in"
        entries: list[tuple[str, object, str, object]] = []
        classes: list[tuple[str, Any, frozenset[str]]] = []
        for module_name, module in sealed_modules():
            for name, value in list_(vars_(module).items()):
                if not callable_(value):  # numpy's functions are dispatcher objects, not FunctionType
                    continue
                entries.append((module_name, module, name, value))
                if isinstance_(value, type_) and getattr_(value, "__module__", None) == module_name:
                    where, owned = f"{module_name}.{value.__qualname__}", vars_(value)
                    classes.append((where, value, frozenset_(owned)))
                    for attribute, member in list_(owned.items()):
                        if (isinstance_(member, function_like) or callable_(member)) and not isinstance_(
                            member, type_
                        ):
                            entries.append((where, value, attribute, member))
        taken.append((tuple_(entries), tuple_(classes)))
        return None

    def check() -> str | None:
        if not taken:
            return None
        entries, classes = taken[0]
        for where, owner, name, value in entries:
            namespace = vars_(owner)
            if namespace.get(name) is not value:
                return f"{where}.{name} was {'deleted' if name not in namespace else 'replaced'}"
        for where, cls, known in classes:
            for added, member in list_(vars_(cls).items()):
                if added in known or not (isinstance_(member, function_like) or callable_(member)):
                    continue
                # A new name is a library extending a class (qtpylib adds indicators to pandas at import);
                # a name one of the bases defines is an override slipped in under freqtrade's feet.
                if any_(added in vars_(base) for base in cls.__mro__[1:]):
                    return f"{where}.{added} was added over {where.rsplit('.', 1)[-1]}'s inherited one"
        return None

    return take, check
