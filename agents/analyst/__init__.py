"""The analyst graph: candles → signal and spec → audited strategy → in-sample backtest → critique →
bounded revisions → one check on a held-back range. Offline by default; an `LLMClient` makes it an LLM
analyst whose every answer must validate as a spec."""

from agents.analyst.critique import CritiqueRules, Finding, critique
from agents.analyst.graph import (
    AnalystDeps,
    AnalystOutcome,
    AnalystRequest,
    AnalystState,
    BuildStrategy,
    HeldBack,
    Round,
    RunBacktest,
    build_analyst_graph,
    run_analyst,
)
from agents.analyst.llm_analyst import AnalystReply
from agents.analyst.summary import BacktestSummary

__all__ = [
    "AnalystDeps",
    "AnalystOutcome",
    "AnalystReply",
    "AnalystRequest",
    "AnalystState",
    "BacktestSummary",
    "BuildStrategy",
    "CritiqueRules",
    "Finding",
    "HeldBack",
    "Round",
    "RunBacktest",
    "build_analyst_graph",
    "critique",
    "run_analyst",
]
