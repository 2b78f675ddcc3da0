"""Rendered strategies: deterministic bytes, exact spec round trip, clean code, loadable by freqtrade."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gentrade.codegen import embedded_spec, render, strategy_filename
from gentrade.errors import SpecValidationError
from gentrade.examples import load_examples
from gentrade.spec import StrategySpec, parse_spec

EXAMPLES = load_examples()

EVERY_INDICATOR = {
    "name": "EveryIndicator",
    "pairs": ["ETH/BTC"],
    "direction": "both",
    "indicators": [
        {"id": "rsi", "kind": "rsi"},
        {"id": "ema", "kind": "ema", "period": 30},
        {"id": "sma", "kind": "sma"},
        {"id": "macd", "kind": "macd"},
        {"id": "bb", "kind": "bbands"},
        {"id": "atr", "kind": "atr"},
        {"id": "adx", "kind": "adx"},
        {"id": "stoch", "kind": "stoch"},
        {"id": "mfi", "kind": "mfi"},
        {"id": "cci", "kind": "cci"},
        {"id": "obv", "kind": "obv"},
        {"id": "don", "kind": "donchian"},
        {"id": "vol", "kind": "volume_sma"},
    ],
    "entry_long": {
        "all": [
            {"left": "rsi", "op": "<", "right": 30},
            {"left": "close", "op": "<", "right": "bb.lower"},
            {
                "any": [
                    {"left": "macd.hist", "op": ">", "right": 0},
                    {"left": "stoch.k", "op": "crosses_above", "right": "stoch.d"},
                ]
            },
            {"left": "obv", "op": ">", "right": "obv[1]"},
        ]
    },
    "exit_long": {"left": 70, "op": "crosses_below", "right": "rsi"},
    "entry_short": {
        "all": [
            {"left": "close", "op": "crosses_below", "right": "don.lower[1]"},
            {"left": "adx.adx", "op": ">=", "right": 25},
            {"left": "volume", "op": ">", "right": "vol"},
        ]
    },
    "exit_short": {
        "any": [{"left": "mfi", "op": "<=", "right": 20}, {"left": "cci", "op": "<", "right": -100}]
    },
    "stop": {
        "initial": {"atr": 2},
        "breakeven_after_level": 1,
        "trailing": {"after_level": 2, "distance": {"percent": 1.5}},
    },
    "take_profit": [
        {"target": {"r": 1}, "fraction": 0.25},
        {"target": {"atr": 3}, "fraction": 0.25},
        {"target": {"percent": 9}, "fraction": 0.5},
    ],
    "minimal_roi": {"0": 0.2, "120": 0.05},
    "max_candles_in_trade": 100,
}
SPECS = [*EXAMPLES, parse_spec(EVERY_INDICATOR)]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_same_spec_same_bytes_and_exact_round_trip(spec: StrategySpec) -> None:
    source = render(spec)
    assert render(spec) == source
    assert embedded_spec(source) == spec
    assert render(embedded_spec(source)) == source


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_one_istrategy_class_named_after_the_spec(spec: StrategySpec) -> None:
    tree = ast.parse(render(spec))
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    assert [c.name for c in classes] == [spec.name]
    assert [b.id for b in classes[0].bases if isinstance(b, ast.Name)] == ["IStrategy"]
    assert strategy_filename(spec) == f"{spec.name}.py"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_signal_code_is_vectorized(spec: StrategySpec) -> None:
    """populate_* hold no loops or comprehensions: every rule is one pandas expression."""
    tree = ast.parse(render(spec))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("populate_"):
            loops = [n for n in ast.walk(node) if isinstance(n, ast.For | ast.While | ast.comprehension)]
            assert not loops, f"{node.name} has a per-row loop"


def test_generated_code_passes_the_linter(tmp_path: Path) -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    for spec in SPECS:
        (tmp_path / strategy_filename(spec)).write_text(render(spec))
    result = subprocess.run(
        [ruff, "check", "--no-cache", "--isolated", "--select", "E,F,W,B", "--ignore", "E501", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_startup_candles_cover_the_slowest_indicator() -> None:
    spec = parse_spec(EVERY_INDICATOR)
    source = render(spec)
    # EMA(30) needs 3 * 30 = 90 candles (more than MACD's 3 * 26 + 9 = 87); the deepest look-back is
    # don.lower[1] in a crossing (2).
    assert "startup_candle_count = 92" in source


def test_embedded_spec_errors_are_clear() -> None:
    with pytest.raises(SpecValidationError, match="not rendered by GenTrade"):
        embedded_spec("x = 1\n")
    with pytest.raises(SpecValidationError, match="not Python source"):
        embedded_spec("def (:\n")


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_freqtrade_strategy_resolver_loads_it(spec: StrategySpec, tmp_path: Path) -> None:
    from freqtrade.resolvers import StrategyResolver

    (tmp_path / strategy_filename(spec)).write_text(render(spec))
    config = {
        "strategy": spec.name,
        "strategy_path": str(tmp_path),
        "user_data_dir": tmp_path,
        "stake_currency": "BTC",
        "dry_run": True,
        "trading_mode": "futures" if spec.direction != "long" else "spot",
        "margin_mode": "isolated" if spec.direction != "long" else "",
        "exchange": {"name": "binance", "pair_whitelist": spec.pairs},
    }
    strategy = StrategyResolver.load_strategy(config)
    assert type(strategy).__name__ == spec.name
    assert strategy.position_adjustment_enable is True
    assert strategy.use_custom_stoploss is True
    assert strategy.timeframe == spec.timeframe
    # The two per-candle callbacks opt out of freqtrade's defensive deep copy of the trade.
    assert strategy.custom_stoploss.__qualname__ == "IStrategy.custom_stoploss"
    assert strategy.adjust_trade_position.__qualname__ == "IStrategy.adjust_trade_position"


def test_a_hostile_description_cannot_escape_the_docstring() -> None:
    from gentrade.safety import audit

    hostile = dict(EVERY_INDICATOR, name="Hostile", description='x"""\nimport os\nos.system("id")\n"""\\')
    spec = parse_spec(hostile)
    source = render(spec)
    assert audit(source, filename="Hostile.py").ok
    assert embedded_spec(source) == spec
    assert "import os" not in source.split("GENTRADE_SPEC")[0]
