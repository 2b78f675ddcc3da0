"""Rule tokens → entry and exit conditions in the spec's shorthand, with the indicators they need.

A comparison is read only from adjacent tokens (operand, comparison, operand); filler words may sit between
them, unknown words may not, and a negation anywhere near a rule drops it rather than guess its meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from agents.offline.rule_lexicon import Op, Ref, Token, lex
from agents.offline.text import Text, plain

_SENTENCE = re.compile(r"(?:\.(?=\s|$)|[;!?\n])+")
_DEFAULTS: dict[str, tuple[float, ...]] = {
    "rsi": (14,),
    "mfi": (14,),
    "cci": (20,),
    "adx": (14,),
    "bbands": (20, 2.0),
    "donchian": (20,),
    "volume_sma": (20,),
    "macd": (12, 26, 9),
    "stoch": (14, 3, 3),
}
#: Oscillators that only ever read 0 to 100: a threshold outside that range is a typo, never a rule.
_BOUNDED = frozenset({"rsi", "mfi", "stoch", "adx"})
_MAX_MA_PERIOD = 1000
_MAX_RUN = 20
_LOWER_OPS, _UPPER_OPS = frozenset({">", ">="}), frozenset({"<", "<="})
_STATE_LEVELS = {"rsi": (30.0, 70.0), "mfi": (20.0, 80.0), "stoch": (20.0, 80.0), "cci": (-100.0, 100.0)}
_LABEL = {
    "rsi": "RSI",
    "mfi": "MFI",
    "cci": "CCI",
    "adx": "ADX",
    "ema": "EMA",
    "sma": "SMA",
    "obv": "OBV",
    "stoch": "Stochastic",
    "macd": "MACD",
    "bbands": "Bollinger",
    "donchian": "channel",
    "volume_sma": "average volume",
}
_OP_WORDS = {
    ">": ">",
    "<": "<",
    ">=": "≥",
    "<=": "≤",
    "crosses_above": "crosses above",
    "crosses_below": "crosses below",
}


@dataclass(frozen=True)
class Cond:
    left: Ref | float
    op: str
    right: Ref | float
    #: Read from a bare "crosses" (no direction): stated as an assumption. Not part of equality.
    undirected: bool = field(default=False, compare=False)
    #: For a rule that must hold on several candles in a row: how many candles back this copy looks.
    candles_back: int = 0


@dataclass
class Rules:
    """Conditions per spec field (in text order), the indicators they use, and what was (not) understood."""

    conditions: dict[str, list[list[Cond]]] = field(default_factory=dict)
    fields: dict[str, list[list[dict[str, Any]]]] = field(default_factory=dict)
    indicators: dict[str, dict[str, Any]] = field(default_factory=dict)
    understood: list[str] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)
    impossible: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    first_idea: Cond | None = None
    first_state: str | None = None


class _Sentence:
    """Parser state for one sentence: tokens without fillers, the current role, the last left operand."""

    def __init__(self, tokens: list[Token], role: str, last_left: Ref | None, work: str) -> None:
        self.tokens = tokens
        self.work = work
        self.role = role
        self.last_left = last_left
        self.found: list[tuple[str, Cond, bool, list[Token]]] = []
        self.states: list[str] = []
        self.pending_run: Token | None = None

    def at(self, index: int, *kinds: str) -> Token | None:
        if 0 <= index < len(self.tokens) and self.tokens[index].kind in kinds:
            return self.tokens[index]
        return None

    def emit(self, cond: Cond, used: list[Token], start: int) -> None:
        negated = self.at(start - 1, "NEG") is not None
        after_or = self.at(start - 1, "OR") is not None
        for token in used:
            token.used = not negated
        if not negated:
            self.found.append((self.role, cond, after_or, used))
            if self.pending_run is not None:
                self.hold_for(self.pending_run)

    def hold_for(self, run: Token) -> None:
        """The last rule found must hold on ``run.value`` candles in a row: it is repeated on the earlier
        candles (every operand shifted back). A crossing happens on one candle, so a run never applies to
        one; the run's words are then left over and reported as not understood."""
        self.pending_run = None
        role, cond, _after_or, used = self.found[-1]
        if cond.op.startswith("crosses") or not 2 <= run.value <= _MAX_RUN:
            return
        run.used = True
        for back in range(1, run.value):
            earlier = Cond(_back(cond.left, back), cond.op, _back(cond.right, back), cond.undirected, back)
            self.found.append((role, earlier, False, [*used, run]))


