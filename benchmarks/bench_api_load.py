"""200 concurrent clients for 60 s against ``gentrade serve --workers 2`` on PostgreSQL + Redis.

Each client loops over a mix of routes as one of USERS users: list strategies, get one, queue a backtest,
chat (one whole SSE turn with the offline drafter), and ``GET /health`` (no database, no auth) as the
reference the other routes' p99 is compared with, measured in the same run. It prints the error count
(any status >= 400 other than 429, any connection error or timeout; must be 0), the 429s separately,
p50/p99 per route and each p99 against /health's, and after the run drains the queue: every backtest the
API accepted (202) must end succeeded or failed exactly once (no row missing or left queued, no row
that was not accepted, no two rows for one id).

The server, its Celery worker and beat, PostgreSQL, Redis and this client share the machine's CPUs, so
latencies are what this machine gives under all of that at once.

    .venv/bin/python benchmarks/bench_api_load.py [--clients 200] [--seconds 60] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import select

from gentrade.db import upgrade
from gentrade.db.engine import make_engine
from gentrade.db.models import Backtest
from gentrade.db.testing import fresh_postgres

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE.parents[1] / "shared" / "data" / "binance"
USERS = 50
PASSWORD = "benchmark-password"
MIX = [("list", 40), ("get", 25), ("backtest", 10), ("chat", 15), ("health", 10)]
SPEC = {
    "name": "LoadRsi",
    "timeframe": "5m",
    "pairs": ["ETH/BTC"],
    "indicators": [{"id": "rsi", "kind": "rsi", "period": 14}],
    "entry_long": {"left": "rsi", "op": "<", "right": 30},
    "exit_long": {"left": "rsi", "op": ">", "right": 70},
    "stop": {"initial": {"percent": 3}},
}
IDEA = "Buy ETH/BTC when RSI(14) under 30, exit when RSI above 70, stop 2 ATR"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class User:
    headers: dict[str, str]
    strategy: int


class Tally:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.failures: Counter[str] = Counter()
        self.accepted: list[int] = []


async def _one(client: httpx.AsyncClient, op: str, user: User, tally: Tally) -> None:
    headers = user.headers
    started = time.perf_counter()
    try:
        if op == "list":
            reply = await client.get("/api/v1/strategies?limit=50", headers=headers)
        elif op == "get":
            reply = await client.get(f"/api/v1/strategies/{user.strategy}", headers=headers)
        elif op == "health":
            reply = await client.get("/api/v1/health")
        elif op == "backtest":
            body = {"strategy_id": user.strategy, "timerange": "20180115-20180116"}
            reply = await client.post("/api/v1/backtests", json=body, headers=headers)
            if reply.status_code == 202:
                tally.accepted.append(int(reply.json()["id"]))
        else:
            thread = f"load-{uuid.uuid4().hex[:12]}"
            async with client.stream(
                "POST", f"/api/v1/chat/{thread}", json={"message": IDEA}, headers=headers
            ) as reply:
                text = "".join([chunk async for chunk in reply.aiter_text()])
                if reply.status_code == 200 and "event: error" in text:
                    tally.failures[f"{op}: error event"] += 1
    except httpx.HTTPError as exc:
        tally.failures[f"{op}: {type(exc).__name__}"] += 1
        return
    tally.latency[op].append(time.perf_counter() - started)
    tally.statuses[op][reply.status_code] += 1


async def _client(base: str, users: list[User], until: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    ops, weights = zip(*MIX, strict=True)
    user = users[seed % len(users)]
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        while time.monotonic() < until:
            await _one(client, rng.choices(ops, weights)[0], user, tally)


async def _prepare(base: str) -> list[User]:
    users: list[User] = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for index in range(USERS):
            creds = {"email": f"load-{index}-{uuid.uuid4().hex[:6]}@example.com", "password": PASSWORD}
            (await client.post("/api/v1/auth/register", json=creds)).raise_for_status()
            login = await client.post("/api/v1/auth/login", json=creds)
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            made = await client.post("/api/v1/strategies", json={"spec": SPEC}, headers=headers)
            made.raise_for_status()
            users.append(User(headers, int(made.json()["id"])))
    return users


def _wait_ready(base: str, serve: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        if serve.poll() is not None:
            raise SystemExit(f"serve exited with code {serve.returncode}")
        try:
            reply = httpx.get(f"{base}/api/v1/ready", timeout=5)
            if reply.status_code == 200:
                return
            last = reply.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise SystemExit(f"serve never became ready: {last}")


def _drain(url: str, accepted: list[int], timeout_s: float) -> tuple[Counter[str], int, int]:
    """Wait until every accepted backtest is terminal; (statuses, missing, unexpected rows)."""
    engine = make_engine(url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with engine.connect() as conn:
                rows = conn.execute(select(Backtest.id, Backtest.status)).all()
            by_id = dict(rows)
            pending = [i for i in accepted if by_id.get(i) in ("queued", "running")]
            if not pending or time.monotonic() > deadline:
                statuses = Counter(by_id.get(i, "missing") for i in accepted)
                unexpected = len(set(by_id) - set(accepted)) + (len(rows) - len(by_id))
                return statuses, statuses["missing"], unexpected
            time.sleep(2)
    finally:
        engine.dispose()


def _server_errors(log: str) -> Counter[str]:
    """The last line of each traceback in the server's log, counted: the cause behind a 500 or a reset."""
    found: Counter[str] = Counter()
    for match in re.finditer(r'"exc_info": "((?:[^"\\]|\\.)*)"', log):
        lines = [line for line in match.group(1).split("\\n") if line.strip()]
        if lines:
            found[lines[-1][:200]] += 1
    return found


