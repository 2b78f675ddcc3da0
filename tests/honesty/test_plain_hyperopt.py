"""Plain `freqtrade hyperopt` on a generated file with search ranges, unchanged, against the local testnet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gentrade.codegen import render
from gentrade.examples import load_example
from gentrade.exchange.server import start_testnet
from gentrade.freqtrade_config import ConfigRequest, Target, write_config
from gentrade.spec import parse_spec

FREQTRADE = str(Path(sys.executable).parent / "freqtrade")
RANGES = {
    "indicators.ema_fast.period": [10, 30],
    "entry_long.all[1].right": [15, 35],
    "stop.initial.atr": [1, 3],
    "stop.trailing.distance.atr": [1, 4],
    "take_profit[0].target.r": [0.5, 1.5],
    "take_profit[0].fraction": [0.2, 0.5],
}

pytestmark = pytest.mark.slow


def test_plain_freqtrade_hyperopt_searches_every_space_of_a_generated_file(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    data = load_example("trend_following").model_dump(mode="json", exclude_none=True)
    spec = parse_spec({**data, "name": "TrendRanged", "search": RANGES})
    (tmp_path / "strategies").mkdir()
    (tmp_path / "user_data").mkdir()
    (tmp_path / "strategies" / "TrendRanged.py").write_text(render(spec))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREQTRADE__")}
    with start_testnet(shared_data_dir) as testnet:
        write_config(
            ConfigRequest(
                target=Target.LOCAL, url=testnet.url, pairs=("ETH/BTC", "LTC/BTC"), stake_currency="BTC"
            ),
            tmp_path / "config.json",
        )
        run = subprocess.run(
            [
                FREQTRADE,
                "hyperopt",
                "-c",
                str(tmp_path / "config.json"),
                "--userdir",
                str(tmp_path / "user_data"),
                "--strategy",
                "TrendRanged",
                "--strategy-path",
                str(tmp_path / "strategies"),
                "--datadir",
                str(shared_data_dir),
                "--timerange",
                "20180110-20180125",
                "--hyperopt-loss",
                "SharpeHyperOptLoss",
                "--spaces",
                "buy",
                "stop",
                "ladder",
                "-e",
                "6",
                "-j",
                "1",
                "--random-state",
                "1",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert run.returncode == 0, run.stderr[-3000:]
    # The period is optimised through `.range`, not frozen at its default (freqtrade warns when frozen).
    assert "analyze-per-epoch" not in run.stdout + run.stderr
    [results] = (tmp_path / "user_data" / "hyperopt_results").glob("strategy_TrendRanged_*.fthypt")
    epochs = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(epochs) == 6
    names = {
        "buy_ema_fast_period",
        "buy_entry_long_all_1_right",
        "stop_initial",
        "stop_trailing",
        "ladder_tp1_target",
        "ladder_tp1_fraction",
    }
    assert all(set(epoch["params_dict"]) == names for epoch in epochs)
    assert {space for epoch in epochs for space in epoch["params_details"]} >= {"buy", "stop", "ladder"}
    # Different parameters lead to different backtests: the parameters reach the strategy's code.
    assert len({epoch["results_metrics"]["total_trades"] for epoch in epochs}) > 1
    assert len({epoch["params_dict"]["buy_ema_fast_period"] for epoch in epochs}) > 1
    # The best parameters are exported next to the strategy file, as freqtrade does for any strategy.
    exported = json.loads((tmp_path / "strategies" / "TrendRanged.json").read_text())
    assert set(exported["params"]) >= {"buy"}
