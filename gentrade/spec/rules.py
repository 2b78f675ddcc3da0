"""Entry and exit rules: small condition trees of comparisons between series.

Operands are typed objects in the canonical JSON form, but a producer may write shorthand that the
validators expand: a number is a constant, ``"close"`` a price column, ``"macd.hist"`` an indicator output
and a ``[n]`` suffix (``"rsi[1]"``) the value n candles ago.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from gentrade.spec.common import PriceColumn, Strict

MAX_SHIFT = 50
MAX_DEPTH = 4
MAX_NODES = 40

_SHORTHAND_RE = re.compile(r"^\s*([a-z][a-z0-9_]*)(?:\.([a-z_]+))?\s*(?:\[\s*(\d+)\s*\])?\s*$")
_PRICE_COLUMNS = {"open", "high", "low", "close", "volume"}


class Const(Strict):
    value: float = Field(allow_inf_nan=False)


class Price(Strict):
    column: PriceColumn
    shift: int = Field(0, ge=0, le=MAX_SHIFT, description="Candles back; 1 is the previous candle.")


class IndicatorRef(Strict):
    indicator: str = Field(description="The indicator's id.")
    output: str | None = Field(None, description="Output of a multi-output indicator, e.g. 'hist' of a MACD.")
    shift: int = Field(0, ge=0, le=MAX_SHIFT, description="Candles back; 1 is the previous candle.")


def _operand_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key, tag in (("value", "const"), ("column", "price"), ("indicator", "indicator")):
            if key in value:
                return tag
        return None
    if isinstance(value, Const):
        return "const"
    if isinstance(value, Price):
        return "price"
    if isinstance(value, IndicatorRef):
        return "indicator"
    return None


Operand = Annotated[
    Annotated[Const, Tag("const")]
    | Annotated[Price, Tag("price")]
    | Annotated[IndicatorRef, Tag("indicator")],
    Discriminator(
        _operand_tag,
        custom_error_type="operand_kind",
        custom_error_message="an operand is a number, a price column or an indicator reference",
    ),
]


def expand_operand(value: Any) -> Any:
    """Turn shorthand (a number or a string like 'macd.hist[1]') into the canonical operand dict."""
    if isinstance(value, bool):
        raise ValueError("an operand cannot be a boolean")
    if isinstance(value, int | float):
        return {"value": float(value)}
    if isinstance(value, str):
        match = _SHORTHAND_RE.match(value)
        if not match:
            raise ValueError(
                f"'{value}' is not an operand (write a number, 'close', 'rsi', 'macd.hist' or 'rsi[1]')"
            )
        name, output, shift = match.group(1), match.group(2), int(match.group(3) or 0)
        if name in _PRICE_COLUMNS and output is None:
            return {"column": name, "shift": shift}
        return {"indicator": name, "output": output, "shift": shift}
    return value


Operator = Literal[">", "<", ">=", "<=", "crosses_above", "crosses_below"]


class Comparison(Strict):
    left: Operand
    op: Operator
    right: Operand

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for side in ("left", "right"):
                if side in data:
                    data[side] = expand_operand(data[side])
        return data

    @model_validator(mode="after")
    def _not_two_constants(self) -> Comparison:
        if isinstance(self.left, Const) and isinstance(self.right, Const):
            raise ValueError("compares two constants: the result never depends on the market")
        return self


class AllOf(Strict):
    all: list[Condition] = Field(min_length=1, max_length=12)


class AnyOf(Strict):
    any: list[Condition] = Field(min_length=1, max_length=12)


def _condition_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        if "all" in value:
            return "all"
        if "any" in value:
            return "any"
        return "compare"
    if isinstance(value, AllOf):
        return "all"
    if isinstance(value, AnyOf):
        return "any"
    if isinstance(value, Comparison):
        return "compare"
    return None


Condition = Annotated[
    Annotated[Comparison, Tag("compare")] | Annotated[AllOf, Tag("all")] | Annotated[AnyOf, Tag("any")],
    Discriminator(_condition_tag),
]

AllOf.model_rebuild()
AnyOf.model_rebuild()


def iter_comparisons(condition: Comparison | AllOf | AnyOf) -> list[Comparison]:
    """All comparisons of a tree, depth first, in document order."""
    if isinstance(condition, Comparison):
        return [condition]
    children = condition.all if isinstance(condition, AllOf) else condition.any
    return [leaf for child in children for leaf in iter_comparisons(child)]


def tree_shape(condition: Comparison | AllOf | AnyOf) -> tuple[int, int]:
    """(depth, node count) of a condition tree, to keep rules small enough to read."""
    if isinstance(condition, Comparison):
        return 1, 1
    children = condition.all if isinstance(condition, AllOf) else condition.any
    shapes = [tree_shape(child) for child in children]
    return 1 + max(d for d, _ in shapes), 1 + sum(n for _, n in shapes)