def _back(operand: Ref | float, candles: int) -> Ref | float:
    return replace(operand, shift=operand.shift + candles) if isinstance(operand, Ref) else operand


def _state_condition(state: str, ref: Ref | None, macd_seen: bool) -> Cond | None:
    """A one- or two-word idea ("RSI oversold", "golden cross") as a comparison, or None if it needs a ref."""
    fixed = {
        "golden_cross": Cond(Ref("sma", params=(50,)), "crosses_above", Ref("sma", params=(200,))),
        "death_cross": Cond(Ref("sma", params=(50,)), "crosses_below", Ref("sma", params=(200,))),
        "breakout": Cond(Ref("price", "close"), "crosses_above", Ref("donchian", "upper", 1)),
        "breakdown": Cond(Ref("price", "close"), "crosses_below", Ref("donchian", "lower", 1)),
        "volume_up": Cond(Ref("price", "volume"), ">", Ref("volume_sma")),
        "trending": Cond(Ref("adx", "adx"), ">", 25.0),
    }
    if state in fixed:
        return fixed[state]
    if ref is None:
        if state in {"oversold", "overbought"}:
            ref = Ref("rsi")
        elif state in {"positive", "negative", "turns_positive", "turns_negative"} and macd_seen:
            ref = Ref("macd", "hist")
        elif state in {"bullish_cross", "bearish_cross"} and macd_seen:
            ref = Ref("macd", "macd")
        else:
            return None
    if state in {"oversold", "overbought"}:
        levels = _STATE_LEVELS.get(ref.kind)
        if levels is None:
            return None
        return Cond(ref, "<" if state == "oversold" else ">", levels[0] if state == "oversold" else levels[1])
    if state in {"positive", "negative"}:
        return Cond(ref, ">" if state == "positive" else "<", 0.0)
    if state in {"turns_positive", "turns_negative"}:
        return Cond(ref, "crosses_above" if state == "turns_positive" else "crosses_below", 0.0)
    if state in {"rising", "falling"}:
        return Cond(ref, ">" if state == "rising" else "<", Ref(ref.kind, ref.output, 1, ref.params))
    if state in {"bullish_cross", "bearish_cross"} and ref.kind in {"macd", "stoch"}:
        partner = Ref(ref.kind, "signal" if ref.kind == "macd" else "d", 0, ref.params)
        mine = Ref(ref.kind, "macd" if ref.kind == "macd" else "k", 0, ref.params)
        return Cond(mine, "crosses_above" if state == "bullish_cross" else "crosses_below", partner)
    return None


def _parse_sentence(sentence: _Sentence, macd_seen: bool) -> None:
    tokens, index = sentence.tokens, 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "ROLE":
            sentence.role, token.used = token.value, True
        elif token.kind == "STATE":
            cond = _state_condition(token.value, None, macd_seen)
            if cond is not None:
                sentence.emit(cond, [token], index)
                sentence.states.append(token.value)
        elif token.kind == "REF":
            index = _after_ref(sentence, index, macd_seen)
            continue
        elif token.kind == "OP":
            index = _after_op(sentence, index, None)
            continue
        elif token.kind == "RUN":
            # After its rule ("RSI below 30 for 3 candles") or before it ("after 3 candles below the EMA").
            follows_rule = sentence.found and any(t is tokens[index - 1] for t in sentence.found[-1][3])
            if index > 0 and follows_rule:
                sentence.hold_for(token)
            else:
                sentence.pending_run = token
        index += 1


