"""What the analyst graph is handed: its strategy files come from ``services.strategy_saving`` (render →
audit → file) and its backtests from ``services.backtests`` (the settings' launcher and limits), so the
analyst imports neither the engine's runner nor any file writer of its own."""

from __future__ import annotations

from pathlib import Path

from agents.analyst.critique import CritiqueRules
from agents.analyst.graph import AnalystDeps
from agents.analyst.summary import BacktestSummary
from agents.llm import LLMClient
from gentrade.services.backtests import run_with_settings
from gentrade.services.strategy_saving import build_strategy
from gentrade.settings import Settings
from gentrade.spec import StrategySpec


def analyst_deps(
    settings: Settings,
    workdir: Path,
    *,
    datadir: Path | None = None,
    llm: LLMClient | None = None,
    rules: CritiqueRules = CritiqueRules(),
) -> AnalystDeps:
    """Deps for one analyst run in ``workdir`` on the candles of ``datadir`` (default: the settings' data
    dir), with ``llm`` as its model (None: the offline analyst) and ``rules`` for its critic."""

    def build(spec: StrategySpec, strategies_dir: Path) -> Path:
        return build_strategy(spec, strategies_dir).path

    def backtest(
        strategy_file: Path, *, datadir: Path, timerange: str, pair: str, timeframe: str, results_dir: Path
    ) -> BacktestSummary:
        result = run_with_settings(
            settings,
            strategy_file,
            results_dir=results_dir,
            timerange=timerange,
            pairs=[pair],
            timeframe=timeframe,
            datadir=datadir,
        )
        return BacktestSummary.of(result)

    return AnalystDeps(
        datadir=datadir or settings.resolved_data_dir,
        workdir=workdir,
        build=build,
        backtest=backtest,
        llm=llm,
        rules=rules,
    )
