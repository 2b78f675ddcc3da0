"""The test-only way past the static audit, so tests can prove the runtime layers hold on their own.

``run_backtest(..., _audit_bypass=UNAUDITED_FOR_TESTS)`` and ``BotManager.start(..., _audit_bypass=...)``
skip the audit's verdict (the audit still runs, to find the class name). No CLI argument, request field or
task payload can produce this object (JSON has no such value), no code under ``gentrade/`` passes it, and
``tests/safety/test_safety_bypass.py`` proves both.
"""

from __future__ import annotations

import ast

from gentrade.syntax import parse_module


class AuditBypass:
    """The type of ``UNAUDITED_FOR_TESTS``: only Python code that imports this module can hold one."""


UNAUDITED_FOR_TESTS = AuditBypass()


def strategy_class_name(source: str, filename: str, bypass: AuditBypass | None = None) -> str | None:
    """The strategy class of ``source`` after the audit accepted it (``AuditFailedError`` otherwise); with
    the test-only bypass, the audit's class name or the first top-level class, whatever the verdict."""
    from gentrade.safety import audit, require_clean

    if bypass is not UNAUDITED_FOR_TESTS:
        return require_clean(source, filename=filename).class_name
    found = audit(source, filename=filename).class_name
    if found:
        return found
    try:
        tree = parse_module(source)
    except SyntaxError:
        return None
    return next((node.name for node in tree.body if isinstance(node, ast.ClassDef)), None)
