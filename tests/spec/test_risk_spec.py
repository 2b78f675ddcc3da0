"""The spec's ``risk:`` section: validation with field paths, and what the renderer writes for it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gentrade.codegen import embedded_spec, render, strategy_filename
from gentrade.errors import SpecValidationError
from gentrade.examples import load_examples
from gentrade.safety import audit
from gentrade.spec import parse_spec

BASE: dict[str, Any] = {
    "name": "RiskSpecProbe",
    "pairs": ["BTC/USDT"],
    "entry_long": {"left": "close", "op": ">", "right": 0},
    "stop": {"initial": {"atr": 2}},
}
FULL_RISK: dict[str, Any] = {
    "max_open_trades": 2,
    "risk_per_trade": "1%",
    "max_stake_fraction": 0.3,
    "daily_loss_limit": 3,
    "protections": [
        {"method": "StoplossGuard", "trade_limit": 3, "only_per_pair": False},
        {"method": "MaxDrawdown", "max_allowed_drawdown": 0.1},
        {"method": "CooldownPeriod", "stop_duration_candles": 2},
        {"method": "LowProfitPairs", "required_profit": 0.01, "lookback_period_candles": 48},
    ],
}


def test_every_bad_field_is_named_at_once() -> None:
    bad = {
        "risk_per_trade": "120%",
        "daily_loss_limit": -1,
        "max_stake_fraction": 1.5,
        "max_open_trades": 0,
        "protections": [
            {"method": "CooldownPeriod", "stop_duration_candles": -2},
            {"method": "StoplossGuard", "trade_limit": 0},
            {"method": "MaxDrawdown", "max_allowed_drawdown": 2},
            {"method": "Martingale"},
            {"method": "LowProfitPairs", "lookback": 5},
        ],
    }
    with pytest.raises(SpecValidationError) as caught:
        parse_spec({**BASE, "risk": bad})
    paths = {problem["path"] for problem in caught.value.details}
    assert paths == {
        "risk.risk_per_trade",
        "risk.daily_loss_limit",
        "risk.max_stake_fraction",
        "risk.max_open_trades",
        "risk.protections[0].stop_duration_candles",
        "risk.protections[1].trade_limit",
        "risk.protections[2].max_allowed_drawdown",
        "risk.protections[3].method",
        "risk.protections[4].lookback",
    }


def test_a_stake_cap_without_risk_sizing_is_named() -> None:
    with pytest.raises(SpecValidationError) as caught:
        parse_spec({**BASE, "risk": {"max_stake_fraction": 0.5}})
    assert [p["path"] for p in caught.value.details] == ["risk.max_stake_fraction"]


def test_percent_may_be_written_with_the_sign() -> None:
    risk = parse_spec({**BASE, "risk": {"risk_per_trade": "1.5 %", "daily_loss_limit": 2}}).risk
    assert risk is not None and risk.risk_per_trade == 1.5 and risk.daily_loss_limit == 2.0


def test_specs_without_risk_render_no_risk_code() -> None:
    for spec in load_examples():
        source = render(spec)
        assert "Account limits" not in source
        for name in ("protections", "custom_stake_amount", "confirm_trade_entry", "max_open_trades"):
            assert name not in source


def test_risk_section_renders_audited_lint_clean_code_that_round_trips(tmp_path: Path) -> None:
    spec = parse_spec({**BASE, "risk": FULL_RISK})
    source = render(spec)
    assert render(spec) == source
    assert embedded_spec(source) == spec
    assert audit(source, filename=strategy_filename(spec)).ok
    (tmp_path / strategy_filename(spec)).write_text(source)
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    linted = subprocess.run(
        [ruff, "check", "--no-cache", "--isolated", "--select", "E,F,W,B", "--ignore", "E501", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_freqtrade_loads_the_protections_and_limits(tmp_path: Path) -> None:
    from freqtrade.resolvers import StrategyResolver

    spec = parse_spec({**BASE, "risk": FULL_RISK})
    (tmp_path / strategy_filename(spec)).write_text(render(spec))
    config: dict[str, Any] = {
        "strategy": spec.name,
        "strategy_path": str(tmp_path),
        "user_data_dir": tmp_path,
        "stake_currency": "USDT",
        "dry_run": True,
        "exchange": {"name": "binance", "pair_whitelist": spec.pairs},
    }
    strategy = StrategyResolver.load_strategy(config)
    assert config["max_open_trades"] == 2
    assert [p["method"] for p in strategy.protections] == [
        "StoplossGuard",
        "MaxDrawdown",
        "CooldownPeriod",
        "LowProfitPairs",
    ]
    guard = strategy.protections[0]
    assert guard["trade_limit"] == 3 and guard["only_per_pair"] is False
    assert strategy.protections[1]["calculation_mode"] == "equity"
    assert strategy.gt_risk_per_trade == pytest.approx(0.01)
    assert strategy.gt_daily_loss_limit == pytest.approx(0.03)
    assert strategy.gt_max_stake_fraction == pytest.approx(0.3)
