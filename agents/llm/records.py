"""Call records and budgets: every model call is written down, and a request cannot spend past its budget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel

from agents.errors import BudgetExceededError


class CallRecord(BaseModel):
    """One HTTP call to a model: who, how much, how long, and how it ended (``ok``, ``retry``, ``failed``)."""

    provider: str
    model: str
    method: str
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_estimated: bool = False
    """True when the server sent no usage (a stream without a usage chunk) and the counts are estimates."""
    latency_s: float
    outcome: str
    error: str | None = None
    fallback_from: str | None = None
    """The request's first provider when this call is on a later one: that provider failed (a fallback)."""


Recorder = Callable[[CallRecord], None]


@dataclass
class MemoryRecorder:
    """Keeps records in a list: tests read them, a caller may copy them to its own store."""

    records: list[CallRecord] = field(default_factory=list)

    def __call__(self, record: CallRecord) -> None:
        self.records.append(record)


@dataclass
class TokenBudget:
    """Tokens one request may spend; the call that crosses the line is the last one made."""

    limit: int
    spent: int = 0

    def check(self) -> None:
        if self.spent >= self.limit:
            raise BudgetExceededError(
                f"token budget spent: {self.spent} of {self.limit} tokens; no more model calls",
                details={"spent": self.spent, "limit": self.limit},
            )

    def charge(self, tokens_in: int, tokens_out: int) -> None:
        self.spent += tokens_in + tokens_out
        if self.spent > self.limit:
            raise BudgetExceededError(
                f"token budget exceeded: {self.spent} of {self.limit} tokens after the last call; stopping",
                details={"spent": self.spent, "limit": self.limit},
            )
