"""The offline "change the draft": read the change with the drafter's own vocabulary, then lay what it
names over the previous spec.

Using the drafter's readers (not a second grammar) keeps one meaning per phrase: "stop 2 ATR" means the
same in a first draft and in a change. The words only a change has (`agents.drafting.edits`) decide how:
a new stop, ladder or timeframe replaces the old one; a new rule replaces that side's rule, unless the
text adds it ("add", "also", "require", "as a filter"): an entry condition is then ANDed to the entry (a
filter), an exit condition ORed to the exits (one more reason to leave); "remove the RSI filter" takes the
comparisons on that indicator out of every rule.

A change is all or nothing: when any part of the text is not understood, nothing is applied and the error
names every such part, so the draft never silently drifts from what the person asked. The merged document
goes through `parse_spec`, so a change that makes no sense is an error, never a half-valid draft.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import TypeAdapter, ValidationError

from agents.drafting.edits import Edits, is_filler, read_edits
from agents.errors import DraftNotUnderstoodError
from agents.offline import DRAFTER_MODEL_ID, DraftResult
from agents.offline.drafter import _condition, _rule_words
from agents.offline.frame_phrases import Frame, read_frame, time_stop_candles
from agents.offline.rule_parser import parse_rules
from agents.offline.text import Text
from gentrade.errors import SpecValidationError
from gentrade.spec import TIMEFRAME_SECONDS, Indicator, StrategySpec, parse_spec
from gentrade.spec.rules import iter_comparisons

_RULE_FIELDS = ("entry_long", "exit_long", "entry_short", "exit_short")
_KIND_WORDS = {"bollinger": "bbands", "bb": "bbands", "stochastic": "stoch", "volume": "volume_sma"}
_INDICATOR: TypeAdapter[Indicator] = TypeAdapter(Indicator)
_NO_CHANGE = "no change found in the text (e.g. 'use a 3% stop', 'also require ADX above 25', 'switch to 1h')"


def names_a_change(text: str) -> bool:
    """Whether `text` holds anything a change can apply (a rule, a stop, a pair, a removal, …)."""
    edits = read_edits(text)
    try:
        source = Text.of(edits.text)
    except SpecValidationError:
        return False
    frame = read_frame(source)
    return bool(edits.removals or frame.understood or frame.name or parse_rules(source).fields)


def merge_change(previous: StrategySpec, text: str) -> DraftResult:
    """`previous` with the change in `text` applied; DraftNotUnderstoodError (draft unchanged) when the text
    names no change or holds anything that could not be read."""
    edits = read_edits(text)
    source = Text.of(edits.text)
    frame = read_frame(source)
    rules = parse_rules(source)
    not_understood = [
        *rules.impossible,
        *(f for f in (*frame.not_understood, *rules.not_understood) if not is_filler(f)),
    ]
    understood = [*_rule_words(rules), *frame.understood]
    document = previous.model_dump(mode="json")
    understood += _remove(document, edits.removals, not_understood)
    _check_ladder_count(edits, frame.take_profit, not_understood)
    _check_indicators(document, rules.indicators, not_understood)
    if edits.adds_timeframe:
        not_understood.append(
            f"another timeframe as well as {document['timeframe']} (a strategy trades one timeframe; "
            "say 'switch to ...' to change it)"
        )
    understood += _rescale_time_stop(document, frame, not_understood)
    if not_understood:
        raise DraftNotUnderstoodError(
            f"not understood: {'; '.join(not_understood)}; the draft is unchanged",
            details={"not_understood": not_understood, "understood": understood},
        )
    if not understood and frame.name is None:
        raise DraftNotUnderstoodError(_NO_CHANGE, details={"not_understood": [text[:200]]})
    if frame.name is not None:
        document["name"] = frame.name
    if frame.pairs:
        kept = document["pairs"] if edits.adds_pairs else []
        document["pairs"] = [*kept, *(pair for pair in frame.pairs if pair not in kept)]
    if frame.timeframe is not None:
        document["timeframe"] = frame.timeframe
    document["stop"] = {**document["stop"], **frame.stop}
    if frame.take_profit is not None:
        document["take_profit"] = frame.take_profit
    if frame.time_stop is not None:
        document["max_candles_in_trade"] = time_stop_candles(frame, document["timeframe"])
    _merge_rules(document, rules.fields, rules.indicators, additive=edits.additive)
    document["description"] = (document["description"] + " | changed: " + "; ".join(understood))[-2000:]
    spec = _without_unused_indicators(parse_spec(document))
    return DraftResult(
        spec=spec,
        model_id=DRAFTER_MODEL_ID,
        understood=understood,
        not_understood=source.notes,
        assumptions=[*rules.assumptions, *frame.assumptions],
    )


def _rescale_time_stop(document: dict[str, Any], frame: Frame, not_understood: list[str]) -> list[str]:
    """A time stop counted in candles keeps its duration across a change of timeframe: 16 candles of 15m
    become 4 candles of 1h. When the duration is not a whole number of the new candles, it is named as not
    understood rather than rounded into a different holding time."""
    candles = document["max_candles_in_trade"]
    old, new = document["timeframe"], frame.timeframe
    if candles is None or new is None or new == old or frame.time_stop is not None:
        return []
    seconds, step = candles * TIMEFRAME_SECONDS[old], TIMEFRAME_SECONDS[new]
    if seconds % step:
        not_understood.append(
            f"the time stop of {candles} candles of {old} is not a whole number of {new} candles "
            "(name the time stop again with the timeframe)"
        )
        return []
    document["max_candles_in_trade"] = seconds // step
    return [f"time stop: {candles} candles of {old} -> {seconds // step} candles of {new}"]


def _remove(document: dict[str, Any], removals: list[str], not_understood: list[str]) -> list[str]:
    """Applies each removal to `document`; what could not be removed goes to `not_understood`."""
    done = []
    stop = document["stop"]
    for word in removals:
        if word.startswith("trailing") or word == "time stop" or word.startswith("break"):
            key, holder = (
                ("trailing", stop)
                if word.startswith("trailing")
                else ("breakeven_after_level", stop)
                if word.startswith("break")
                else ("max_candles_in_trade", document)
            )
            if holder[key] is None:
                not_understood.append(f"remove the {word}: the draft has none")
            else:
                holder[key] = None
                done.append(f"removed the {word}")
            continue
        ids = _indicator_ids(document["indicators"], word)
        changed = {name: _without(document[name], ids) for name in _RULE_FIELDS}
        if not ids or all(changed[name] == document[name] for name in _RULE_FIELDS):
            not_understood.append(f"remove {word}: no rule of the draft uses it")
            continue
        if all(changed[name] is None for name in ("entry_long", "entry_short")):
            not_understood.append(f"remove {word}: it is the whole entry rule; describe a new entry instead")
            continue
        document.update(changed)
        done.append(f"removed the {word} conditions")
    return done


def _indicator_ids(indicators: list[dict[str, Any]], word: str) -> set[str]:
    """The indicators `word` names: by kind ("rsi", "bollinger") or id, an optional "(period)" narrowing."""
    match = re.match(r"([a-z_]+)\s*(?:\(\s*(\d+)\s*\))?$", word)
    if match is None:
        return set()
    name, period = match.group(1), match.group(2)
    kind = _KIND_WORDS.get(name, name)
    return {
        ind["id"]
        for ind in indicators
        if (ind["kind"] == kind or ind["id"] == name) and (period is None or str(ind.get("period")) == period)
    }


def _without(condition: dict[str, Any] | None, ids: set[str]) -> dict[str, Any] | None:
    """`condition` with every comparison on one of `ids` taken out (None when nothing is left)."""
    if condition is None:
        return None
    for key in ("all", "any"):
        if key in condition:
            children = [kept for child in condition[key] if (kept := _without(child, ids)) is not None]
            if not children:
                return None
            return children[0] if len(children) == 1 else {key: children}
    operands = (condition["left"], condition["right"])
    return None if any(operand.get("indicator") in ids for operand in operands) else condition


def _check_ladder_count(edits: Edits, ladder: list[dict[str, Any]] | None, not_understood: list[str]) -> None:
    count = edits.take_profit_count
    if count is not None and (ladder is None or len(ladder) != count):
        read = "none" if ladder is None else str(len(ladder))
        not_understood.append(f"{count} take profits, but {read} target levels were named")


def _check_indicators(
    document: dict[str, Any], indicators: dict[str, Any], not_understood: list[str]
) -> None:
    """A new rule's indicator may not redefine one the kept rules use under the same id. Both sides are
    compared as the spec normalises them: the stored one has its defaults ("source": "close") filled in,
    the freshly read one does not, and a raw comparison would refuse every mention of a kept indicator."""
    existing = {indicator["id"]: _normalised(indicator) for indicator in document["indicators"]}
    for ident, indicator in indicators.items():
        if ident in existing and existing[ident] != _normalised(indicator):
            not_understood.append(
                f"{ident} with other settings than the draft's {ident} (name its period to tell them apart)"
            )


def _normalised(indicator: dict[str, Any]) -> dict[str, Any]:
    """`indicator` with the spec model's defaults filled in (as given when the model rejects it, so the
    comparison still refuses rather than hides the difference; `parse_spec` reports the error later)."""
    try:
        return _INDICATOR.validate_python(indicator).model_dump(mode="json")
    except ValidationError:
        return indicator


def _merge_rules(
    document: dict[str, Any],
    fields: dict[str, list[list[dict[str, Any]]]],
    indicators: dict[str, Any],
    *,
    additive: bool,
) -> None:
    for name, groups in fields.items():
        new, old = _condition(groups), document[name]
        if additive and old is not None:
            new = _joined("all" if name.startswith("entry") else "any", old, new)
        document[name] = new
    by_id = {indicator["id"]: indicator for indicator in document["indicators"]}
    by_id.update(indicators)
    document["indicators"] = list(by_id.values())
    sides = {side for side in ("long", "short") if document[f"entry_{side}"] is not None}
    document["direction"] = "both" if sides == {"long", "short"} else sides.pop()


def _joined(key: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {key: [*old.get(key, [old]), *new.get(key, [new])]}


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
