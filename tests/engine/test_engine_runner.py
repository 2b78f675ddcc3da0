"""run_backtest end to end: freqtrade's own engine in a contained child, on real and synthetic candles."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import psutil
import pytest

from gentrade.engine import BacktestResult, run_backtest
from gentrade.errors import (
    AuditFailedError,
    BacktestFailedError,
    BacktestTimeoutError,
    ConfigError,
    DataMissingError,
    StrategyLoadError,
    StrategyRuntimeError,
)

PAIRS = ["ETH/BTC", "ADA/BTC", "LTC/BTC"]
TIMERANGE = "20180111-20180130"

pytestmark = pytest.mark.slow


def write_strategy(folder: Path, name: str, indicators: str, *, class_body: str = "") -> Path:
    """A minimal strategy whose populate_indicators body is ``indicators``; it never enters a trade."""
    path = folder / f"{name}.py"
    path.write_text(
        "import numpy as np\n"
        "from pandas import DataFrame\n\n"
        "from freqtrade.strategy import IStrategy\n\n\n"
        f"class {name}(IStrategy):\n"
        '    timeframe = "5m"\n'
        '    minimal_roi = {"0": 0.05}\n'
        "    stoploss = -0.1\n"
        f"{class_body}\n"
        "    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:\n"
        f"{indicators}\n"
        "        return dataframe\n\n"
        "    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:\n"
        '        dataframe["enter_long"] = 0\n'
        "        return dataframe\n\n"
        "    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:\n"
        '        dataframe["exit_long"] = 0\n'
        "        return dataframe\n"
    )
    return path


@pytest.fixture(scope="module")
def sample_result(
    sample_strategy_file: Path, shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> BacktestResult:
    results = tmp_path_factory.mktemp("results")
    return run_backtest(sample_strategy_file, shared_data_dir, TIMERANGE, PAIRS, results_dir=results)


def test_sample_strategy_on_real_candles(sample_result: BacktestResult) -> None:
    r = sample_result
    assert (r.strategy, r.timeframe, r.timerange, r.pairs) == ("SampleStrategy", "5m", TIMERANGE, PAIRS)
    assert r.trades > 0
    assert r.wins + r.draws + r.losses == r.trades == len(r.trade_list)
    assert sum(row.trades for row in r.per_pair) == r.trades
    assert {row.pair for row in r.per_pair} == set(PAIRS)
    assert (r.exchange_fee, r.slippage, r.fee) == (0.001, 0.0005, 0.0015)
    assert all(t.fee_open == t.fee_close == 0.0015 for t in r.trade_list)
    assert sum(r.exit_reasons.values()) == r.trades  # SampleStrategy makes no partial exits
    assert r.final_balance == pytest.approx(r.starting_balance + r.profit_total_abs)
    assert all(len(t.orders) == 2 and t.orders[0].is_entry and t.orders[1].tag for t in r.trade_list)
    assert r.run is not None and r.run.result_zip.is_file()
    assert "run" not in r.model_dump()


def test_metrics_are_freqtrades_own(sample_result: BacktestResult) -> None:
    from freqtrade.data.btanalysis import get_backtest_resultlist, load_backtest_data, load_backtest_stats

    assert sample_result.run is not None
    zip_path = sample_result.run.result_zip
    stats = load_backtest_stats(zip_path)["strategy"]["SampleStrategy"]
    assert sample_result.trades == stats["total_trades"]
    assert sample_result.profit_total_abs == stats["profit_total_abs"]
    assert sample_result.final_balance == stats["final_balance"]
    assert sample_result.max_drawdown_abs == stats["max_drawdown_abs"]
    assert sample_result.sharpe == stats["sharpe"]
    assert sample_result.sortino == stats["sortino"]
    assert sample_result.calmar == stats["calmar"]
    assert sample_result.profit_factor == stats["profit_factor"]
    assert sample_result.expectancy == stats["expectancy"]
    assert sample_result.win_rate == stats["winrate"]
    assert sample_result.backtest_start.timestamp() * 1000 == stats["backtest_start_ts"]
    trades = load_backtest_data(zip_path)
    assert trades["profit_abs"].sum() == pytest.approx(sample_result.profit_total_abs)
    assert sorted(trades["pair"]) == sorted(t.pair for t in sample_result.trade_list)
    # What freqtrade's webserver lists for FreqUI: the zip is where and how freqtrade left it.
    [listed] = get_backtest_resultlist(zip_path.parent)
    assert (listed["filename"], listed["strategy"]) == (zip_path.stem, "SampleStrategy")


def test_same_inputs_give_the_same_json(
    sample_result: BacktestResult, sample_strategy_file: Path, shared_data_dir: Path, tmp_path: Path
) -> None:
    """A fresh run, fed the first run's markets as a captured snapshot, reproduces the result exactly."""
    assert sample_result.run is not None and sample_result.run.run_dir is not None
    snapshot = sample_result.run.run_dir / "markets.json"
    again = run_backtest(
        sample_strategy_file, shared_data_dir, TIMERANGE, PAIRS, results_dir=tmp_path, markets_file=snapshot
    )
    assert again.run is not None
    assert again.run.run_dir != sample_result.run.run_dir  # a new run, not a reused result
    assert again.model_dump_json() == sample_result.model_dump_json()


