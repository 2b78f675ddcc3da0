from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

from agents.analyst.summary import BacktestSummary
from agents.drafting.events import ApprovalNeededEvent, ChatEvent

ThreadId = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Client-chosen thread id (letters, digits, - and _); a first message creates it.",
    ),
]


class ChatMessageIn(BaseModel):
    message: str = Field(min_length=1, max_length=4000)


class ApprovalIn(BaseModel):
    approved: bool


class ThreadRow(BaseModel):
    thread_id: str
    title: str
    created_at: datetime
    updated_at: datetime
    draft: dict[str, Any] | None = Field(description="The thread's current draft spec, if any.")
    pending_approval: bool


class ThreadOut(BaseModel):
    thread_id: str
    title: str
    draft: dict[str, Any] | None
    last_backtest: BacktestSummary | None
    pending_approval: ApprovalNeededEvent | None
    events: list[ChatEvent]
    messages: list[dict[str, str]]