def _after_ref(sentence: _Sentence, index: int, macd_seen: bool) -> int:
    ref_token = sentence.tokens[index]
    ref: Ref = ref_token.value
    if ref.needs == "macd" and not macd_seen:
        return index + 1
    follower = sentence.at(index + 1, "REF")
    if follower is not None and follower.value == ref:
        ref_token.used = True
        return index + 1
    state = sentence.at(index + 1, "STATE")
    if state is not None:
        cond = _state_condition(state.value, ref, macd_seen)
        if cond is not None:
            sentence.emit(cond, [ref_token, state], index)
            sentence.states.append(state.value)
            sentence.last_left = ref  # "RSI is rising and above 50": the next comparison is of RSI too
            return index + 2
    if sentence.at(index + 1, "OP") is not None:
        return _after_op(sentence, index + 1, ref_token)
    return index + 1


def _after_op(sentence: _Sentence, index: int, left_token: Token | None) -> int:
    op_token = sentence.tokens[index]
    op: Op = op_token.value
    if op.op == "between":
        return _between(sentence, index, left_token)
    if op.op == "touches":
        return _touch(sentence, index, left_token)
    right_token = sentence.at(index + 1, "REF", "NUM")
    if right_token is None:
        return index + 1
    right = right_token.value
    if left_token is not None:
        left: Ref | None = left_token.value
    elif op.implicit_close or (isinstance(right, Ref) and right.price_scale):
        left = Ref("price", "close")
    else:
        left = sentence.last_left
    if isinstance(right, Ref) and right.needs == "volume" and left is not None:
        right = _average_of(left, right.params)
    if (
        left is None
        or right is None
        or (
            not isinstance(right, Ref)
            and op.op.startswith("crosses")
            and left.kind == "price"
            and left.output == "volume"
        )
    ):
        return index + 1
    right = _period_of_moving_average(sentence, left, right_token, right)
    used = [t for t in (left_token, op_token, right_token) if t is not None]
    start = index - 1 if left_token is not None else index
    direction = _crossing_side(sentence, right_token) if op.undirected else None
    if direction is not None:
        name, side_tokens = direction
        op, used = Op(name), [*used, *side_tokens]
    sentence.emit(Cond(left, op.op, right, undirected=op.undirected), used, start)
    sentence.last_left = left
    return index + 2


def _between(sentence: _Sentence, index: int, left_token: Token | None) -> int:
    """ "RSI between 30 and 40": above the lower number and below the higher one, in one group."""
    low, high = sentence.at(index + 1, "NUM"), sentence.at(index + 2, "NUM")
    left = left_token.value if left_token is not None else sentence.last_left
    if low is None or high is None or not isinstance(left, Ref):
        return index + 1
    floor, ceiling = sorted((low.value, high.value))
    used = [t for t in (left_token, sentence.tokens[index], low, high) if t is not None]
    start = index - 1 if left_token is not None else index
    sentence.emit(Cond(left, ">", floor), used, start)
    sentence.emit(Cond(left, "<", ceiling), used, start)
    sentence.last_left = left
    return index + 3


def _touch(sentence: _Sentence, index: int, left_token: Token | None) -> int:
    """ "price touches the lower band": the candle's low reached a lower line (its high an upper one, and
    its range a middle one), whatever the close did."""
    target = sentence.at(index + 1, "REF")
    side = left_token.value.output if left_token is not None and left_token.value.kind == "price" else "close"
    if target is None or not target.value.price_scale or (left_token is not None and side is None):
        return index + 1
    line: Ref = target.value
    used = [t for t in (left_token, sentence.tokens[index], target) if t is not None]
    start = index - 1 if left_token is not None else index
    if side == "low" or (side == "close" and line.output != "upper"):
        sentence.emit(Cond(Ref("price", "low"), "<=", line), used, start)
    if side == "high" or (side == "close" and line.output != "lower"):
        sentence.emit(Cond(Ref("price", "high"), ">=", line), used, start)
    sentence.last_left = Ref("price", "close")
    return index + 2


