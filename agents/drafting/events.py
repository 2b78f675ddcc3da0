"""Typed progress events of a chat thread: what the HTTP layer will send as SSE, one JSON object each.

Every event is also kept in the thread's state, so a client that reconnects (or a restarted server) can
replay the conversation from the checkpoint.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agents.analyst.summary import BacktestSummary


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)


class MessageEvent(_Event):
    type: Literal["message"] = "message"
    text: str


class DraftEvent(_Event):
    """A new or changed draft; `spec` is the whole validated spec as JSON data."""

    type: Literal["draft"] = "draft"
    spec: dict[str, Any]
    changed: bool = Field(description="True when an earlier draft was changed rather than replaced.")
    version: int = Field(1, ge=1, description="1 for a new draft; each change that alters it adds one.")
    diff: list[str] = Field(
        default_factory=list, description="A change's field-by-field diff, e.g. 'stop.initial: 3% -> 2 ATR'."
    )
    model_id: str
    understood: list[str] = Field(default_factory=list)
    not_understood: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)


class ApprovalNeededEvent(_Event):
    """A backtest waits for the person: answer with `resume(thread_id, approved=...)`."""

    type: Literal["approval_needed"] = "approval_needed"
    strategy: str
    pairs: list[str]
    timeframe: str
    timerange: str | None


class BacktestStartedEvent(_Event):
    type: Literal["backtest_started"] = "backtest_started"
    strategy: str
    timerange: str | None


class BacktestDoneEvent(_Event):
    """``summary`` is the in-sample run; ``held_back`` the same strategy once on the later range after
    ``split_at`` (``gentrade.engine.holdout``), shown next to it. The ids name the stored backtests (the
    API's chat stores each run like any other backtest); None where the backtester stores nothing."""

    type: Literal["backtest_done"] = "backtest_done"
    summary: BacktestSummary
    held_back: BacktestSummary | None = None
    split_at: datetime | None = None
    backtest_id: int | None = Field(None, description="The in-sample run's stored backtest.")
    held_back_id: int | None = Field(None, description="The held-back run's stored backtest.")


class ErrorEvent(_Event):
    """An expected failure, with GenTrade's stable error code; the thread stays usable."""

    type: Literal["error"] = "error"
    code: str
    message: str
    details: Any = None


class TokenEvent(_Event):
    """A piece of an answer the model is still writing (only with an LLM; the offline path sends none).

    Tokens are streamed, never stored: the finished text follows as one ``message`` event, which is what the
    thread keeps and what a reconnecting client replays.
    """

    type: Literal["token"] = "token"
    text: str


ChatEvent = Annotated[
    MessageEvent | DraftEvent | ApprovalNeededEvent | BacktestStartedEvent | BacktestDoneEvent | ErrorEvent,
    Field(discriminator="type"),
]
EVENTS: TypeAdapter[list[ChatEvent]] = TypeAdapter(list[ChatEvent])
StreamEvent = ChatEvent | TokenEvent
"""What `ChatSession.stream` yields: the stored events, plus token events while the model writes."""


def as_state(*events: _Event) -> list[dict[str, Any]]:
    """Events as the JSON data the checkpoint stores."""
    return [event.model_dump(mode="json") for event in events]
