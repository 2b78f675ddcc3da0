"""The import rules of docs/ARCHITECTURE.md as data, and a checker that reads source with ``ast`` only.

Kept apart from the test so the test can prove the checker catches a forbidden import in a synthetic tree.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

# Lower rank = closer to the bottom. A module may import packages of lower or equal rank only.
RANK: dict[str, int] = {
    "errors": 0,
    "spec": 0,
    "files": 0,
    "syntax": 0,
    "codegen": 1,
    "safety": 1,
    "data": 1,
    "examples": 1,
    "freqtrade_config": 1,
    "engine": 2,
    "exchange": 2,
    "signals": 2,
    "agents": 3,
    "settings": 4,
    "logs": 4,
    "supervision": 4,
    "db": 4,
    "services": 4,
    "tasks": 5,
    "api": 6,
    "web": 6,
    "cli": 6,
}

# The "never" arrows that rank alone does not express (same-rank or explicitly named edges).
NEVER: dict[str, frozenset[str]] = {
    "spec": frozenset(RANK) - {"spec", "errors"},
    "engine": frozenset({"exchange", "db", "api", "settings", "tasks", "services"}),
    "signals": frozenset({"engine", "exchange", "agents", "db", "settings"}),
    "agents": frozenset({"db", "api", "services", "settings", "tasks"}),
}


@dataclass(frozen=True, order=True)
class Arrow:
    """One import statement from a package of ours into another, with where it is."""

    source: str
    target: str
    file: str
    line: int


def package_of(relative: Path) -> str | None:
    """Top-level layer of a file under the repo root: ``agents`` or ``gentrade.<layer>``."""
    parts = relative.with_suffix("").parts
    if parts[0] == "agents":
        return "agents"
    if parts[0] == "gentrade" and len(parts) >= 2 and parts[1] != "__init__":
        return parts[1]
    return None


def _target(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "agents":
        return "agents"
    if parts[0] == "gentrade" and len(parts) >= 2:
        return parts[1]
    return None


def arrows(root: Path) -> list[Arrow]:
    """Every absolute import between two different layers of ours, in every ``.py`` under ``root``."""
    found: list[Arrow] = []
    for path in sorted([*root.glob("gentrade/**/*.py"), *root.glob("agents/**/*.py")]):
        relative = path.relative_to(root)
        source = package_of(relative)
        if source is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(relative))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
            else:
                continue
            for module in modules:
                target = _target(module)
                if target is not None and target != source:
                    found.append(Arrow(source, target, relative.as_posix(), node.lineno))
    return found


def forbidden(arrow: Arrow) -> str | None:
    """Why an arrow breaks the rules, or None when it is allowed."""
    source_rank, target_rank = RANK.get(arrow.source), RANK.get(arrow.target)
    if source_rank is None or target_rank is None:
        return f"layer {arrow.source if source_rank is None else arrow.target!r} has no rank in layers.RANK"
    if arrow.target in NEVER.get(arrow.source, frozenset()):
        return f"{arrow.source} never imports {arrow.target}"
    if target_rank > source_rank:
        return f"{arrow.source} (rank {source_rank}) imports {arrow.target} (rank {target_rank}): upward"
    return None


def cycles(found: list[Arrow]) -> list[list[str]]:
    """Import cycles between layers (strongly connected groups of more than one layer)."""
    graph: dict[str, set[str]] = {}
    for arrow in found:
        graph.setdefault(arrow.source, set()).add(arrow.target)
        graph.setdefault(arrow.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


#: The one module allowed to call ``ast.parse`` (it serialises parses: CPython gh-106905).
PARSER = "gentrade/syntax.py"


def raw_parses(root: Path) -> list[str]:
    """``file:line`` of every ``ast.parse`` call (or ``from ast import parse``) outside ``PARSER``."""
    found: list[str] = []
    for path in sorted([*root.glob("gentrade/**/*.py"), *root.glob("agents/**/*.py")]):
        relative = path.relative_to(root).as_posix()
        if relative == PARSER:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=relative)):
            called = (
                isinstance(node, ast.Attribute)
                and node.attr == "parse"
                and isinstance(node.value, ast.Name)
                and node.value.id == "ast"
            )
            imported = (
                isinstance(node, ast.ImportFrom)
                and node.module == "ast"
                and any(alias.name == "parse" for alias in node.names)
            )
            if called or imported:
                found.append(f"{relative}:{getattr(node, 'lineno', 0)}")
    return found
