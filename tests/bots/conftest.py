"""Fixtures for supervised freqtrade processes: a replay testnet, a quick ladder strategy, a bot manager
whose finalizer stops every bot and proves no process is left behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botkit import QUICK_LADDER, REPLAY_SPEED, REPLAY_START, TWO_PAIRS, assert_no_process_left

from gentrade.engine.bots import BotManager
from gentrade.exchange.server import TestnetHandle, start_testnet
from gentrade.services.strategy_saving import build_strategy
from gentrade.spec import parse_spec


@pytest.fixture(scope="session")
def ladder_strategy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_strategy(parse_spec(QUICK_LADDER), tmp_path_factory.mktemp("strategies")).path


@pytest.fixture(scope="module")
def testnet(synthetic_data_dir: Path) -> Iterator[TestnetHandle]:
    with start_testnet(synthetic_data_dir, replay_start=REPLAY_START, speed=REPLAY_SPEED) as handle:
        yield handle


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[BotManager]:
    bots = BotManager(tmp_path / "bots")
    yield bots
    bots.stop_all(grace_s=10)
    assert_no_process_left(bots)


@pytest.fixture(scope="session")
def two_pair_strategy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_strategy(parse_spec(TWO_PAIRS), tmp_path_factory.mktemp("strategies2")).path
