"""What does the take-profit ladder cost? Four backtests of the same real candles in one run.

(a) freqtrade's own SampleStrategy, the reference;
(b) a GenTrade strategy with its ladder and custom stop, as rendered;
(c) the same strategy's entry/exit signals with a plain fixed stop and no callbacks;
(d) the same ladder written the ordinary freqtrade way: the same callbacks, without the opt-out from
    freqtrade's per-call deep copy of the trade (the two `__qualname__` lines removed).

Each variant runs in its own child process (freqtrade keeps process-wide state) with GenTrade's offline
exchange and backtest config. Two times are reported, medians of --repeat runs: freqtrade's candle loop
(`Backtesting.backtest`, where callbacks cost) and the whole backtest (data load, indicators, loop). Both are
the child's CPU time (`time.process_time`), not wall time: the loop runs on one thread, and CPU time does not
count the moments another process held the core, which made wall-clock ratios swing by 30 % on a busy
2-core machine.
(b) and (d) must make identical trades; the script checks that. Targets: b/c ≤ 1.15 and d/b ≥ 2.5 (loop).
Then (b) and (d) run once more through the plain `freqtrade backtesting` command against GenTrade's local
exchange testnet, timed by wall clock, to show the gain holds for a person's own freqtrade too. Last, hyperopt
throughput: epochs per second of (b) and (d) with search ranges, same seed and epochs (--hyperopt-epochs).
The runtime guard's cost: (b) again with ``gentrade.safety.guard`` installed before the strategy loads, as in
every backtest child, interleaved with the unguarded runs of (b); the ratio is printed next to the spread of
the unguarded runs themselves (the noise it has to stay within).

    .venv/bin/python benchmarks/bench_ladder_overhead.py [--spec trend_following] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
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


def run_config(strategy_file: Path, datadir: Path, workdir: Path) -> dict:
    """GenTrade's backtest config for one variant: the same pairs, range, fees and slippage for all."""
    from gentrade.freqtrade_config.backtest import Costs, build_backtest_config

    return build_backtest_config(
        strategy=strategy_file.stem,
        pairs=PAIRS,
        datadir=datadir,
        user_data_dir=workdir,
        timerange=TIMERANGE,
        timeframe="5m",
        costs=Costs(),
    )


def child(strategy_file: Path, datadir: Path, workdir: Path, guard: bool = False) -> None:
    """One backtest in this process, under the runtime guard if ``guard``; prints a JSON line with the
    timings and the trades."""
    from freqtrade.configuration import Configuration
    from freqtrade.data.converter import trim_dataframes
    from freqtrade.data.history import get_timerange
    from freqtrade.enums import RunMode
    from freqtrade.optimize.backtesting import Backtesting

    from gentrade.data.markets import snapshot_for_datadir
    from gentrade.engine.offline_exchange import build_offline_exchange
    from gentrade.safety import require_clean

    require_clean(strategy_file.read_text(), filename=strategy_file.name)
    if guard:
        from gentrade.safety.guard import GuardPolicy, install_guard

        install_guard(GuardPolicy(writable_dirs=(workdir,), strategy_path=strategy_file))
    config = run_config(strategy_file, datadir, workdir)
    config_file = workdir / f"{strategy_file.stem}.json"
    config_file.write_text(json.dumps(config, default=str))
    args = {
        "config": [str(config_file)],
        "strategy": strategy_file.stem,
        "strategy_path": str(strategy_file.parent),
        "datadir": str(datadir),
    }
    config = Configuration(args, RunMode.BACKTEST).get_config()
    backtesting = Backtesting(
        config, exchange=build_offline_exchange(config, snapshot_for_datadir(datadir, PAIRS))
    )
    started = time.process_time()
    data, timerange = backtesting.load_bt_data()
    backtesting._set_strategy(backtesting.strategylist[0])
    processed = backtesting.strategy.advise_all_indicators(data)
    start_date, end_date = get_timerange(trim_dataframes(processed, timerange, backtesting.required_startup))
    # A full collection of what loading allocated (130-350 ms) otherwise lands inside one variant's loop and
    # not another's; collections the loop itself causes still count.
    gc.collect()
    loop_started = time.process_time()
    results = backtesting.backtest(processed=processed, start_date=start_date, end_date=end_date)
    finished = time.process_time()
    trades = results["results"]
    rows = [
        [r.pair, str(r.open_date), str(r.close_date), round(float(r.profit_abs), 10), str(r.exit_reason)]
        for r in trades.itertuples()
    ]
    print(json.dumps({"loop_s": finished - loop_started, "total_s": finished - started, "trades": rows}))


