"""Stops and the take-profit ladder.

Distances are written as one-key objects so a person (or an LLM) cannot confuse units:
``{"percent": 2}`` is 2 % of the entry price, ``{"atr": 1.5}`` is 1.5 × the ATR of the signal candle,
``{"r": 2}`` is twice the initial stop distance.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag, model_validator

from gentrade.spec.common import Strict


class Percent(Strict):
    percent: float = Field(gt=0, le=90, description="Percent of the entry price (2 means 2 %).")


class AtrMultiple(Strict):
    atr: float = Field(gt=0, le=50, description="Multiple of the ATR on the signal candle.")


class RMultiple(Strict):
    r: float = Field(gt=0, le=50, description="Multiple of the initial stop distance.")


_DISTANCE_TAGS: dict[type[Strict], str] = {Percent: "percent", AtrMultiple: "atr", RMultiple: "r"}


def _distance_tag(value: Any) -> str | None:
    keys = {"percent": "percent", "atr": "atr", "r": "r"}
    if isinstance(value, dict):
        found = [tag for key, tag in keys.items() if key in value]
        return found[0] if len(found) == 1 else None
    return _DISTANCE_TAGS.get(type(value))


StopDistance = Annotated[
    Annotated[Percent, Tag("percent")] | Annotated[AtrMultiple, Tag("atr")],
    Discriminator(
        _distance_tag,
        custom_error_type="distance_kind",
        custom_error_message="write exactly one of {'percent': …} or {'atr': …}",
    ),
]
TargetDistance = Annotated[
    Annotated[Percent, Tag("percent")] | Annotated[AtrMultiple, Tag("atr")] | Annotated[RMultiple, Tag("r")],
    Discriminator(
        _distance_tag,
        custom_error_type="distance_kind",
        custom_error_message="write exactly one of {'percent': …}, {'atr': …} or {'r': …}",
    ),
]


class Trailing(Strict):
    after_level: int = Field(
        1, ge=0, le=5, description="Start trailing once this TP level has filled (0: at entry)."
    )
    distance: StopDistance


class StopSpec(Strict):
    initial: StopDistance = Field(default_factory=lambda: Percent(percent=5.0))
    breakeven_after_level: int | None = Field(
        None,
        ge=1,
        le=5,
        description="Move the stop to break-even (entry plus fees) once this TP level has filled.",
    )
    trailing: Trailing | None = None
    max_percent: float = Field(
        25.0,
        gt=0,
        le=90,
        description="Widest stop allowed, in percent: an ATR stop is capped here; also the hard fallback.",
    )

    @model_validator(mode="after")
    def _initial_within_cap(self) -> StopSpec:
        if isinstance(self.initial, Percent) and self.initial.percent > self.max_percent:
            raise ValueError(
                f"initial stop {self.initial.percent}% is wider than max_percent {self.max_percent}%"
            )
        return self


class TakeProfitLevel(Strict):
    target: TargetDistance
    fraction: float = Field(
        gt=0, le=1, description="Share of the position closed at this level (0.4 = 40 %)."
    )


def default_ladder() -> list[TakeProfitLevel]:
    """TP1 40 %, TP2 30 %, TP3 30 % at 1R, 2R and 3R."""
    return [
        TakeProfitLevel(target=RMultiple(r=1.0), fraction=0.4),
        TakeProfitLevel(target=RMultiple(r=2.0), fraction=0.3),
        TakeProfitLevel(target=RMultiple(r=3.0), fraction=0.3),
    ]
