"""Search ranges: which numbers of a spec an optimiser may change, and within what bounds.

A spec's ``search`` maps a path to ``[low, high]``::

    search:
      indicators.ema_fast.period: [10, 40]     # an indicator's integer parameter
      entry_long.all[1].right: [15, 35]        # a rule's constant (left or right)
      stop.initial.atr: [1, 3]                 # the initial stop's size, in its own unit
      stop.trailing.distance.atr: [1, 4]       # the trailing distance
      take_profit[0].target.r: [0.5, 1.5]      # a ladder target, in its own unit
      take_profit[0].fraction: [0.2, 0.6]      # a ladder share (not the last level's: it takes the rest)

The value written in the spec stays the default, so a spec with ranges renders a strategy that trades exactly
like the same spec without them until an optimiser picks other values. Each path becomes one freqtrade
hyperopt parameter whose name and space are fixed here, so the renderer, the optimiser and people reading
``freqtrade hyperopt`` output all use the same names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError

from gentrade.spec.indicators import MACD
from gentrade.spec.rules import AllOf, AnyOf, Comparison, Const

if TYPE_CHECKING:
    from gentrade.spec.strategy import StrategySpec

MAX_RANGED_COLUMNS = 400
"""Indicator variants computed for hyperopt (the product of one indicator's ranges): bounds memory."""

_SEGMENT_RE = re.compile(r"^([a-z_]+)(?:\[(\d+)\])?$")
_RULE_FIELDS = {"entry_long": "buy", "entry_short": "buy", "exit_long": "sell", "exit_short": "sell"}
_INT_INDICATOR_FIELDS = {"period", "fast", "slow", "signal", "fastk", "slowk", "slowd"}

TargetKind = Literal["indicator", "rule", "stop", "trailing", "target", "fraction"]


@dataclass(frozen=True)
class SearchParameter:
    """One searchable number of a spec, resolved: where it lives and the freqtrade parameter it becomes."""

    path: str
    name: str
    space: str
    kind: TargetKind
    integer: bool
    low: float
    high: float
    default: float
    decimals: int
    owner: str = ""
    """The indicator id (indicator), the rule field (rule), or the ladder index (target, fraction)."""
    field: str = ""
    """The indicator parameter (kind indicator) or the distance unit (stop, trailing, target)."""
    constant: Const | None = None
    """The rule constant this parameter replaces (kind rule)."""


def _segments(path: str) -> list[tuple[str, int | None]]:
    parts = []
    for raw in path.split("."):
        match = _SEGMENT_RE.match(raw)
        if not match:
            raise ValueError(f"'{raw}' is not a path segment (write name or name[index])")
        parts.append((match.group(1), int(match.group(2)) if match.group(2) is not None else None))
    return parts


def _unit(distance: BaseModel) -> str:
    """The one key a distance is written in: 'percent', 'atr' or 'r'."""
    return next(iter(distance.model_dump()))


def _decimals(*values: float) -> int:
    """Enough decimals to write every bound and the default exactly (at least 2, at most 6)."""
    places = [len(f"{value:.6f}".rstrip("0").split(".")[1]) for value in values]
    return min(6, max(2, *places))


def _within(model: BaseModel, field: str, value: float) -> str | None:
    """None if `model` with `field` set to `value` is still valid, else the reason."""
    try:
        type(model).model_validate({**model.model_dump(), field: value})
    except ValidationError as exc:
        return "; ".join(str(error["msg"]) for error in exc.errors())
    return None


def resolve_search(spec: StrategySpec) -> list[SearchParameter]:
    """Every range of `spec.search`, resolved and checked; ValueError names every bad path at once."""
    problems: list[str] = []
    found: list[SearchParameter] = []
    for path, bounds in (spec.search or {}).items():
        try:
            low, high = (float(bound) for bound in bounds)
            if not low < high:
                raise ValueError(f"low {low:g} must be below high {high:g}")
            found.append(_resolve(spec, path, low, high))
        except ValueError as exc:
            problems.append(f"{path}: {exc}")
    if not problems:
        problems = _check_together(spec, found)
    if problems:
        raise ValueError("search: " + "; ".join(problems))
    return found


def _resolve(spec: StrategySpec, path: str, low: float, high: float) -> SearchParameter:
    parts = _segments(path)
    head, index = parts[0]
    rest = [name for name, _ in parts[1:]]
    if head == "indicators" and index is None and len(parts) == 3:
        return _indicator(spec, path, parts[1][0], parts[2][0], low, high)
    if head in _RULE_FIELDS and index is None:
        return _rule(spec, path, head, parts[1:], low, high)
    if head == "stop" and rest[:1] == ["initial"] and len(rest) == 2:
        return _distance(path, "stop", "stop_initial", "stop", spec.stop.initial, rest[1], low, high)
    if head == "stop" and rest[:2] == ["trailing", "distance"] and len(rest) == 3:
        if spec.stop.trailing is None:
            raise ValueError("the spec has no trailing stop")
        distance = spec.stop.trailing.distance
        return _distance(path, "trailing", "stop_trailing", "stop", distance, rest[2], low, high)
    if head == "take_profit" and index is not None:
        if index >= len(spec.take_profit):
            raise ValueError(f"the ladder has {len(spec.take_profit)} level(s)")
        level = spec.take_profit[index]
        if rest[:1] == ["target"] and len(rest) == 2:
            name = f"ladder_tp{index + 1}_target"
            found = _distance(path, "target", name, "ladder", level.target, rest[1], low, high)
            return SearchParameter(**{**found.__dict__, "owner": str(index)})
        if rest == ["fraction"]:
            if index == len(spec.take_profit) - 1:
                raise ValueError("the last level closes what is left; range the earlier levels' fractions")
            if not low > 0 and high < 1:
                raise ValueError("a fraction range must lie inside (0, 1)")
            return _parameter(
                path,
                f"ladder_tp{index + 1}_fraction",
                "ladder",
                "fraction",
                False,
                low,
                high,
                level.fraction,
                owner=str(index),
            )
    raise ValueError(
        "not a searchable number (indicators.<id>.<period>, <rule>...left|right, stop.initial.<unit>, "
        "stop.trailing.distance.<unit>, take_profit[i].target.<unit>, take_profit[i].fraction)"
    )


def _parameter(
    path: str,
    name: str,
    space: str,
    kind: TargetKind,
    integer: bool,
    low: float,
    high: float,
    default: float,
    **extra: Any,
) -> SearchParameter:
    if not low <= default <= high:
        raise ValueError(f"the spec's own value {default:g} must lie within [{low:g}, {high:g}]")
    if integer and not (low.is_integer() and high.is_integer()):
        raise ValueError("an integer parameter needs whole-number bounds")
    return SearchParameter(
        path=path,
        name=name,
        space=space,
        kind=kind,
        integer=integer,
        low=low,
        high=high,
        default=default,
        decimals=0 if integer else _decimals(low, high, default),
        **extra,
    )


def _indicator(
    spec: StrategySpec, path: str, ident: str, field: str, low: float, high: float
) -> SearchParameter:
    indicator = next((ind for ind in spec.indicators if ind.id == ident), None)
    if indicator is None:
        raise ValueError(f"no indicator with id '{ident}'")
    if field not in _INT_INDICATOR_FIELDS or not hasattr(indicator, field):
        raise ValueError(f"'{field}' is not an integer parameter of {indicator.kind} '{ident}'")
    for bound in (low, high):
        reason = _within(indicator, field, bound)
        if reason:
            raise ValueError(f"{bound:g} is not a valid {field}: {reason}")
    default = float(getattr(indicator, field))
    return _parameter(
        path, f"buy_{ident}_{field}", "buy", "indicator", True, low, high, default, owner=ident, field=field
    )


def _rule(
    spec: StrategySpec, path: str, field: str, parts: list[tuple[str, int | None]], low: float, high: float
) -> SearchParameter:
    node: Any = getattr(spec, field)
    if node is None:
        raise ValueError(f"the spec has no {field} rule")
    for name, index in parts[:-1]:
        children = node.all if isinstance(node, AllOf) and name == "all" else None
        children = node.any if isinstance(node, AnyOf) and name == "any" else children
        if children is None or index is None or index >= len(children):
            raise ValueError(f"'{name}[{index}]' does not exist in {field}")
        node = children[index]
    side, side_index = parts[-1]
    if not isinstance(node, Comparison) or side not in ("left", "right") or side_index is not None:
        raise ValueError("a rule path ends at a comparison's left or right")
    constant = getattr(node, side)
    if not isinstance(constant, Const):
        raise ValueError(f"the {side} side is not a number")
    name = "_".join([_RULE_FIELDS[field], field, *(f"{n}_{i}" for n, i in parts[:-1]), side])
    return _parameter(
        path,
        name,
        _RULE_FIELDS[field],
        "rule",
        False,
        low,
        high,
        constant.value,
        owner=field,
        constant=constant,
    )


def _distance(
    path: str, kind: TargetKind, name: str, space: str, distance: Any, unit: str, low: float, high: float
) -> SearchParameter:
    if not hasattr(distance, unit):
        written = _unit(distance)
        raise ValueError(f"this distance is written in '{written}', not '{unit}'")
    for bound in (low, high):
        reason = _within(distance, unit, bound)
        if reason:
            raise ValueError(f"{bound:g} is not a valid {unit}: {reason}")
    return _parameter(path, name, space, kind, False, low, high, float(getattr(distance, unit)), field=unit)


def _check_together(spec: StrategySpec, found: list[SearchParameter]) -> list[str]:
    """Bounds that are valid one by one but could combine into an invalid strategy."""
    problems = []
    by_path = {p.path: p for p in found}
    names = [p.name for p in found]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"two paths name the same number ({duplicate})")
    for indicator in spec.indicators:
        ranged = [p for p in found if p.kind == "indicator" and p.owner == indicator.id]
        columns = 1
        for parameter in ranged:
            columns *= int(parameter.high - parameter.low) + 1
        if columns * len(indicator.outputs) > MAX_RANGED_COLUMNS:
            problems.append(
                f"indicators.{indicator.id}: the ranges need {columns * len(indicator.outputs)} columns "
                f"(at most {MAX_RANGED_COLUMNS}); narrow them"
            )
        if isinstance(indicator, MACD):
            fast = by_path.get(f"indicators.{indicator.id}.fast")
            slow = by_path.get(f"indicators.{indicator.id}.slow")
            if (fast.high if fast else indicator.fast) >= (slow.low if slow else indicator.slow):
                problems.append(
                    f"indicators.{indicator.id}: every fast period must stay below every slow one"
                )
    shares = [
        by_path[f"take_profit[{i}].fraction"].high
        if f"take_profit[{i}].fraction" in by_path
        else level.fraction
        for i, level in enumerate(spec.take_profit[:-1])
    ]
    if sum(shares) >= 1:
        problems.append("take_profit: the ranged fractions could leave nothing for the last level")
    targets = [
        (
            type(level.target),
            by_path.get(f"take_profit[{i}].target.{_unit(level.target)}"),
            level,
        )
        for i, level in enumerate(spec.take_profit)
    ]
    for i in range(1, len(targets)):
        (kind_a, range_a, level_a), (kind_b, range_b, level_b) = targets[i - 1], targets[i]
        if kind_a is kind_b and (range_a or range_b):
            top = range_a.high if range_a else getattr(level_a.target, _unit(level_a.target))
            bottom = range_b.low if range_b else getattr(level_b.target, _unit(level_b.target))
            if top >= bottom:
                problems.append(f"take_profit[{i}].target: its range must lie beyond take_profit[{i - 1}]'s")
    stop = by_path.get("stop.initial.percent")
    if stop is not None and stop.high > spec.stop.max_percent:
        problems.append(
            f"stop.initial.percent: {stop.high:g} is wider than max_percent {spec.stop.max_percent:g}"
        )
    return problems


