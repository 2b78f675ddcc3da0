"""What does the take-profit ladder cost? Four backtests of the same real candles in one run.

(a) freqtrade's own SampleStrategy, the reference;
(b) a GenTrade strategy with its ladder and custom stop, as rendered;
(c) the same strategy's entry/exit signals with a plain fixed stop and no callbacks;
(d) the same ladder written the ordinary freqtrade way: the same callbacks, without the opt-out from
    freqtrade's per-call deep copy of the trade (the two `__qualname__` lines removed).

Each variant runs in its own child process (freqtrade keeps process-wide state) with GenTrade's offline
exchange and backtest config. Two times are reported, medians of --repeat runs: freqtrade's candle loop
(`Backtesting.backtest`, where callbacks cost) and the whole backtest (data load, indicators, loop).
(b) and (d) must make identical trades; the script checks that. Targets: b/c ≤ 1.5 and d/b ≥ 2 (loop).

    .venv/bin/python benchmarks/bench_ladder_overhead.py [--spec trend_following] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "binance"
PAIRS = ["ETH/BTC", "ADA/BTC", "LTC/BTC"]
TIMERANGE = "20180110-20180130"
LABELS = {
    "a": "SampleStrategy (reference)",
    "b": "generated: ladder + custom stop",
    "c": "same signals, fixed stop, no callbacks",
    "d": "same ladder, ordinary callbacks",
}


def write_variants(spec_name: str, workdir: Path) -> dict[str, Path]:
    import freqtrade.templates

    from gentrade.codegen import render
    from gentrade.examples import load_example

    spec = load_example(spec_name)
    source, name = render(spec), spec.name
    plain = source.replace("use_custom_stoploss = True", "use_custom_stoploss = False").replace(
        "position_adjustment_enable = True", "position_adjustment_enable = False"
    )
    ordinary = re.sub(r"\n    \w+\.__qualname__ = \"IStrategy\.\w+\"", "", source)
    if ordinary == source or plain == source:
        raise SystemExit("the rendered source no longer has the expected shape; update this benchmark")
    sample = Path(freqtrade.templates.__file__).parent.joinpath("sample_strategy.py").read_text()
    files = {
        "a": ("SampleStrategy", sample),
        "b": (name, source),
        "c": (f"{name}Plain", plain.replace(f"class {name}(", f"class {name}Plain(")),
        "d": (f"{name}Ordinary", ordinary.replace(f"class {name}(", f"class {name}Ordinary(")),
    }
    paths = {}
    for key, (cls, text) in files.items():
        (workdir / key).mkdir()
        paths[key] = workdir / key / f"{cls}.py"
        paths[key].write_text(text)
    return paths


def child(strategy_file: Path, datadir: Path, workdir: Path) -> None:
    """One backtest in this process; prints a JSON line with the timings and the trades."""
    from freqtrade.data.history import get_timerange
    from freqtrade.data.converter import trim_dataframes
    from freqtrade.enums import RunMode
    from freqtrade.optimize.backtesting import Backtesting
    from freqtrade.configuration import Configuration

    from gentrade.data.markets import snapshot_for_datadir
    from gentrade.engine.config import Costs, build_config
    from gentrade.engine.offline_exchange import build_offline_exchange
    from gentrade.safety import require_clean

    require_clean(strategy_file.read_text(), filename=strategy_file.name)
    config = build_config(
        strategy=strategy_file.stem, pairs=PAIRS, datadir=datadir, user_data_dir=workdir, timerange=TIMERANGE,
        timeframe="5m", costs=Costs(),
    )
    config_file = workdir / f"{strategy_file.stem}.json"
    config_file.write_text(json.dumps(config, default=str))
    args = {"config": [str(config_file)], "strategy": strategy_file.stem, "strategy_path": str(strategy_file.parent),
            "datadir": str(datadir)}
    config = Configuration(args, RunMode.BACKTEST).get_config()
    backtesting = Backtesting(config, exchange=build_offline_exchange(config, snapshot_for_datadir(datadir, PAIRS)))
    started = time.perf_counter()
    data, timerange = backtesting.load_bt_data()
    backtesting._set_strategy(backtesting.strategylist[0])
    processed = backtesting.strategy.advise_all_indicators(data)
    start_date, end_date = get_timerange(trim_dataframes(processed, timerange, backtesting.required_startup))
    loop_started = time.perf_counter()
    results = backtesting.backtest(processed=processed, start_date=start_date, end_date=end_date)
    finished = time.perf_counter()
    trades = results["results"]
    rows = [
        [r.pair, str(r.open_date), str(r.close_date), round(float(r.profit_abs), 10), str(r.exit_reason)]
        for r in trades.itertuples()
    ]
    print(json.dumps({"loop_s": finished - loop_started, "total_s": finished - started, "trades": rows}))


def run_child(path: Path, datadir: Path, workdir: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--datadir", str(datadir), "--workdir", str(workdir)],
        capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"backtest of {path.name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec", default="trend_following")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--datadir", type=Path, default=DATA)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.datadir, args.workdir)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="gentrade-bench-"))
    try:
        paths = write_variants(args.spec, workdir)
        runs: dict[str, list[dict]] = {key: [] for key in paths}
        for _ in range(args.repeat):
            for key, path in paths.items():
                runs[key].append(run_child(path, args.datadir, workdir))
        loop = {k: statistics.median(r["loop_s"] for r in v) for k, v in runs.items()}
        total = {k: statistics.median(r["total_s"] for r in v) for k, v in runs.items()}
        print(f"{len(PAIRS)} pairs, 5m candles {TIMERANGE}; medians of {args.repeat} runs")
        print(f"  {'variant':<46} {'loop s':>7} {'total s':>8} {'trades':>7}")
        for key in paths:
            trades = len(runs[key][-1]["trades"])
            print(f"  ({key}) {LABELS[key]:<42} {loop[key]:7.3f} {total[key]:8.3f} {trades:7d}")
        identical = runs["b"][-1]["trades"] == runs["d"][-1]["trades"]
        print(f"b/c = {loop['b'] / loop['c']:.2f} loop, {total['b'] / total['c']:.2f} total  (target <= 1.5)")
        print(f"d/b = {loop['d'] / loop['b']:.2f} loop, {total['d'] / total['b']:.2f} total  (target >= 2)")
        print(f"b/a = {loop['b'] / loop['a']:.2f} loop, {total['b'] / total['a']:.2f} total  (vs SampleStrategy)")
        print(f"(b) and (d) make identical trades: {identical}")
        return 0 if identical else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
