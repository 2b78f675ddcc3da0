"""Throughput and latency of ``GET /api/v1/strategies?limit=50`` for a user with 10,000 strategies.

Loads the rows into a fresh PostgreSQL database (bulk insert, then a committed ANALYZE), starts
``gentrade serve --workers N`` on 127.0.0.1 in a child process (N uvicorn processes, each on its own
SO_REUSEPORT socket; JSON request logs on, written to a file), and drives the route with N concurrent
keep-alive connections for a fixed number of requests. ``GET /api/v1/health`` (no database, no auth) is
measured the same way, in the same run, as the reference; the rounds alternate between the two routes so
background load hits both alike. Target: list p99 < 50 ms at 32 clients.

The load generator shares the machine with the server and PostgreSQL, so it is kept light: by default a
minimal HTTP/1.1 keep-alive client on raw asyncio streams (uvloop when installed), one connection per
client, every response's status and length checked. ``--client httpx`` uses httpx.AsyncClient instead
(what this script used before; its own CPU cost shows up in the latencies).

    .venv/bin/python benchmarks/bench_api_list.py [--rows 10000] [--clients 32] [--requests 4000]
        [--workers 2] [--rounds 3] [--client raw|httpx]
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
HERE = Path(__file__).resolve().parent
LIST_PATH = "/api/v1/strategies?limit=50"
HEALTH_PATH = "/api/v1/health"


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
        # Committed: ANALYZE inside a transaction that is rolled back leaves no statistics behind, and the
        # planner then estimates 50 rows for the owner and picks a bitmap scan + sort (~2 ms, not ~0.03).
        conn.execute(text("ANALYZE strategies"))
        conn.commit()
        plan = "\n".join(
            row[0]
            for row in conn.execute(
                text(
                    "EXPLAIN ANALYZE SELECT id, owner_id, name, current_version, created_at, updated_at "
                    "FROM strategies WHERE owner_id = :owner ORDER BY created_at DESC, id DESC LIMIT 51"
                ),
                {"owner": owner.id},
            )
        )
    engine.dispose()
    scan = next((line.strip() for line in plan.splitlines() if "Scan" in line), "?")
    took = next((line.strip() for line in plan.splitlines() if "Execution Time" in line), "?")
    print(f"list query plan: {scan.split('  (')[0]}; {took}")
    return "bench@example.com"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # type: ignore[no-any-return]


def start_server(
    url: str, port: int, user_dir: Path, workers: int, log_file: Path
) -> subprocess.Popen[bytes]:
    """``gentrade serve --workers N`` as shipped (JSON request logs, one SO_REUSEPORT socket per process);
    backtests run in-process (``local``), so no broker is involved."""
    env = {
        **os.environ,
        "GENTRADE_DATABASE_URL": url,
        "GENTRADE_USER_DIR": str(user_dir),
        "GENTRADE_TASK_BACKEND": "local",
    }
    command = [sys.executable, "-m", "gentrade.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--no-worker"]
    with log_file.open("wb") as sink:
        server = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{HEALTH_PATH}", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"gentrade serve did not come up within 60 s; see {log_file}")


class RawConnection:
    """One HTTP/1.1 keep-alive connection sending one prebuilt GET; checks status and reads the body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> None:
        self.reader, self.writer, self.request = reader, writer, request

    @classmethod
    async def open(cls, port: int, path: str, headers: dict[str, str]) -> RawConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: keep-alive"]
        lines += [f"{key}: {value}" for key, value in headers.items()]
        return cls(reader, writer, ("\r\n".join(lines) + "\r\n\r\n").encode())

    async def get(self) -> bytes:
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, _, rest = head.partition(b"\r\n")
        length = None
        for line in rest.split(b"\r\n"):
            key, _, value = line.partition(b":")
            if key.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError(f"response without Content-Length: {head!r}")
        body = await self.reader.readexactly(length)
        if status_line.split(b" ", 2)[1] != b"200":
            raise RuntimeError(f"{status_line.decode()}: {body[:200]!r}")
        return body

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


