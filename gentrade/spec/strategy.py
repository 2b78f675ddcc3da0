"""`StrategySpec`: the one contract every producer (agents, API, CLI, a person's file) speaks."""

from __future__ import annotations

import keyword
import re
from functools import partial
from typing import Any, Final, Literal

from pydantic import Field, ModelWrapValidatorHandler, field_validator, model_validator

from gentrade.spec.common import TIMEFRAME_SECONDS, Direction, Pair, Strict, Timeframe
from gentrade.spec.indicators import PATH_DEPENDENT_KINDS, Indicator
from gentrade.spec.problems import run_all, with_model_problems
from gentrade.spec.risk import AtrMultiple, StopSpec, TakeProfitLevel, default_ladder
from gentrade.spec.risk_controls import RiskSpec
from gentrade.spec.rules import (
    MAX_DEPTH,
    MAX_NODES,
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    Const,
    IndicatorRef,
    iter_comparisons,
    tree_shape,
)
from gentrade.spec.search import resolve_search

_NAME_RE = re.compile(r"^[A-Z][A-Za-z0-9]{2,63}$")
_FRACTION_TOLERANCE = 1e-9
SPEC_SCHEMA_VERSION: Final = 1


class StrategySpec(Strict):
    schema_version: Literal[1] = SPEC_SCHEMA_VERSION
    name: str = Field(description="PascalCase; becomes the class name and the file name (Name.py).")
    description: str = Field("", max_length=2000)
    timeframe: Timeframe = "5m"
    pairs: list[Pair] = Field(min_length=1, max_length=100)
    direction: Direction = "long"
    indicators: list[Indicator] = Field(default_factory=list, max_length=30)
    entry_long: Condition | None = None
    exit_long: Condition | None = None
    entry_short: Condition | None = None
    exit_short: Condition | None = None
    stop: StopSpec = Field(default_factory=StopSpec)
    take_profit: list[TakeProfitLevel] = Field(default_factory=default_ladder, min_length=1, max_length=5)
    minimal_roi: dict[int, float] | None = Field(
        None, description="freqtrade minimal_roi: minutes in trade → profit ratio that closes the trade."
    )
    max_candles_in_trade: int | None = Field(None, ge=1, le=100_000, description="Time stop.")
    atr_period: int = Field(14, ge=1, le=500, description="ATR period for ATR-based stops and targets.")
    search: dict[str, tuple[float, float]] | None = Field(
        None,
        description="Hyperopt ranges: spec path -> [low, high], e.g. 'indicators.ema_fast.period': [10, 40].",
    )
    risk: RiskSpec | None = Field(
        None, description="Account limits: protections, daily loss limit, sizing by risk, max open trades."
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if (
            not _NAME_RE.match(value)
            or keyword.iskeyword(value)
            or value in {"IStrategy", "None", "True", "False"}
        ):
            raise ValueError(
                f"'{value}' must be PascalCase letters and digits (3–64, starting with a capital), "
                "usable as a Python class and file name"
            )
        return value

    @field_validator("pairs")
    @classmethod
    def _unique_pairs(cls, value: list[str]) -> list[str]:
        duplicates = sorted({p for p in value if value.count(p) > 1})
        if duplicates:
            raise ValueError(f"duplicate pairs: {', '.join(duplicates)}")
        return value

    @field_validator("minimal_roi")
    @classmethod
    def _valid_roi(cls, value: dict[int, float] | None) -> dict[int, float] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("minimal_roi must have at least one entry, or be left out")
        for minutes, ratio in value.items():
            if minutes < 0:
                raise ValueError(f"minute key {minutes} is negative")
            if not 0 < ratio <= 100:
                raise ValueError(f"ratio {ratio} at minute {minutes} must be in (0, 100]")
        return dict(sorted(value.items()))

    @model_validator(mode="after")
    def _consistent(self) -> StrategySpec:
        """Each check reports its own problem: one bad rule does not hide another, or a bad ladder."""
        rules = [
            (field, rule)
            for field in ("entry_long", "exit_long", "entry_short", "exit_short")
            if (rule := getattr(self, field)) is not None
        ]
        run_all(
            type(self).__name__,
            [
                self._check_indicator_ids,
                self._check_rules_present,
                *(partial(self._check_rule, field, rule) for field, rule in rules),
                self._check_ladder,
            ],
        )
        resolve_search(self)
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(cls, data: Any, handler: ModelWrapValidatorHandler[StrategySpec]) -> StrategySpec:
        """Field errors and model problems in one answer (see ``gentrade.spec.problems``);
        declared after ``_consistent`` so that ``handler`` runs it."""
        return with_model_problems(data, handler, cls.__name__)  # type: ignore[no-any-return]

    def _check_indicator_ids(self) -> None:
        ids = [ind.id for ind in self.indicators]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"indicators: duplicate id(s) {', '.join(duplicates)}")
        columns = [f"{ind.id}_{out}" if out else ind.id for ind in self.indicators for out in ind.outputs]
        clashes = sorted({c for c in columns if columns.count(c) > 1})
        if clashes:
            raise ValueError(f"indicators: ids produce the same column(s) {', '.join(clashes)}; rename one")

    def _check_rules_present(self) -> None:
        need = {"long": ("entry_long",), "short": ("entry_short",), "both": ("entry_long", "entry_short")}
        for field in need[self.direction]:
            if getattr(self, field) is None:
                raise ValueError(f"{field}: direction '{self.direction}' needs an {field} rule")
        unused = {"long": ("entry_short", "exit_short"), "short": ("entry_long", "exit_long"), "both": ()}
        for field in unused[self.direction]:
            if getattr(self, field) is not None:
                raise ValueError(f"{field}: not allowed when direction is '{self.direction}'")

    def _check_rule(self, field: str, rule: Comparison | AllOf | AnyOf) -> None:
        depth, nodes = tree_shape(rule)
        if depth > MAX_DEPTH or nodes > MAX_NODES:
            raise ValueError(
                f"{field}: rule too large ({depth} levels, {nodes} nodes; limits {MAX_DEPTH}, {MAX_NODES})"
            )
        by_id = {ind.id: ind for ind in self.indicators}
        for comparison in iter_comparisons(rule):
            for operand in (comparison.left, comparison.right):
                if isinstance(operand, IndicatorRef):
                    self._check_ref(field, operand, by_id)
            self._check_path_dependent(field, comparison, by_id)

    @staticmethod
    def _check_ref(field: str, ref: IndicatorRef, by_id: dict) -> None:
        indicator = by_id.get(ref.indicator)
        if indicator is None:
            known = ", ".join(sorted(by_id)) or "none"
            raise ValueError(f"{field}: unknown indicator '{ref.indicator}' (declared: {known})")
        outputs = indicator.outputs
        if outputs == ("",):
            if ref.output not in (None, ""):
                raise ValueError(
                    f"{field}: indicator '{ref.indicator}' has a single output, not '{ref.output}'"
                )
        elif ref.output not in outputs:
            raise ValueError(
                f"{field}: indicator '{ref.indicator}' needs an output, one of {', '.join(outputs)}"
                f" (got {ref.output!r})"
            )

    @staticmethod
    def _check_path_dependent(field: str, comparison: Comparison, by_id: dict) -> None:
        sides = (comparison.left, comparison.right)
        for operand, other in (sides, sides[::-1]):
            if (
                isinstance(operand, IndicatorRef)
                and by_id[operand.indicator].kind in PATH_DEPENDENT_KINDS
                and isinstance(other, Const)
            ):
                raise ValueError(
                    f"{field}: '{operand.indicator}' depends on where the data starts; compare it with "
                    "itself (e.g. its previous value), not with a constant"
                )

    def _check_ladder(self) -> None:
        total = sum(level.fraction for level in self.take_profit)
        if abs(total - 1.0) > _FRACTION_TOLERANCE:
            raise ValueError(f"take_profit: fractions sum to {total * 100:g}%, they must sum to 100%")
        levels = len(self.take_profit)
        breakeven = self.stop.breakeven_after_level
        if breakeven is not None and breakeven > levels:
            raise ValueError(f"stop.breakeven_after_level: {breakeven} but the ladder has {levels} level(s)")
        trailing = self.stop.trailing
        if trailing is not None and trailing.after_level > levels:
            raise ValueError(
                f"stop.trailing.after_level: {trailing.after_level} but the ladder has {levels} level(s)"
            )
        previous = None
        for index, level in enumerate(self.take_profit):
            target = level.target
            same_unit = previous is not None and type(previous) is type(target)
            if same_unit and _magnitude(target) <= _magnitude(previous):
                raise ValueError(
                    f"take_profit[{index}].target: must be further than take_profit[{index - 1}].target"
                )
            previous = target

    @property
    def uses_atr(self) -> bool:
        distances = [self.stop.initial, *(level.target for level in self.take_profit)]
        if self.stop.trailing is not None:
            distances.append(self.stop.trailing.distance)
        return any(isinstance(d, AtrMultiple) for d in distances)

    @property
    def timeframe_minutes(self) -> int:
        return TIMEFRAME_SECONDS[self.timeframe] // 60


def _magnitude(target: object) -> float:
    for attribute in ("percent", "atr", "r"):
        if hasattr(target, attribute):
            return float(getattr(target, attribute))
    raise TypeError(f"unknown target {target!r}")