_FROM_SIDE = re.compile(r"\s*from\s+(below|under|beneath|underneath|above|over)\b")


def _crossing_side(sentence: _Sentence, right_token: Token) -> tuple[str, list[Token]] | None:
    """ "crosses the 21 EMA from below": the side a bare "crosses" comes from gives its direction."""
    match = _FROM_SIDE.match(sentence.work, right_token.end)
    if match is None:
        return None
    words = [t for t in sentence.tokens if right_token.end <= t.start and t.end <= match.end()]
    upward = match.group(1) in {"below", "under", "beneath", "underneath"}
    return ("crosses_above" if upward else "crosses_below"), words


def _average_of(left: Ref, period: tuple[float, ...] | None) -> Ref | None:
    """ "above the (20 candle) average": of volume when volume is compared, a simple moving average of the
    price when a price is (its period stated as an assumption when the text gives none); of anything else
    it is not understood."""
    if left.kind == "price" and left.output == "volume":
        return Ref("volume_sma", params=period)
    if left.kind == "price":
        return Ref("sma", params=period or (20,), defaulted=None if period else "average of the price")
    return None


def _period_of_moving_average(
    sentence: _Sentence, left: Ref, token: Token, right: Ref | float
) -> Ref | float:
    """ "the 20 EMA is above the 50", "EMA 20 crosses above 50": a bare whole number a moving average is
    compared with is the period of a second average of that type, as a trader means it; read as a price,
    it would be a rule that never changes. A decimal ("above 0.052") or a number past the longest period
    stays a price."""
    raw = sentence.work[token.start : token.end]
    if left.kind in {"ema", "sma"} and isinstance(right, float) and re.fullmatch(r"\d+", raw):
        period = int(raw)
        if 2 <= period <= _MAX_MA_PERIOD:
            return Ref(left.kind, params=(period,))
    return right


def parse_rules(text: Text) -> Rules:
    rules = Rules()
    sentences: list[_Sentence] = []
    all_tokens: list[Token] = []
    position = 0
    for match in [*_SENTENCE.finditer(text.work), None]:
        end = match.start() if match else len(text.work)
        tokens = lex(text.work[position:end], position)
        all_tokens.extend(tokens)
        sentences.append(_Sentence(tokens, "entry", None, text.work))
        position = match.end() if match else end
    macd_seen = any(t.kind == "REF" and t.value.kind == "macd" and t.value.needs is None for t in all_tokens)
    defs = {t.value[0]: t for t in all_tokens if t.kind == "DEF"}
    last_left: Ref | None = None
    found: list[tuple[str, Cond, bool]] = []
    for sentence in sentences:
        sentence.last_left = last_left
        _parse_sentence(sentence, macd_seen)
        last_left = sentence.last_left
        found.extend((role, cond, after_or) for role, cond, after_or, _ in sentence.found)
        if rules.first_state is None and sentence.states:
            rules.first_state = sentence.states[0]
    _place(rules, found)
    _resolve(rules, defs)
    _check_possible(rules)
    _report_leftovers(text, all_tokens, rules)
    return rules


def _check_possible(rules: Rules) -> None:
    """Names every rule that can never (or always) hold, per field: a bounded oscillator against a level
    outside 0-100 ("RSI under 130"), or one operand bounded from both sides with nothing in between, or
    twice from the same side, in one AND group ("RSI < 30 and RSI > 70" is usually an entry and an exit
    read as one rule; "RSI < 30 and RSI < 25" a change of level). A spec from either would run but
    never do what was meant."""
    for field_name, groups in rules.fields.items():
        for group in groups:
            bounded: dict[str, list[dict[str, Any]]] = {}
            for comparison in group:
                left, right = comparison["left"], comparison["right"]
                if not isinstance(left, str) or isinstance(right, str):
                    continue
                kind = rules.indicators.get(re.split(r"[.\[]", left)[0], {}).get("kind")
                if kind in _BOUNDED and not 0 <= right <= 100:
                    rules.impossible.append(
                        f"{field_name}: {comparison['words']} ({_LABEL[kind]} only reads 0 to 100)"
                    )
                if comparison["op"] in _LOWER_OPS | _UPPER_OPS:
                    bounded.setdefault(left, []).append(comparison)
            for comparisons in bounded.values():
                _check_bounds(field_name, comparisons, rules.impossible)