class HttpxConnection:
    def __init__(self, port: int, path: str, headers: dict[str, str]) -> None:
        self.client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30)
        self.path = path

    async def get(self) -> bytes:
        reply = await self.client.get(self.path)
        reply.raise_for_status()
        return reply.content

    async def close(self) -> None:
        await self.client.aclose()


async def drive(
    port: int,
    path: str,
    headers: dict[str, str],
    clients: int,
    requests: int,
    kind: str,
    warmed: Callable[[], None] = lambda: None,
) -> tuple[float, list[float]]:
    """``clients`` independent keep-alive connections share ``requests`` requests; ``warmed`` is called
    once every connection is open and warm."""
    latencies: list[float] = []
    remaining = requests

    if kind == "raw":
        pool: list[RawConnection | HttpxConnection] = list(
            await asyncio.gather(*(RawConnection.open(port, path, headers) for _ in range(clients)))
        )
    else:
        pool = [HttpxConnection(port, path, headers) for _ in range(clients)]

    async def worker(conn: RawConnection | HttpxConnection) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            await conn.get()
            latencies.append(time.perf_counter() - started)

    try:
        # Warm every connection (and the server's pools) so the run measures requests, not setup.
        for _ in range(3):
            await asyncio.gather(*(conn.get() for conn in pool))
        warmed()
        began = time.perf_counter()
        await asyncio.gather(*(worker(conn) for conn in pool))
        elapsed = time.perf_counter() - began
    finally:
        await asyncio.gather(*(conn.close() for conn in pool))
    return elapsed, latencies


@dataclass
class Result:
    rps: float
    p50: float
    p99: float
    server_cpu: float = 0.0
    db_cpu: float = 0.0


def summarize(label: str, elapsed: float, latencies: list[float], cpu: CpuMeter | None = None) -> Result:
    ordered = sorted(latencies)
    result = Result(
        rps=len(ordered) / elapsed,
        p50=statistics.median(ordered) * 1000,
        p99=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    )
    line = f"  {label:<30} {result.rps:7.0f} req/s   p50 {result.p50:7.2f} ms   p99 {result.p99:7.2f} ms"
    if cpu is not None:
        result.server_cpu = cpu.server / len(ordered) * 1000
        result.db_cpu = cpu.db / len(ordered) * 1000
        line += f"   CPU/req: server {result.server_cpu:.2f} ms, postgres {result.db_cpu:.2f} ms"
    print(line)
    return result


def measure(
    label: str,
    server: subprocess.Popen[bytes],
    url: str,
    port: int,
    run: Callable[[Callable[[], None]], tuple[float, list[float]]],
) -> Result:
    spread: list[int] = []

    def warmed() -> None:
        spread.extend(connections_per_worker(server.pid, port))

    with CpuMeter(server.pid, url) as cpu:
        elapsed, latencies = run(warmed)
    result = summarize(label, elapsed, latencies, cpu)
    print(f"  {'':<30} client connections per worker: {spread}")
    return result


