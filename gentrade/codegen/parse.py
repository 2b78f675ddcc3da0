"""source → spec: read the spec a GenTrade strategy embeds, without importing the file."""

from __future__ import annotations

import ast

from gentrade.errors import SpecValidationError
from gentrade.spec import StrategySpec, parse_spec
from gentrade.syntax import parse_module

SPEC_VARIABLE = "GENTRADE_SPEC"


def embedded_spec(source: str) -> StrategySpec:
    """The StrategySpec embedded as GENTRADE_SPEC in a rendered strategy's source."""
    try:
        tree = parse_module(source)
    except SyntaxError as exc:
        raise SpecValidationError(f"not Python source (line {exc.lineno}): {exc.msg}") from None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == SPEC_VARIABLE
        ):
            try:
                text = ast.literal_eval(node.value)
            except ValueError:
                raise SpecValidationError(
                    f"{SPEC_VARIABLE} (line {node.lineno}) is not a string literal"
                ) from None
            if not isinstance(text, str):
                raise SpecValidationError(f"{SPEC_VARIABLE} (line {node.lineno}) is not a string literal")
            return parse_spec(text)
    raise SpecValidationError(f"no {SPEC_VARIABLE} in this source: it was not rendered by GenTrade")


def class_literal(source: str, class_name: str, attribute: str) -> object:
    """The literal a class-level ``attribute = ...`` of ``class_name`` assigns, read without importing the
    source; None when absent or not a literal (``startup_candle_count``, ``timeframe``, ``protections``)."""
    try:
        tree = parse_module(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ClassDef) and node.name == class_name):
            continue
        for statement in node.body:
            if isinstance(statement, ast.Assign):
                targets = statement.targets
            elif isinstance(statement, ast.AnnAssign):
                targets = [statement.target]
            else:
                continue
            named = any(isinstance(t, ast.Name) and t.id == attribute for t in targets)
            if named and statement.value is not None:
                try:
                    return ast.literal_eval(statement.value)
                except (ValueError, TypeError, SyntaxError, RecursionError):
                    return None
    return None
