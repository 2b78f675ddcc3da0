"""How plain names are bound in a strategy file, for rules that accept a name only when its value is known.

``getattr(talib, name)`` and ``df.agg(how)`` are harmless when ``name`` can only ever hold a literal from the
file and dangerous when it holds a computed string. Tracking that in general is data-flow analysis; the audit
needs much less, and is deliberately coarse (file-wide, any rebinding disqualifies a name):

- a *loop name* is bound only as the target of ``for``/comprehensions over literal displays of strings (or
  over a constant name below), so its values are exactly those strings;
- a *constant name* is assigned once to a literal display and otherwise only read as a loop iterable or a
  dispatch argument, so no code can change what it holds;
- an *unassigned name* is never the target of an assignment or a parameter: it is a ``def``, a class, an
  import or a builtin, never a string;
- a ``def``, a class or an import binds a name too (``definitions``): a name bound that way as well as by
  an assignment is no constant, and a function name is a known function only when one undecorated ``def``
  binds it (a decorator may return anything, a string included).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeGuard

from gentrade.safety import names

_DISPLAYS = (ast.List, ast.Tuple, ast.Set)
_FUNCTION_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.Module)
_COPYING_BUILTINS = frozenset({"len", "list", "tuple", "set", "frozenset", "sorted", "enumerate", "zip"})
_TRUSTED_READERS = _COPYING_BUILTINS | {"CategoricalParameter"}
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


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
    """Binding facts: ``loop_iterables`` file-wide by name, ``scoped`` per (function scope, name)."""

    loop_iterables: dict[str, list[ast.expr | None]] = field(default_factory=lambda: defaultdict(list))
    scoped: dict[tuple[int, str], list[ast.expr | None]] = field(default_factory=lambda: defaultdict(list))
    scope_of: dict[int, int] = field(default_factory=dict)
    constants: dict[str, ast.expr] = field(default_factory=dict)
    methods: set[str] = field(default_factory=set)
    definitions: dict[str, list[ast.AST]] = field(default_factory=lambda: defaultdict(list))

    talib_modules: set[str] = field(default_factory=set)
    attribute_uses: dict[str, list[ast.Attribute]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, tree: ast.Module, talib_modules: set[str]) -> NameFacts:
        """``talib_modules``: local names bound to ``talib``/``talib.abstract``, whose function lists
        (``get_functions()``, ``get_function_groups()[...]``) hold only indicator names."""
        facts = cls(talib_modules=talib_modules)
        parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        loads: dict[str, list[ast.Name]] = defaultdict(list)
        defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                facts.attribute_uses[node.attr].append(node)
            if isinstance(node, ast.ClassDef):
                facts.methods.update(s.name for s in node.body if isinstance(s, ast.FunctionDef))
            for name in _definition_names(node, parents):
                facts.definitions[name].append(node)
            for name, iterable in _bindings(node, parents):
                facts.loop_iterables[name].append(iterable)
                walrus = isinstance(parents.get(id(node)), ast.NamedExpr)
                facts.scoped[(_scope(node, parents, comprehensions=not walrus), name)].append(iterable)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                loads[node.id].append(node)
                facts.scope_of[id(node)] = _scope(node, parents)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and (isinstance(node.value, (*_DISPLAYS, ast.Dict)) or facts._talib_names(node.value))
            ):
                name = node.targets[0].id
                only_bound_here = facts.loop_iterables[name] == [None] and name not in facts.definitions
                immutable = isinstance(node.value, ast.Tuple)
                uses: list[ast.expr] = [*loads[name], *facts.attribute_uses.get(name, [])]
                if only_bound_here and (
                    immutable or all(facts._read_only(u, parents, defined) for u in uses)
                ):
                    facts.constants[name] = node.value
        return facts

    def _read_only(self, use: ast.expr, parents: dict[int, ast.AST], defined: set[str]) -> bool:
        intact = not any(self.assigned(name) or name in defined for name in _TRUSTED_READERS)
        if isinstance(use, ast.Attribute) and not (
            isinstance(use.value, ast.Name) and use.value.id == "self"
        ):
            return False
        return _read_only_use(use, parents, intact)

    def _talib_names(self, node: ast.expr | None) -> bool:
        """``talib.get_functions()`` or ``talib.get_function_groups()[...]``: indicator names only."""
        if isinstance(node, ast.Subscript):
            node, wanted = node.value, "get_function_groups"
        else:
            wanted = "get_functions"
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == wanted
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in self.talib_modules
        )

    def _copying_call(self, node: ast.expr | None) -> bool:
        """``sorted(X)``, ``list(X)`` ...: the same strings as ``X`` when the builtin is not rebound."""
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _COPYING_BUILTINS
            and len(node.args) == 1
            and not node.keywords
            and not self.assigned(node.func.id)
        )

    def assigned(self, name: str) -> bool:
        return bool(self.loop_iterables.get(name))

    def plain_function(self, name: str) -> bool:
        """Bound only by one ``def`` without decorators: the name is that function and nothing else."""
        bound = self.definitions.get(name, [])
        return (
            len(bound) == 1
            and isinstance(bound[0], ast.FunctionDef | ast.AsyncFunctionDef)
            and not bound[0].decorator_list
            and not self.assigned(name)
        )

    def loop_strings(self, use: ast.Name) -> list[ast.Constant] | None:
        """Every string the loop name read at ``use`` can hold, or None when its function binds it any other
        way (or does not bind it at all)."""
        iterables = self.scoped.get((self.scope_of.get(id(use), -1), use.id))
        if not iterables:
            return None
        found: list[ast.Constant] = []
        for iterable in iterables:
            if self._copying_call(iterable):
                iterable = iterable.args[0]  # type: ignore[union-attr]
            if isinstance(iterable, ast.Attribute) and isinstance(iterable.value, ast.Name):
                self_attribute = iterable.value.id == "self"
                iterable = self.constants.get(iterable.attr) if self_attribute else None
            elif isinstance(iterable, ast.Name):
                iterable = self.constants.get(iterable.id)
            if self._talib_names(iterable):
                continue
            strings = display_strings(iterable) if iterable is not None else None
            if strings is None:
                return None
            found.extend(strings)
        return found


def _scope(node: ast.AST, parents: dict[int, ast.AST], comprehensions: bool = True) -> int:
    """The id of the innermost function, lambda, module or (for names other than walrus targets, which bind
    in the enclosing function) comprehension around ``node``. A ``for`` loop is not a scope, so rebinding a
    loop name anywhere else in its function disqualifies it: coarse, but it needs no flow analysis."""
    scopes = (*_FUNCTION_SCOPES, *_COMPREHENSIONS) if comprehensions else _FUNCTION_SCOPES
    current: ast.AST | None = parents.get(id(node))
    while current is not None and not isinstance(current, scopes):
        current = parents.get(id(current))
    return id(current)


def _definition_names(node: ast.AST, parents: dict[int, ast.AST]) -> Iterator[str]:
    """Names a ``def``, class or import binds in a function or the module (a method binds none there)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        if not isinstance(parents.get(id(node)), ast.ClassDef):
            yield node.name
    elif isinstance(node, ast.Import):
        yield from ((alias.asname or alias.name).split(".")[0] for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        yield from (alias.asname or alias.name for alias in node.names)


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


def _read_only_use(use: ast.expr, parents: dict[int, ast.AST], builtins_intact: bool) -> bool:
    """A read of a constant name that cannot change it: a loop iterable, a dispatch argument, an item read or
    the argument of a builtin that copies (when the file never rebinds those builtins)."""
    parent = parents.get(id(use))
    if isinstance(parent, ast.Subscript):
        return parent.value is use and isinstance(parent.ctx, ast.Load)
    if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and use in parent.args:
        return builtins_intact and parent.func.id in _TRUSTED_READERS
    if isinstance(parent, ast.For | ast.comprehension):
        return parent.iter is use
    if isinstance(parent, ast.keyword):
        return parent.arg == "func" and is_dispatch_call(parents.get(id(parent)))
    return is_dispatch_call(parent) and bool(parent.args) and parent.args[0] is use
