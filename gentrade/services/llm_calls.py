"""LLM calls recorded per user: the recorder an `LLMClient` is handed, and the usage the model report reads.

The client (in `agents`) owns no storage; it calls a recorder once per HTTP call. This module's recorder
writes each call as an `LLMCall` row in its own short transaction, so a call is kept even when the request
that made it fails later, and a stream that waits on the model holds no database connection meanwhile.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from statistics import fmean

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from agents.llm import CallRecord
from gentrade.db.models import LLMCall, User
from gentrade.db.repositories import llm_calls as repo


@dataclass(frozen=True)
class DbRecorder:
    """A `Recorder` that stores every call of one user's request; `purpose` says what it was for (chat, …)."""

    sessions: sessionmaker[Session]
    owner_id: int
    purpose: str

    def __call__(self, record: CallRecord) -> None:
        with self.sessions.begin() as session:
            repo.add(
                session,
                LLMCall(
                    owner_id=self.owner_id,
                    purpose=self.purpose,
                    provider=record.provider,
                    model=record.model,
                    method=record.method,
                    tokens_in=record.tokens_in,
                    tokens_out=record.tokens_out,
                    tokens_estimated=record.tokens_estimated,
                    latency_s=record.latency_s,
                    outcome=record.outcome,
                    fallback_from=record.fallback_from,
                ),
            )


class LLMUsage(BaseModel):
    """One provider/model's calls for a user: ``errors`` are calls that failed (``retryable_errors`` of them
    worth a retry), ``fallbacks`` the answers it gave as a fallback after an earlier provider failed."""

    calls: int = 0
    ok: int = 0
    errors: int = 0
    retryable_errors: int = 0
    fallbacks: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    mean_latency_s: float | None = None


def producer_name(provider: str, model: str) -> str:
    """How calls are credited in the model report: ``provider/model`` (a call carries no prompt version)."""
    return f"{provider}/{model}"


def usage_by_model(session: Session, user: User) -> dict[str, LLMUsage]:
    """The user's calls summed per ``provider/model`` (other users' calls never count)."""
    rows = repo.usage_rows(session, user)
    usage: dict[str, LLMUsage] = {}
    latencies: dict[str, list[float]] = defaultdict(list)
    for provider, model, outcome, tokens_in, tokens_out, latency, fallback_from in rows:
        name = producer_name(provider, model)
        item = usage.setdefault(name, LLMUsage())
        item.calls += 1
        item.ok += outcome == "ok"
        item.errors += outcome != "ok"
        item.retryable_errors += outcome == "retry"
        item.fallbacks += outcome == "ok" and fallback_from is not None
        item.tokens_in += tokens_in
        item.tokens_out += tokens_out
        latencies[name].append(latency)
    for name, item in usage.items():
        item.mean_latency_s = fmean(latencies[name])
    return usage
