"""What a strategy may write as a type annotation: a type, never code.

Annotations look inert, but they are evaluated later by library code the strategy does not call itself:
``typing.get_type_hints`` (and through it ``functools.singledispatch``'s ``register``, dataclasses,
pydantic) runs ``eval`` on every annotation written as a string, and under ``from __future__ import
annotations`` on every annotation. ``def f(x: "__import__('os').system('…')")`` registered with
``singledispatch`` therefore runs that code, from a frame that is the library's, not the strategy's. The
audit refuses any annotation that is not the shape of a type: names, dotted names, subscripts (``list[int]``,
``dict[str, float]``), ``X | None``, constants and the tuples and lists inside subscripts; strings inside an
annotation are read the same way (a forward reference is a type too). ``Literal[...]`` values and
``Annotated[...]`` metadata are values, never evaluated as types, and are left as they are.
"""

from __future__ import annotations

import ast

from gentrade.syntax import parse_module

_VALUE_SUBSCRIPTS = frozenset({"Literal"})
_METADATA_SUBSCRIPTS = frozenset({"Annotated"})


def annotation_problem(annotation: ast.expr | None) -> str | None:
    """Why ``annotation`` is refused, or None when it is the shape of a type."""
    if annotation is None:
        return None
    return _problem(annotation, depth=0)


def _problem(node: ast.expr, depth: int) -> str | None:
    if depth > 8:
        return "a string annotation nested too deep"
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return _string_problem(node.value, depth)
        return None
    if isinstance(node, ast.Name):
        return f"'{node.id}' is not a type name" if node.id.startswith("_") else None
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            return f"'.{node.attr}' is not a type name"
        return _problem(node.value, depth)
    if isinstance(node, ast.Subscript):
        outer = _problem(node.value, depth)
        if outer is not None:
            return outer
        head = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", "")
        if head in _VALUE_SUBSCRIPTS:
            return _values_problem(node.slice)
        arguments = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if head in _METADATA_SUBSCRIPTS:
            arguments = arguments[:1]
        return next((p for p in (_problem(a, depth) for a in arguments) if p is not None), None)
    if isinstance(node, ast.Tuple | ast.List):
        return next((p for p in (_problem(e, depth) for e in node.elts) if p is not None), None)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _problem(node.left, depth) or _problem(node.right, depth)
    return f"{type(node).__name__.lower()} in an annotation: an annotation names a type, it is not code"


def _string_problem(text: str, depth: int) -> str | None:
    """A forward reference: parsed and held to the same rule, since ``get_type_hints`` evaluates it."""
    try:
        body = parse_module(text.strip(), filename="<annotation>").body
    except (SyntaxError, ValueError):
        body = []
    if len(body) != 1 or not isinstance(body[0], ast.Expr):
        return f"string annotation {text[:40]!r} is not a type"
    problem = _problem(body[0].value, depth + 1)
    return None if problem is None else f"string annotation {text[:40]!r}: {problem}"


def _values_problem(node: ast.expr) -> str | None:
    """``Literal[...]`` holds plain values: constants (and ``-1``), nothing evaluated."""
    values = node.elts if isinstance(node, ast.Tuple) else [node]
    for value in values:
        if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
            value = value.operand
        if not isinstance(value, ast.Constant):
            return f"{type(value).__name__.lower()} in Literal[...]: only constants"
    return None
