"""The words of a change that a first draft never has: "add", "remove the RSI filter", "tighten the stop to".

They are read here, before the drafter's vocabulary reads the rest, so a phrase means the same in a draft
and in a change: "tighten the stop to 1.5 ATR" becomes the drafter's own "stop 1.5 ATR", a removal is
taken out of the text (its indicator name must not be read as half a new rule), and a take-profit count
("3 take profits at ...") is kept to check against the ladder actually read instead of being dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agents.offline.frame_phrases import read_frame
from agents.offline.text import Text

_STOP_TO = re.compile(
    r"\b(?:(?:change|set|tighten|widen|loosen|move|make|put|adjust|update|use)\s+)?(?:the\s+)?"
    r"(stop(?:[- ]?loss)?|sl)\s+(?:to|at)\s+(?=\d)",
    re.I,
)
_TP_COUNT = re.compile(r"\b(\d{1,2})\s+(?=(?:take[- ]?profits?|targets|tps|levels)\b)", re.I)
_REMOVE = re.compile(
    r"\b(?:remove|drop|delete|get rid of|no longer require|without)\s+(?:the\s+|an?\s+)?"
    r"(trailing(?:\s+stop)?|time\s+stop|break[- ]?even|[a-z][a-z_]*(?:\s*\(\s*\d+\s*\))?)"
    r"(?:\s+(?:filter|condition|rule|check|requirement|exit))?",
    re.I,
)
# "only take trades when ADX is over 20": a condition every entry must meet from now on, i.e. a filter.
_ONLY_WHEN = re.compile(
    r"\bonly\s+(?:(?:take|enter|open|place)\s+(?:a\s+|any\s+|new\s+)?(?:trades?|positions?|entries)|trade|enter|buy)"
    r"\s+(?=(?:when|if|while)\b)",
    re.I,
)
_ADDITIVE = re.compile(
    r"\b(add|adding|also|require|requires|requiring|filter|as well|too|plus|additionally)\b", re.I
)
_CLAUSE = re.compile(r"[,;.]|\b(?:and|then|but)\b", re.I)
_FILLER = frozenset(
    re.findall(
        r"\S+",
        "a an the and also add adding as well too plus additionally filter condition rule require requires "
        "requiring change switch use set make it to then instead rather please now with of on in at i we "
        "want lets let's can you would like tighten widen loosen move adjust update",
    )
)


@dataclass
class Edits:
    """What the change words asked for, and the text left for the drafter's vocabulary."""

    text: str
    additive: bool
    removals: list[str] = field(default_factory=list)
    take_profit_count: int | None = None
    adds_pairs: bool = False
    adds_timeframe: bool = False


def read_edits(raw: str) -> Edits:
    removals = [match.group(1).lower() for match in _REMOVE.finditer(raw)]
    text = _REMOVE.sub(" ", raw)
    count = match_count.group(1) if (match_count := _TP_COUNT.search(text)) else None
    text = _TP_COUNT.sub(" ", text)
    text = _STOP_TO.sub(lambda match: f"{match.group(1)} ", text)
    text = _ONLY_WHEN.sub("also require ", text)
    adds_pairs, adds_timeframe = _added_frame_parts(text)
    return Edits(
        text=text,
        additive=bool(_ADDITIVE.search(text)),
        removals=removals,
        take_profit_count=int(count) if count is not None else None,
        adds_pairs=adds_pairs,
        adds_timeframe=adds_timeframe,
    )


def _added_frame_parts(text: str) -> tuple[bool, bool]:
    """Whether a clause with an add word ("also trade LTC/BTC", "add ADA/BTC as a pair") names pairs, and
    whether one names a timeframe. Read per clause, so "switch to 1h and also require ADX above 25" is a
    switch of timeframe: only the clause holding the add word adds."""
    adds_pairs = adds_timeframe = False
    for clause in _CLAUSE.split(text):
        if _ADDITIVE.search(clause):
            frame = read_frame(Text.of(clause))
            adds_pairs = adds_pairs or bool(frame.pairs)
            adds_timeframe = adds_timeframe or frame.timeframe is not None
    return adds_pairs, adds_timeframe


def is_filler(fragment: str) -> bool:
    """A leftover made only of change words ("and add", "as a filter") carries no change of its own."""
    words = re.findall(r"[a-z']+|\S", fragment.lower())
    return bool(words) and all(word in _FILLER for word in words)
