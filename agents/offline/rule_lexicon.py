"""Words of trading rules as tokens: indicator references, comparisons, numbers, states and roles.

The lexer takes the longest phrase that matches at each word, so "crosses above" wins over "crosses" and
"MACD histogram" over "MACD"; anything it cannot read becomes an UNKNOWN token the drafter reports back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from agents.offline.text import GAP

TokenKind = Literal["REF", "OP", "NUM", "STATE", "ROLE", "DEF", "OR", "NEG", "RUN", "UNKNOWN"]


@dataclass(frozen=True)
class Ref:
    """An operand before indicator ids are assigned; ``params`` None means "defaults or the text's DEF"."""

    kind: str
    output: str | None = None
    shift: int = 0
    params: tuple[float, ...] | None = None
    needs: str | None = None
    #: How the text named an indicator whose period it did not give ("fast EMA"): the period is a default,
    #: and the draft says so. Not part of equality: the same average is the same operand either way.
    defaulted: str | None = field(default=None, compare=False)

    @property
    def price_scale(self) -> bool:
        return self.kind in {"price", "ema", "sma", "bbands", "donchian"}


@dataclass(frozen=True)
class Op:
    op: str
    implicit_close: bool = False
    #: A bare "crosses": read as crossing above, and the draft says so.
    undirected: bool = False


@dataclass
class Token:
    kind: TokenKind
    start: int
    end: int
    value: Any = None
    used: bool = field(default=False)


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _osc(match: re.Match[str]) -> Ref:
    name = re.sub(r"\s+", " ", match.group(2))
    period = _int(match.group(1)) or _int(match.group(4)) or _int(match.group(5))
    if name.startswith("stoch"):
        return Ref("stoch", "d" if match.group(3) == "d" else "k")
    kind = {"money flow": "mfi", "commodity channel": "cci", "relative strength": "rsi"}
    key = next((v for k, v in kind.items() if name.startswith(k)), name)
    output = "adx" if key == "adx" else None
    return Ref(key, output, params=(period,) if period else None)


def _moving_average(match: re.Match[str]) -> Ref:
    speed, before, name, after = match.group(1), _int(match.group(2)), match.group(3), _int(match.group(4))
    kind = "ema" if name.startswith(("ema", "exponential")) else "sma"
    given = after or before
    if given:
        return Ref(kind, params=(given,))
    period = {"fast": 20, "slow": 50}.get(speed or "", 20 if kind == "ema" else 50)
    return Ref(kind, params=(period,), defaulted=f"{speed + ' ' if speed else ''}{kind.upper()}")


def _macd(match: re.Match[str]) -> Ref:
    params = tuple(int(g) for g in match.group(1, 2, 3)) if match.group(1) else None
    suffix = match.group(4) or "line"
    output = {"line": "macd", "histogram": "hist", "hist": "hist"}.get(suffix, "signal")
    return Ref("macd", output, params=params)


def _macd_part(match: re.Match[str]) -> Ref:
    return Ref("macd", "hist" if match.group(1).startswith("hist") else "signal", needs="macd")


def _bb_band(match: re.Match[str]) -> Ref:
    return Ref("bbands", next(g for g in match.groups() if g))


def _bb_def(match: re.Match[str]) -> tuple[str, tuple[float, ...] | None]:
    groups = [g for g in match.groups() if g]
    return "bbands", (float(groups[0]), float(groups[1])) if len(groups) == 2 else None


def _channel(match: re.Match[str]) -> Ref:
    period, side = int(match.group(1)), match.group(2)
    return Ref("donchian", "upper" if side == "high" else "lower", shift=1, params=(period,))


def _channel_words(match: re.Match[str]) -> Ref:
    side, period = match.group(1), int(match.group(2))
    return Ref("donchian", "upper" if side.startswith("highest") else "lower", shift=1, params=(period,))


def _volume_avg(match: re.Match[str]) -> Ref:
    period = _int(match.group(1)) or _int(match.group(2))
    return Ref("volume_sma", params=(period,) if period else None)


_PERIOD_AFTER = r"(?:\s*\(\s*(\d+)\s*\)|\s*[- ]?(\d+)(?=\s*[a-z<>=(]))?"
_EXIT_VERB = r"(?:exit(?:s|ing)?|close|closing|get\s+out\s+of)"
_WHOSE = r"(?:(?:the|all|my|any|open)\s+)?"

_SPEC: list[tuple[TokenKind, str, Callable[[re.Match[str]], Any]]] = [
    # Operands.
    (
        "REF",
        r"(?:the\s+)?(?:previous\s+|prior\s+|last\s+|recent\s+)?(\d+)[\s-]*(?:candle|bar|period|day|hour)s?"
        r"\s+(high|low)s?",
        _channel,
    ),
    (
        "REF",
        r"(?:the\s+)?(highest\s+high|lowest\s+low)\s+(?:of|over|in)\s+(?:the\s+)?(?:last|previous|past)\s+"
        r"(\d+)\s+(?:candles|bars|periods)",
        _channel_words,
    ),
    (
        "REF",
        r"(?:the\s+)?(upper|lower)\s+(?:donchian|channel)(?:\s+(?:band|line))?",
        lambda m: Ref("donchian", m.group(1), shift=1),
    ),
    (
        "DEF",
        r"donchian(?:\s+channels?)?(?:\s*\(?\s*(\d+)\s*\)?)?",
        lambda m: ("donchian", (float(m.group(1)),) if m.group(1) else None),
    ),
    (
        "REF",
        r"(?:the\s+)?(?:(lower|upper|middle)\s+(?:bollinger\s+)?(?:bands?|bb)\b|bollinger\s+(lower|upper|middle)"
        r"(?:\s+bands?)?|(lower|upper|middle)\s+bollinger)",
        _bb_band,
    ),
    (
        "DEF",
        r"(?:bollinger(?:\s+bands?)?|bbands|bb)(?:\s*\(\s*(\d+)\s*,\s*(\d+(?:\.\d+)?)\s*\)|\s+(\d+)[\s,]+"
        r"(\d+(?:\.\d+)?)(?!\s*%))?",
        _bb_def,
    ),
    (
        "REF",
        r"macd(?:\s*\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\))?(?:\s+(line|histogram|hist|signal(?:\s+line)?))?",
        _macd,
    ),
    ("REF", r"(?:the\s+)?(histogram|signal\s+line|signal)", _macd_part),
    (
        "REF",
        r"(?:the\s+)?(?:(fast|slow)(?:er)?\s+)?(?:(\d+)[\s-]*(?:period\s+|day\s+|candle\s+|bar\s+)?)?"
        r"(ema|sma|ma|moving\s+average|exponential\s+moving\s+average|simple\s+moving\s+average)"
        r"(?:\s*\(?\s*(\d+)\s*\)?(?![\d.]*\s*(?:%|percent|x\b)))?",
        _moving_average,
    ),
    (
        "REF",
        r"(?:(\d+)[\s-]*(?:period\s+)?)?(rsi|mfi|money\s+flow(?:\s+index)?|cci|commodity\s+channel\s+index|adx|"
        r"relative\s+strength(?:\s+index)?|stoch(?:astic)?(?:\s+oscillator)?(?:\s+%?([kd])\b)?)"
        + _PERIOD_AFTER,
        _osc,
    ),
    ("REF", r"%([kd])\b", lambda m: Ref("stoch", m.group(1))),
    ("REF", r"obv|on[\s-]+balance\s+volume", lambda m: Ref("obv")),
    (
        "REF",
        r"(?:the\s+)?(?:(\d+)[\s-]*(?:period\s+|candle\s+|bar\s+)?)?(?:average|avg|mean)\s+volume|"
        r"volume\s+(?:average|avg|sma|ma|mean)(?:\s*\(?\s*(\d+)\s*\)?)?",
        _volume_avg,
    ),
    (
        "REF",
        r"(?:the\s+|its\s+)?(?:(\d+)[\s-]*(?:period\s+|candle\s+|bar\s+|day\s+)?)?(?:average|avg|mean|normal)",
        lambda m: Ref("volume_sma", params=(int(m.group(1)),) if m.group(1) else None, needs="volume"),
    ),
    (
        "REF",
        r"(?:the\s+)?(?:price|closing\s+price|last\s+close|candle\s+close|close)",
        lambda m: Ref("price", "close"),
    ),
    ("REF", r"volume", lambda m: Ref("price", "volume")),
    (
        "REF",
        r"(?:the\s+)?(?:candle(?:'s)?\s+|bar(?:'s)?\s+)?(open|opening\s+price|high|low)",
        lambda m: Ref("price", m.group(1).split()[0].removesuffix("ing")),
    ),
    # "the previous high", "the prior candle's close": the same column one candle back.
    (
        "REF",
        r"(?:the\s+)?(?:previous|prior|last)\s+(?:candle(?:'s)?\s+|bar(?:'s)?\s+)?(open|high|low|close)",
        lambda m: Ref("price", m.group(1), shift=1),
    ),
    # Comparisons.
    (
        "OP",
        r"(?:breaks|broke|break|breaking)(?:\s+out)?\s+(?:above|over|through|past)|breakout\s+(?:above|over|"
        r"through|past)",
        lambda m: Op("crosses_above", implicit_close=True),
    ),
    (
        "OP",
        r"(?:breaks|broke|break|breaking)(?:\s+down)?\s+(?:below|under|through)|breakdown\s+(?:below|under)",
        lambda m: Op("crosses_below", implicit_close=True),
    ),
    (
        "OP",
        r"(?:crosses|crossed|cross|crossing|rises|rising|climbs|jumps|moves|goes|pops|turns|pushes)\s+(?:back\s+)?"
        r"(?:above|over|up\s+through|through|past)|cross(?:es|ed)?\s+up(?:wards)?|crossover|cross(?:es|ed)?\s+over",
        lambda m: Op("crosses_above"),
    ),
    ("OP", r"crosses|crossed", lambda m: Op("crosses_above", undirected=True)),
    # "price touches the lower band": the candle's low reached it (its high, for an upper line).
    ("OP", r"touch(?:es|ed|ing)?|tags?|tagged|tagging|hits?|tests?|tested", lambda m: Op("touches")),
    # "RSI between 30 and 40": two comparisons, read by the parser from the two numbers that follow.
    ("OP", r"(?:is\s+|stays\s+|remains\s+)?between", lambda m: Op("between")),
    (
        "OP",
        r"(?:crosses|crossed|cross|crossing|falls|falling|drops|dropping|dips|dipping|sinks|moves|goes|turns)\s+"
        r"(?:back\s+)?(?:below|under|down\s+through|beneath)|cross(?:es|ed)?\s+down(?:wards)?|crossunder|"
        r"cross(?:es|ed)?\s+under",
        lambda m: Op("crosses_below"),
    ),
    (
        "OP",
        r"(?:closes|closed|closing|close)\s+(?:is\s+)?(?:above|over|higher\s+than)",
        lambda m: Op(">", True),
    ),
    (
        "OP",
        r"(?:closes|closed|closing|close)\s+(?:is\s+)?(?:below|under|lower\s+than|beneath)",
        lambda m: Op("<", True),
    ),
    ("OP", r">=|at\s+least", lambda m: Op(">=")),
    ("OP", r"<=|at\s+most", lambda m: Op("<=")),
    (
        "OP",
        r"(?:is\s+|stays\s+|trades\s+|remains\s+|holds\s+)?(?:above|over|greater\s+than|higher\s+than|"
        r"more\s+than|exceeds|>)",
        lambda m: Op(">"),
    ),
    (
        "OP",
        r"(?:is\s+|stays\s+|trades\s+|remains\s+)?(?:below|under|less\s+than|lower\s+than|beneath|<)",
        lambda m: Op("<"),
    ),
    ("NUM", r"[-+]?\d+(?:\.\d+)?(?![\d.]*\s*(?:%|percent|x\b))", lambda m: float(m.group(0))),
    ("NUM", r"zero", lambda m: 0.0),
    # Whole ideas in a word or two.
    ("STATE", r"oversold", lambda m: "oversold"),
    ("STATE", r"overbought", lambda m: "overbought"),
    ("STATE", r"(?:turns|flips|goes|crosses|crossing|turning)\s+positive", lambda m: "turns_positive"),
    ("STATE", r"(?:turns|flips|goes|crosses|crossing|turning)\s+negative", lambda m: "turns_negative"),
    ("STATE", r"(?:is\s+)?positive", lambda m: "positive"),
    ("STATE", r"(?:is\s+)?negative", lambda m: "negative"),
    ("STATE", r"bullish\s+cross(?:over)?", lambda m: "bullish_cross"),
    ("STATE", r"bearish\s+cross(?:over)?", lambda m: "bearish_cross"),
    ("STATE", r"golden\s+cross", lambda m: "golden_cross"),
    ("STATE", r"death\s+cross", lambda m: "death_cross"),
    (
        "STATE",
        r"(?:is\s+)?(?:rising|increasing|going\s+up|sloping\s+up|turns\s+up|turning\s+up)",
        lambda m: "rising",
    ),
    (
        "STATE",
        r"(?:is\s+)?(?:falling|decreasing|going\s+down|sloping\s+down|turns\s+down|turning\s+down)",
        lambda m: "falling",
    ),
    ("STATE", r"breakouts?|breaks\s+out|new\s+highs?", lambda m: "breakout"),
    ("STATE", r"breakdowns?|breaks\s+down|new\s+lows?", lambda m: "breakdown"),
    (
        "STATE",
        r"volume\s+spikes?|(?:on\s+|with\s+)?(?:above[\s-]average|high|strong|rising|increasing|heavy)\s+volume|"
        r"volume\s+(?:is\s+)?(?:above|over|higher\s+than)\s+(?:the\s+|its\s+)?(?:average|avg|mean|normal)"
        r"(?:\s+volume)?",
        lambda m: "volume_up",
    ),
    ("STATE", r"(?:strong(?:ly)?\s+)?trending(?:\s+market)?|(?:a\s+)?strong\s+trend", lambda m: "trending"),
    # Who the rule is for.
    (
        "ROLE",
        r"go(?:ing)?\s+short|enter\s+(?:a\s+)?short|open\s+(?:a\s+)?short|sell\s+short|short(?:s|ing)?",
        lambda m: "entry_short",
    ),
    (
        "ROLE",
        r"go(?:ing)?\s+long|enter\s+(?:a\s+)?long|open\s+(?:a\s+)?long|buy(?:ing|s)?|longs?",
        lambda m: "entry_long",
    ),
    ("ROLE", r"enter|entry|entries|get\s+in|go\s+in", lambda m: "entry"),
    ("ROLE", r"cover(?:ing)?(?:\s+(?:the\s+)?shorts?)?", lambda m: "exit_short"),
    # "exit longs when ...": the side is the object of the exit, not a second role word ("longs" = buy).
    ("ROLE", rf"{_EXIT_VERB}\s+{_WHOSE}longs?(?:\s+(?:trades?|positions?))?", lambda m: "exit_long"),
    ("ROLE", rf"{_EXIT_VERB}\s+{_WHOSE}shorts?(?:\s+(?:trades?|positions?))?", lambda m: "exit_short"),
    ("ROLE", rf"{_EXIT_VERB}\s+{_WHOSE}(?:trades?|positions?)", lambda m: "exit"),
    (
        "ROLE",
        r"exit(?:s|ing)?|sell(?:ing|s)?|get\s+out|close\s+(?:the\s+|a\s+)?(?:trades?|positions?|longs?)|"
        r"take\s+profits?\s+(?:when|if|once|on)|close(?=\s+(?:when|if|once|on))",
        lambda m: "exit",
    ),
    # "for 3 candles", "after 3 closes in a row": the comparison next to it must hold on that many candles.
    (
        "RUN",
        r"(?:for|after|over)\s+(?:the\s+last\s+)?(\d+)\s+(?:consecutive\s+|straight\s+|successive\s+)?"
        r"(?:candles?|bars?|closes?)(?:\s+in\s+a\s+row)?|(\d+)\s+(?:consecutive|straight|successive)\s+"
        r"(?:candles?|bars?|closes?)|(\d+)\s+(?:candles?|bars?|closes?)\s+in\s+a\s+row",
        lambda m: int(m.group(1) or m.group(2) or m.group(3)),
    ),
    ("OR", r"or|either", lambda m: None),
    ("NEG", r"not|no|never|isn't|isnt|doesn't|doesnt|don't|dont|without|unless|except|nor", lambda m: None),
]
# A phrase ending in a letter or digit must end at a word boundary ("over" is not the start of "overbought").
_COMPILED = [
    (kind, re.compile(f"(?:{pattern})" + r"(?:(?<![a-z0-9])|(?![a-z0-9]))"), build)
    for kind, pattern, build in _SPEC
]

FILLER = frozenset(
    [
        "when",
        "whenever",
        "if",
        "once",
        "while",
        "and",
        "then",
        "the",
        "a",
        "an",
        "is",
        "are",
        "was",
        "be",
        "been",
        "it",
        "its",
        "it's",
        "with",
        "on",
        "of",
        "to",
        "at",
        "in",
        "for",
        "i",
        "want",
        "wants",
        "would",
        "like",
        "please",
        "strategy",
        "trade",
        "trades",
        "trading",
        "my",
        "me",
        "we",
        "should",
        "only",
        "just",
        "also",
        "both",
        "candle",
        "candles",
        "bar",
        "bars",
        "value",
        "level",
        "line",
        "reading",
        "indicator",
        "confirmed",
        "confirm",
        "confirmation",
        "by",
        "as",
        "that",
        "this",
        "from",
        "condition",
        "conditions",
        "setup",
        "using",
        "use",
        "mode",
        "pairs",
        "pair",
        "timeframe",
        "chart",
        "market",
        "has",
        "have",
        "gets",
        "get",
        "first",
        "there",
    ]
)
_SKIP = re.compile(rf"[\s,:()\"'`{GAP}]+")
_WORD = re.compile(rf"[^\s,:(){GAP}]+")


def lex(sentence: str, offset: int) -> list[Token]:
    """Tokens of one sentence of the working text; `offset` places them in the whole text."""
    tokens: list[Token] = []
    position = 0
    while position < len(sentence):
        skip = _SKIP.match(sentence, position)
        if skip:
            position = skip.end()
            continue
        best: tuple[int, TokenKind, Any] | None = None
        for kind, pattern, build in _COMPILED:
            match = pattern.match(sentence, position)
            if match and match.end() > position and (best is None or match.end() > best[0]):
                best = (match.end(), kind, build(match))
        if best is None:
            word = _WORD.match(sentence, position)
            end = word.end() if word else position + 1
            if sentence[position:end] not in FILLER:
                tokens.append(Token("UNKNOWN", offset + position, offset + end))
            position = end
            continue
        end, kind, value = best
        tokens.append(Token(kind, offset + position, offset + end, value))
        position = end
    return tokens
