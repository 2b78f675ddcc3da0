"""Fixtures for these tests; shared helpers live in llm_stub.py (a conftest is not importable)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from llm_stub import StubLLM, serve


@pytest.fixture(scope="session")
def stub_llm() -> Iterator[StubLLM]:
    with serve(StubLLM()) as stub:
        yield stub


@pytest.fixture
def stub(stub_llm: StubLLM) -> Iterator[StubLLM]:
    """The shared server with empty queues, so each test scripts only its own answers."""
    stub_llm.queues.clear()
    stub_llm.requests.clear()
    yield stub_llm
