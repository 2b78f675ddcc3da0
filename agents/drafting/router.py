"""Which of five things a chat message asks for: a question, a new draft, a change to the draft, a
backtest of it, or an explanation of the last result. A draft or change may also ask for a backtest
afterwards ("draft X, then backtest it"): `then_backtest`, so one message does both.

Offline, fixed keywords decide (checked in that order: backtest, explain, change, draft); with a model,
the model picks one of the same five through a schema, so either way the graph only ever sees one of them.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from agents.drafting.merge import names_a_change
from agents.errors import DraftNotUnderstoodError
from agents.llm import LLMClient
from agents.offline import draft
from agents.offline.frame_phrases import read_frame
from agents.offline.text import Text
from gentrade.errors import SpecValidationError

Intent = Literal["question", "draft", "change", "backtest", "explain"]
_TIMERANGE = r"\d{8}-\d{8}|\d{8}-|-\d{8}"
TIMERANGE = re.compile(rf"(?<![\d-])({_TIMERANGE})(?![\d-])")
_BACKTEST = re.compile(r"\b(back-?test|test (?:it|this|the draft)|run (?:it|the backtest)|simulate)\b", re.I)
_EXPLAIN = re.compile(r"\b(explain|why|what happened|how did it (?:do|go)|results?)\b", re.I)
_CHANGE = re.compile(
    r"\b(change|instead|make it|switch|replace|tighten|widen|loosen|modify|update|adjust|rather|set the|use|"
    r"add|also|require|remove|drop|delete|get rid of|as a filter)\b",
    re.I,
)
# Words that ask for a strategy of its own rather than a change of the one in the thread.
_NEW_STRATEGY = re.compile(
    r"\b(?:(?:new|another|different|fresh|second|separate)\s+(?:strategy|idea|draft|one|system)|start(?:ing)?\s+over"
    r"|from\s+scratch|forget\s+(?:it|this|that)|scrap\s+(?:it|this|that))\b",
    re.I,
)

_THEN_BACKTEST = re.compile(
    r"^(?P<rest>.*?\S)[\s,;.]*"
    r"(?:\b(?:and\s+)?then\s+(?:back-?test|test|run|simulate)|(?:,|\band)\s+back-?test)\b",
    re.I | re.S,
)

ROUTER_SYSTEM = (
    "Classify the user's last message in a trading-strategy chat. intent is one of: question (asks about "
    "trading or this tool), draft (describes a new strategy idea), change (modifies the current draft), "
    "backtest (asks to test the current draft), explain (asks about the last backtest result). timerange is "
    "a freqtrade timerange like 20180110-20180120 if the user named dates, else null. then_backtest is true "
    "when a draft or change message also asks to backtest the result afterwards. Reply with JSON only."
)


class Route(BaseModel):
    intent: Intent
    timerange: str | None = Field(default=None, pattern=rf"^({_TIMERANGE})$")
    then_backtest: bool = Field(
        default=False, description="A draft or change that also asks for a backtest of its result."
    )


def split_backtest(text: str) -> tuple[str, bool]:
    """("draft X", True) for "draft X, then backtest it": the part to draft, and whether a test follows."""
    match = _THEN_BACKTEST.match(text)
    return (match.group("rest"), True) if match else (text, False)


def route_offline(text: str, *, has_draft: bool, has_result: bool) -> Route:
    timerange = match.group(1) if (match := TIMERANGE.search(text)) else None
    rest, then_backtest = split_backtest(text)
    if then_backtest:
        first = _route_one(rest, has_draft=has_draft, has_result=has_result, timerange=timerange)
        if first.intent in ("draft", "change"):
            return Route(intent=first.intent, timerange=timerange, then_backtest=True)
    return _route_one(text, has_draft=has_draft, has_result=has_result, timerange=timerange)


def _route_one(text: str, *, has_draft: bool, has_result: bool, timerange: str | None) -> Route:
    if _BACKTEST.search(text):
        return Route(intent="backtest", timerange=timerange)
    if has_result and _EXPLAIN.search(text):
        return Route(intent="explain")
    if has_draft and _CHANGE.search(text):
        return Route(intent="change")
    if (not has_draft or _asks_for_a_new_strategy(text)) and _draftable(text):
        return Route(intent="draft")
    return Route(intent="change" if has_draft and names_a_change(text) else "question")


def _asks_for_a_new_strategy(text: str) -> bool:
    """With a draft in the thread, only a text that names a pair or says "new strategy" starts another:
    "only take trades when ADX is over 20" reads as a whole strategy too, and drafting it would silently
    throw away the draft's pairs, exits and stop instead of adding the filter the person asked for."""
    if _NEW_STRATEGY.search(text):
        return True
    try:
        return bool(read_frame(Text.of(text)).pairs)
    except SpecValidationError:
        return False


def route_with_llm(
    llm: LLMClient, recent: list[dict[str, Any]], *, has_draft: bool, has_result: bool
) -> Route:
    context = f"A draft exists: {has_draft}. A backtest result exists: {has_result}."
    return llm.structured([{"role": "system", "content": f"{ROUTER_SYSTEM}\n{context}"}, *recent], Route)


def _draftable(text: str) -> bool:
    """Whether the drafter finds an entry rule: the same test the draft node will apply."""
    try:
        draft(text)
    except (DraftNotUnderstoodError, SpecValidationError):
        return False
    return True