def _p(values: list[float], q: int) -> float:
    """The q-th percentile (inclusive method), or nan without data."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--drain-timeout", type=float, default=900)
    parser.add_argument("--ready-timeout", type=float, default=600, help="Start-up is slow on a busy box.")
    args = parser.parse_args()
    with fresh_postgres("gentrade_load") as url, tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        port = _free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GENTRADE_")},
            "GENTRADE_DATABASE_URL": url,
            "GENTRADE_TASK_BROKER_URL": "redis://127.0.0.1:6379/0",
            "GENTRADE_TASK_QUEUE": f"load-{uuid.uuid4().hex[:8]}",
            "GENTRADE_TASK_BACKEND": "celery",
            "GENTRADE_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
            "GENTRADE_CREDENTIALS_KEY": Fernet.generate_key().decode(),
            "GENTRADE_USER_DIR": str(Path(tmp) / "user_data"),
            "GENTRADE_DATA_DIR": str(DATA_DIR),
            # One backtest a minute per user after a burst of one: at most about 2 x USERS in a minute,
            # so the queue drains in minutes on this machine; more are answered 429 (counted apart).
            "GENTRADE_RATE_BACKTESTS_PER_MINUTE": "1",
            "GENTRADE_RATE_BACKTESTS_BURST": "1",
            # Two API processes x two engines, the worker's processes, and the chat checkpointer pools
            # must fit PostgreSQL's max_connections (100 here): the default 20 + 20 per engine does not.
            "GENTRADE_DATABASE_POOL_SIZE": "6",
            "GENTRADE_DATABASE_MAX_OVERFLOW": "4",
        }
        log = open(Path(tmp) / "serve.log", "wb")  # noqa: SIM115
        serve = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gentrade.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            try:
                _wait_ready(base, serve, args.ready_timeout)
            except SystemExit:
                print((Path(tmp) / "serve.log").read_text()[-3000:], file=sys.stderr)
                raise
            users = asyncio.run(_prepare(base))
            tally = Tally()

            async def load() -> None:
                until = time.monotonic() + args.seconds
                await asyncio.gather(*(_client(base, users, until, tally, i) for i in range(args.clients)))

            started = time.monotonic()
            asyncio.run(load())
            elapsed = time.monotonic() - started
            statuses, missing, unexpected = _drain(url, tally.accepted, args.drain_timeout)
        finally:
            serve.terminate()
            try:
                serve.wait(timeout=60)
            except subprocess.TimeoutExpired:
                serve.kill()
            server_errors = _server_errors((Path(tmp) / "serve.log").read_text(errors="replace"))
        errors = sum(tally.failures.values()) + sum(
            n
            for counts in tally.statuses.values()
            for code, n in counts.items()
            if code >= 400 and code != 429
        )
        limited = sum(counts[429] for counts in tally.statuses.values())
        health_p99 = _p(tally.latency["health"], 99)
        print(f"{args.clients} clients, {elapsed:.0f} s, serve --workers {args.workers}, PostgreSQL + Redis")
        print(f"requests {sum(len(v) for v in tally.latency.values())}  errors {errors}  429s {limited}")
        for reason, count in tally.failures.items():
            print(f"  failure {reason}: {count}")
        for line, count in server_errors.most_common(5):
            print(f"  server log, {count}x: {line}")
        for op, _ in MIX:
            values = tally.latency[op]
            codes = dict(sorted(tally.statuses[op].items()))
            p99 = _p(values, 99)
            print(
                f"  {op:9s} n={len(values):6d}  p50 {_p(values, 50) * 1000:8.1f} ms  p99 {p99 * 1000:8.1f} ms"
                f"  ({p99 / health_p99:5.1f}x health p99)  statuses {codes}"
            )
        print(
            f"backtests accepted {len(tally.accepted)}: {dict(statuses)}; missing {missing}; "
            f"rows not accepted or duplicated {unexpected}; still queued/running "
            f"{statuses['queued'] + statuses['running']}"
        )
        ok = errors == 0 and missing == 0 and unexpected == 0 and not statuses["queued"] + statuses["running"]
        print("OK" if ok else "FAILED")


if __name__ == "__main__":
    main()
