"""Parsing and the file-level rules: one strategy class, named like the file, in a tree of bounded depth.

Parsing is guarded so every way ``ast.parse`` can fail becomes a violation instead of an exception, and the
depth check runs iteratively before any recursive visitor sees the tree.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import PurePath

from gentrade.safety import policy
from gentrade.safety.report import Violation, violation
from gentrade.syntax import parse_module


def parse(source: str, filename: str | None) -> tuple[ast.Module | None, list[Violation]]:
    """Parse, turning every way ``ast.parse`` can fail into one violation instead of an exception."""
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > policy.MAX_SOURCE_BYTES:
        message = f"source is {size} bytes; the limit is {policy.MAX_SOURCE_BYTES}"
        return None, [violation(None, "source_too_large", message)]
    try:
        tree = parse_module(source, filename=filename or "<strategy>")
    except SyntaxError as exc:
        line, col = exc.lineno or 1, max((exc.offset or 1) - 1, 0)
        return None, [Violation(line=line, col=col, code="syntax_error", message=exc.msg)]
    except ValueError as exc:  # null bytes, unencodable text
        return None, [violation(None, "syntax_error", str(exc))]
    except (RecursionError, MemoryError):
        return None, [violation(None, "nesting_too_deep", "source nests too deeply to parse")]
    too_deep = first_too_deep(tree)
    if too_deep is not None:
        message = f"syntax tree is nested deeper than {policy.MAX_AST_DEPTH} levels"
        return None, [violation(too_deep, "nesting_too_deep", message)]
    return tree, []


def first_too_deep(tree: ast.AST) -> ast.AST | None:
    """Iterative, because the point is to protect the recursive checker from deep trees.

    Returns the innermost node with a position (context nodes like ``Load`` have none) at the excess depth.
    """
    stack: list[tuple[ast.AST, int, ast.AST]] = [(tree, 0, tree)]
    while stack:
        node, depth, located = stack.pop()
        located = node if hasattr(node, "lineno") else located
        if depth > policy.MAX_AST_DEPTH:
            return located
        stack.extend((child, depth + 1, located) for child in ast.iter_child_nodes(node))
    return None


def istrategy_names(tree: ast.Module) -> set[str]:
    """Local names bound to freqtrade's IStrategy, aliases (``import IStrategy as Base``) included."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in policy.ISTRATEGY_SOURCES and node.level == 0
        for alias in node.names
        if alias.name == "IStrategy"
    }


def strategy_classes(tree: ast.Module, istrategy: set[str]) -> list[ast.ClassDef]:
    """Classes deriving from IStrategy directly or through another class of the same file, in source order."""
    subclasses: dict[str, list[ast.ClassDef]] = defaultdict(list)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                if isinstance(base, ast.Name):
                    subclasses[base.id].append(node)
    found: dict[int, ast.ClassDef] = {}
    pending = list(istrategy)
    while pending:
        for node in subclasses.pop(pending.pop(), []):
            if id(node) not in found:
                found[id(node)] = node
                pending.append(node.name)
    return sorted(found.values(), key=lambda n: (n.lineno, n.col_offset))


def strategy_violations(strategies: list[ast.ClassDef], filename: str | None) -> list[Violation]:
    if not strategies:
        message = "no class derives from IStrategy (imported from freqtrade.strategy)"
        return [violation(None, "strategy_class_count", message)]
    first, *extra = strategies
    if extra:
        return [
            violation(
                node,
                "strategy_class_count",
                f"class '{node.name}' is a second IStrategy subclass (first is '{first.name}' "
                f"at line {first.lineno}); a strategy file holds exactly one",
            )
            for node in extra
        ]
    stem = PurePath(filename).stem if filename else None
    if stem is not None and stem != first.name:
        message = f"class '{first.name}' does not match the file name '{filename}' (expected class '{stem}')"
        return [violation(first, "class_name_mismatch", message)]
    return []
