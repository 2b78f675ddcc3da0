"""Deterministic producers that need no network and no key: the drafter (text → spec) and the analyst
(candles → signal + spec). They are the embedded mode's stand-ins for an LLM, and the graphs' fallback."""

from agents.offline.drafter import MODEL_ID as DRAFTER_MODEL_ID
from agents.offline.drafter import DraftResult, draft

__all__ = ["DRAFTER_MODEL_ID", "DraftResult", "draft"]
