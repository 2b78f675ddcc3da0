"""Local testnet speed: ``klines`` throughput, and a live bot's tick-to-order latency against it.

1. ``GET /api/v3/klines?limit=1000`` over synthetic 5m candles, sequential httpx requests on one
   connection, reported as requests/s and candles/s and as a ratio against ``GET /api/v3/ping`` measured
   the same way in the same run (the server's per-request floor).
2. A real freqtrade bot (``dry_run: false``) started by ``BotManager`` on a replay testnet with a four-level
   ladder (1 %, 2 %, 3 %, 4 %).  After its entry fills, the price is scripted past one level at a time; the
   latency is the testnet's own timestamp of the resulting sell minus the moment the script was posted.
   It is reported against the bot's loop period (``process_throttle_secs``), which bounds it from below
   on average: a bot only looks at prices once per loop.

    .venv/bin/python benchmarks/bench_testnet.py [--requests 300] [--throttle 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import ccxt
import httpx

from gentrade.data.synth import synthesize
from gentrade.engine.bots import BotManager
from gentrade.exchange.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET
from gentrade.exchange.server import start_testnet
from gentrade.freqtrade_config import ConfigRequest, Target, build_config, local_ccxt_config
from gentrade.services.strategy_saving import build_strategy
from gentrade.spec import parse_spec

PAIR = "BTC/USDT"
LEVELS = (1.0, 2.0, 3.0, 4.0)
LADDER = {
    "name": "BenchLadder",
    "timeframe": "1m",
    "pairs": [PAIR],
    "entry_long": {"left": "close", "op": ">", "right": 0},
    "stop": {"initial": {"percent": 20}},
    "take_profit": [{"target": {"percent": p}, "fraction": 0.25} for p in LEVELS],
}


def rate(client: httpx.Client, path: str, requests: int) -> float:
    """Requests per second for ``requests`` sequential GETs (after a few warm-up calls)."""
    for _ in range(5):
        client.get(path).raise_for_status()
    began = time.perf_counter()
    for _ in range(requests):
        client.get(path).raise_for_status()
    return requests / (time.perf_counter() - began)


def bench_klines(datadir: Path, requests: int) -> None:
    with start_testnet(datadir) as handle, httpx.Client(base_url=handle.url, timeout=30) as client:
        candles = len(
            client.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "5m", "limit": 1000}).json()
        )
        klines = rate(client, "/api/v3/klines?symbol=BTCUSDT&interval=5m&limit=1000", requests)
        ping = rate(client, "/api/v3/ping", requests)
    print(f"klines  : {klines:8.1f} req/s x {candles} candles = {klines * candles:,.0f} candles/s")
    print(f"ping    : {ping:8.1f} req/s (reference)")
    print(f"ratio   : klines takes {ping / klines:.1f}x a ping")


def _sells(account: ccxt.binance) -> list[dict]:
    return [t for t in account.fetch_my_trades(PAIR) if t["side"] == "sell"]


def _wait(check, timeout_s: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit(f"timed out after {timeout_s:g} s waiting for {what}")


def bench_latency(datadir: Path, work: Path, throttle_s: int) -> None:
    strategy = build_strategy(parse_spec(LADDER), work / "strategies").path
    replay = {"replay_start": datetime(2024, 1, 10, tzinfo=UTC), "speed": 5}
    with start_testnet(datadir, **replay) as handle:
        config, _ = build_config(
            ConfigRequest(target=Target.LOCAL, url=handle.url, pairs=(PAIR,), timeframe="1m")
        )
        config["entry_pricing"]["price_side"] = config["exit_pricing"]["price_side"] = "other"
        config["internals"]["process_throttle_secs"] = throttle_s
        account = ccxt.binance(
            {"apiKey": DEFAULT_API_KEY, "secret": DEFAULT_API_SECRET, **local_ccxt_config(handle.url)}
        )
        bots = BotManager(work / "bots")
        began = time.monotonic()
        bots.start(
            strategy,
            name="bench",
            config=config,
            dry_run=False,
            exchange_key=DEFAULT_API_KEY,
            exchange_secret=DEFAULT_API_SECRET,
        )
        try:
            bots.wait_running("bench", timeout_s=120)
            api_up = time.monotonic() - began
            buy = _wait(
                lambda: [t for t in account.fetch_my_trades(PAIR) if t["side"] == "buy"], 120, "the entry"
            )
            first_fill = time.monotonic() - began
            entry = buy[0]["price"]
            latencies = []
            for level in LEVELS:
                seen = len(_sells(account))
                posted_ms = time.time() * 1000
                prices = [entry * (1 + (level + 0.5) / 100)] * 60
                httpx.post(
                    f"{handle.url}/gentrade/v1/script", json={"symbol": PAIR, "prices": prices}, timeout=10
                )
                sell = _wait(lambda n=seen: _sells(account)[n:], 60, f"the sell at {level}%")[0]
                latencies.append((sell["timestamp"] - posted_ms) / 1000)
        finally:
            bots.stop("bench")
    print(
        f"bot     : api_server up {api_up:.1f} s, entry filled on the testnet {first_fill:.1f} s after start"
    )
    print(
        "latency : "
        + ", ".join(f"{s:.2f}" for s in latencies)
        + " s (price crossing -> order on the testnet)"
    )
    print(
        f"ratio   : median {statistics.median(latencies):.2f} s = "
        f"{statistics.median(latencies) / throttle_s:.2f}x the bot loop ({throttle_s:g} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per measured endpoint (bounded)")
    parser.add_argument("--throttle", type=int, default=1, help="the bot's process_throttle_secs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-testnet-") as tmp:
        work = Path(tmp)
        synthesize(work / "data")
        bench_klines(work / "data", max(1, min(args.requests, 10_000)))
        bench_latency(work / "data", work, args.throttle)


if __name__ == "__main__":
    main()
