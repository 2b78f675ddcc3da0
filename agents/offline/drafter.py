"""The offline drafter: a trading idea in plain words → a `StrategySpec`, with no network and no model.

It is the embedded mode's "LLM": deterministic (the same text gives the same spec bytes), honest (it says
which words it could not map and which defaults it chose), and it can only ever produce a spec, never
code: the text's words are matched against a fixed vocabulary and the spec is built from that vocabulary's
own values, so nothing the user typed is copied into the spec except a validated PascalCase name.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents.errors import DraftNotUnderstoodError
from agents.offline.frame_phrases import Frame, read_frame, time_stop_candles
from agents.offline.naming import strategy_name
from agents.offline.rule_parser import Rules, parse_rules
from agents.offline.text import Text
from gentrade.spec import StrategySpec, parse_spec

MODEL_ID = "gentrade-offline-drafter-1"
#: What a drafted spec trades when its text names no pair. A different default from the data's
#: (gentrade.data.synth.DEFAULT_PAIRS, the pairs the local candles cover): a spec names one pair unless asked.
DEFAULT_DRAFT_PAIRS: tuple[str, ...] = ("BTC/USDT",)
DEFAULT_TIMEFRAME = "5m"
_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{2,63}$")
_FIELD_WORDS = {
    "entry_long": "enter long",
    "entry_short": "enter short",
    "exit_long": "exit long",
    "exit_short": "exit short",
}


class DraftResult(BaseModel):
    """A drafted spec and an honest account of how it was read."""

    model_config = ConfigDict(frozen=True)

    spec: StrategySpec
    model_id: str = MODEL_ID
    understood: list[str] = Field(description="What the drafter read, in its own canonical words.")
    not_understood: list[str] = Field(description="Parts of the text it could not map, quoted.")
    assumptions: list[str] = Field(description="Defaults it chose because the text did not say.")


def draft(
    text: str,
    *,
    default_pairs: Sequence[str] = DEFAULT_DRAFT_PAIRS,
    default_timeframe: str = DEFAULT_TIMEFRAME,
) -> DraftResult:
    """Draft a spec from `text`; raises DraftNotUnderstoodError when no entry rule can be read from it and
    SpecValidationError when what was read does not make a valid spec (e.g. a ladder that goes backwards)."""
    source = Text.of(text)
    frame = read_frame(source)
    rules = parse_rules(source)
    not_understood = [*source.notes, *frame.not_understood, *rules.not_understood]
    if len(frame.pairs_with_own_rule) > 1:
        # "ETH/USDT when RSI < 30, BTC/USDT when RSI < 25": merged into one rule set it would trade both pairs
        # on a rule nobody wrote. One strategy trades all its pairs on the same rules.
        raise DraftNotUnderstoodError(
            f"a rule per pair ({', '.join(frame.pairs_with_own_rule)}): one strategy trades all its pairs on "
            "the same rules; draft one strategy per pair, or give one rule for all of them",
            details={"not_understood": not_understood, "understood": frame.understood},
        )
    if rules.impossible:
        raise DraftNotUnderstoodError(
            f"a rule that can never work as written: {'; '.join(rules.impossible)}",
            details={"not_understood": [*rules.impossible, *not_understood], "understood": frame.understood},
        )
    if not any(name.startswith("entry") for name in rules.fields):
        raise DraftNotUnderstoodError(
            "no entry rule found in the text (e.g. 'RSI(14) below 30', 'EMA 20 crosses above EMA 50')",
            details={"not_understood": not_understood, "understood": frame.understood},
        )
    assumptions: list[str] = [*rules.assumptions, *frame.assumptions]
    document = _document(frame, rules, list(default_pairs), default_timeframe, assumptions, not_understood)
    understood = [*_rule_words(rules), *frame.understood]
    document["description"] = "; ".join(understood)[:2000]
    spec = parse_spec(document)
    return DraftResult(
        spec=spec, understood=understood, not_understood=not_understood, assumptions=assumptions
    )


def _document(
    frame: Frame,
    rules: Rules,
    default_pairs: list[str],
    default_timeframe: str,
    assumptions: list[str],
    not_understood: list[str],
) -> dict[str, Any]:
    pairs = frame.pairs or default_pairs
    if not frame.pairs:
        assumptions.append(f"no pair named: {', '.join(pairs)}")
    timeframe = frame.timeframe or default_timeframe
    if frame.timeframe is None:
        assumptions.append(f"no timeframe named: {timeframe}")
    sides = {name.removeprefix("entry_") for name in rules.fields if name.startswith("entry")}
    direction = "both" if sides == {"long", "short"} else sides.pop()
    document: dict[str, Any] = {
        "timeframe": timeframe,
        "pairs": pairs,
        "direction": direction,
        "indicators": list(rules.indicators.values()),
    }
    for name, groups in rules.fields.items():
        if name.startswith("exit") and direction not in {name.removeprefix("exit_"), "both"}:
            not_understood.append(
                f"an exit rule for {name.removeprefix('exit_')} trades, but the idea only trades {direction}"
            )
            continue
        document[name] = _condition(groups)
    if "initial" not in frame.stop:
        assumptions.append("no stop given: 5% stop (the spec's default)")
    document["stop"] = frame.stop
    if frame.take_profit is None:
        assumptions.append("no take-profit given: 40% at 1R, 30% at 2R, 30% at 3R")
    else:
        document["take_profit"] = frame.take_profit
    document["max_candles_in_trade"] = time_stop_candles(frame, timeframe)
    if frame.time_stop is not None:
        frame.understood.append(f"time stop: {document['max_candles_in_trade']} candles")
    document["name"] = _name(frame, rules, direction, pairs, timeframe, not_understood)
    return document


def _condition(groups: list[list[dict[str, Any]]]) -> dict[str, Any]:
    def one(group: list[dict[str, Any]]) -> dict[str, Any]:
        comparisons = [{key: c[key] for key in ("left", "op", "right")} for c in group]
        return comparisons[0] if len(comparisons) == 1 else {"all": comparisons}

    return one(groups[0]) if len(groups) == 1 else {"any": [one(group) for group in groups]}


def _rule_words(rules: Rules) -> list[str]:
    lines = []
    for name, groups in rules.fields.items():
        alternatives = [" and ".join(c["words"] for c in group) for group in groups]
        lines.append(f"{_FIELD_WORDS[name]} when {' or '.join(alternatives)}")
    return lines


def _name(
    frame: Frame, rules: Rules, direction: str, pairs: list[str], timeframe: str, not_understood: list[str]
) -> str:
    if frame.name is not None:
        if (
            _NAME.match(frame.name)
            and not keyword.iskeyword(frame.name)
            and frame.name not in {"IStrategy", "None"}
        ):
            return frame.name
        not_understood.append(
            f"name {frame.name!r} (a name is 3-64 letters and digits, starting with a letter)"
        )
    assert rules.first_idea is not None
    return strategy_name(rules.first_idea, direction, pairs, timeframe)
