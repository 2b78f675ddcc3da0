"""Time text → spec → source → audit → backtest with the offline drafter on real candles.

Prints each stage's wall time, the end-to-end total against the 5 s target, and the share spent in freqtrade
itself (the child's import and backtest, as the runner measures them), the reference from the same run.

    .venv/bin/python benchmarks/bench_draft_pipeline.py [--datadir ../shared/data/binance] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from agents.offline import draft
from gentrade.codegen import render, strategy_filename
from gentrade.engine.runner import run_backtest
from gentrade.safety import audit

TEXT = (
    "Buy ETH/BTC and LTC/BTC on the 5m when RSI(14) under 30, exit when RSI above 70, stop 2 ATR, "
    "take profit at 1R 2R 3R, move stop to break even after TP1"
)
TARGET_S = 5.0


def one_run(datadir: Path, timerange: str, folder: Path) -> dict[str, float]:
    times: dict[str, float] = {}
    started = time.perf_counter()
    spec = draft(TEXT).spec
    times["draft"] = time.perf_counter() - started
    mark = time.perf_counter()
    source = render(spec)
    times["render"] = time.perf_counter() - mark
    mark = time.perf_counter()
    assert audit(source, filename=strategy_filename(spec)).ok
    times["audit"] = time.perf_counter() - mark
    strategy = folder / strategy_filename(spec)
    strategy.write_text(source)
    mark = time.perf_counter()
    result = run_backtest(strategy, datadir, timerange, pairs=spec.pairs, results_dir=folder / "runs")
    times["backtest"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - started
    times["freqtrade"] = (result.run.child_import_s or 0.0) + (result.run.backtest_s or 0.0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datadir", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/binance"
    )
    parser.add_argument("--timerange", default="20180110-20180130")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-draft-") as folder:
        for index in range(args.repeat):
            run_folder = Path(folder) / str(index)
            run_folder.mkdir()
            runs.append(one_run(args.datadir, args.timerange, run_folder))
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    for key in ("draft", "render", "audit", "backtest", "total"):
        print(f"{key:>10}: {median[key] * 1000:9.1f} ms")
    print(
        f"end to end: {median['total']:.2f} s ({median['total'] / TARGET_S:.2f}× the {TARGET_S:g} s target)"
    )
    print(
        f" freqtrade: {median['freqtrade']:.2f} s = "
        f"{median['freqtrade'] / median['total'] * 100:.0f}% of the total "
        "(child import + backtest)"
    )


if __name__ == "__main__":
    main()
