"""Phrases that frame a strategy rather than trigger it: name, pairs, timeframe, stop, ladder, time stop.

They are read first, from the whole text, because their wording is distinctive ("2% stop", "TP 1R 2R 3R")
and often sits inside a sentence that also holds an entry rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agents.offline.text import NUMBER, Text, number, plain
from gentrade.spec import TIMEFRAME_SECONDS

_QUOTES = "btc|usdt|usdc|busd|fdusd|tusd|dai|eth|bnb|usd|eur"
_PAIR_SLASH = re.compile(rf"\b([a-z][a-z0-9]{{1,9}})\s*[/_-]\s*({_QUOTES})\b")
_PAIR_GLUED = re.compile(r"\b([a-z]{2,6})(btc|usdt|usdc|busd|fdusd)\b")
#: "ETH/USDT when ...": a pair followed by its own condition.
_OWN_RULE = re.compile(r"\s*(?:when(?:ever)?|if|once|on\s+a|on\s+an)\b")
_GLUED_NOT_PAIRS = {"ema", "sma", "rsi", "macd", "adx", "cci", "mfi", "tp", "sl", "stop"}

_NAME = re.compile(
    r"\b(?:named|called|call it|name it|strategy name|name)\s*[:=]?\s*[\"']?([a-z][a-z0-9_]{2,63})\b"
)

_TF_UNITS = {
    "m": "m",
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "d": "d",
    "day": "d",
    "days": "d",
    "w": "w",
    "week": "w",
    "weeks": "w",
}
_TF_COMPACT = re.compile(
    r"\b(?:on\s+(?:the\s+)?)?(\d{1,2})(m|h|d|w)\b(?:\s*(?:timeframe|chart|candles?|bars?|tf))?"
)
_TF_SPOKEN = re.compile(
    r"\b(?:on\s+(?:the\s+)?)?(\d{1,2})[\s-]*(min|mins|minute|minutes|hr|hrs|hour|hours|day|week)\b"
    r"(?!\s*(?:moving|ma\b|ema|sma|average|high|low|period|range|channel|rsi))"
    r"(?:\s*(?:timeframe|time frame|chart|candles?|bars?|tf))?"
)
_TF_WORDS = re.compile(
    r"\b(?:on\s+(?:the\s+)?)?(hourly|daily|weekly)(?:\s*(?:timeframe|chart|candles?|bars?))?\b"
)

_DIST = rf"{NUMBER}\s*(%|percent|pct|x?\s*atrs?\b)"
_TARGET = (
    rf"{NUMBER}(?:\s*(%|percent|pct|x?\s*atrs?\b|x?\s*r\b|x?\s*risk\b)"
    r"|(?!\s*(?!and\b|then\b)[a-z0-9.]))"
)
_LEVEL = r"(?:tp|take[- ]?profit|target|level)\s*#?\s*(\d)"

_TRAIL = re.compile(
    rf"\b(?:trail(?:ing)?|trails)(?:\s+(?:the\s+)?(?:stop(?:[- ]?loss)?|sl))?\s*(?:at|of|by|with)?\s*{_DIST}"
    rf"(?:\s+(?:after|once|from|when)\s+{_LEVEL}(?:\s+(?:is\s+)?(?:hit|filled|reached|fills))?"
    r"|\s+(?:from|at)\s+(?:the\s+)?(?:entry|start))?"
)
_TRAIL_AFTER = re.compile(
    rf"\b{_DIST}\s+trailing(?:\s+stop(?:[- ]?loss)?)?(?:\s+(?:after|once|from)\s+{_LEVEL}"
    r"|\s+(?:from|at)\s+(?:the\s+)?(?:entry|start))?"
)
_BE_WHEN = (
    rf"(?:\s+(?:after|once|when|at)\s+(?:{_LEVEL}|(?:the\s+)?first\s+(?:tp|take[- ]?profit|target))"
    r"(?:\s+(?:is\s+)?(?:hit|filled|reached))?)?"
)
_BREAKEVEN = re.compile(
    r"\b(?:(?:move|moving|set|put|bring|shift|raise)\s+)?(?:the\s+)?(?:stop(?:[- ]?loss)?|sl)\s+(?:to|at)\s+"
    rf"(?:break[- ]?even|be\b|(?:the\s+)?entry){_BE_WHEN}"
)
_BREAKEVEN_SHORT = re.compile(rf"\bbreak[- ]?even{_BE_WHEN}")
_STOP = re.compile(rf"\b(?:stop(?:[- ]?loss)?|sl)\s*(?:at|of|:|=|is|with)?\s*{_DIST}")
_STOP_AFTER = re.compile(rf"\b{_DIST}\s+(?:initial\s+|hard\s+)?(?:stop(?:[- ]?loss)?|sl)\b")
_STOP_WORD = r"(?:stop(?:[- ]?loss)?|sl)"
_STOP_CAP = re.compile(
    rf"\b(?:but\s+)?(?:(?:cap|limit)\s+(?:the\s+)?{_STOP_WORD}\s+(?:at|to)|max(?:imum)?\s+{_STOP_WORD}(?:\s+of)?"
    rf"|{_STOP_WORD}\s+(?:capped|limited)\s+(?:at|to))\s*{NUMBER}\s*(?:%|percent|pct)"
)

_SPLIT_SHARES = re.compile(
    r"\b(\d{1,3})\s*/\s*(\d{1,3})(?:\s*/\s*(\d{1,3}))?(?:\s*/\s*(\d{1,3}))?\s*(?:%|split|ladder)?"
)
_SHARE_AT = re.compile(
    rf"\b(?:take|close|sell|exit|book)?\s*{NUMBER}\s*%\s*(?:of\s+(?:the\s+)?(?:position|size|it)\s*)?(?:at|@)\s*{_TARGET}"
)
_REST_AT = re.compile(
    rf"\b(?:and\s+)?(?:the\s+)?(?:rest|remainder|remaining(?:\s+\d+\s*%)?)\s*(?:at|@)\s*{_TARGET}"
)
_TARGET_LIST = re.compile(
    r"\b(?:take[- ]?profits?|tps?|targets?|profit\s+targets?|scale\s+out|ladder|exits?)"
    r"\s*(?:at|of|:|=|levels?)?\s*"
    rf"({_TARGET}(?:\s*(?:,|/|and|then|&)?\s*{_TARGET}){{0,4}})"
)
_ONE_TARGET = re.compile(_TARGET)

_TIME_STOP = re.compile(
    r"\b(?:(?:close|exit|sell|get\s+out|leave)(?:\s+(?:the\s+)?(?:trade|position)s?)?\s+"
    r"|time\s+stop\s+(?:of\s+|at\s+)?|max(?:imum)?\s+(?:holding\s+)?(?:time\s+)?(?:of\s+)?|hold\s+(?:for\s+)?(?:at\s+most\s+)?)"
    r"(?:after\s+)?(\d+)\s*(candles?|bars?|minutes?|mins?|hours?|hrs?|days?|m|h|d)\b"
    r"(?:\s+in\s+(?:the\s+|a\s+)?trade)?"
    # "exit after 3 candles below the EMA" is a rule about those candles, not a holding time.
    r"(?!\s+(?:in\s+a\s+row\s+)?(?:of\s+|with\s+|where\s+|that\s+)?(?:clos\w*\s+)?"
    r"(?:below|above|under|over|beneath|higher|lower|red|green|bearish|bullish)\b)"
)

# The compact units ("time stop 12h") too: read before the timeframe, so "close after 4h" is a holding time.
_UNIT_SECONDS = {
    "minute": 60,
    "min": 60,
    "m": 60,
    "hour": 3600,
    "hr": 3600,
    "h": 3600,
    "day": 86400,
    "d": 86400,
}


@dataclass
class Frame:
    """Everything but the rules, as spec fields (plain data) plus what was understood, in text order."""

    name: str | None = None
    pairs: list[str] = field(default_factory=list)
    timeframe: str | None = None
    stop: dict[str, Any] = field(default_factory=dict)
    take_profit: list[dict[str, Any]] | None = None
    time_stop: tuple[int, str] | None = None
    understood: list[str] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    #: Pairs the text gives a condition of their own ("ETH/USDT when ..., BTC/USDT when ...").
    pairs_with_own_rule: list[str] = field(default_factory=list)


def read_frame(text: Text) -> Frame:
    frame = Frame()
    _name(text, frame)
    _pairs(text, frame)
    _time_stop(text, frame)
    _timeframe(text, frame)
    _trailing(text, frame)
    _breakeven(text, frame)
    _ladder(text, frame)
    _stop_cap(text, frame)
    _stop(text, frame)
    return frame


def _first(frame: Frame, found: list[tuple[re.Match[str], Any]], what: str) -> Any | None:
    """The first reading in text order; a later one that says something else is listed as not understood,
    never dropped: in "stop 2%, no wait, stop 3%" which one was meant is for the person to say."""
    found = sorted(found, key=lambda pair: pair[0].start())
    if not found:
        return None
    first = found[0][1]
    for match, value in found[1:]:
        if value != first:
            frame.not_understood.append(f"{match.group(0).strip()} (a second {what}; only the first is used)")
    return first


def _name(text: Text, frame: Frame) -> None:
    for match in text.take_all(_NAME)[:1]:
        raw = text.original[match.start(1) : match.end(1)]
        words = [w for w in re.split(r"_+", raw) if w]
        name = "".join(w[0].upper() + w[1:] for w in words)
        frame.name = name
        frame.understood.append(f"name: {name}")


def _pairs(text: Text, frame: Frame) -> None:
    found: list[tuple[int, str]] = []
    for match in text.take_all(_PAIR_SLASH):
        found.append((match.start(), f"{match.group(1).upper()}/{match.group(2).upper()}"))
    for match in list(text.finditer(_PAIR_GLUED)):
        if match.group(1) not in _GLUED_NOT_PAIRS:
            text.consume(match.start(), match.end())
            found.append((match.start(), f"{match.group(1).upper()}/{match.group(2).upper()}"))
    for _, pair in sorted(found):
        if pair not in frame.pairs:
            frame.pairs.append(pair)
    lowered = text.original.lower()
    named = [*_PAIR_SLASH.finditer(lowered), *_PAIR_GLUED.finditer(lowered)]
    frame.pairs_with_own_rule = list(
        dict.fromkeys(
            f"{m.group(1).upper()}/{m.group(2).upper()}"
            for m in sorted(named, key=lambda m: m.start())
            if m.group(1) not in _GLUED_NOT_PAIRS and _OWN_RULE.match(lowered, m.end())
        )
    )
    if frame.pairs:
        frame.understood.append(f"pairs: {', '.join(frame.pairs)}")


def _timeframe(text: Text, frame: Frame) -> None:
    candidates: list[tuple[int, str, str]] = []
    for match in text.take_all(_TF_COMPACT) + text.take_all(_TF_SPOKEN):
        candidates.append(
            (match.start(), f"{int(match.group(1))}{_TF_UNITS[match.group(2)]}", match.group(0))
        )
    for match in text.take_all(_TF_WORDS):
        candidates.append(
            (match.start(), {"hourly": "1h", "daily": "1d", "weekly": "1w"}[match.group(1)], match.group(0))
        )
    for _, timeframe, phrase in sorted(candidates):
        if timeframe not in TIMEFRAME_SECONDS:
            frame.not_understood.append(
                f"{phrase.strip()} (timeframe {timeframe} is not one freqtrade's specs allow)"
            )
        elif frame.timeframe is None:
            frame.timeframe = timeframe
            frame.understood.append(f"timeframe: {timeframe}")
        elif timeframe != frame.timeframe:
            frame.not_understood.append(f"{phrase.strip()} (a second timeframe; using {frame.timeframe})")


def _distance(value: str, unit: str) -> dict[str, float]:
    return {"atr": number(value)} if "atr" in unit else {"percent": number(value)}


def _say(distance: dict[str, float]) -> str:
    ((kind, size),) = distance.items()
    return {"atr": f"{plain(size)} × ATR", "percent": f"{plain(size)}%", "r": f"{plain(size)}R"}[kind]


def _time_stop(text: Text, frame: Frame) -> None:
    found = [(m, (int(m.group(1)), m.group(2).rstrip("s"))) for m in text.take_all(_TIME_STOP)]
    frame.time_stop = _first(frame, found, "time stop")


def _trailing(text: Text, frame: Frame) -> None:
    found = [(m, _trail_of(m)) for m in text.take_all(_TRAIL) + text.take_all(_TRAIL_AFTER)]
    trailing = _first(frame, found, "trailing stop")
    if trailing is not None:
        if trailing["after_level"] is None:
            # The spec's default: trail once the first target has paid, so the stop never chokes a new trade.
            trailing = {**trailing, "after_level": 1}
            frame.assumptions.append("no start given for the trailing stop: it trails after TP1")
        frame.stop["trailing"] = trailing
        after = trailing["after_level"]
        when = "from entry" if after == 0 else f"after TP{after}"
        frame.understood.append(f"trailing stop: {_say(trailing['distance'])} {when}")


def _trail_of(match: re.Match[str]) -> dict[str, Any]:
    """The trailing stop a phrase names; ``after_level`` None when it names no level and not the entry."""
    distance = _distance(match.group(1), match.group(2))
    level_group = match.group(3)
    from_entry = re.search(r"(?:entry|start)$", match.group(0)) is not None
    after = 0 if from_entry else int(level_group) if level_group else None
    return {"after_level": after, "distance": distance}


def _breakeven(text: Text, frame: Frame) -> None:
    matches = text.take_all(_BREAKEVEN) + text.take_all(_BREAKEVEN_SHORT)
    level = _first(frame, [(m, int(m.group(1)) if m.group(1) else 1) for m in matches], "break-even")
    if level is not None:
        frame.stop["breakeven_after_level"] = level
        frame.understood.append(f"stop to break-even after TP{level}")


def _target(value: str, unit: str | None) -> dict[str, float]:
    unit = (unit or "").replace(" ", "").removeprefix("x")
    if unit.startswith("atr"):
        return {"atr": number(value)}
    if unit in {"%", "percent", "pct"}:
        return {"percent": number(value)}
    return {"r": number(value)}


def _default_shares(count: int) -> list[float]:
    if count == 3:
        return [0.4, 0.3, 0.3]
    share = round(1.0 / count, 4)
    return [share] * (count - 1) + [round(1.0 - share * (count - 1), 4)]


def _ladder(text: Text, frame: Frame) -> None:
    shares_given = [m for m in text.finditer(_SPLIT_SHARES) if sum(int(g) for g in m.groups() if g) == 100]
    for match in shares_given:
        text.consume(match.start(), match.end())
    explicit = text.take_all(_SHARE_AT)
    rest = text.take_all(_REST_AT)
    if explicit:
        levels: list[dict[str, Any]] = [
            {"target": _target(m.group(2), m.group(3)), "fraction": number(m.group(1)) / 100}
            for m in explicit
        ]
        _first(frame, [(m, m.group(0)) for m in rest], "'rest at'")
        bare = [m.group(2) for m in explicit if not m.group(3)]
        bare += [m.group(1) for m in rest[:1] if not m.group(2)]
        if bare:
            _assume_risk_multiples(frame, bare)
        for match in rest[:1]:
            left = round(1.0 - sum(level["fraction"] for level in levels), 6)
            levels.append({"target": _target(match.group(1), match.group(2)), "fraction": left})
        _set_ladder(frame, levels)
        return
    lists = text.take_all(_TARGET_LIST)
    _first(frame, [(m, m.group(1)) for m in lists], "take-profit list")
    for match in lists[:1]:
        raw = [(m.group(1), m.group(2)) for m in _ONE_TARGET.finditer(match.group(1))]
        # "1, 2 and 3R": a unit written once applies to the numbers before it.
        units: list[str | None] = []
        carried: str | None = None
        for _, unit in reversed(raw):
            carried = unit or carried
            units.append(carried)
        units.reverse()
        targets = [_target(value, unit) for (value, _), unit in zip(raw, units, strict=True)]
        if None in units:
            unitless = [value for (value, _), unit in zip(raw, units, strict=True) if unit is None]
            _assume_risk_multiples(frame, unitless)
        shares = _default_shares(len(targets))
        given = [int(g) / 100 for g in shares_given[0].groups() if g] if shares_given else []
        if len(given) == len(targets):
            shares = given
        else:
            split = ", ".join(f"{share * 100:g}%" for share in shares)
            frame.assumptions.append(f"no split given for the take-profit levels: {split}")
        _set_ladder(frame, [{"target": t, "fraction": s} for t, s in zip(targets, shares, strict=True)])


def _assume_risk_multiples(frame: Frame, values: list[str]) -> None:
    """Targets written without a unit are multiples of the risk (the stop distance): said, not guessed."""
    read = ", ".join(f"{plain(number(value))}R" for value in values)
    frame.assumptions.append(f"take-profit targets without a unit read as multiples of the risk: {read}")


def _set_ladder(frame: Frame, levels: list[dict[str, Any]]) -> None:
    frame.take_profit = levels
    steps = ", ".join(f"{level['fraction'] * 100:g}% at {_say(level['target'])}" for level in levels)
    frame.understood.append(f"take-profit ladder: {steps}")


def _stop_cap(text: Text, frame: Frame) -> None:
    """ "cap the stop at 4%": the spec's widest stop (an ATR stop is cut there), not a second stop."""
    cap = _first(frame, [(m, number(m.group(1))) for m in text.take_all(_STOP_CAP)], "stop cap")
    if cap is not None:
        frame.stop["max_percent"] = cap
        frame.understood.append(f"stop capped at {plain(cap)}%")


def _stop(text: Text, frame: Frame) -> None:
    matches = text.take_all(_STOP) + text.take_all(_STOP_AFTER)
    distance = _first(frame, [(m, _distance(m.group(1), m.group(2))) for m in matches], "stop")
    if distance is not None:
        frame.stop["initial"] = distance
        if "percent" in distance and distance["percent"] > 25:
            frame.stop.setdefault("max_percent", min(distance["percent"], 90.0))
        frame.understood.append(f"initial stop: {_say(distance)}")


def time_stop_candles(frame: Frame, timeframe: str) -> int | None:
    """The time stop in candles of `timeframe` (hours or days are rounded up to whole candles)."""
    if frame.time_stop is None:
        return None
    count, unit = frame.time_stop
    if unit in {"candle", "bar"}:
        return count
    seconds = count * _UNIT_SECONDS[unit]
    return max(1, -(-seconds // TIMEFRAME_SECONDS[timeframe]))
