"""Vectorized pandas/TA-Lib code for indicators and rule trees (one line per column, no per-row loops)."""

from __future__ import annotations

from collections.abc import Mapping

from gentrade.spec import AllOf, AnyOf, Comparison, Const, IndicatorRef, Price, StrategySpec
from gentrade.spec.indicators import (
    ADX,
    ATR,
    CCI,
    EMA,
    MACD,
    MFI,
    OBV,
    RSI,
    SMA,
    BollingerBands,
    Donchian,
    Stochastic,
    VolumeSMA,
)
from gentrade.spec.rules import Operator, iter_comparisons

RISK_ATR_COLUMN = "gt_risk_atr"
Constants = Mapping[int, str] | None
"""Code standing in for rule constants, keyed by the constant's id() (the spec is frozen while rendering)."""
_HLC = 'dataframe["high"], dataframe["low"], dataframe["close"]'


def column_name(indicator_id: str, output: str | None) -> str:
    return indicator_id if not output else f"{indicator_id}_{output}"


def _col(name: str) -> str:
    return f'dataframe["{name}"]'


def _targets(indicator_id: str, outputs: tuple[str, ...]) -> str:
    return ", ".join(_col(column_name(indicator_id, out)) for out in outputs)


def indicator_lines(indicator: object) -> list[str]:
    """Assignment statements computing one catalogue indicator into its column(s)."""
    match indicator:
        case RSI(id=i, period=p, source=s):
            return [f"{_col(i)} = ta.RSI({_col(s)}, timeperiod={p})"]
        case EMA(id=i, period=p, source=s):
            return [f"{_col(i)} = ta.EMA({_col(s)}, timeperiod={p})"]
        case SMA(id=i, period=p, source=s):
            return [f"{_col(i)} = ta.SMA({_col(s)}, timeperiod={p})"]
        case MACD(id=i, fast=f, slow=sl, signal=sg, source=s):
            return [
                f"{_targets(i, indicator.outputs)} = ta.MACD(",
                f"    {_col(s)}, fastperiod={f}, slowperiod={sl}, signalperiod={sg}",
                ")",
            ]
        case BollingerBands(id=i, period=p, std=d, source=s):
            return [
                f"{_targets(i, indicator.outputs)} = ta.BBANDS(",
                f"    {_col(s)}, timeperiod={p}, nbdevup={d!r}, nbdevdn={d!r}",
                ")",
            ]
        case ATR(id=i, period=p):
            return [f"{_col(i)} = ta.ATR({_HLC}, timeperiod={p})"]
        case ADX(id=i, period=p):
            return [
                f"{_col(column_name(i, 'adx'))} = ta.ADX({_HLC}, timeperiod={p})",
                f"{_col(column_name(i, 'plus_di'))} = ta.PLUS_DI({_HLC}, timeperiod={p})",
                f"{_col(column_name(i, 'minus_di'))} = ta.MINUS_DI({_HLC}, timeperiod={p})",
            ]
        case Stochastic(id=i, fastk=k, slowk=sk, slowd=sd):
            return [
                f"{_targets(i, indicator.outputs)} = ta.STOCH(",
                f"    {_HLC}, fastk_period={k}, slowk_period={sk}, slowk_matype=0,",
                f"    slowd_period={sd}, slowd_matype=0,",
                ")",
            ]
        case MFI(id=i, period=p):
            return [f'{_col(i)} = ta.MFI({_HLC}, dataframe["volume"], timeperiod={p})']
        case CCI(id=i, period=p):
            return [f"{_col(i)} = ta.CCI({_HLC}, timeperiod={p})"]
        case OBV(id=i):
            return [f'{_col(i)} = ta.OBV(dataframe["close"], dataframe["volume"])']
        case Donchian(id=i, period=p):
            upper, lower, middle = (_col(column_name(i, out)) for out in ("upper", "lower", "middle"))
            return [
                f'{upper} = dataframe["high"].rolling({p}).max()',
                f'{lower} = dataframe["low"].rolling({p}).min()',
                f"{middle} = ({upper} + {lower}) / 2",
            ]
        case VolumeSMA(id=i, period=p):
            return [f'{_col(i)} = ta.SMA(dataframe["volume"], timeperiod={p})']
    raise TypeError(f"no renderer for indicator {indicator!r}")


