"""What a spec's search ranges add to a strategy: hyperopt parameters and the code that reads them.

Every ranged number becomes an ``IntParameter`` / ``DecimalParameter`` whose default is the spec's own value,
so the strategy trades exactly as without ranges until hyperopt (plain ``freqtrade hyperopt`` or
``gentrade optimize``) assigns other values. Indicator periods follow freqtrade's recommended pattern:
``populate_indicators`` computes one column per value of ``parameter.range`` (the whole range in hyperopt,
only the current value otherwise), and the entry/exit code first points the indicator's usual column at the
variant of the current value, because populate_indicators runs once per hyperopt run and the signal methods
once per epoch (so the usual column exists from populate_entry_trend on).
"""

from __future__ import annotations

from gentrade.codegen.expressions import column_name, indicator_lines
from gentrade.spec import Percent, StrategySpec
from gentrade.spec.indicators import Indicator
from gentrade.spec.search import SearchParameter, resolve_search

PARAMETER_IMPORTS = "DecimalParameter, IntParameter"


def search_parameters(spec: StrategySpec) -> list[SearchParameter]:
    return resolve_search(spec)


def parameter_lines(parameters: list[SearchParameter]) -> list[str]:
    """Class attributes declaring the hyperopt parameters, in the order the spec lists its ranges."""
    lines = []
    for p in parameters:
        if p.integer:
            lines.append(
                f"{p.name} = IntParameter({int(p.low)}, {int(p.high)}, default={int(p.default)}, "
                f'space="{p.space}")'
            )
        else:
            lines.append(
                f"{p.name} = DecimalParameter({p.low!r}, {p.high!r}, default={p.default!r}, "
                f'decimals={p.decimals}, space="{p.space}")'
            )
    return lines


def _ranged(parameters: list[SearchParameter], indicator_id: str) -> list[SearchParameter]:
    return [p for p in parameters if p.kind == "indicator" and p.owner == indicator_id]


def _variant(indicator_id: str, ranged: list[SearchParameter], values: list[str]) -> str:
    """Column prefix of one variant, e.g. gt_ema_fast_{period} (an f-string body)."""
    return f"gt_{indicator_id}" + "".join(f"_{{{value}}}" for value in values)


def ranged_indicator_lines(indicator: Indicator, parameters: list[SearchParameter]) -> list[str]:
    """An indicator's lines, one column per combination of its ranged parameters' values.

    The catalogue's own renderer writes the body: the indicator is copied with each ranged field set to a
    loop variable's name and its id set to the variant's column prefix, and the prefix's quotes become an
    f-string's.
    """
    ident = indicator.id
    ranged = _ranged(parameters, ident)
    loop_vars = [f"gt_{p.field}" for p in ranged]
    prefix = _variant(ident, ranged, loop_vars)
    template = indicator.model_copy(  # type: ignore[attr-defined]
        update={"id": prefix, **{p.field: var for p, var in zip(ranged, loop_vars, strict=True)}}
    )
    body = [
        line.replace(f'dataframe["{prefix}', f'dataframe[f"{prefix}') for line in indicator_lines(template)
    ]
    lines: list[str] = []
    for depth, (p, var) in enumerate(zip(ranged, loop_vars, strict=True)):
        lines.append("    " * depth + f"for {var} in self.{p.name}.range:")
    lines.extend("    " * len(ranged) + line for line in body)
    # No alias here: reading a parameter's value while hyperopt computes indicators would freeze it.
    return lines


def alias_lines(indicator: Indicator, parameters: list[SearchParameter]) -> list[str]:
    """Point the indicator's usual column(s) at the variant of the parameters' current values."""
    ident = indicator.id
    ranged = _ranged(parameters, ident)
    if not ranged:
        return []
    prefix = _variant(ident, ranged, [f"self.{p.name}.value" for p in ranged])
    return [
        f'dataframe["{column_name(ident, out or None)}"] = dataframe[f"{column_name(prefix, out or None)}"]'
        for out in indicator.outputs
    ]


def all_alias_lines(spec: StrategySpec, parameters: list[SearchParameter]) -> list[str]:
    lines = [line for indicator in spec.indicators for line in alias_lines(indicator, parameters)]
    if lines:
        lines.insert(0, "# Hyperopt may have changed an indicator period since populate_indicators ran.")
    return lines


def constant_code(parameters: list[SearchParameter]) -> dict[int, str]:
    """Rule constants replaced by their parameters' current values."""
    return {id(p.constant): f"self.{p.name}.value" for p in parameters if p.constant is not None}


def _size(parameters: list[SearchParameter], kind: str, owner: str, written: float) -> str:
    found = next((p for p in parameters if p.kind == kind and p.owner == owner), None)
    return f"self.{found.name}.value" if found else repr(written)


def stop_property(parameters: list[SearchParameter], unit: str, size: float) -> str | None:
    found = _size(parameters, "stop", "", size)
    return None if found == repr(size) else f'property(lambda self: ("{unit}", {found}))'


def trailing_property(parameters: list[SearchParameter], after: int, unit: str, size: float) -> str | None:
    found = _size(parameters, "trailing", "", size)
    return None if found == repr(size) else f'property(lambda self: ({after}, "{unit}", {found}))'


def targets_property(parameters: list[SearchParameter], levels: list[tuple[str, float, float]]) -> str | None:
    """The ladder as a property when a target or share is ranged; the last share is what the others leave."""
    if not any(p.kind in ("target", "fraction") for p in parameters):
        return None
    items = []
    for index, (unit, size, share) in enumerate(levels):
        target = _size(parameters, "target", str(index), size)
        fraction = _size(parameters, "fraction", str(index), share)
        items.append(f'            ("{unit}", {target}, {fraction}),')
    return "\n".join(["property(", "        lambda self: (", *items, "        )", "    )"])


PLAN_KEY_EXTRA = ", self.gt_stop, self.gt_targets"
"""With ranges, a trade's exit plan also depends on the epoch's stop and ladder: part of the memo key."""


def widest(spec: StrategySpec, parameters: list[SearchParameter]) -> StrategySpec:
    """`spec` with every indicator period and the percent stop at the top of its range: what the startup
    candles and the class-level stoploss must cover (the custom stop only tightens from the class stop)."""
    if not parameters:
        return spec
    indicators = [
        indicator.model_copy(update={p.field: int(p.high) for p in _ranged(parameters, indicator.id)})
        for indicator in spec.indicators
    ]
    stop = spec.stop
    percent = next((p for p in parameters if p.kind == "stop" and p.field == "percent"), None)
    if percent is not None:
        stop = stop.model_copy(update={"initial": Percent(percent=percent.high)})
    return spec.model_copy(update={"indicators": indicators, "stop": stop})
