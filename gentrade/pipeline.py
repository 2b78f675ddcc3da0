"""The walk of one idea: spec → rendered source → audit → strategy file → offline backtest.

Quickstart, the CLI, the API and the agents all go through here, so a strategy file never reaches
freqtrade without passing the audit.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gentrade.codegen import render, strategy_filename
from gentrade.engine import BacktestResult, run_backtest
from gentrade.safety import AuditReport, require_clean
from gentrade.spec import StrategySpec


@dataclass(frozen=True)
class BuiltStrategy:
    spec: StrategySpec
    path: Path
    source: str
    audit: AuditReport


def write_atomically(path: Path, text: str) -> None:
    """Write a temporary file and rename it, so a reader (a bot, freqtrade) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_strategy(spec: StrategySpec, strategies_dir: Path) -> BuiltStrategy:
    """Render and audit `spec`, then write `<Name>.py` into `strategies_dir` (only if the audit passes)."""
    source = render(spec)
    filename = strategy_filename(spec)
    report = require_clean(source, filename=filename)
    path = Path(strategies_dir) / filename
    write_atomically(path, source)
    return BuiltStrategy(spec=spec, path=path, source=source, audit=report)


def backtest_spec(
    spec: StrategySpec,
    *,
    strategies_dir: Path,
    datadir: Path,
    timerange: str | None,
    pairs: list[str] | None = None,
    **runner_options: Any,
) -> tuple[BuiltStrategy, BacktestResult]:
    """Build the strategy for `spec` and backtest it; `pairs` defaults to the spec's own pairs."""
    built = build_strategy(spec, strategies_dir)
    result = run_backtest(
        built.path, datadir, timerange, pairs or list(spec.pairs), spec.timeframe, **runner_options
    )
    return built, result