def risk_atr_line(period: int) -> str:
    return f"{_col(RISK_ATR_COLUMN)} = ta.ATR({_HLC}, timeperiod={period})"


def operand_code(operand: Const | Price | IndicatorRef, constants: Constants = None) -> str:
    if isinstance(operand, Const):
        # A constant with a search range reads its hyperopt parameter (whose default is this value).
        return (constants or {}).get(id(operand)) or repr(operand.value)
    if isinstance(operand, Price):
        series, shift = _col(operand.column), operand.shift
    else:
        series, shift = _col(column_name(operand.indicator, operand.output)), operand.shift
    return f"{series}.shift({shift})" if shift else series


def _previous_code(operand: Const | Price | IndicatorRef, constants: Constants) -> str:
    """The operand one candle earlier; a constant is the same on every candle."""
    if isinstance(operand, Const):
        return operand_code(operand, constants)
    return operand_code(operand.model_copy(update={"shift": operand.shift + 1}))


_MIRROR: dict[Operator, Operator] = {
    ">": "<",
    "<": ">",
    ">=": "<=",
    "<=": ">=",
    "crosses_above": "crosses_below",
    "crosses_below": "crosses_above",
}


def comparison_lines(comparison: Comparison, constants: Constants = None) -> list[str]:
    left, op, right = comparison.left, comparison.op, comparison.right
    if isinstance(left, Const):
        # A series comes first: `30 < rsi` reads the same as `rsi > 30`.
        left, op, right = right, _MIRROR[op], left
    lhs, rhs = operand_code(left, constants), operand_code(right, constants)
    if op in ("crosses_above", "crosses_below"):
        # Above (below) now, and not above (not below) on the previous candle: qtpylib's definition,
        # written out because freqtrade deprecates its vendored qtpylib.
        now, before = (">", "<=") if op == "crosses_above" else ("<", ">=")
        previous_left, previous_right = _previous_code(left, constants), _previous_code(right, constants)
        return ["(", f"    ({lhs} {now} {rhs})", f"    & ({previous_left} {before} {previous_right})", ")"]
    return [f"({lhs} {op} {rhs})"]


def condition_lines(condition: Comparison | AllOf | AnyOf, constants: Constants = None) -> list[str]:
    """A boolean Series expression, one operand per line inside parentheses, four-space indents."""
    if isinstance(condition, Comparison):
        return comparison_lines(condition, constants)
    children, joiner = (condition.all, "&") if isinstance(condition, AllOf) else (condition.any, "|")
    if len(children) == 1:
        return condition_lines(children[0])
    body: list[str] = []
    for index, child in enumerate(children):
        lines = condition_lines(child, constants)
        if index:
            lines = [f"{joiner} {lines[0]}", *lines[1:]]
        body.extend(lines)
    return ["(", *(f"    {line}" for line in body), ")"]


def signal_block(
    column: str, condition: Comparison | AllOf | AnyOf | None, constants: Constants = None
) -> list[str]:
    """Statements setting `column` to 1 where the rule holds on a candle with volume."""
    if condition is None:
        return []
    has_volume = Comparison(left=Price(column="volume"), op=">", right=Const(value=0.0))
    children = condition.all if isinstance(condition, AllOf) else [condition]
    rule = AllOf(all=[*children, has_volume])
    lines = condition_lines(rule, constants)
    return [f"{column} = {lines[0]}", *lines[1:], f'dataframe.loc[{column}, "{column}"] = 1']


def startup_candles(spec: StrategySpec) -> int:
    """Enough candles for every indicator (and the risk ATR) to settle, plus the rules' deepest look-back."""
    warmups = [indicator.warmup for indicator in spec.indicators]
    if spec.uses_atr:
        warmups.append(3 * spec.atr_period)
    shifts = [0]
    for rule in (spec.entry_long, spec.exit_long, spec.entry_short, spec.exit_short):
        for comparison in iter_comparisons(rule) if rule is not None else []:
            crossing = comparison.op in ("crosses_above", "crosses_below")
            for operand in (comparison.left, comparison.right):
                if not isinstance(operand, Const):
                    shifts.append(operand.shift + (1 if crossing else 0))
    return max(warmups, default=0) + max(shifts)
