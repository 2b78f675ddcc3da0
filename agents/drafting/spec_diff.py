"""A person-readable, field-by-field diff of two specs: what the reply to a change shows.

The rules are shown as their comparisons ("entry_long: + rsi < 40"), distances in the words a person
types ("stop.initial: 3% -> 2 ATR"), so a change can be checked at a glance without reading JSON.
Every field is covered: fields with no special wording fall back to compact JSON, never to silence.
"""

from __future__ import annotations

import json
from typing import Any

from gentrade.spec import StrategySpec

_RULES = ("entry_long", "exit_long", "entry_short", "exit_short")
_SKIPPED = ("description", "indicators")  # the description echoes the change; indicators follow the rules


def spec_diff(before: StrategySpec, after: StrategySpec) -> list[str]:
    """One line per changed field, in the spec's field order; empty when nothing changed."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    lines: list[str] = []
    for key in new:
        if key in _SKIPPED or old.get(key) == new[key]:
            continue
        if key in _RULES:
            lines.append(_rule_line(key, old.get(key), new[key]))
        elif key == "stop":
            lines.extend(_stop_lines(old["stop"], new["stop"]))
        elif key == "take_profit":
            lines.append(f"take_profit: {_ladder(old[key])} -> {_ladder(new[key])}")
        else:
            lines.append(f"{key}: {_value(old.get(key))} -> {_value(new[key])}")
    return lines


def _rule_line(field: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    before, after = _comparisons(old), _comparisons(new)
    added = [c for c in after if c not in before]
    removed = [c for c in before if c not in after]
    all_of = {_shape(old), _shape(new)} <= {"one", "all", "none"}
    if (added or removed) and all_of:
        parts = [f"+ {c}" for c in added] + [f"- {c}" for c in removed]
        return f"{field}: {', '.join(parts)}"
    return f"{field}: {_condition(old)} -> {_condition(new)}"


def _shape(condition: dict[str, Any] | None) -> str:
    """Added and removed comparisons say it all for all-of rules; an any-of needs the whole rule shown."""
    if condition is None:
        return "none"
    return "all" if "all" in condition else "any" if "any" in condition else "one"


def _comparisons(condition: dict[str, Any] | None) -> list[str]:
    if condition is None:
        return []
    for key in ("all", "any"):
        if key in condition:
            return [c for child in condition[key] for c in _comparisons(child)]
    return [_comparison(condition)]


def _condition(condition: dict[str, Any] | None) -> str:
    if condition is None:
        return "none"
    for key, word in (("all", " and "), ("any", " or ")):
        if key in condition:
            return "(" + word.join(_condition(child) for child in condition[key]) + ")"
    return _comparison(condition)


def _comparison(comparison: dict[str, Any]) -> str:
    return f"{_operand(comparison['left'])} {comparison['op']} {_operand(comparison['right'])}"


def _operand(operand: dict[str, Any]) -> str:
    if "value" in operand:
        return f"{operand['value']:g}"
    name = operand["column"] if "column" in operand else operand["indicator"]
    if operand.get("output"):
        name += f".{operand['output']}"
    return name + (f"[{operand['shift']}]" if operand.get("shift") else "")


def _stop_lines(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    lines = []
    for key in new:
        if old.get(key) == new[key]:
            continue
        if key == "initial":
            lines.append(f"stop.initial: {_distance(old.get(key))} -> {_distance(new[key])}")
        elif key == "trailing":
            lines.append(f"stop.trailing: {_trailing(old.get(key))} -> {_trailing(new[key])}")
        else:
            lines.append(f"stop.{key}: {_value(old.get(key))} -> {_value(new[key])}")
    return lines


def _distance(distance: dict[str, Any] | None) -> str:
    if distance is None:
        return "none"
    if "percent" in distance:
        return f"{distance['percent']:g}%"
    if "atr" in distance:
        return f"{distance['atr']:g} ATR"
    if "r" in distance:
        return f"{distance['r']:g}R"
    return _value(distance)


def _trailing(trailing: dict[str, Any] | None) -> str:
    if trailing is None:
        return "none"
    start = f" after TP{trailing['after_level']}" if trailing.get("after_level") else " from entry"
    return _distance(trailing["distance"]) + start


def _ladder(levels: list[dict[str, Any]] | None) -> str:
    if not levels:
        return "none"
    return ", ".join(f"{level['fraction'] * 100:g}% at {_distance(level['target'])}" for level in levels)


def _value(value: Any) -> str:
    if value is None:
        return "none"
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
