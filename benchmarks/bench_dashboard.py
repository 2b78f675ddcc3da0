"""Time to first render of a backtest's dashboard page against the API's JSON for the same backtest, and
how interactive its candle chart stays.

Synthesizes 10 pairs x 30 days of 5m candles, starts ``gentrade serve`` (local task backend, SQLite) in a
child process on 127.0.0.1, signs up, creates a strategy on the 10 pairs and runs a real backtest through
the API. Then, in alternating rounds so background load hits both alike:

- page: ``GET /backtests/{id}`` with the session cookie: the whole server-rendered HTML (headline metrics,
  equity and drawdown series inline, exit reasons, per-pair table, every trade with its orders);
- reference: ``GET /api/v1/backtests/{id}`` with the bearer token: the API's JSON of the same backtest.

Target: page median <= 2x the JSON median. With Debian's chromium present it also opens the page in a
headless browser: time to first contentful paint and until the equity chart holds its series, the candle
chart's load for one pair (8,640 candles), and the mean frame time while the chart is scrolled and zoomed
programmatically (60 frames). Finally ``candle_series`` on a 120-day file (34,560 candles) shows the
server-side bucketing that keeps any chart at <= 10,000 bars.

    .venv/bin/python benchmarks/bench_dashboard.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from gentrade.data.synth import synthesize
from gentrade.engine.result import BacktestResult
from gentrade.engine.series import MAX_CANDLES, candle_series
from gentrade.examples import load_example

PAIRS = [f"{base}/USDT" for base in ("BTC", "ETH", "SOL", "BNB", "XRP", "ADA", "DOGE", "AVAX", "DOT", "LINK")]
TIMERANGE = "20240101-20240131"
PASSWORD = "benchmark-password"
CHROMIUM = "/usr/bin/chromium"
FRAME_PROBE = """() => new Promise((done) => {
    // 60 animation frames, each moving the candle chart's visible range (a scroll plus a slight zoom).
    const scale = GT.state.candleChart.timeScale();
    const gaps = [];
    let last = performance.now();
    function step(now) {
        gaps.push(now - last);
        last = now;
        const range = scale.getVisibleLogicalRange();
        scale.setVisibleLogicalRange({from: range.from + 40, to: range.to + 40 - (gaps.length % 2)});
        if (gaps.length < 61) requestAnimationFrame(step);
        else done(gaps.slice(1).reduce((a, b) => a + b, 0) / (gaps.length - 1));
    }
    requestAnimationFrame(step);
})"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(root: Path, datadir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GENTRADE_", "FREQTRADE__"))},
        "GENTRADE_USER_DIR": str(root / "user_data"),
        "GENTRADE_DATA_DIR": str(datadir),
        "GENTRADE_DATABASE_URL": f"sqlite:///{root / 'gentrade.sqlite'}",
        "GENTRADE_TASK_BACKEND": "local",
    }
    log = (root / "server.log").open("wb")
    gentrade = str(Path(sys.executable).parent / "gentrade")
    process = subprocess.Popen([gentrade, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"the server did not start; see {root / 'server.log'}")


def prepare(base: str) -> tuple[httpx.Client, int, str]:
    """Sign up, save a strategy on the 10 pairs, run its backtest; the client carries the page cookie."""
    client = httpx.Client(base_url=base, timeout=900)
    reply = client.post("/register", data={"email": "bench@example.com", "password": PASSWORD})
    assert reply.status_code == 303, reply.text
    token = client.cookies["gentrade_session"]
    bearer = {"Authorization": f"Bearer {token}"}
    spec = load_example("trend_following").model_dump(mode="json")
    spec["pairs"] = PAIRS
    strategy = client.post("/api/v1/strategies", json={"spec": spec}, headers=bearer).json()
    queued = client.post(
        "/api/v1/backtests", json={"strategy_id": strategy["id"], "timerange": TIMERANGE}, headers=bearer
    ).json()
    started = time.monotonic()
    while True:
        row = client.get(f"/api/v1/backtests/{queued['id']}", headers=bearer).json()
        if row["status"] not in ("queued", "running"):
            break
        time.sleep(1)
    assert row["status"] == "succeeded", row
    print(
        f"backtest #{row['id']}: {len(PAIRS)} pairs, {row['trades']} trades, "
        f"ran in {time.monotonic() - started:.1f} s"
    )
    return client, int(row["id"]), token


def timed(call: object) -> float:
    assert callable(call)
    start = time.perf_counter()
    reply = call()
    elapsed = time.perf_counter() - start
    assert reply.status_code == 200, reply.status_code
    return elapsed


def http_rounds(client: httpx.Client, backtest_id: int, token: str, rounds: int) -> None:
    bearer = {"Authorization": f"Bearer {token}"}
    page_s, json_s = [], []
    page_bytes = len(client.get(f"/backtests/{backtest_id}").content)
    json_bytes = len(client.get(f"/api/v1/backtests/{backtest_id}", headers=bearer).content)
    for _ in range(rounds):
        page_s.append(timed(lambda: client.get(f"/backtests/{backtest_id}")))
        json_s.append(timed(lambda: client.get(f"/api/v1/backtests/{backtest_id}", headers=bearer)))
    page, ref = statistics.median(page_s), statistics.median(json_s)
    print(f"page  GET /backtests/{backtest_id}:        median {page * 1000:7.1f} ms  ({page_bytes:,} bytes)")
    print(f"JSON  GET /api/v1/backtests/{backtest_id}: median {ref * 1000:7.1f} ms  ({json_bytes:,} bytes)")
    print(f"ratio page / JSON: {page / ref:.2f}  (target <= 2.00)")


def browser_rounds(base: str, backtest_id: int, token: str) -> None:
    from playwright.sync_api import sync_playwright

    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.add_cookies([{"name": "gentrade_session", "value": token, "url": base}])
        page = context.new_page()
        fcp, charted, candles = [], [], []
        for _ in range(5):
            start = time.perf_counter()
            page.goto(f"{base}/backtests/{backtest_id}")
            page.wait_for_function(
                "window.GT && GT.state.equitySeries && GT.state.equitySeries[0].data().length > 0"
            )
            charted.append(time.perf_counter() - start)
            page.wait_for_selector("#candle-chart[data-loaded]")
            candles.append(time.perf_counter() - start)
            fcp.append(
                page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN")
                / 1000
            )
        bars = page.evaluate("GT.state.candleSeries.data().length")
        frame_ms = page.evaluate(FRAME_PROBE)
        browser.close()
    print(f"browser first contentful paint: median {statistics.median(fcp) * 1000:.0f} ms")
    print(f"browser equity chart drawn after navigation: median {statistics.median(charted) * 1000:.0f} ms")
    print(
        f"browser candle chart ({bars:,} bars) loaded after navigation: "
        f"median {statistics.median(candles) * 1000:.0f} ms"
    )
    print(
        f"candle chart mean frame time while scrolling/zooming: {frame_ms:.1f} ms "
        "(60 frames; 16.7 ms = 60 fps)"
    )


def bucketing(root: Path, result_json: dict[str, object]) -> None:
    """``candle_series`` on a long file: the bars a chart receives stay under MAX_CANDLES."""
    datadir = root / "long"
    synthesize(datadir, pairs=["BTC/USDT"], days=120)
    result = BacktestResult.model_validate(result_json)
    long = result.model_copy(
        update={"backtest_start": result.backtest_start.replace(month=1, day=1), "pairs": ["BTC/USDT"]}
    )
    long = long.model_copy(update={"backtest_end": long.backtest_start.replace(month=4, day=29)})
    start = time.perf_counter()
    series = candle_series(datadir, long, "BTC/USDT")
    elapsed = time.perf_counter() - start
    print(
        f"candle_series on {series.source_candles:,} candles: {len(series.candles):,} bars of "
        f"{series.candles_per_bar} candles (max {MAX_CANDLES:,}) in {elapsed * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        root = Path(folder)
        datadir = root / "data"
        synthesize(datadir, pairs=PAIRS, days=31)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(root, datadir, port)
        try:
            client, backtest_id, token = prepare(base)
            http_rounds(client, backtest_id, token, args.rounds)
            if Path(CHROMIUM).exists():
                browser_rounds(base, backtest_id, token)
            else:
                print(f"{CHROMIUM} missing (scripts/ensure-chromium installs it): browser timings skipped")
            detail = client.get(
                f"/api/v1/backtests/{backtest_id}", headers={"Authorization": f"Bearer {token}"}
            ).json()
            bucketing(root, detail["result"])
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
