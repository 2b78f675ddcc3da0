"""Deterministic producers that need no network and no key: the drafter (text → spec) and the analyst
(candles → signal + spec). They are the embedded mode's stand-ins for an LLM, and the graphs' fallback."""

from agents.offline.analyst import MODEL_ID as ANALYST_MODEL_ID
from agents.offline.analyst import Analysis, Snapshot, analyze, take_snapshot
from agents.offline.drafter import MODEL_ID as DRAFTER_MODEL_ID
from agents.offline.drafter import DraftResult, draft

__all__ = [
    "ANALYST_MODEL_ID",
    "DRAFTER_MODEL_ID",
    "Analysis",
    "DraftResult",
    "Snapshot",
    "analyze",
    "draft",
    "take_snapshot",
]
