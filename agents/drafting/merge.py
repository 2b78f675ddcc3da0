"""The offline "change the draft": read the change with the drafter's own vocabulary, then lay what it
names over the previous spec (a new stop replaces the stop, a new entry rule replaces that side's entry).

Using the drafter's readers (not a second grammar) keeps one meaning per phrase: "stop 2 ATR" means the
same in a first draft and in a change. The merged document goes through `parse_spec`, so a change that
makes no sense (an exit for a side the strategy does not trade) is an error, never a half-valid draft.
"""

from __future__ import annotations

from typing import Any

from agents.errors import DraftNotUnderstoodError
from agents.offline import DRAFTER_MODEL_ID, DraftResult
from agents.offline.drafter import _condition, _rule_words
from agents.offline.frame_phrases import read_frame, time_stop_candles
from agents.offline.rule_parser import parse_rules
from agents.offline.text import Text
from gentrade.errors import SpecValidationError
from gentrade.spec import StrategySpec, parse_spec
from gentrade.spec.rules import iter_comparisons

_RULE_FIELDS = ("entry_long", "exit_long", "entry_short", "exit_short")


def names_a_change(text: str) -> bool:
    """Whether `text` holds anything the drafter's vocabulary can read (a rule, a stop, a pair, …)."""
    try:
        source = Text.of(text)
    except SpecValidationError:
        return False
    frame = read_frame(source)
    return bool(frame.understood or frame.name or parse_rules(source).fields)


def merge_change(previous: StrategySpec, text: str) -> DraftResult:
    """`previous` with the change in `text` applied; DraftNotUnderstoodError when the text names no change."""
    source = Text.of(text)
    frame = read_frame(source)
    rules = parse_rules(source)
    not_understood = [*source.notes, *frame.not_understood, *rules.not_understood]
    understood = [*_rule_words(rules), *frame.understood]
    if not understood and frame.name is None:
        raise DraftNotUnderstoodError(
            "no change found in the text (e.g. 'use a 3% stop', 'exit when RSI above 75', 'on the 1h chart')",
            details={"not_understood": not_understood},
        )
    document = previous.model_dump(mode="json")
    if frame.name is not None:
        document["name"] = frame.name
    if frame.pairs:
        document["pairs"] = frame.pairs
    if frame.timeframe is not None:
        document["timeframe"] = frame.timeframe
    document["stop"] = {**document["stop"], **frame.stop}
    if frame.take_profit is not None:
        document["take_profit"] = frame.take_profit
    if frame.time_stop is not None:
        document["max_candles_in_trade"] = time_stop_candles(frame, document["timeframe"])
    _merge_rules(document, rules.fields, rules.indicators)
    document["description"] = (document["description"] + " | changed: " + "; ".join(understood))[-2000:]
    spec = _without_unused_indicators(parse_spec(document))
    return DraftResult(
        spec=spec,
        model_id=DRAFTER_MODEL_ID,
        understood=understood,
        not_understood=not_understood,
        assumptions=[],
    )


def _merge_rules(
    document: dict[str, Any], fields: dict[str, list[list[dict[str, Any]]]], indicators: dict[str, Any]
) -> None:
    for name, groups in fields.items():
        document[name] = _condition(groups)
    by_id = {indicator["id"]: indicator for indicator in document["indicators"]}
    by_id.update(indicators)
    document["indicators"] = list(by_id.values())
    sides = {side for side in ("long", "short") if document[f"entry_{side}"] is not None}
    document["direction"] = "both" if sides == {"long", "short"} else sides.pop()


def _without_unused_indicators(spec: StrategySpec) -> StrategySpec:
    """A replaced rule leaves its indicators behind; computing them would only cost candles of warm-up."""
    used = {
        operand.indicator
        for field in _RULE_FIELDS
        if (rule := getattr(spec, field)) is not None
        for comparison in iter_comparisons(rule)
        for operand in (comparison.left, comparison.right)
        if hasattr(operand, "indicator")
    }
    document = spec.model_dump(mode="json")
    document["indicators"] = [ind for ind in document["indicators"] if ind["id"] in used]
    return parse_spec(document)