def apply_values(spec: StrategySpec, values: dict[str, float]) -> StrategySpec:
    """`spec` with searched numbers replaced by `values` (parameter name -> value), ranges kept.

    This is how an optimiser's best parameters become a new spec version: the values move into the spec
    itself, so the rendered strategy trades with them by default. Ranged ladder shares leave the last level
    whatever the others do not take. Unknown names are an error (they would be silently lost).
    """
    parameters = {p.name: p for p in resolve_search(spec)}
    unknown = sorted(set(values) - set(parameters))
    if unknown:
        raise ValueError(f"no search range produces parameter(s) {', '.join(unknown)}")
    data = spec.model_dump(mode="json", exclude_none=True)
    for name, value in values.items():
        p = parameters[name]
        number: float | int = int(round(value)) if p.integer else round(float(value), p.decimals)
        node: Any = data
        steps = _segments(p.path)
        for index, (segment, position) in enumerate(steps):
            last = index == len(steps) - 1
            if segment == "indicators" and index == 0:
                node = next(ind for ind in node["indicators"] if ind["id"] == steps[1][0])
                continue
            if p.kind == "indicator" and index == 1:
                continue
            if last:
                node[segment] = {"value": number} if p.kind == "rule" else number
            else:
                node = node[segment] if position is None else node[segment][position]
    if any(p.kind == "fraction" for p in parameters.values() if p.name in values):
        levels = data["take_profit"]
        levels[-1]["fraction"] = round(1.0 - sum(level["fraction"] for level in levels[:-1]), 10)
    return type(spec).model_validate(data)
