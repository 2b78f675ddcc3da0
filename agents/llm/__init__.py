"""The LLM layer: OpenAI-compatible providers in a fallback chain, retries, structured output that fails
loudly, a per-request token budget and a record of every call."""

from agents.llm.client import LLMClient, parse_reply
from agents.llm.records import CallRecord, MemoryRecorder, Recorder, TokenBudget
from agents.llm.settings import LLMSettings, ProviderConfig

__all__ = [
    "CallRecord",
    "LLMClient",
    "LLMSettings",
    "MemoryRecorder",
    "ProviderConfig",
    "Recorder",
    "TokenBudget",
    "parse_reply",
]
