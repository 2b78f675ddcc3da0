"""How plain names are bound in a strategy file, for rules that accept a name only when its value is known.

``getattr(talib, name)`` and ``df.agg(how)`` are harmless when ``name`` can only ever hold a literal from the
file and dangerous when it holds a computed string. Tracking that in general is data-flow analysis; the audit
needs much less, and is deliberately coarse (file-wide, any rebinding disqualifies a name):

- a *loop name* is bound only as the target of ``for``/comprehensions over literal displays of strings (or
  over a constant name below), so its values are exactly those strings;
- a *constant name* is assigned once to a literal display and otherwise only read as a loop iterable or a
  dispatch argument, so no code can change what it holds;
- an *unassigned name* is never the target of an assignment or a parameter: it is a ``def``, a class, an
  import or a builtin, never a string.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeGuard

from gentrade.safety import names

_DISPLAYS = (ast.List, ast.Tuple, ast.Set)


def display_strings(node: ast.expr) -> list[ast.Constant] | None:
    """The string constants of a list/tuple/set display holding nothing else, or None."""
    if not isinstance(node, _DISPLAYS):
        return None
    found = [e for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return found if len(found) == len(node.elts) else None


def is_dispatch_call(node: ast.AST | None) -> TypeGuard[ast.Call]:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in names.STRICT_DISPATCH_METHODS
    )


@dataclass
class NameFacts:
    """File-wide binding facts; see the module docstring."""

    loop_iterables: dict[str, list[ast.expr | None]] = field(default_factory=lambda: defaultdict(list))
    constants: dict[str, ast.expr] = field(default_factory=dict)
    methods: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, tree: ast.Module) -> NameFacts:
        facts = cls()
        parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        loads: dict[str, list[ast.Name]] = defaultdict(list)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                facts.methods.update(s.name for s in node.body if isinstance(s, ast.FunctionDef))
            for name, iterable in _bindings(node, parents):
                facts.loop_iterables[name].append(iterable)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                loads[node.id].append(node)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, (*_DISPLAYS, ast.Dict))
            ):
                name = node.targets[0].id
                only_bound_here = facts.loop_iterables[name] == [None]
                if only_bound_here and all(_read_only_use(use, parents) for use in loads[name]):
                    facts.constants[name] = node.value
        return facts

    def assigned(self, name: str) -> bool:
        return bool(self.loop_iterables.get(name))

    def loop_strings(self, name: str) -> list[ast.Constant] | None:
        """Every string a loop name can hold, or None when it is bound any other way."""
        iterables = self.loop_iterables.get(name)
        if not iterables:
            return None
        found: list[ast.Constant] = []
        for iterable in iterables:
            if isinstance(iterable, ast.Name):
                iterable = self.constants.get(iterable.id)
            strings = display_strings(iterable) if iterable is not None else None
            if strings is None:
                return None
            found.extend(strings)
        return found


def _bindings(node: ast.AST, parents: dict[int, ast.AST]) -> Iterator[tuple[str, ast.expr | None]]:
    """(name, iterable) for each name ``node`` binds; iterable is set only for a plain loop target."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
        parent = parents.get(id(node))
        loop = isinstance(parent, ast.For | ast.comprehension) and parent.target is node
        yield node.id, parent.iter if loop and isinstance(parent, ast.For | ast.comprehension) else None
    elif isinstance(node, ast.arg):
        yield node.arg, None
    elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
        yield node.name, None
    elif isinstance(node, ast.MatchMapping) and node.rest:
        yield node.rest, None
    elif isinstance(node, ast.Global | ast.Nonlocal):
        for name in node.names:
            yield name, None


def _read_only_use(use: ast.Name, parents: dict[int, ast.AST]) -> bool:
    """A read of a constant name that cannot change it: a loop iterable or a dispatch argument."""
    parent = parents.get(id(use))
    if isinstance(parent, ast.For | ast.comprehension):
        return parent.iter is use
    if isinstance(parent, ast.keyword):
        return parent.arg == "func" and is_dispatch_call(parents.get(id(parent)))
    return is_dispatch_call(parent) and bool(parent.args) and parent.args[0] is use
