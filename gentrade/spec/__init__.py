"""The typed contract every producer speaks: `StrategySpec` and `TradeSignal`.

Imports nothing of GenTrade's but `gentrade.errors`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gentrade.spec.common import TIMEFRAME_SECONDS, Direction, Timeframe, timeframe_seconds
from gentrade.spec.costs import breakeven_price
from gentrade.spec.indicators import INDICATOR_KINDS, Indicator
from gentrade.spec.risk import AtrMultiple, Percent, RMultiple, StopSpec, TakeProfitLevel, Trailing
from gentrade.spec.rules import AllOf, AnyOf, Comparison, Condition, Const, IndicatorRef, Price
from gentrade.spec.signal import SignalTarget, TradeSignal
from gentrade.spec.strategy import StrategySpec
from gentrade.spec.validation import error_list, load_document, validate_model


def parse_spec(data: Any) -> StrategySpec:
    """A `StrategySpec` from a dict or JSON text; SpecValidationError names every bad field path."""
    return validate_model(StrategySpec, data, what="strategy spec")


def load_spec(path: Path) -> StrategySpec:
    """A `StrategySpec` from a JSON or YAML file."""
    return parse_spec(load_document(path))


def parse_signal(data: Any) -> TradeSignal:
    return validate_model(TradeSignal, data, what="trade signal")


def spec_json(spec: StrategySpec) -> str:
    """The canonical JSON of a spec: every field, model order, two-space indent (stable bytes)."""
    return spec.model_dump_json(indent=2)


__all__ = [
    "INDICATOR_KINDS",
    "TIMEFRAME_SECONDS",
    "AllOf",
    "AnyOf",
    "AtrMultiple",
    "Comparison",
    "Condition",
    "Const",
    "Direction",
    "Indicator",
    "IndicatorRef",
    "Percent",
    "Price",
    "RMultiple",
    "SignalTarget",
    "StopSpec",
    "StrategySpec",
    "TakeProfitLevel",
    "Timeframe",
    "TradeSignal",
    "Trailing",
    "breakeven_price",
    "error_list",
    "load_document",
    "load_spec",
    "parse_signal",
    "parse_spec",
    "spec_json",
    "timeframe_seconds",
    "validate_model",
]
