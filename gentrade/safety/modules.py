"""Which module a name or an attribute chain in strategy source stands for, decided without importing it.

``import logging`` makes ``logging.config`` reachable whenever *some other* code imported it first (freqtrade
does), so what a chain of attributes reaches depends on the process, not on the file. The audit therefore
follows chains that start at an imported module and judges every step that lands on a module as if the file
had imported that module itself. Whether ``pkg.name`` is a submodule is read from the package's files on disk
(never by importing it), which also catches lazily loaded submodules such as ``scipy.io``.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from gentrade.safety import names
from gentrade.safety.rules import module_problem

_EXTENSION_SUFFIXES = (".py", ".pyc", ".so", ".pyd")


@functools.lru_cache(maxsize=4096)
def is_submodule(dotted: str) -> bool:
    """True when ``dotted`` names a module or package file under its top-level package's directory."""
    top, *rest = dotted.split(".")
    if not rest or not all(part.isidentifier() for part in [top, *rest]):
        return False
    try:
        spec = importlib.util.find_spec(top)  # a top-level name: located, not imported
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    directories = [Path(location) for location in spec.submodule_search_locations]
    *packages, leaf = rest
    for part in packages:
        directories = [d / part for d in directories if (d / part).is_dir()]
    return any((d / leaf).is_dir() or _has_module_file(d, leaf) for d in directories)


def _has_module_file(directory: Path, leaf: str) -> bool:
    return any(
        child.name.split(".")[0] == leaf and child.suffix in _EXTENSION_SUFFIXES
        for child in directory.glob(f"{leaf}.*")
    )


@dataclass
class ModuleBindings:
    """Local names bound to modules by the file's imports, and every module path the file imports."""

    modules: dict[str, str] = field(default_factory=dict)
    imported: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, tree: ast.Module) -> ModuleBindings:
        bindings = cls()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bindings._add_import(alias)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                for alias in node.names:
                    dotted = f"{node.module}.{alias.name}"
                    if alias.name != "*" and (is_submodule(dotted) or dotted in names.MODULE_NAMES):
                        bindings.modules[alias.asname or alias.name] = dotted
                        bindings.imported.add(dotted)
        return bindings

    def _add_import(self, alias: ast.alias) -> None:
        parts = alias.name.split(".")
        self.imported.update(".".join(parts[: i + 1]) for i in range(len(parts)))
        self.modules[alias.asname or parts[0]] = alias.name if alias.asname else parts[0]

    def restricted(self, module: str) -> bool:
        """Modules that may only be used as ``module.<allowed name>``, never as a value of their own."""
        return module in names.MODULE_NAMES or module_problem(module) is not None

    def resolve(self, node: ast.expr) -> str | None:
        """The module ``node`` evaluates to when it is an imported name or a chain of submodules of one."""
        if isinstance(node, ast.Name):
            return self.modules.get(node.id)
        if isinstance(node, ast.Attribute):
            parent = self.resolve(node.value)
            candidate = f"{parent}.{node.attr}"
            if parent is not None and (candidate in self.imported or is_submodule(candidate)):
                return candidate
        return None

    def step_problem(self, module: str, attr: str) -> str | None:
        """Why ``<module>.<attr>`` may not be written, judged as if the file had imported what it reaches."""
        allowed = names.MODULE_NAMES.get(module)
        if allowed is not None and attr not in allowed:
            return f"'{module}.{attr}' is not among the names a strategy may use from '{module}'"
        candidate = f"{module}.{attr}"
        if module_problem(module) is not None and candidate not in self.imported:
            if any(imported.startswith(f"{module}.") for imported in self.imported):
                return f"'{candidate}' is not imported by this file"
            return f"'{candidate}' belongs to '{module}', which is outside the import allow-list"
        if candidate in self.imported or is_submodule(candidate):
            problem = module_problem(candidate)
            if problem is not None:
                return f"'{candidate}' reaches a module outside the import allow-list"
        return None
