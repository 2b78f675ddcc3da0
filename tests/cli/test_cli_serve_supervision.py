"""``gentrade serve`` supervises its Celery worker: after ``kill -9`` of the worker, ``/ready`` says not
ready, a new worker is started (the restart is logged), ``/ready`` recovers, and a backtest queued after the
kill runs to the end. (Before: the dead worker stayed a zombie, ``/ready`` kept saying ready and the
backtest stayed queued until serve was restarted.)"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

pytestmark = pytest.mark.slow
DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance"
SPEC = {
    "name": "SupervisedRsi",
    "timeframe": "5m",
    "pairs": ["ETH/BTC"],
    "indicators": [{"id": "rsi", "kind": "rsi", "period": 14}],
    "entry_long": {"left": "rsi", "op": "<", "right": 30},
    "exit_long": {"left": "rsi", "op": ">", "right": 70},
    "stop": {"initial": {"percent": 3}},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _workers(serve: subprocess.Popen[str]) -> list[psutil.Process]:
    return [
        child
        for child in psutil.Process(serve.pid).children()
        if "celery" in " ".join(child.cmdline()) and " worker" in " ".join(child.cmdline())
    ]


def _until(what: str, check: Any, serve: subprocess.Popen[str], timeout_s: float = 180) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        assert serve.poll() is None, "serve exited"
        try:
            found = check()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.skipif(not DATA_DIR.is_dir(), reason="needs ../shared/data/binance")
def test_a_killed_worker_is_replaced_and_ready_says_so(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GENTRADE_")},
        "GENTRADE_USER_DIR": str(tmp_path / "user_data"),
        "GENTRADE_DATA_DIR": str(DATA_DIR),
        "GENTRADE_TASK_QUEUE": f"supervise-{uuid.uuid4().hex[:8]}",
    }
    log = (tmp_path / "serve.log").open("w+")
    serve = subprocess.Popen(
        [sys.executable, "-m", "gentrade.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        _until("ready", lambda: httpx.get(f"{base}/ready", timeout=5).status_code == 200, serve)
        (worker,) = _until("the worker", lambda: _workers(serve), serve)
        os.kill(worker.pid, signal.SIGKILL)
        not_ready = _until(
            "not ready", lambda: (r := httpx.get(f"{base}/ready", timeout=5)).status_code == 503 and r, serve
        )
        assert "worker" in not_ready.json()["message"]

        client = httpx.Client(base_url=base, timeout=30)
        creds = {"email": f"sup-{uuid.uuid4().hex[:8]}@example.com", "password": "correct horse battery"}
        assert client.post("/auth/register", json=creds).status_code == 201
        token = client.post("/auth/login", json=creds).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        sid = client.post("/strategies", json={"spec": SPEC}).json()["id"]
        queued = client.post("/backtests", json={"strategy_id": sid, "timerange": "20180115-20180117"})
        assert queued.status_code == 202, queued.text

        _until("ready again", lambda: httpx.get(f"{base}/ready", timeout=5).status_code == 200, serve)
        (replacement,) = _workers(serve)
        assert replacement.pid != worker.pid
        done = _until(
            "the backtest",
            lambda: (
                (b := client.get(f"/backtests/{queued.json()['id']}").json())["status"]
                in ("succeeded", "failed")
                and b
            ),
            serve,
            timeout_s=300,
        )
        assert done["status"] == "succeeded", done
        log.seek(0)
        lines = [json.loads(line) for line in log if line.startswith("{")]
        messages = [line.get("message", "") for line in lines]
        assert any("worker" in m and "exited with code -9" in m for m in messages), messages[-20:]
        assert any(m.startswith("worker restarted") for m in messages), messages[-20:]
        children = psutil.Process(serve.pid).children(recursive=True)
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
        assert psutil.wait_procs(children, timeout=30)[1] == []  # no worker outlives serve
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
