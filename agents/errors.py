"""Errors the agents raise on purpose, in GenTrade's one error family (stable codes)."""

from __future__ import annotations

from gentrade.errors import GenTradeError


class DraftNotUnderstoodError(GenTradeError):
    """No trading rule in the text could be mapped to a spec; ``details`` lists what could not be read."""

    code = "draft_not_understood"
    http_status = 422


class LLMError(GenTradeError):
    """Every provider in the chain failed; ``details`` lists each attempt."""

    code = "llm_failed"
    http_status = 502


class StructuredOutputError(LLMError):
    """A model's reply could not be turned into the requested schema, even after a repair prompt."""

    code = "llm_bad_output"


class BudgetExceededError(GenTradeError):
    """A request spent its token budget; the run stops instead of spending more."""

    code = "llm_budget_exceeded"
    http_status = 429


class UntradableDirectionError(GenTradeError):
    """The idea's direction cannot be traded on its market (a short on a spot pair): nothing is proposed."""

    code = "untradable_direction"
    http_status = 422