def _check_bounds(field_name: str, comparisons: list[dict[str, Any]], impossible: list[str]) -> None:
    """`comparisons` bound one operand by constants (in text order)."""
    lower = [c for c in comparisons if c["op"] in _LOWER_OPS]
    upper = [c for c in comparisons if c["op"] in _UPPER_OPS]
    said = " and ".join(c["words"] for c in comparisons)
    if len(lower) > 1 or len(upper) > 1:
        impossible.append(f"{field_name}: {said} (the same value bounded twice from one side; which level?)")
    elif lower and upper:
        low, high = lower[0], upper[0]
        empty = low["right"] > high["right"] or (
            low["right"] == high["right"] and (low["op"] == ">" or high["op"] == "<")
        )
        if empty:
            impossible.append(f"{field_name}: {said} (no value is both; is one of them an exit?)")


def _place(rules: Rules, found: list[tuple[str, Cond, bool]]) -> None:
    """Put each condition under its spec field; unmarked entries take the side last named, exits follow it."""
    explicit_sides = {
        role.removeprefix("entry_") for role, _, _ in found if role in {"entry_long", "entry_short"}
    }
    default_side = "short" if explicit_sides == {"short"} else "long"
    current = default_side
    for role, cond, after_or in found:
        if role in {"entry_long", "entry_short"}:
            current = role.removeprefix("entry_")
            field_name = role
        elif role == "entry":
            field_name = f"entry_{current}"
        elif role in {"exit_long", "exit_short"}:
            field_name = role
        else:
            field_name = f"exit_{current}"
        groups = rules.conditions.setdefault(field_name, [[]])
        if after_or and groups[-1]:
            groups.append([])
        if cond not in groups[-1]:
            groups[-1].append(cond)
        if rules.first_idea is None and field_name.startswith("entry"):
            rules.first_idea = cond


def _params(ref: Ref, defs: dict[str, Token]) -> tuple[tuple[float, ...], str | None]:
    """The operand's parameters, and how the text named it when they are defaults rather than its own."""
    if ref.params is not None:
        return ref.params, ref.defaulted
    definition = defs.get(ref.kind)
    if definition is not None:
        definition.used = True
        if definition.value[1] is not None:
            return definition.value[1], None
    defaults = _DEFAULTS.get(ref.kind, ())
    return defaults, (_LABEL.get(ref.kind, ref.kind) if defaults else None)


def indicator_for(ref: Ref, params: tuple[float, ...]) -> tuple[str, dict[str, Any]]:
    """The indicator id and spec entry for a reference; ids are derived from kind and parameters only."""
    kind = ref.kind
    default = _DEFAULTS.get(kind)
    if kind in {"ema", "sma"}:
        return f"{kind}_{int(params[0])}", {"kind": kind, "period": int(params[0])}
    if kind == "obv":
        return "obv", {"kind": "obv"}
    if kind == "stoch":
        return "stoch", {"kind": "stoch"}
    if kind == "macd":
        fast, slow, signal = (int(p) for p in params)
        name = "macd" if params == default else f"macd_{fast}_{slow}_{signal}"
        return name, {"kind": "macd", "fast": fast, "slow": slow, "signal": signal}
    if kind == "bbands":
        period, std = int(params[0]), float(params[1])
        name = "bb" if params == default else f"bb_{period}_{plain(std).replace('.', '_')}"
        return name, {"kind": "bbands", "period": period, "std": std}
    short = {"volume_sma": "vol_avg"}.get(kind, kind)
    period = int(params[0])
    name = short if kind != "donchian" and params == default else f"{short}_{period}"
    return name, {"kind": kind, "period": period}


