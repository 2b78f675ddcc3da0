"""Producers of strategy specs and trade signals: the offline drafter and analyst, the LLM layer and the
LangGraph graphs. Everything here speaks `gentrade.spec`; nothing here touches the database or the API
(a caller hands in checkpointers and callbacks)."""
