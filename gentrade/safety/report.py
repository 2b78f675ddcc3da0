"""The audit's result types: what was found, where, and a one-line summary for logs and errors."""

from __future__ import annotations

import ast
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field

_SUMMARY_LIMIT = 3


class Violation(BaseModel):
    """One breach of the policy, located so an editor or a repair prompt can point at it.

    ``code`` is stable and machine-readable: ``syntax_error``, ``source_too_large``, ``nesting_too_deep``,
    ``forbidden_import``, ``star_import``, ``forbidden_call``, ``forbidden_name``, ``forbidden_attribute``,
    ``private_attribute``, ``dunder_access``, ``dunder_definition``, ``dynamic_attribute``,
    ``forbidden_qualname``, ``class_keyword``, ``dynamic_base``, ``global_statement``,
    ``strategy_class_count``, ``class_name_mismatch``. ``message`` is for humans and names the culprit.
    """

    model_config = ConfigDict(frozen=True)

    line: int
    col: int
    code: str
    message: str


class AuditReport(BaseModel):
    """Outcome of one audit; ``violations`` is sorted by position and empty exactly when ``ok``."""

    model_config = ConfigDict(frozen=True)

    filename: str | None = None
    class_name: str | None = None
    violations: list[Violation] = []

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def summary(self, limit: int = _SUMMARY_LIMIT) -> str:
        """One line for logs and error messages; long lists are cut so the message stays readable."""
        subject = self.filename or "strategy source"
        if self.ok:
            return f"audit accepted {subject}"
        shown = "; ".join(f"line {v.line} {v.code}: {v.message}" for v in self.violations[:limit])
        hidden = len(self.violations) - limit
        more = f"; (+{hidden} more)" if hidden > 0 else ""
        return f"audit rejected {subject}: {shown}{more}"


def violation(node: ast.AST | None, code: str, message: str) -> Violation:
    line = getattr(node, "lineno", None) or 1
    col = getattr(node, "col_offset", None) or 0
    return Violation(line=line, col=col, code=code, message=message)