def _resolve(rules: Rules, defs: dict[str, Token]) -> None:
    for field_name, groups in rules.conditions.items():
        rules.fields[field_name] = [
            [_comparison(cond, rules, defs, field_name) for cond in group] for group in groups
        ]


def _comparison(cond: Cond, rules: Rules, defs: dict[str, Token], field_name: str) -> dict[str, Any]:
    left, left_words = _operand(cond.left, rules, defs)
    right, right_words = _operand(cond.right, rules, defs)
    if cond.candles_back:  # a run's earlier candle: said as the rule itself, "n candles earlier"
        left_words = _operand(_back(cond.left, -cond.candles_back), rules, defs)[1]
        right_words = _operand(_back(cond.right, -cond.candles_back), rules, defs)[1]
    op = cond.op
    if cond.undirected:
        # A bare "crosses": the way the trade bets (down for a short entry, up otherwise), said out loud.
        op = "crosses_below" if field_name == "entry_short" else "crosses_above"
    words = f"{left_words} {_OP_WORDS[op]} {right_words}"
    if cond.candles_back:
        words += f" ({cond.candles_back} candle{'s' if cond.candles_back > 1 else ''} earlier)"
    if cond.undirected:
        assumption = f"'crosses' with no direction read as {_OP_WORDS[op]}: {words}"
        if assumption not in rules.assumptions:
            rules.assumptions.append(assumption)
    return {"left": left, "op": op, "right": right, "words": words}


def _operand(operand: Ref | float, rules: Rules, defs: dict[str, Token]) -> tuple[Any, str]:
    if not isinstance(operand, Ref):
        return operand, plain(operand)
    shift = f"[{operand.shift}]" if operand.shift else ""
    if operand.kind == "price":
        words = operand.output or "close"
        return f"{operand.output}{shift}", words if not operand.shift else f"previous {words}"
    params, defaulted = _params(operand, defs)
    name, entry = indicator_for(operand, params)
    rules.indicators.setdefault(name, {"id": name, **entry})
    if defaulted is not None:
        settings = f"{_LABEL.get(operand.kind, operand.kind)}({', '.join(plain(p) for p in params)})"
        what = "period" if len(params) == 1 else "settings"
        assumption = f"no {what} given for the {defaulted}: {settings}"
        if assumption not in rules.assumptions:
            rules.assumptions.append(assumption)
    output = f".{operand.output}" if operand.output else ""
    return f"{name}{output}{shift}", _words(operand, params)


def _words(ref: Ref, params: tuple[float, ...]) -> str:
    label = _LABEL.get(ref.kind, ref.kind)
    args = ", ".join(plain(p) for p in params)
    if ref.kind == "donchian":
        return f"previous {args}-candle {'high' if ref.output == 'upper' else 'low'}"
    if ref.kind == "bbands":
        return f"{ref.output} Bollinger band({args})"
    if ref.kind == "macd":
        part = {"macd": "line", "signal": "signal", "hist": "histogram"}[ref.output or "macd"]
        return f"MACD({args}) {part}"
    if ref.kind == "stoch":
        return f"Stochastic %{(ref.output or 'k').upper()}"
    prefix = "previous " if ref.shift else ""
    return f"{prefix}{label}({args})" if args else f"{prefix}{label}"


def _report_leftovers(text: Text, tokens: list[Token], rules: Rules) -> None:
    """Runs of tokens no rule used, as the original words (fillers inside a run are kept for readability)."""
    run: list[Token] = []
    for token in [*tokens, None]:
        if token is not None and not token.used and token.kind not in {"ROLE", "OR"}:
            if run and _separated(text, run[-1], token):
                rules.not_understood.append(_fragment(text, run))
                run = []
            run.append(token)
            continue
        if run:
            rules.not_understood.append(_fragment(text, run))
            run = []


def _separated(text: Text, before: Token, after: Token) -> bool:
    between = text.work[before.end : after.start]
    return bool(_SENTENCE.search(between)) or "\x1f" in between


def _fragment(text: Text, run: list[Token]) -> str:
    return " ".join(text.original[run[0].start : run[-1].end].split())
