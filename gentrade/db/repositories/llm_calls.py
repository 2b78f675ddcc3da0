"""LLM calls: the row each model call leaves, and the columns the model report sums per user."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from gentrade.db.models import LLMCall, User

UsageRow = tuple[str, str, str, int, int, float, str | None]
"""provider, model, outcome, tokens_in, tokens_out, latency_s, fallback_from."""


def add(session: Session, call: LLMCall) -> None:
    """Keep one call, in the caller's (short) transaction."""
    session.add(call)


def usage_rows(session: Session, owner: User) -> Sequence[UsageRow]:
    """The owner's calls as ``UsageRow``s; other users' calls never count, admin or not."""
    stmt = select(
        LLMCall.provider,
        LLMCall.model,
        LLMCall.outcome,
        LLMCall.tokens_in,
        LLMCall.tokens_out,
        LLMCall.latency_s,
        LLMCall.fallback_from,
    ).where(LLMCall.owner_id == owner.id)
    return session.execute(stmt).tuples().all()
