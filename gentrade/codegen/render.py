"""spec → strategy source: one IStrategy (INTERFACE_VERSION 3) class per file, deterministic bytes."""

from __future__ import annotations

import inspect
import json
from importlib import resources
from string import Template

from gentrade.codegen.expressions import (
    column_name,
    indicator_lines,
    risk_atr_line,
    signal_block,
    startup_candles,
)
from gentrade.codegen.risk import risk_block
from gentrade.codegen.search import (
    PARAMETER_IMPORTS,
    PLAN_KEY_EXTRA,
    alias_lines,
    all_alias_lines,
    constant_code,
    parameter_lines,
    ranged_indicator_lines,
    search_parameters,
    stop_property,
    targets_property,
    trailing_property,
    widest,
)
from gentrade.spec import AtrMultiple, Percent, RMultiple, StrategySpec, breakeven_price
from gentrade.spec.search import SearchParameter

RENDERER_VERSION = 1
_OVERLAY_KINDS = {"ema", "sma", "bbands", "donchian"}
_INDENT = " " * 8


def render(spec: StrategySpec) -> str:
    """The Python source of the strategy for `spec`; the same spec always gives the same bytes."""
    template = Template(resources.files("gentrade.codegen").joinpath("strategy.py.tmpl").read_text("utf-8"))
    stop = spec.stop
    trailing = stop.trailing
    ranged = search_parameters(spec)
    constants = constant_code(ranged)
    levels = [(*_distance(level.target), level.fraction) for level in spec.take_profit]
    return template.substitute(
        parameter_imports=f"\nfrom freqtrade.strategy import {PARAMETER_IMPORTS}" if ranged else "",
        parameters="".join(f"\n    {line}" for line in ["# Hyperopt parameters.", *parameter_lines(ranged)])
        if ranged
        else "",
        plan_key_extra=PLAN_KEY_EXTRA if ranged else "",
        name=spec.name,
        summary=_summary(spec),
        renderer_version=RENDERER_VERSION,
        spec_literal=_spec_literal(spec),
        breakeven_source=inspect.getsource(breakeven_price).rstrip("\n"),
        timeframe=spec.timeframe,
        can_short=repr(spec.direction != "long"),
        startup_candle_count=startup_candles(widest(spec, ranged)),
        minimal_roi=json.dumps({str(minutes): ratio for minutes, ratio in (spec.minimal_roi or {}).items()}),
        stoploss=repr(-_hard_stop(widest(spec, ranged))),
        targets=targets_property(ranged, levels) or _literal(tuple(levels)),
        stop=stop_property(ranged, *_distance(stop.initial)) or _literal(_distance(stop.initial)),
        stop_cap=repr(stop.max_percent / 100.0),
        breakeven_after=stop.breakeven_after_level or 0,
        trailing=(trailing and trailing_property(ranged, trailing.after_level, *_distance(trailing.distance)))
        or _literal(None if trailing is None else (trailing.after_level, *_distance(trailing.distance))),
        max_duration=_duration(spec),
        timeframe_minutes=spec.timeframe_minutes,
        plot_config=json.dumps(_plot_config(spec), indent=4).replace("\n", "\n    "),
        indicator_lines=_block(_indicator_code(spec, ranged)),
        entry_lines=_block(
            all_alias_lines(spec, ranged)
            + signal_block("enter_long", spec.entry_long, constants)
            + signal_block("enter_short", spec.entry_short, constants)
        ),
        exit_lines=_block(_exit_code(spec, ranged, constants)),
        risk_block=risk_block(spec.risk),
    )


def strategy_filename(spec: StrategySpec) -> str:
    return f"{spec.name}.py"


def _summary(spec: StrategySpec) -> str:
    """First line of the description for the module docstring, reduced to characters that cannot end or
    escape a docstring (no quotes, no backslashes): the description comes from people and LLMs."""
    first = spec.description.strip().splitlines()[0] if spec.description.strip() else ""
    first = "".join(ch for ch in first if ch.isprintable() and ch not in "\\\"'")[:200].strip()
    ladder = "/".join(f"{level.fraction * 100:g}" for level in spec.take_profit)
    return (first or f"{spec.direction} {spec.timeframe} strategy") + f" (take-profit ladder {ladder} %)"


def _spec_literal(spec: StrategySpec) -> str:
    # None fields are left out to keep the file short; parsing fills them back in, so the round trip is exact.
    lines = spec.model_dump_json(indent=2, exclude_none=True).split("\n")
    chunks = [line + "\n" for line in lines[:-1]] + [lines[-1]]
    return "\n".join(f"    {chunk!r}" for chunk in chunks)


def _literal(value: object) -> str:
    """A Python literal of tuples, strings and numbers, double-quoted like the rest of the file."""
    if isinstance(value, tuple):
        items = ", ".join(_literal(item) for item in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def _distance(distance: Percent | AtrMultiple | RMultiple) -> tuple[str, float]:
    if isinstance(distance, Percent):
        return "percent", distance.percent
    if isinstance(distance, AtrMultiple):
        return "atr", distance.atr
    return "r", distance.r


def _hard_stop(spec: StrategySpec) -> float:
    """The class-level stoploss: the initial percent stop, or the cap for ATR stops (the fallback if the
    custom stop cannot be computed)."""
    initial = spec.stop.initial
    return initial.percent / 100.0 if isinstance(initial, Percent) else spec.stop.max_percent / 100.0


def _duration(spec: StrategySpec) -> str:
    if spec.max_candles_in_trade is None:
        return "None"
    return f"timedelta(minutes={spec.max_candles_in_trade * spec.timeframe_minutes})"


def _indicator_code(spec: StrategySpec, ranged: list[SearchParameter]) -> list[str]:
    lines = [
        line
        for indicator in spec.indicators
        for line in (
            ranged_indicator_lines(indicator, ranged)
            if alias_lines(indicator, ranged)
            else indicator_lines(indicator)
        )
    ]
    if spec.uses_atr:
        lines.append(risk_atr_line(spec.atr_period))
        lines.append('self.gt_remember_candles(dataframe, metadata["pair"])')
    return lines


def _exit_code(spec: StrategySpec, ranged: list[SearchParameter], constants: dict[int, str]) -> list[str]:
    lines = signal_block("exit_long", spec.exit_long, constants) + signal_block(
        "exit_short", spec.exit_short, constants
    )
    if lines:
        lines = all_alias_lines(spec, ranged) + lines
    return lines or ["# No exit rule: trades leave through the stop, the ladder, ROI or the time stop."]


def _block(lines: list[str]) -> str:
    return "\n".join(f"{_INDENT}{line}" for line in lines) if lines else f"{_INDENT}pass"


def _plot_config(spec: StrategySpec) -> dict[str, dict[str, dict]]:
    main: dict[str, dict] = {}
    subplots: dict[str, dict] = {}
    for indicator in spec.indicators:
        columns: dict[str, dict] = {column_name(indicator.id, out or None): {} for out in indicator.outputs}
        if indicator.kind in _OVERLAY_KINDS:
            main.update(columns)
        else:
            subplots[indicator.id] = columns
    return {"main_plot": main, "subplots": subplots}
