"""``gentrade serve --workers N``: N API processes on one port, each with its own SO_REUSEPORT socket, so
the kernel spreads connections over all of them; stopping ``serve`` stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

pytestmark = pytest.mark.slow

CONNECTIONS = 32


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _api_processes(serve: subprocess.Popen[str]) -> list[psutil.Process]:
    return [
        child
        for child in psutil.Process(serve.pid).children()
        if "gentrade.cli.api_process" in " ".join(child.cmdline())
    ]


def test_serve_spreads_connections_over_its_api_processes(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "GENTRADE_USER_DIR": str(tmp_path / "user_data"),
        "GENTRADE_TASK_BACKEND": "local",
    }
    serve = subprocess.Popen(
        [sys.executable, "-m", "gentrade.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    clients: list[httpx.Client] = []
    try:
        deadline = time.monotonic() + 90
        while True:
            assert serve.poll() is None and time.monotonic() < deadline
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        workers = _api_processes(serve)
        assert len(workers) == 2
        for _ in range(CONNECTIONS):  # keep-alive connections, each held open by its own client
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
            assert client.get("/api/v1/health").status_code == 200
            clients.append(client)
        held = sorted(
            sum(1 for c in worker.net_connections("tcp") if c.status == psutil.CONN_ESTABLISHED)
            for worker in workers
        )
        assert sum(held) >= CONNECTIONS and held[0] >= CONNECTIONS // 8, held  # both take a fair share
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=30) == 0
        assert psutil.wait_procs(workers, timeout=10)[1] == []
    finally:
        for client in clients:
            client.close()
        if serve.poll() is None:
            serve.kill()
            serve.wait()
