"""Fixtures for these tests; shared helpers live in llm_stub.py (a conftest is not importable)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from llm_stub import StubLLM, serve

from agents.analyst.summary import BacktestSummary
from agents.drafting import ChatBacktester, ChatBacktestRun
from gentrade.codegen import render, strategy_filename
from gentrade.services.backtests import run_with_settings
from gentrade.settings import Settings
from gentrade.spec import StrategySpec


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


@pytest.fixture
def chat_backtester(tmp_path: Path, shared_data_dir: Path) -> ChatBacktester:
    """A chat backtester without a database: each range through the engine with the settings' launcher and
    limits, the strategy written under ``tmp_path/strategies/<thread>`` (absent until a backtest runs)."""
    settings = Settings(user_dir=tmp_path / "user_data", data_dir=shared_data_dir)

    def run(
        spec: StrategySpec, timeranges: Sequence[str], *, thread_id: str, model_id: str | None
    ) -> list[ChatBacktestRun]:
        folder = tmp_path / "strategies" / thread_id.replace(":", "_")
        folder.mkdir(parents=True, exist_ok=True)
        strategy_file = folder / strategy_filename(spec)
        strategy_file.write_text(render(spec))
        return [
            ChatBacktestRun(
                summary=BacktestSummary.of(
                    run_with_settings(
                        settings,
                        strategy_file,
                        results_dir=folder / "runs",
                        timerange=span,
                        pairs=spec.pairs,
                        timeframe=spec.timeframe,
                    )
                )
            )
            for span in timeranges
        ]

    return run
