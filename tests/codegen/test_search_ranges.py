"""Search ranges in a spec become freqtrade hyperopt parameters whose defaults trade exactly like the spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gentrade.codegen import render
from gentrade.engine import run_backtest
from gentrade.errors import SpecValidationError
from gentrade.examples import load_example
from gentrade.spec import parse_spec

RANGES = {
    "indicators.ema_fast.period": [10, 30],
    "entry_long.all[1].right": [15, 35],
    "stop.initial.atr": [1, 3],
    "stop.trailing.distance.atr": [1, 4],
    "take_profit[0].target.r": [0.5, 1.5],
    "take_profit[0].fraction": [0.2, 0.5],
}


def ranged_spec(name: str = "TrendRanged", search: dict[str, Any] | None = None) -> dict[str, Any]:
    data = load_example("trend_following").model_dump(mode="json", exclude_none=True)
    return {**data, "name": name, "search": RANGES if search is None else search}


def test_each_range_is_a_parameter_in_its_space_with_the_spec_value_as_default(tmp_path: Path) -> None:
    from freqtrade.resolvers import StrategyResolver
    from freqtrade.strategy.hyper import detect_all_parameters

    (tmp_path / "TrendRanged.py").write_text(render(parse_spec(ranged_spec())))
    strategy = StrategyResolver.load_strategy(
        {
            "strategy": "TrendRanged",
            "strategy_path": str(tmp_path),
            "stake_currency": "BTC",
            "stake_amount": "unlimited",
            "dry_run_wallet": 1,
            "user_data_dir": tmp_path,
            "pairlists": [{"method": "StaticPairList"}],
            "exchange": {"name": "binance", "pair_whitelist": ["ETH/BTC"]},
            "entry_pricing": {},
            "exit_pricing": {},
        }
    )
    spaces = detect_all_parameters(strategy)
    found = {space: {name: p.value for name, p in params.items()} for space, params in spaces.items()}
    assert found == {
        "buy": {"buy_ema_fast_period": 20, "buy_entry_long_all_1_right": 20.0},
        "stop": {"stop_initial": 2.0, "stop_trailing": 2.0},
        "ladder": {"ladder_tp1_fraction": 0.4, "ladder_tp1_target": 1.0},
    }
    assert strategy.gt_stop == ("atr", 2.0)
    assert strategy.gt_trailing == (2, "atr", 2.0)
    assert strategy.gt_targets == (("r", 1.0, 0.4), ("r", 2.0, 0.3), ("r", 3.0, 0.3))
    strategy.stop_initial.value = 1.5
    strategy.ladder_tp1_target.value = 0.75
    assert strategy.gt_stop == ("atr", 1.5)
    assert strategy.gt_targets[0] == ("r", 0.75, 0.4)


@pytest.mark.slow
def test_defaults_make_exactly_the_trades_of_the_spec_without_ranges(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    plain = parse_spec({**ranged_spec("TrendPlain"), "search": None})
    ranged = parse_spec(ranged_spec())
    results = []
    for spec in (plain, ranged):
        path = tmp_path / f"{spec.name}.py"
        path.write_text(render(spec))
        result = run_backtest(
            path,
            shared_data_dir,
            "20180110-20180125",
            ["ETH/BTC", "LTC/BTC"],
            results_dir=tmp_path / spec.name,
        )
        results.append([trade.model_dump() for trade in result.trade_list])
    assert len(results[0]) > 10
    assert results[0] == results[1]


def test_bad_ranges_name_every_bad_path_at_once() -> None:
    bad = {
        "indicators.ema_fast.perio": [10, 30],
        "entry_long.all[0].right": [1, 2],
        "stop.initial.percent": [1, 3],
        "take_profit[2].fraction": [0.2, 0.3],
        "take_profit[0].target.r": [3, 1],
        "indicators.ema_slow.period": [55, 80],
    }
    with pytest.raises(SpecValidationError) as caught:
        parse_spec(ranged_spec(search=bad))
    message = str(caught.value)
    for path, reason in [
        ("indicators.ema_fast.perio", "not an integer parameter"),
        ("entry_long.all[0].right", "not a number"),
        ("stop.initial.percent", "written in 'atr'"),
        ("take_profit[2].fraction", "last level"),
        ("take_profit[0].target.r", "must be below"),
        ("indicators.ema_slow.period", "must lie within"),
    ]:
        assert f"{path}: " in message and reason in message, (path, message)


def test_ranges_that_could_combine_badly_are_refused() -> None:
    with pytest.raises(SpecValidationError, match="nothing for the last level"):
        parse_spec(
            ranged_spec(
                search={"take_profit[0].fraction": [0.3, 0.45], "take_profit[1].fraction": [0.2, 0.6]}
            )
        )
    with pytest.raises(SpecValidationError, match=r"take_profit\[1\].target: its range must lie beyond"):
        parse_spec(ranged_spec(search={"take_profit[0].target.r": [0.5, 2.5]}))


def test_a_ranged_strategy_passes_the_same_linter_and_audit_as_any_generated_file(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    from gentrade.safety import require_clean

    source = render(parse_spec(ranged_spec()))
    require_clean(source, filename="TrendRanged.py")
    (tmp_path / "TrendRanged.py").write_text(source)
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run(
        [ruff, "check", "--no-cache", "--isolated", "--select", "E,F,W,B", "--ignore", "E501", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
