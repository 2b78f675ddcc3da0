"""Rules judged by the *shape of a call*: the method name alone cannot tell harmless from harmful.

``df.agg("mean")`` and ``df.agg(name)`` differ only in what the argument may hold; ``Path.rename(target)`` and
``DataFrame.rename(columns=...)`` only in their arguments; ``pd.set_option("display.width", 200)`` and
``pd.set_option("plotting.backend", "some.module")`` (which imports that module) only in the key. Each
function here returns ``(node, code, message)`` triples for the audit to report.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gentrade.safety import names
from gentrade.safety.modules import ModuleBindings
from gentrade.safety.scopes import NameFacts

Finding = tuple[ast.AST, str, str]
_OPTION_KEY = re.compile(r"^[a-z_.]+$")
_SAFE_BUILTINS = frozenset(
    {"abs", "all", "any", "bool", "float", "int", "len", "list", "max", "min", "round", "sorted", "str"}
    | {"sum", "tuple"}
)
_PATH_LIKE = ("/", "\\", ".", "~")


def _root(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node


class CallRules:
    """The call-shape rules for one file, with what they need to know about its names."""

    def __init__(self, modules: ModuleBindings, facts: NameFacts, functions: set[str]) -> None:
        self._modules = modules
        self._facts = facts
        self._functions = functions

    def check(self, node: ast.Call, func: ast.Attribute) -> Iterator[Finding]:
        if func.attr in names.STRICT_DISPATCH_METHODS:
            yield from self._dispatch(node, func.attr)
        if func.attr in names.PATH_MOVERS and self._moves_a_path(node):
            message = f".{func.attr}() with a single non-literal target moves or overwrites a file"
            yield node, "forbidden_call", message
        if func.attr in names.OPTION_SETTERS:
            yield from self._options(node, func.attr)

    def _dispatch(self, node: ast.Call, method: str) -> Iterator[Finding]:
        starred = any(isinstance(a, ast.Starred) for a in node.args)
        if starred or any(not k.arg for k in node.keywords):
            yield node, "dynamic_attribute", f".{method}() with unpacked arguments can name any method"
            return
        chosen = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "func")]
        for argument in chosen:
            if not self._known_function(argument):
                message = (
                    f".{method}() resolves strings to methods: pass a lambda, a function or a literal from "
                    f"its allow-list ({', '.join(sorted(names.DISPATCH_NAMES)[:6])}, ...)"
                )
                yield argument, "dynamic_attribute", message

    def _known_function(self, node: ast.expr) -> bool:
        """True when ``node`` can only be a harmless function or a literal name from the allow-list."""
        if isinstance(node, ast.Constant):
            return node.value in names.DISPATCH_NAMES
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return all(self._known_function(e) for e in node.elts)
        if isinstance(node, ast.Dict):
            return all(v is not None and self._known_function(v) for v in node.values)
        if isinstance(node, ast.Lambda):
            return True
        if isinstance(node, ast.Name):
            constant = self._facts.constants.get(node.id)
            if constant is not None:
                return self._known_function(constant)
            builtin = node.id in _SAFE_BUILTINS and node.id not in self._facts.definitions
            return not self._facts.assigned(node.id) and (node.id in self._functions or builtin)
        if isinstance(node, ast.Attribute):
            root = _root(node)
            if isinstance(root, ast.Name) and root.id == "self" and isinstance(node.value, ast.Name):
                return node.attr in self._facts.methods
            return self._modules.resolve(root) is not None
        return False

    def _moves_a_path(self, node: ast.Call) -> bool:
        if any(k.arg in (None, "target") for k in node.keywords):
            return True
        if any(isinstance(a, ast.Starred) for a in node.args):
            return True
        if len(node.args) != 1 or node.keywords:
            return False
        (argument,) = node.args
        if isinstance(argument, ast.Constant):
            text = argument.value
            return isinstance(text, str) and (text.startswith(_PATH_LIKE) or "/" in text or "\\" in text)
        if isinstance(argument, ast.Dict | ast.Lambda):
            return False
        if isinstance(argument, ast.Name | ast.Attribute):
            root = _root(argument)
            return not (isinstance(root, ast.Name) and not self._facts.assigned(root.id))
        return True

    def _options(self, node: ast.Call, setter: str) -> Iterator[Finding]:
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            yield node, "forbidden_call", f"{setter}() takes literal 'key, value' pairs only"
            return
        for key in node.args[::2]:
            text = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
            if text is None or not _OPTION_KEY.match(text) or not text.startswith(names.OPTION_PREFIXES):
                prefixes = ", ".join(names.OPTION_PREFIXES)
                message = f"{setter}() keys must be literal option names starting with {prefixes}"
                yield key, "forbidden_call", message
