"""Backtests from every door (CLI, API task, chat, analyst, quickstart) run with the settings' launcher and
limits: the choice between the local contained child and a container, and the time and memory caps, is
made here once from the ``Settings`` handed in, never inside the engine. A spec reaches the engine only as
the file ``services.strategy_saving`` rendered and audited."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gentrade.engine import BacktestResult, run_backtest
from gentrade.engine.docker_runner import DockerBacktestRunner
from gentrade.engine.launch import ChildLauncher
from gentrade.engine.local_runner import local_launcher
from gentrade.services.strategy_saving import BuiltStrategy, build_strategy
from gentrade.settings import Settings
from gentrade.spec import StrategySpec


def launcher_for(settings: Settings) -> ChildLauncher:
    """The child launcher ``settings.runner`` names: the local contained process, or a container."""
    if settings.runner == "docker":
        return DockerBacktestRunner(
            image=settings.docker_image, memory_mb=settings.backtest_memory_mb, cpus=settings.backtest_cpus
        )
    return local_launcher()


def run_with_settings(
    settings: Settings,
    strategy_file: Path,
    *,
    results_dir: Path,
    timerange: str | None,
    pairs: Sequence[str] | None = None,
    timeframe: str | None = None,
    datadir: Path | None = None,
    **options: Any,
) -> BacktestResult:
    """``run_backtest`` with the launcher, timeout and memory cap of ``settings`` (``options`` may still
    narrow the caps, e.g. a CLI ``--timeout``) on ``datadir`` or the settings' data dir."""
    options.setdefault("timeout_s", settings.backtest_timeout_s)
    options.setdefault("memory_mb", settings.backtest_memory_mb)
    options.setdefault("launcher", launcher_for(settings))
    return run_backtest(
        strategy_file,
        datadir or settings.resolved_data_dir,
        timerange,
        list(pairs) if pairs else None,
        timeframe,
        results_dir=results_dir,
        **options,
    )


def backtest_spec(
    settings: Settings,
    spec: StrategySpec,
    *,
    strategies_dir: Path,
    results_dir: Path,
    timerange: str | None,
    datadir: Path | None = None,
    pairs: Sequence[str] | None = None,
    **options: Any,
) -> tuple[BuiltStrategy, BacktestResult]:
    """Render, audit and write the strategy for ``spec``, then backtest it on the spec's timeframe through
    ``run_with_settings``; ``pairs`` default to the spec's own."""
    built = build_strategy(spec, strategies_dir)
    result = run_with_settings(
        settings,
        built.path,
        results_dir=results_dir,
        timerange=timerange,
        pairs=pairs or spec.pairs,
        timeframe=spec.timeframe,
        datadir=datadir,
        **options,
    )
    return built, result