def test_captured_snapshot_must_cover_the_pairs(
    sample_strategy_file: Path, shared_data_dir: Path, tmp_path: Path
) -> None:
    from gentrade.data.markets import save_snapshot, snapshot_for_datadir

    snapshot = save_snapshot(snapshot_for_datadir(shared_data_dir, ["ETH/BTC"]), tmp_path / "markets.json")
    with pytest.raises(ConfigError, match="no market for ADA/BTC"):
        run_backtest(
            sample_strategy_file, shared_data_dir, TIMERANGE, ["ETH/BTC", "ADA/BTC"],
            results_dir=tmp_path / "runs", markets_file=snapshot,
        )  # fmt: skip


def test_sample_strategy_on_synthetic_usdt_candles(
    sample_strategy_file: Path, synthetic_data_dir: Path, tmp_path: Path
) -> None:
    result = run_backtest(sample_strategy_file, synthetic_data_dir, "20240102-", results_dir=tmp_path)
    assert result.pairs == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    assert result.stake_currency == "USDT"
    assert result.trades > 0
    assert BacktestResult.model_validate_json(result.model_dump_json()) == result.model_copy(
        update={"run": None}
    )


def test_zero_trades_is_a_result(synthetic_data_dir: Path, tmp_path: Path) -> None:
    strategy = write_strategy(tmp_path, "NeverEnters", "        pass")
    result = run_backtest(strategy, synthetic_data_dir, None, ["BTC/USDT"], results_dir=tmp_path / "runs")
    assert (result.trades, result.trade_list, result.exit_reasons) == (0, [], {})
    assert result.final_balance == result.starting_balance


