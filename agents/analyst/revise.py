"""The offline reviser: findings of the critic → one deterministic adjustment of the spec.

Each finding maps to a fixed move a person would try first (loosen the entry when it hardly trades, give
the stop room when trades die at the stop, take profit sooner when it loses, cut risk when the drawdown is
deep). The result is a new spec document that goes through `parse_spec` again, so a revision can never
produce anything the contract does not allow.
"""

from __future__ import annotations

from typing import Any

from agents.analyst.critique import Finding
from gentrade.spec import StrategySpec, parse_spec

_BOUNDED = {"rsi", "mfi", "stoch", "adx"}  # 0..100 oscillators: thresholds move 5 points a step
_CCI_STEP = 20.0
_STEP = 5.0
_WIDEN = 1.25
_TIGHTEN = 0.8
_CLOSER = 0.8


def revised_name(base: str, revision: int) -> str:
    """`<Base>R<n>`: every revision gets its own strategy file and result, so history is never overwritten."""
    suffix = f"R{revision}"
    return base[: 64 - len(suffix)] + suffix


def revise(spec: StrategySpec, findings: list[Finding], name: str) -> tuple[StrategySpec, list[str]]:
    """The revised spec (called `name`) and the changes made, in words; SpecValidationError if a move breaks
    the spec."""
    document = spec.model_dump(mode="json")
    codes = {finding.code for finding in findings}
    kinds: dict[str, str] = {indicator.id: indicator.kind for indicator in spec.indicators}
    changes: list[str] = []
    if "too_few_trades" in codes:
        changes += _loosen_entries(document, kinds)
    if "deep_drawdown" in codes:
        changes.append(_scale_stop(document, _TIGHTEN, "tightened"))
    elif "stopped_out_often" in codes:
        changes.append(_scale_stop(document, _WIDEN, "widened"))
    if codes & {"losing", "profit_factor_below_one"}:
        changes += _closer_targets(document)
    document["name"] = name
    note = f" | {name}: " + "; ".join(changes)
    document["description"] = (document["description"] + note)[-2000:]
    return parse_spec(document), changes


def _loosen_entries(document: dict[str, Any], kinds: dict[str, str]) -> list[str]:
    """Move oscillator thresholds one step toward trading more; with none, drop the last AND-ed filter."""
    changes: list[str] = []
    for field in ("entry_long", "entry_short"):
        rule = document.get(field)
        if rule is None:
            continue
        moved = [change for comparison in _comparisons(rule) if (change := _loosen(comparison, kinds))]
        if not moved and "all" in rule and len(rule["all"]) > 1:
            rule["all"].pop()
            moved.append("dropped its last filter")
        changes += [f"{field}: {change}" for change in moved]
    return changes


def _comparisons(rule: dict[str, Any]) -> list[dict[str, Any]]:
    children = rule.get("all") or rule.get("any")
    if children is None:
        return [rule]
    return [leaf for child in children for leaf in _comparisons(child)]


def _loosen(comparison: dict[str, Any], kinds: dict[str, str]) -> str | None:
    left, right, op = comparison["left"], comparison["right"], comparison["op"]
    kind = kinds.get(left.get("indicator", ""))
    if "value" not in right or op not in {"<", "<=", ">", ">="} or kind not in _BOUNDED | {"cci"}:
        return None
    step = _CCI_STEP if kind == "cci" else _STEP
    before = right["value"]
    after = before + (step if op.startswith("<") else -step)
    right["value"] = after if kind == "cci" else min(100.0, max(0.0, after))
    return f"{left['indicator']} {op} {before:g} → {right['value']:g}"


def _scale_stop(document: dict[str, Any], factor: float, verb: str) -> str:
    initial = document["stop"]["initial"]
    unit, before = next(iter(initial.items()))
    after = round(before * factor, 4)
    if unit == "percent":
        after = min(after, document["stop"]["max_percent"])
    initial[unit] = after
    return f"stop {verb}: {before:g} → {after:g} {unit}"


def _closer_targets(document: dict[str, Any]) -> list[str]:
    """Every take-profit level 20% closer; break-even after TP1 if the stop did not move before."""
    changes = []
    for level in document["take_profit"]:
        unit, before = next(iter(level["target"].items()))
        level["target"][unit] = round(before * _CLOSER, 4)
    changes.append(f"take-profit targets {int((1 - _CLOSER) * 100)}% closer")
    if document["stop"]["breakeven_after_level"] is None:
        document["stop"]["breakeven_after_level"] = 1
        changes.append("break-even after TP1")
    return changes
