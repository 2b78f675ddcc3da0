"""``gentrade exchange serve`` as a real child process, and its refusals."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from gentrade.cli import exchange as exchange_cli

GENTRADE = Path(sys.executable).parent / "gentrade"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _serving(*args: str) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [str(GENTRADE), "exchange", "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # up to 30 s for imports and data loading
            if process.poll() is not None:
                pytest.fail(f"server exited early: {process.stdout.read() if process.stdout else ''}")
            try:
                httpx.get(f"{url}/api/v3/ping", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("server did not come up")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.mark.slow
def test_serve_historical_over_a_datadir(synthetic_data_dir: Path) -> None:
    with _serving("--datadir", str(synthetic_data_dir)) as url:
        info = httpx.get(f"{url}/api/v3/exchangeInfo", timeout=10).json()
        assert {s["symbol"] for s in info["symbols"]} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
        assert httpx.get(f"{url}/gentrade/v1/clock", timeout=10).json()["mode"] == "historical"


@pytest.mark.slow
def test_serve_replay_with_speed_and_accounts(synthetic_data_dir: Path) -> None:
    args = [
        "--datadir",
        str(synthetic_data_dir),
        "--replay",
        "2024-01-10",
        "--speed",
        "60",
        "--warmup",
        "12h",
    ]
    args += ["--api-key", "cli-key", "--api-secret", "cli-secret", "--balance", "USDT=250"]
    with _serving(*args) as url:
        clock = httpx.get(f"{url}/gentrade/v1/clock", timeout=10).json()
        assert clock["mode"] == "replay" and clock["speed"] == 60
        assert clock["replayStart"] == 1_704_844_800_000  # 2024-01-10T00:00Z
        reply = httpx.get(f"{url}/api/v3/account", headers={"X-MBX-APIKEY": "gentrade-local-key"}, timeout=10)
        assert reply.json()["code"] == -2015  # only the configured account exists


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    exchange_cli.register(app)
    return app


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--speed", "5"], "--speed only applies to --replay"),
        (["--replay", "2024-01-10", "--historical"], "exclude each other"),
        (["--host", "0.0.0.0"], "loopback"),
        (["--api-key", "lonely"], "go together"),
        (["--warmup", "soon"], "--warmup"),
        (["--balance", "USDT"], "ASSET=AMOUNT"),
    ],
)
def test_serve_refuses_bad_options(synthetic_data_dir: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(_cli(), ["exchange", "serve", "--datadir", str(synthetic_data_dir), *args])
    assert result.exit_code == 1 and message in result.output, result.output
