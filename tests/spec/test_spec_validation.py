"""Bad specs fail with an error naming the field path; good ones round-trip through JSON and YAML."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from gentrade.errors import SpecValidationError
from gentrade.examples import load_examples
from gentrade.spec import RMultiple, StrategySpec, load_spec, parse_spec, spec_json

BASE: dict = {
    "name": "GoodSpec",
    "pairs": ["ETH/BTC"],
    "indicators": [
        {"id": "rsi", "kind": "rsi", "period": 14},
        {"id": "macd", "kind": "macd"},
        {"id": "obv", "kind": "obv"},
    ],
    "entry_long": {
        "all": [{"left": "rsi", "op": "<", "right": 30}, {"left": "macd.hist", "op": ">", "right": 0}]
    },
    "exit_long": {"left": "rsi", "op": "crosses_above", "right": 70},
}


def variant(**changes: object) -> dict:
    spec = copy.deepcopy(BASE)
    spec.update(changes)
    return spec


def ladder(*fractions: float) -> list[dict]:
    return [{"target": {"r": i + 1}, "fraction": f} for i, f in enumerate(fractions)]


BAD_SPECS: list[tuple[str, dict, str]] = [
    ("fractions sum to 130%", variant(take_profit=ladder(0.5, 0.4, 0.4)), "take_profit"),
    ("negative fraction", variant(take_profit=ladder(0.5, 0.4, -0.1, 0.2)), "take_profit[2].fraction"),
    ("empty ladder", variant(take_profit=[]), "take_profit"),
    ("six levels", variant(take_profit=ladder(*[1 / 6] * 6)), "take_profit"),
    (
        "unknown indicator kind",
        variant(indicators=[{"id": "x", "kind": "supertrendz"}]),
        "indicators[0].kind",
    ),
    ("negative stop", variant(stop={"initial": {"percent": -2}}), "stop.initial.percent"),
    ("stop with two units", variant(stop={"initial": {"percent": 2, "atr": 1}}), "stop.initial"),
    ("two constants", variant(entry_long={"left": 1, "op": ">", "right": 2}), "entry_long"),
    ("invalid class name", variant(name="my strategy"), "name"),
    ("keyword name", variant(name="None"), "name"),
    ("unknown operator", variant(exit_long={"left": "rsi", "op": "=>", "right": 70}), "exit_long.op"),
    (
        "reference to undeclared indicator",
        variant(exit_long={"left": "ema", "op": ">", "right": "close"}),
        "exit_long",
    ),
    ("multi-output without output", variant(exit_long={"left": "macd", "op": ">", "right": 0}), "exit_long"),
    (
        "RSI period out of range",
        variant(indicators=[{"id": "rsi", "kind": "rsi", "period": 1}]),
        "indicators[0].period",
    ),
    (
        "MACD fast above slow",
        variant(indicators=[{"id": "macd", "kind": "macd", "fast": 30, "slow": 10}]),
        "indicators[0]",
    ),
    ("bad pair", variant(pairs=["ethbtc"]), "pairs[0]"),
    ("no pairs", variant(pairs=[]), "pairs"),
    ("unknown timeframe", variant(timeframe="7m"), "timeframe"),
    ("long spec without entry", variant(entry_long=None), "entry_long"),
    (
        "short rule on a long spec",
        variant(entry_short={"left": "rsi", "op": ">", "right": 70}),
        "entry_short",
    ),
    (
        "breakeven after a missing level",
        variant(stop={"breakeven_after_level": 4}),
        "stop.breakeven_after_level",
    ),
    (
        "targets not increasing",
        variant(take_profit=[{"target": {"r": 2}, "fraction": 0.5}, {"target": {"r": 1}, "fraction": 0.5}]),
        "take_profit[1].target",
    ),
    ("unknown field (typo)", variant(stopp={"initial": {"percent": 2}}), "stopp"),
    (
        "shift too deep",
        variant(exit_long={"left": "rsi[99]", "op": ">", "right": 50}),
        "exit_long.left.shift",
    ),
    ("OBV against a constant", variant(exit_long={"left": "obv", "op": ">", "right": 1000}), "exit_long"),
    (
        "duplicate indicator id",
        variant(indicators=[{"id": "rsi", "kind": "rsi"}, {"id": "rsi", "kind": "ema"}]),
        "indicators",
    ),
    (
        "clashing columns",
        variant(indicators=[{"id": "bb", "kind": "bbands"}, {"id": "bb_upper", "kind": "ema"}]),
        "indicators",
    ),
    ("reserved indicator id", variant(indicators=[{"id": "close", "kind": "ema"}]), "indicators[0].id"),
    (
        "percent stop wider than the cap",
        variant(stop={"initial": {"percent": 40}, "max_percent": 25}),
        "stop",
    ),
    (
        "nan constant",
        variant(exit_long={"left": "rsi", "op": ">", "right": float("nan")}),
        "exit_long.right.value",
    ),
]


@pytest.mark.parametrize(("label", "data", "path"), BAD_SPECS, ids=[b[0] for b in BAD_SPECS])
def test_bad_spec_names_the_field(label: str, data: dict, path: str) -> None:
    with pytest.raises(SpecValidationError) as caught:
        parse_spec(data)
    paths = [problem["path"] for problem in caught.value.details]
    assert path in paths, f"{label}: expected {path!r} among {paths}"
    assert path in caught.value.message


def test_every_problem_is_listed() -> None:
    data = variant(name="x y", timeframe="7m", take_profit=[])
    with pytest.raises(SpecValidationError) as caught:
        parse_spec(data)
    assert {"name", "timeframe", "take_profit"} <= {p["path"] for p in caught.value.details}


def test_default_ladder_is_40_30_30() -> None:
    spec = parse_spec(BASE)
    assert [level.fraction for level in spec.take_profit] == [0.4, 0.3, 0.3]
    targets = [level.target for level in spec.take_profit]
    assert [t.r for t in targets if isinstance(t, RMultiple)] == [1.0, 2.0, 3.0]  # three levels, all R


def test_shorthand_operands_expand_to_canonical_form() -> None:
    spec = parse_spec(variant(exit_long={"left": "macd.hist[2]", "op": "<", "right": "close"}))
    dumped = spec.model_dump(mode="json")["exit_long"]
    assert dumped["left"] == {"indicator": "macd", "output": "hist", "shift": 2}
    assert dumped["right"] == {"column": "close", "shift": 0}


def test_canonical_json_round_trips() -> None:
    spec = parse_spec(BASE)
    assert parse_spec(spec_json(spec)) == spec
    assert spec_json(parse_spec(spec_json(spec))) == spec_json(spec)


def test_yaml_file_and_json_file_load_the_same(tmp_path: Path) -> None:
    import json

    import yaml

    (tmp_path / "s.yaml").write_text(yaml.safe_dump(BASE))
    (tmp_path / "s.json").write_text(json.dumps(BASE))
    assert load_spec(tmp_path / "s.yaml") == load_spec(tmp_path / "s.json")


def test_malformed_file_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(SpecValidationError, match="broken.json is not valid JSON"):
        load_spec(broken)


def test_examples_are_valid_with_three_level_ladders() -> None:
    examples = load_examples()
    assert {s.name for s in examples} >= {"TrendFollower", "MeanReversion", "Breakout"}
    for spec in examples:
        assert isinstance(spec, StrategySpec)
        assert len(spec.take_profit) == 3


def test_json_schema_is_available_for_producers() -> None:
    schema = StrategySpec.model_json_schema()
    assert "take_profit" in schema["properties"]
