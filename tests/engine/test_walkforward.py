"""Walk-forward optimisation on the real candles: sandboxed hyperopt searches, then ordinary backtests of the
best parameters on the in-sample and on the held-back windows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gentrade.codegen import render
from gentrade.data.markets import save_snapshot, snapshot_for_datadir
from gentrade.engine.hyperopt_worker import HyperoptJob
from gentrade.engine.launch import child_environment
from gentrade.engine.walkforward import Progress, WalkForwardRequest, walk_forward, windows
from gentrade.errors import OptimizeFailedError
from gentrade.examples import load_example
from gentrade.freqtrade_config.backtest import Costs, build_backtest_config
from gentrade.safety.guard_policy import SANDBOX_EXIT_CODE, violation_from_report
from gentrade.spec import AtrMultiple, StrategySpec, parse_spec

SEARCH = {
    "entry_long.all[1].right": [15, 35],
    "stop.initial.atr": [1, 3],
    "take_profit[0].target.r": [0.5, 1.5],
}


def ranged_spec() -> StrategySpec:
    data = load_example("trend_following").model_dump(mode="json", exclude_none=True)
    return parse_spec({**data, "pairs": ["ETH/BTC"], "search": SEARCH})


def test_windows_roll_forward_and_held_back_windows_tile_the_end() -> None:
    assert windows("20180110-20180130", 2, 0.7) == [
        ("20180110-20180124", "20180124-20180127"),
        ("20180113-20180127", "20180127-20180130"),
    ]
    assert windows("20180101-20180111", 1, 0.8) == [("20180101-20180109", "20180109-20180111")]
    with pytest.raises(OptimizeFailedError, match="too short"):
        windows("20180110-20180113", 3, 0.7)
    with pytest.raises(OptimizeFailedError, match="not YYYYMMDD"):
        windows("yesterday", 2, 0.7)


@pytest.mark.slow
def test_each_fold_reports_in_sample_and_held_back_from_the_best_of_parallel_searches(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    seen: list[Progress] = []
    request = WalkForwardRequest(
        spec=ranged_spec(),
        datadir=shared_data_dir,
        timerange="20180110-20180130",
        loss="sharpe",
        epochs=4,
        folds=2,
        jobs=2,
    )
    report = walk_forward(request, tmp_path, on_progress=seen.append)

    assert [fold.in_sample.timerange for fold in report.folds] == ["20180110-20180124", "20180113-20180127"]
    assert [fold.held_back.timerange for fold in report.folds] == ["20180124-20180127", "20180127-20180130"]
    assert report.spaces == ["buy", "ladder", "stop"] and report.loss_class == "SharpeHyperOptLoss"
    for index, fold in enumerate(report.folds, start=1):
        assert fold.epochs == 4
        # Both parallel searches ran, each with its own random state and its own share of the epochs.
        epochs_per_search = []
        for search in sorted((tmp_path / f"fold{index}").glob("search*")):
            [results] = search.glob("hyperopt_results/*.fthypt")
            lines = [json.loads(line) for line in results.read_text().splitlines()]
            epochs_per_search.append(len(lines))
            assert all(set(line["params_dict"]) == {p for p in fold.params} for line in lines)
        assert epochs_per_search == [2, 2]
        # The in-sample backtest of the best parameters is the epoch hyperopt scored: Sharpe loss = -Sharpe.
        assert fold.in_sample.sharpe == pytest.approx(-fold.best_loss, rel=1e-6)
        assert fold.in_sample.trades > 0 and fold.held_back.trades > 0
        assert fold.degradation_pct_per_day == pytest.approx(
            fold.in_sample.profit_pct_per_day - fold.held_back.profit_pct_per_day
        )
        for name, value in fold.params.items():
            low, high = {
                "buy_entry_long_all_1_right": (15, 35),
                "stop_initial": (1, 3),
                "ladder_tp1_target": (0.5, 1.5),
            }[name]
            assert low <= value <= high
    # The proposed spec carries the last fold's values, ranges kept.
    assert isinstance(report.spec.stop.initial, AtrMultiple)
    assert report.spec.stop.initial.atr == pytest.approx(report.params["stop_initial"])
    assert report.spec.search == ranged_spec().search
    assert seen[-1].fold == 2 and seen[-1].epochs_done == 8 and seen[-1].epochs_total == 8
    assert any(p.phase == "search" and p.best_loss is not None for p in seen)


def test_a_spec_without_ranges_is_refused(shared_data_dir: Path, tmp_path: Path) -> None:
    spec = load_example("trend_following")
    request = WalkForwardRequest(spec=spec, datadir=shared_data_dir, timerange="20180110-20180130")
    with pytest.raises(OptimizeFailedError, match="no search ranges"):
        walk_forward(request, tmp_path)


@pytest.mark.slow
def test_a_search_whose_strategy_changes_the_runs_settings_ends_as_a_sandbox_violation(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    """The hyperopt child holds the same run-settings check and seal as the backtest child. The product only
    ever searches rendered strategies; this one gets a hostile ``bot_start`` appended (through a helper's
    parameter, a path the audit does not follow) and is run in the real worker, guard and OS layers on."""
    spec = ranged_spec()
    strategies = tmp_path / "strategies"
    strategies.mkdir()
    strategy_file = strategies / f"{spec.name}.py"
    hostile = (
        "\n\ndef _loosen(settings):\n    settings['stake_amount'] = 1\n\n\n"
        f"{spec.name}.bot_start = lambda self, **kwargs: _loosen(self.config)\n"
    )
    strategy_file.write_text(render(spec) + hostile)
    run_dir = tmp_path / "search"
    run_dir.mkdir()
    config = build_backtest_config(
        strategy=spec.name,
        pairs=list(spec.pairs),
        datadir=shared_data_dir,
        user_data_dir=run_dir,
        timerange="20180110-20180114",
        timeframe=spec.timeframe,
        costs=Costs(),
    )
    (run_dir / "config.json").write_text(json.dumps(config))
    markets = snapshot_for_datadir(shared_data_dir, list(spec.pairs))
    job = HyperoptJob(
        config_file=run_dir / "config.json",
        markets_file=save_snapshot(markets, tmp_path / "markets.json"),
        strategy=spec.name,
        strategy_file=strategy_file,
        datadir=shared_data_dir,
        run_dir=run_dir,
        timerange="20180110-20180114",
        loss="sharpe",
        spaces=["stop"],
        epochs=2,
        random_state=1,
    )
    (run_dir / "job.json").write_text(job.model_dump_json())
    done = subprocess.run(
        [sys.executable, "-m", "gentrade.engine.hyperopt_worker", str(run_dir / "job.json")],
        capture_output=True,
        text=True,
        env=child_environment(),
        timeout=300,
    )
    assert done.returncode == SANDBOX_EXIT_CODE, done.stdout[-2000:] + done.stderr[-2000:]
    violation = violation_from_report(done.stdout + done.stderr)
    assert violation is not None and "stake_amount 1 instead of" in violation.message
    assert not (run_dir / "status.json").exists()
