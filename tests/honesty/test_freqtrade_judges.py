"""freqtrade's own judges on GenTrade's strategies: plain `freqtrade` against the local testnet.

- `freqtrade backtesting` (the plain CLI) makes the same trades as GenTrade's runner on the same candles;
- `freqtrade lookahead-analysis` finds no look-ahead bias in any bundled example;
- `freqtrade recursive-analysis` finds every indicator within 0.1 % of its 1000-candle value at the rendered
  startup_candle_count.

The candles are the real ones put on each market's tick grid by ``gentrade.data.grid``, the same path the
runner's own copy takes (issue 12.2). The raw files carry float noise (an open of 0.08949995000000001);
freqtrade rounds an exit price to the tick (0.08949995), finds it 1e-17 below that candle's low, does not
fill it, and lookahead-analysis then reports a "biased" entry. The grid removes only that noise.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gentrade.codegen import render, strategy_filename
from gentrade.data import grid, markets
from gentrade.engine import run_backtest
from gentrade.examples import load_example, load_examples
from gentrade.exchange.server import TestnetHandle, start_testnet
from gentrade.freqtrade_config import ConfigRequest, Target, write_config

FREQTRADE = str(Path(sys.executable).parent / "freqtrade")
PAIRS = ("ETH/BTC", "LTC/BTC", "ADA/BTC")
TIMERANGE = "20180110-20180130"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clean_data(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    datadir = tmp_path_factory.mktemp("data")
    ticks = grid.market_ticks(markets.snapshot_for_datadir(shared_data_dir, list(PAIRS)))
    moved = grid.gridded_copy(shared_data_dir, datadir, list(PAIRS), ["5m"], ticks)
    assert moved.moved > 0  # the raw files really are off the grid
    return datadir


@pytest.fixture(scope="module")
def testnet(clean_data: Path) -> Iterator[TestnetHandle]:
    with start_testnet(clean_data) as handle:
        yield handle


@pytest.fixture(scope="module")
def workdir(testnet: TestnetHandle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ft")
    (root / "user_data").mkdir()
    (root / "strategies").mkdir()
    for spec in load_examples():
        (root / "strategies" / strategy_filename(spec)).write_text(render(spec))
    write_config(
        ConfigRequest(target=Target.LOCAL, url=testnet.url, pairs=PAIRS, stake_currency="BTC"),
        root / "config.json",
    )
    return root


def freqtrade(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREQTRADE__")}
    result = subprocess.run(
        [FREQTRADE, *args, "-c", str(workdir / "config.json"), "--userdir", str(workdir / "user_data")],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_plain_freqtrade_cli_makes_the_same_trades_as_the_runner(
    workdir: Path, clean_data: Path, tmp_path: Path
) -> None:
    spec = load_example("trend_following")
    strategy = workdir / "strategies" / strategy_filename(spec)
    ours = run_backtest(strategy, clean_data, TIMERANGE, list(PAIRS), results_dir=tmp_path / "ours")
    # Same run settings as the runner's: its config is written next to its result, plain-freqtrade readable.
    assert ours.run is not None and ours.run.run_dir is not None
    runner_config = json.loads((ours.run.run_dir / "config.json").read_text())
    plain_config = json.loads((workdir / "config.json").read_text())
    runner_config["exchange"] = {**plain_config["exchange"], "pair_whitelist": list(PAIRS)}
    config = tmp_path / "plain.json"
    config.write_text(json.dumps(runner_config))
    out = tmp_path / "plain"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREQTRADE__")}
    run = subprocess.run(
        [
            FREQTRADE,
            "backtesting",
            "-c",
            str(config),
            "--userdir",
            str(workdir / "user_data"),
            "--strategy",
            spec.name,
            "--strategy-path",
            str(strategy.parent),
            "--datadir",
            str(clean_data),
            "--timerange",
            TIMERANGE,
            "--cache",
            "none",
            "--export",
            "trades",
            "--backtest-directory",
            str(out),
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    [archive] = out.glob("*.zip")
    with zipfile.ZipFile(archive) as zipped:
        [name] = [n for n in zipped.namelist() if n.endswith(".json") and "_config" not in n]
        plain = json.loads(zipped.read(name))["strategy"][spec.name]["trades"]

    def key(pair: str, opened: object, closed: object, profit: float) -> tuple:
        return pair, str(opened)[:16].replace("T", " "), str(closed)[:16].replace("T", " "), round(profit, 8)

    assert [key(t["pair"], t["open_date"], t["close_date"], t["profit_abs"]) for t in plain] == [
        key(t.pair, t.open_date, t.close_date, t.profit_abs) for t in ours.trade_list
    ]
    assert len(plain) == ours.trades > 0
    tags = sorted(o["ft_order_tag"] for t in plain for o in t["orders"] if not o["ft_is_entry"])
    our_tags = [o.tag for t in ours.trade_list for o in t.orders if not o.is_entry]
    named = [tag for tag in our_tags if tag is not None]
    assert named == our_tags  # every exit order carries its tag
    assert tags == sorted(named)


@pytest.mark.parametrize("name", ["TrendFollower", "MeanReversion", "Breakout"])
def test_lookahead_analysis_finds_no_bias(workdir: Path, clean_data: Path, name: str) -> None:
    report = workdir / f"lookahead-{name}.csv"
    freqtrade(
        workdir,
        "lookahead-analysis",
        "--strategy",
        name,
        "--strategy-path",
        str(workdir / "strategies"),
        "--datadir",
        str(clean_data),
        "--timerange",
        TIMERANGE,
        "--lookahead-analysis-exportfilename",
        str(report),
    )
    [row] = [r for r in csv.DictReader(report.open()) if r["strategy"] == name]
    assert int(row["total_signals"]) >= 10
    assert row["has_bias"] == "False", row
    assert row["biased_entry_signals"] == "0" and row["biased_exit_signals"] == "0", row


def test_recursive_analysis_finds_indicators_settled(workdir: Path, clean_data: Path) -> None:
    spec = load_example("trend_following")
    startup = render(spec).split("startup_candle_count = ")[1].split("\n")[0]
    result = freqtrade(
        workdir,
        "recursive-analysis",
        "--strategy",
        spec.name,
        "--strategy-path",
        str(workdir / "strategies"),
        "--datadir",
        str(clean_data),
        "--timerange",
        "20180115-20180120",
        "--startup-candle",
        startup,
        "1000",
    )
    output = result.stdout + result.stderr
    # The table compares each indicator computed with the rendered startup against 1000 startup candles.
    rows = re.findall(r"│\s*(\w+)\s*│\s*(-?[\d.]+)%\s*│", output)
    variance = {name: abs(float(value)) for name, value in rows}
    assert variance, output[-4000:]
    assert max(variance.values()) < 0.1, variance  # percent