def run_child(path: Path, datadir: Path, workdir: Path, guard: bool = False) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(path),
            "--datadir",
            str(datadir),
            "--workdir",
            str(workdir),
            *(["--guard"] if guard else []),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"backtest of {path.name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def plain_cli(paths: dict[str, Path], datadir: Path, workdir: Path) -> dict[str, tuple[float, list]]:
    """Wall time and trades of `freqtrade backtesting` for (b) and (d), offline through the local testnet."""
    import os
    import zipfile

    from gentrade.exchange.server import start_testnet
    from gentrade.freqtrade_config import local_ccxt_config

    out: dict[str, tuple[float, list]] = {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREQTRADE__")}
    with start_testnet(datadir) as testnet:
        for key in ("b", "d"):
            path = paths[key]
            config = run_config(path, datadir, workdir)
            config["exchange"].update(ccxt_config=local_ccxt_config(testnet.url), enable_ws=False)
            config_file = workdir / f"cli-{key}.json"
            config_file.write_text(json.dumps(config, default=str))
            results = workdir / f"cli-{key}"
            results.mkdir()
            started = time.perf_counter()
            run = subprocess.run(
                [
                    str(Path(sys.executable).parent / "freqtrade"),
                    "backtesting",
                    "-c",
                    str(config_file),
                    "--strategy",
                    path.stem,
                    "--strategy-path",
                    str(path.parent),
                    "--datadir",
                    str(datadir),
                    "--cache",
                    "none",
                    "--export",
                    "trades",
                    "--backtest-directory",
                    str(results),
                ],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            wall = time.perf_counter() - started
            if run.returncode != 0:
                raise SystemExit(f"freqtrade backtesting {path.stem} failed:\n{run.stderr[-3000:]}")
            [archive] = results.glob("*.zip")
            with zipfile.ZipFile(archive) as zipped:
                [name] = [n for n in zipped.namelist() if n.endswith(".json") and "_config" not in n]
                trades = json.loads(zipped.read(name))["strategy"][path.stem]["trades"]
            out[key] = (
                wall,
                [[t["pair"], t["open_date"], t["close_date"], round(t["profit_abs"], 10)] for t in trades],
            )
    return out


def hyperopt_throughput(
    spec_name: str, datadir: Path, workdir: Path, epochs: tuple[int, int]
) -> dict[str, float]:
    """Epochs per second of freqtrade's hyperopt on the generated strategy (with search ranges) and on its
    ordinary-callbacks variant: same seed, same epochs, one job each, through GenTrade's sandboxed hyperopt
    worker. Each variant runs twice (few and more epochs); the difference cancels start-up and data loading,
    so the ratio is of the epochs alone. Both variants must score every epoch identically."""
    import os

    from gentrade.codegen import render
    from gentrade.data.markets import save_snapshot, snapshot_for_datadir
    from gentrade.engine.hyperopt_worker import HyperoptJob
    from gentrade.engine.launch import child_environment
    from gentrade.examples import load_example
    from gentrade.freqtrade_config.backtest import Costs, build_backtest_config
    from gentrade.spec import parse_spec

    data = load_example(spec_name).model_dump(mode="json", exclude_none=True)
    search = (
        {"stop.initial.atr": [1, 3]}
        if data["stop"]["initial"].get("atr")
        else {"stop.initial.percent": [1, 5]}
    )
    spec = parse_spec({**data, "search": {**search, "take_profit[0].fraction": [0.2, 0.5]}})
    source = render(spec)
    ordinary = re.sub(r"\n    \w+\.__qualname__ = \"IStrategy\.\w+\"", "", source)
    markets = save_snapshot(snapshot_for_datadir(datadir, PAIRS), workdir / "hyperopt-markets.json")
    rates: dict[str, float] = {}
    losses: dict[str, list[float]] = {}
    for key, (cls, text) in {
        "b": (spec.name, source),
        "d": (f"{spec.name}Ordinary", ordinary.replace(f"class {spec.name}(", f"class {spec.name}Ordinary(")),
    }.items():
        folder = workdir / f"hyperopt-{key}"
        folder.mkdir()
        (folder / f"{cls}.py").write_text(text)
        walls = []
        for count in epochs:
            run_dir = folder / f"run{count}"
            run_dir.mkdir()
            config = build_backtest_config(
                strategy=cls,
                pairs=PAIRS,
                datadir=datadir,
                user_data_dir=run_dir,
                timerange=TIMERANGE,
                timeframe="5m",
                costs=Costs(),
            )
            (run_dir / "config.json").write_text(json.dumps(config))
            job = HyperoptJob(
                config_file=run_dir / "config.json",
                markets_file=markets,
                strategy=cls,
                strategy_file=folder / f"{cls}.py",
                datadir=datadir,
                run_dir=run_dir,
                timerange=TIMERANGE,
                loss="sharpe",
                spaces=["ladder", "stop"],
                epochs=count,
                random_state=7,
            )
            (run_dir / "job.json").write_text(job.model_dump_json())
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "gentrade.engine.hyperopt_worker", str(run_dir / "job.json")],
                capture_output=True,
                text=True,
                env=child_environment(),
                check=False,
            )
            walls.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"hyperopt of {cls} failed:\n{done.stdout[-3000:]}")
        [results] = (folder / f"run{epochs[1]}").glob("hyperopt_results/*.fthypt")
        losses[key] = [json.loads(line)["loss"] for line in results.read_text().splitlines()]
        rates[key] = (epochs[1] - epochs[0]) / (walls[1] - walls[0])
    rates["identical"] = float(losses["b"] == losses["d"])
    rates["cores"] = float(os.cpu_count() or 1)
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spec", default="trend_following")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--hyperopt-epochs", type=int, default=20, help="0 skips the hyperopt throughput part"
    )
    parser.add_argument("--datadir", type=Path, default=DATA)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--guard", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.datadir, args.workdir, args.guard)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="gentrade-bench-"))
    try:
        paths = write_variants(args.spec, workdir)
        runs: dict[str, list[dict]] = {key: [] for key in [*paths, "guarded"]}
        keys = list(paths)
        for round_ in range(args.repeat):
            # Each round starts with a different variant, and (b) and its guarded twin swap places: a child's
            # place in the sequence moved its time by ~10 % (the guarded twin, always run right after (b),
            # kept measuring faster than (b) itself), and a fixed order gave that to the same variant.
            for key in keys[round_ % len(keys) :] + keys[: round_ % len(keys)]:
                twins = [("guarded", True), (key, False)] if round_ % 2 else [(key, False), ("guarded", True)]
                for name, guard in twins if key == "b" else [(key, False)]:
                    runs[name].append(run_child(paths[key], args.datadir, workdir, guard=guard))
        loop = {k: statistics.median(r["loop_s"] for r in v) for k, v in runs.items()}
        total = {k: statistics.median(r["total_s"] for r in v) for k, v in runs.items()}
        print(f"{len(PAIRS)} pairs, 5m candles {TIMERANGE}; medians of {args.repeat} runs")
        print(f"  {'variant':<46} {'loop s':>7} {'total s':>8} {'trades':>7}")
        for key in runs:
            trades = len(runs[key][-1]["trades"])
            label = f"({key}) {LABELS[key]}" if key in LABELS else "(b) under the runtime guard"
            print(f"  {label:<46} {loop[key]:7.3f} {total[key]:8.3f} {trades:7d}")
        identical = runs["b"][-1]["trades"] == runs["d"][-1]["trades"]
        print(
            f"b/c = {loop['b'] / loop['c']:.2f} loop, {total['b'] / total['c']:.2f} total  (target <= 1.15)"
        )
        print(f"d/b = {loop['d'] / loop['b']:.2f} loop, {total['d'] / total['b']:.2f} total  (target >= 2.5)")
        print(
            f"b/a = {loop['b'] / loop['a']:.2f} loop, {total['b'] / total['a']:.2f} total (vs SampleStrategy)"
        )
        print(f"(b) and (d) make identical trades: {identical}")
        guarded_identical = runs["guarded"][-1]["trades"] == runs["b"][-1]["trades"]
        spread = {
            part: max(r[part] for r in runs["b"]) / min(r[part] for r in runs["b"])
            for part in ("loop_s", "total_s")
        }
        print(
            f"runtime guard: guarded/(b) = {loop['guarded'] / loop['b']:.3f} loop, "
            f"{total['guarded'] / total['b']:.3f} total; noise (max/min of (b)'s own runs) = "
            f"{spread['loop_s']:.3f} loop, {spread['total_s']:.3f} total; "
            f"identical trades: {guarded_identical}"
        )
        identical = identical and guarded_identical
        cli = plain_cli(paths, args.datadir, workdir)
        cli_identical = cli["b"][1] == cli["d"][1]
        print(
            f"plain `freqtrade backtesting` wall time: (b) {cli['b'][0]:.2f} s, (d) {cli['d'][0]:.2f} s, "
            f"d/b = {cli['d'][0] / cli['b'][0]:.2f}; identical trades: {cli_identical}"
        )
        if args.hyperopt_epochs:
            hyper = hyperopt_throughput(args.spec, args.datadir, workdir, (2, 2 + args.hyperopt_epochs))
            print(
                f"hyperopt throughput: (b) {hyper['b']:.2f} epochs/s, (d) {hyper['d']:.2f} epochs/s, "
                f"b/d = {hyper['b'] / hyper['d']:.2f} (same seed, {args.hyperopt_epochs} epochs, -j 1); "
                f"identical losses: {bool(hyper['identical'])}"
            )
            cli_identical = cli_identical and bool(hyper["identical"])
        return 0 if identical and cli_identical else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
