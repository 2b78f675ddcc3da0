"""Throughput and latency of ``GET /api/v1/strategies?limit=50`` for a user with 10,000 strategies.

Loads the rows into a fresh PostgreSQL database (bulk insert), starts real uvicorn on 127.0.0.1 in a
child process, and drives the route with N concurrent httpx clients for a fixed number of requests.
``GET /api/v1/health`` (no database, no auth) is measured the same way as the in-run reference, and the
list route is reported as a ratio against it. Target: list p99 < 50 ms at 32 clients.

    .venv/bin/python benchmarks/bench_api_list.py [--rows 10000] [--clients 32] [--requests 4000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, text

from gentrade.api.security import hash_password
from gentrade.db import upgrade
from gentrade.db.engine import make_engine, make_session_factory
from gentrade.db.models import Strategy
from gentrade.db.repositories import users
from gentrade.db.testing import fresh_postgres

PASSWORD = "benchmark-password"


def load(url: str, rows: int) -> str:
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        owner = users.create_user(session, "bench@example.com", hash_password(PASSWORD))
        start = datetime(2024, 1, 1, tzinfo=UTC)
        session.execute(
            insert(Strategy),
            [
                {
                    "owner_id": owner.id,
                    "name": f"Bench{i:06d}",
                    "current_version": 1,
                    "created_at": start + timedelta(seconds=i),
                    "updated_at": start + timedelta(seconds=i),
                }
                for i in range(rows)
            ],
        )
        session.commit()
    with engine.connect() as conn:
        # Fresh statistics, as autovacuum would leave them: without them the planner sorts all 10k rows.
        conn.execute(text("ANALYZE strategies"))
    engine.dispose()
    return "bench@example.com"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, port: int, user_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GENTRADE_DATABASE_URL": url, "GENTRADE_USER_DIR": str(user_dir)}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "gentrade.api.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    server = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("uvicorn did not come up within 30 s")


async def drive(
    base: str, path: str, headers: dict[str, str], clients: int, requests: int
) -> tuple[float, list[float]]:
    """``clients`` independent keep-alive clients (one connection each) share ``requests`` requests."""
    latencies: list[float] = []
    remaining = requests

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            reply = await client.get(path)
            latencies.append(time.perf_counter() - started)
            reply.raise_for_status()

    pool = [httpx.AsyncClient(base_url=base, headers=headers, timeout=30) for _ in range(clients)]
    try:
        # Warm every connection so the run measures requests, not TCP setup.
        await asyncio.gather(*(client.get(path) for client in pool))
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for client in pool))
        elapsed = time.perf_counter() - began
    finally:
        await asyncio.gather(*(client.aclose() for client in pool))
    return elapsed, latencies


def report(label: str, elapsed: float, latencies: list[float]) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    rps = len(ordered) / elapsed
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(f"{label:<32} {rps:9.0f} req/s   p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")
    return rps, p50, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=4_000)
    args = parser.parse_args()

    with fresh_postgres("gentrade_bench") as url, tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        email = load(url, args.rows)
        print(f"loaded {args.rows} strategies in {time.perf_counter() - t0:.2f} s")
        port = free_port()
        server = start_server(url, port, Path(tmp))
        try:
            base = f"http://127.0.0.1:{port}"
            login = httpx.post(f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            first = httpx.get(f"{base}/api/v1/strategies?limit=50", headers=headers).json()
            assert len(first["items"]) == 50 and first["next_cursor"], first
            print(f"{args.clients} clients, {args.requests} requests each route")
            _, _, ref_p99 = report(
                "GET /health (reference)",
                *asyncio.run(drive(base, "/api/v1/health", {}, args.clients, args.requests)),
            )
            rps, _, p99 = report(
                "GET /strategies?limit=50",
                *asyncio.run(
                    drive(base, "/api/v1/strategies?limit=50", headers, args.clients, args.requests)
                ),
            )
            print(
                f"list p99 / reference p99 = {p99 / ref_p99:.2f}x; "
                f"target p99 < 50 ms: {'met' if p99 < 50 else 'MISSED'}"
            )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