def test_missing_pair_is_named_before_any_run(
    sample_strategy_file: Path, shared_data_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(DataMissingError, match=r"XRP/BTC 5m: no candles"):
        run_backtest(
            sample_strategy_file, shared_data_dir, TIMERANGE, ["ETH/BTC", "XRP/BTC"], results_dir=tmp_path
        )
    with pytest.raises(DataMissingError, match=r"ETH/BTC 5m: missing 2018-01-30 04:55 → 2018-03-01 00:00"):
        run_backtest(
            sample_strategy_file, shared_data_dir, "20180115-20180301", ["ETH/BTC"], results_dir=tmp_path
        )
    with pytest.raises(DataMissingError, match=r"no 1h candles"):
        run_backtest(sample_strategy_file, shared_data_dir, None, timeframe="1h", results_dir=tmp_path)
    assert not any(tmp_path.iterdir())  # refused before a run directory was made


def test_audit_runs_first(shared_data_dir: Path, tmp_path: Path) -> None:
    strategy = write_strategy(tmp_path, "Shell", '        __import__("os").system("true")')
    with pytest.raises(AuditFailedError):
        run_backtest(strategy, shared_data_dir, TIMERANGE, PAIRS, results_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


def test_error_in_populate_indicators_reports_freqtrades_message(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    strategy = write_strategy(
        tmp_path, "Exploding", '        raise ValueError("indicator exploded for " + metadata["pair"])'
    )
    with pytest.raises(StrategyRuntimeError) as caught:
        run_backtest(strategy, shared_data_dir, TIMERANGE, ["ETH/BTC"], results_dir=tmp_path / "runs")
    assert caught.value.message.startswith("ValueError: indicator exploded for ETH/BTC (at Exploding.py:")
    assert "in populate_indicators" in caught.value.message


def test_strategy_that_cannot_load(shared_data_dir: Path, tmp_path: Path) -> None:
    strategy = write_strategy(
        tmp_path, "Unloadable", "        pass", class_body="    limit = undefined_setting * 2\n"
    )
    with pytest.raises(StrategyLoadError) as caught:
        run_backtest(strategy, shared_data_dir, TIMERANGE, ["ETH/BTC"], results_dir=tmp_path / "runs")
    assert "Impossible to load Strategy 'Unloadable'" in caught.value.message
    assert "name 'undefined_setting' is not defined" in caught.value.message


def _processes_in(run_dir: str) -> list[psutil.Process]:
    """Processes working in a run dir: the forked backtest child (its command line is the zygote's)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.cwd() == run_dir:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def test_timeout_kills_the_child_and_leaves_no_process(shared_data_dir: Path, tmp_path: Path) -> None:
    strategy = write_strategy(tmp_path, "Spinner", "        while True:\n            pass")
    started = time.monotonic()
    with pytest.raises(BacktestTimeoutError) as caught:
        run_backtest(
            strategy, shared_data_dir, TIMERANGE, ["ETH/BTC"], results_dir=tmp_path / "runs", timeout_s=4
        )
    # Not before its limit; the spinner never ends by itself, so the error at all means the kill came.
    assert time.monotonic() - started >= 4
    run_dir = caught.value.details["run_dir"]
    assert _processes_in(run_dir) == []


def test_memory_limit_is_enforced(shared_data_dir: Path, tmp_path: Path) -> None:
    strategy = write_strategy(tmp_path, "Hungry", "        hoard = np.ones(500_000_000)\n        del hoard")
    with pytest.raises(BacktestFailedError, match="memory limit of 1500 MB"):
        run_backtest(
            strategy, shared_data_dir, TIMERANGE, ["ETH/BTC"], results_dir=tmp_path / "runs", memory_mb=1500
        )


def test_child_has_no_network_here(sample_result: BacktestResult) -> None:
    """Where a network namespace is permitted (root here), the run says so and the next test checks it."""
    assert sample_result.run is not None
    isolation = sample_result.run.network_isolation
    assert isolation is not None and isolation.startswith("private network namespace")


def test_running_child_sees_only_a_loopback(shared_data_dir: Path, tmp_path: Path) -> None:
    """While a backtest runs, its process is in a network namespace of its own with only ``lo``."""
    strategy = write_strategy(tmp_path, "Spinner", "        while True:\n            pass")
    seen: dict[str, object] = {}

    def inspect() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "interfaces" not in seen:
            for proc in psutil.process_iter():
                try:
                    if not proc.cwd().startswith(str(tmp_path / "runs")):
                        continue
                    seen["namespace"] = os.readlink(f"/proc/{proc.pid}/ns/net")
                    dev = Path(f"/proc/{proc.pid}/net/dev").read_text().splitlines()[2:]
                    seen["interfaces"] = sorted(line.split(":")[0].strip() for line in dev)
                except (psutil.Error, OSError):
                    continue
            time.sleep(0.1)

    watcher = threading.Thread(target=inspect)
    watcher.start()
    with pytest.raises(BacktestTimeoutError):
        run_backtest(
            strategy, shared_data_dir, TIMERANGE, ["ETH/BTC"], results_dir=tmp_path / "runs", timeout_s=6
        )
    watcher.join()
    assert seen["interfaces"] == ["lo"]
    assert seen["namespace"] != os.readlink("/proc/self/ns/net")
