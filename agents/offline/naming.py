"""Deterministic PascalCase names from what a strategy does, e.g. "RsiOversoldEthBtc5m"."""

from __future__ import annotations

from agents.offline.rule_lexicon import Ref
from agents.offline.rule_parser import Cond
from agents.offline.text import plain

_TITLE = {
    "rsi": "Rsi",
    "mfi": "Mfi",
    "cci": "Cci",
    "adx": "Adx",
    "ema": "Ema",
    "sma": "Sma",
    "obv": "Obv",
    "stoch": "Stoch",
    "macd": "Macd",
    "bbands": "Bollinger",
    "donchian": "Channel",
    "volume_sma": "VolumeAvg",
}
_OSCILLATOR_LEVELS = {"rsi": (30.0, 70.0), "mfi": (20.0, 80.0), "stoch": (20.0, 80.0), "cci": (-100.0, 100.0)}
_RELATION = {
    "<": "Below",
    "<=": "Below",
    ">": "Above",
    ">=": "Above",
    "crosses_above": "CrossUp",
    "crosses_below": "CrossDown",
}
_MAX_LENGTH = 64


def _title(ref: Ref) -> str:
    if ref.kind == "price":
        return (ref.output or "close").title()
    return _TITLE.get(ref.kind, ref.kind.title())


def _number(value: float) -> str:
    text = plain(abs(value)).replace(".", "p")
    return f"Minus{text}" if value < 0 else text


def idea_words(cond: Cond) -> str:
    """A short name for the first entry rule."""
    left, op, right = cond.left, cond.op, cond.right
    if not isinstance(left, Ref):
        return "Custom"
    if not isinstance(right, Ref):
        levels = _OSCILLATOR_LEVELS.get(left.kind)
        if levels and op in {"<", "<=", "crosses_below"} and right <= levels[0]:
            return f"{_title(left)}Oversold"
        if levels and op in {">", ">=", "crosses_above"} and right >= levels[1]:
            return f"{_title(left)}Overbought"
        return f"{_title(left)}{_RELATION[op]}{_number(right)}"
    if right.kind == "donchian":
        return "Breakout" if right.output == "upper" else "Breakdown"
    if right.kind == "bbands" and left.kind == "price":
        return (
            "BollingerReversion"
            if (right.output == "lower") == (op in {"<", "<=", "crosses_below"})
            else "BollingerBreakout"
        )
    if left.kind == right.kind == "sma" and left.params == (50,) and right.params == (200,):
        return "GoldenCross" if op == "crosses_above" else "DeathCross"
    if left.kind == right.kind and left.kind in {"ema", "sma"} and left.params and right.params:
        relation = "Cross" if op.startswith("crosses") else _RELATION[op]
        return f"{_title(left)}{relation}{plain(left.params[0])}x{plain(right.params[0])}"
    if left.kind == right.kind:
        return f"{_title(left)}{'Cross' if op.startswith('crosses') else _RELATION[op]}"
    return f"{_title(left)}{_RELATION[op]}{_title(right)}"


def strategy_name(cond: Cond, direction: str, pairs: list[str], timeframe: str) -> str:
    bases = [pair.split("/")[0].title() for pair in pairs[:3]]
    quote = pairs[0].split("/")[1].split(":")[0].title()
    market = "".join(bases) + ("More" if len(pairs) > 3 else "") + quote
    prefix = {"short": "Short", "both": "LongShort"}.get(direction, "")
    return f"{prefix}{idea_words(cond)}{market}{timeframe}"[:_MAX_LENGTH]
