"""Backtest throughput through the API and Celery with 1 and with 2 worker processes, and the per-backtest
overhead of the queue with a warm worker.

Production layout on one machine: the real API (in-process HTTP client), real ``celery worker`` child
processes (concurrency 1 each), Redis on 127.0.0.1 (a queue of this run's own) and a fresh PostgreSQL
database. Each backtest is the trend-following example on three days of synthetic 5m candles, so its cost
is mostly freqtrade's own start-up in the contained child.

* throughput: N backtests queued at once; N / (first queued → last stored), per worker count, after one
  warm-up backtest per worker; the ratio 2 workers / 1 worker is the number to read (target ≥ 1.8×; the
  machine's cores are shared with the API, PostgreSQL, Redis and this script).
* overhead: backtests run one at a time on a warm worker; (queued → stored) minus the child's own work
  (freqtrade's import and backtest, ``import_s + backtest_s`` from the run's status file) is what the
  queue, the claim, the child's start and the result write cost (target < 1 s); minus freqtrade's backtest
  time alone (``backtest_s``) is everything that is not backtesting.

    .venv/bin/python benchmarks/bench_task_throughput.py [--count 100] [--overhead-runs 5]
        [--broker redis://127.0.0.1:6379/0 | --broker embedded]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "tasks"))

from taskkit import (  # noqa: E402
    SHARED_REDIS,
    Stack,
    api_client,
    create_strategy,
    login,
    queue_backtest,
    stack,
    synthetic_data,
)

from gentrade.db.testing import fresh_database  # noqa: E402
from gentrade.engine.worker import WorkerStatus  # noqa: E402


def _wait_workers(s: Stack, client, headers, strategy: int, workers: int) -> None:  # type: ignore[no-untyped-def]
    """One backtest per worker, so every worker process has connected and imported what it needs."""
    ids = [queue_backtest(client, headers, strategy) for _ in range(workers)]
    s.wait_final(ids, timeout=300)


def throughput(s: Stack, client, headers, strategy: int, workers: int, count: int) -> float:  # type: ignore[no-untyped-def]
    names = [f"bench{workers}-{i}" for i in range(workers)]
    for name in names:
        s.start_worker(name)
    _wait_workers(s, client, headers, strategy, workers)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda _i: queue_backtest(client, headers, strategy), range(count)))
    rows = s.wait_final(ids, timeout=60 + 20 * count)
    elapsed = time.perf_counter() - started
    bad = {i: r.status for i, r in rows.items() if r.status != "succeeded"}
    assert not bad and len(set(ids)) == count, bad
    s.stop_workers()
    rate = count / elapsed
    print(f"{workers} worker(s): {count} backtests in {elapsed:.1f} s = {rate:.3f} backtests/s")
    return rate


def overhead(s: Stack, client, headers, strategy: int, runs: int) -> None:  # type: ignore[no-untyped-def]
    s.start_worker("overhead")
    _wait_workers(s, client, headers, strategy, 1)
    queue_wall: list[float] = []
    not_backtesting: list[float] = []
    for _ in range(runs):
        bid = queue_backtest(client, headers, strategy)
        row = s.wait_final([bid], timeout=120)[bid]
        assert row.status == "succeeded" and row.result is not None and row.finished_at is not None
        total = (row.finished_at - row.created_at).total_seconds()
        # The stored result leaves out the run's timings; the run dir's status file has them.
        run_dir = next(p for p in Path(row.result_zip or "").parents if (p / "status.json").is_file())
        run = WorkerStatus.model_validate_json((run_dir / "status.json").read_text())
        assert run.import_s is not None and run.backtest_s is not None
        queue_wall.append(total - run.import_s - run.backtest_s)
        not_backtesting.append(total - run.backtest_s)
    s.stop_workers()
    print(
        f"warm worker, {runs} runs one at a time: queued→stored minus child import+backtest "
        f"median {statistics.median(queue_wall):.3f} s (max {max(queue_wall):.3f}; target < 1 s); "
        f"minus freqtrade backtest time median {statistics.median(not_backtesting):.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--overhead-runs", type=int, default=5)
    parser.add_argument("--broker", default=SHARED_REDIS, help="a broker URL, or 'embedded'")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tasks-") as folder:
        tmp = Path(folder)
        data = synthetic_data(tmp / "candles")
        broker = f"sqla+sqlite:///{tmp / 'broker.sqlite'}" if args.broker == "embedded" else args.broker
        backend = "sqlite" if args.broker == "embedded" else "postgresql"
        with (
            fresh_database(backend, tmp) as db,
            stack(tmp, db, broker, data, backtest_timeout_s=120.0) as s,
            api_client(s) as client,
        ):
            headers = login(client)
            strategy = create_strategy(client, headers)
            print(f"broker {broker}, database {backend}, {args.count} backtests per worker count")
            one = throughput(s, client, headers, strategy, 1, args.count)
            two = throughput(s, client, headers, strategy, 2, args.count)
            print(f"ratio 2 workers / 1 worker: {two / one:.2f}x (target >= 1.8x)")
            overhead(s, client, headers, strategy, args.overhead_runs)


if __name__ == "__main__":
    main()
