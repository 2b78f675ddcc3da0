"""Fixtures for these tests; shared helpers live in llm_stub.py (a conftest is not importable)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from llm_stub import StubLLM


@pytest.fixture(scope="session")
def stub_llm() -> Iterator[StubLLM]:
    stub = StubLLM()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(stub.app, log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    stub.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    yield stub
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def stub(stub_llm: StubLLM) -> Iterator[StubLLM]:
    """The shared server with empty queues, so each test scripts only its own answers."""
    stub_llm.queues.clear()
    stub_llm.requests.clear()
    yield stub_llm
