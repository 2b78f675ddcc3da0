"""Drafted strategies run in the real freqtrade engine on real Binance candles (../shared/data).

Every long phrasing of the drafter's test set on a 5m pair the candles hold is backtested (24 of 27). The
other three draft, render and pass the audit in test_offline_drafter.py but cannot run here: two are short
ideas (freqtrade refuses can_short strategies on spot markets, and the candles are spot) and one asks for
1h candles, which the data set does not have.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from phrasings import PHRASINGS

from agents.offline import draft
from gentrade.codegen import render, strategy_filename
from gentrade.data import store
from gentrade.engine import BacktestResult
from gentrade.engine.runner import run_backtest
from gentrade.spec import StrategySpec

TIMERANGE = "20180110-20180130"

pytestmark = pytest.mark.slow


def runnable(datadir: Path) -> list[str]:
    available = set(store.available(datadir))
    texts = []
    for text, _ in PHRASINGS:
        spec = draft(text).spec
        if spec.direction == "long" and all((pair, spec.timeframe) in available for pair in spec.pairs):
            texts.append(text)
    return texts


def test_at_least_20_drafted_ideas_backtest_on_real_candles(shared_data_dir: Path, tmp_path: Path) -> None:
    texts = runnable(shared_data_dir)
    assert len(texts) >= 20

    def one(numbered: tuple[int, str]) -> tuple[StrategySpec, BacktestResult]:
        index, text = numbered
        spec = draft(text).spec
        folder = tmp_path / f"{index:02d}"  # two ideas may share a name; each run gets its own folder
        folder.mkdir()
        strategy = folder / strategy_filename(spec)
        strategy.write_text(render(spec))
        return spec, run_backtest(
            strategy, shared_data_dir, TIMERANGE, pairs=spec.pairs, results_dir=folder / "runs"
        )

    # Each run is its own child process, so two at a time use both cores of a small machine.
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(one, enumerate(texts)))
    for spec, result in outcomes:
        assert result.strategy == spec.name
        assert result.pairs == spec.pairs
        assert result.timeframe == spec.timeframe
        assert result.backtest_start.year == 2018
    traded = [spec.name for spec, result in outcomes if result.trades > 0]
    assert len(traded) >= len(outcomes) - 3, f"only {len(traded)} of {len(outcomes)} ideas traded"