def connections_per_worker(server_pid: int, port: int) -> list[int]:
    """How the kernel handed the keep-alive connections to the API processes, fewest first.

    Each process listens on a socket of its own (SO_REUSEPORT), so the kernel hashes connections across
    them; with one shared socket a burst of connections could land on one process, which then serves them
    on one core while the other idles. Printed per round, as it explains a round's tail latency.
    """
    import psutil

    counts = []
    for pid in family(server_pid)[1:]:
        try:
            connections = psutil.Process(pid).net_connections(kind="tcp")
        except psutil.Error:
            continue
        ours = [c for c in connections if c.laddr and c.laddr.port == port]
        if any(c.status == "LISTEN" for c in ours):  # a worker, not the supervisor's other children
            counts.append(sum(1 for c in ours if c.status == "ESTABLISHED"))
    return sorted(counts)


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (0 once it is gone, or off Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def family(pid: int) -> list[int]:
    """``pid`` and its children (``gentrade serve`` and its API processes)."""
    pids = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def backend_pids(url: str) -> list[int]:
    """PostgreSQL backends serving the benchmark database (their CPU is the database's share)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [row[0] for row in rows]


class CpuMeter:
    """CPU the server processes and the database's backends spent during one measured run."""

    def __init__(self, server_pid: int, url: str) -> None:
        self.server_pid, self.url = server_pid, url

    def __enter__(self) -> CpuMeter:
        self.pids = family(self.server_pid)
        self.backends = backend_pids(self.url)
        self.server0 = sum(map(cpu_seconds, self.pids))
        self.db0 = sum(map(cpu_seconds, self.backends))
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server = sum(map(cpu_seconds, self.pids)) - self.server0
        # Backends opened during the run (pool overflow) are counted only if still alive.
        alive = set(self.backends) | set(backend_pids(self.url))
        self.db = sum(map(cpu_seconds, alive)) - self.db0


def print_server_errors(log_file: Path, keep: int = 40) -> None:
    """The server log's last lines other than request logs: why a run failed (a worker that died, say)
    is there, and the temporary folder holding the log is gone once the run ends."""
    lines = [line for line in log_file.read_text(errors="replace").splitlines() if '"request"' not in line]
    print("server log (request lines left out):", *lines[-keep:], sep="\n  ", file=sys.stderr)


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def run_loop(main: Callable[[], Awaitable[tuple[float, list[float]]]]) -> tuple[float, list[float]]:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main())
    return uvloop.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=4_000, help="per route per round")
    parser.add_argument("--workers", type=int, default=2, help="API processes (gentrade serve --workers)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating health/list rounds")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw")
    args = parser.parse_args()

    with fresh_postgres("gentrade_bench") as url, tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        email = load(url, args.rows)
        print(f"loaded {args.rows} strategies in {time.perf_counter() - t0:.2f} s")
        port = free_port()
        log_file = Path(tmp) / "server.log"
        server = start_server(url, port, Path(tmp) / "user_data", args.workers, log_file)
        try:
            base = f"http://127.0.0.1:{port}"
            login = httpx.post(f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            first = httpx.get(f"{base}{LIST_PATH}", headers=headers).json()
            assert len(first["items"]) == 50 and first["next_cursor"], first
            print(
                f"API processes: {args.workers}; client: {args.client}; JSON request logs on; "
                f"{args.clients} clients, {args.requests} requests per route per round, {args.rounds} rounds"
            )
            print(f"before: {loadavg()}")
            health: list[Result] = []
            listing: list[Result] = []
            for round_no in range(1, args.rounds + 1):
                print(f"round {round_no}")
                health.append(
                    measure(
                        "GET /health (reference)",
                        server,
                        url,
                        port,
                        lambda warmed: run_loop(
                            lambda: drive(
                                port, HEALTH_PATH, {}, args.clients, args.requests, args.client, warmed
                            )
                        ),
                    )
                )
                listing.append(
                    measure(
                        "GET /strategies?limit=50",
                        server,
                        url,
                        port,
                        lambda warmed: run_loop(
                            lambda: drive(
                                port, LIST_PATH, headers, args.clients, args.requests, args.client, warmed
                            )
                        ),
                    )
                )
            print(f"after:  {loadavg()}")
        except BaseException:
            print_server_errors(log_file)
            raise
        finally:
            server.terminate()
            server.wait(timeout=20)
        log_lines = sum(1 for _ in log_file.open("rb"))
        print(f"server wrote {log_lines} log lines ({log_file.stat().st_size / 1e6:.1f} MB)")

    def median(results: list[Result], key: str) -> float:
        return statistics.median(getattr(r, key) for r in results)

    print(f"median of {args.rounds} rounds:")
    for label, results in (("GET /health (reference)", health), ("GET /strategies?limit=50", listing)):
        print(
            f"  {label:<30} {median(results, 'rps'):7.0f} req/s   p50 {median(results, 'p50'):7.2f} ms   "
            f"p99 {median(results, 'p99'):7.2f} ms   CPU/req: server {median(results, 'server_cpu'):.2f} ms, "
            f"postgres {median(results, 'db_cpu'):.2f} ms"
        )
    p99 = median(listing, "p99")
    print(
        f"list / reference: throughput {median(listing, 'rps') / median(health, 'rps'):.2f}x, "
        f"p99 {p99 / median(health, 'p99'):.2f}x"
    )
    print(f"target list p99 < 50 ms: {'met' if p99 < 50 else 'MISSED'} ({p99:.1f} ms, median of rounds)")


if __name__ == "__main__":
    main()
