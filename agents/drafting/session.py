"""`ChatSession`: the chat graph behind four calls an HTTP layer can map one to one.

Threads are whatever id the caller passes; the caller namespaces them per user. The API will use
``user:{user_id}:{chat_id}``, so one user's id can never name another user's thread. The checkpointer is
handed in (SqliteSaver in embedded mode, PostgresSaver in production; the caller runs its ``setup()``),
and so is the backtester an approved draft goes to (``agents.drafting.graph.ChatBacktester``), which keeps
`agents` free of any database or engine-running code of its own.

For SSE, iterate `stream(...)` / `stream_resume(...)` and send each event's ``model_dump(mode="json")``:
events arrive as each node finishes, and ``approval_needed`` ends a stream that waits for `resume`. With an
LLM, an answer or explanation is also streamed as it is written: ``token`` events (LangGraph's custom stream)
come first, then the whole text as one ``message`` event. Tokens are never stored, so `send`, `resume` and
`state` hold only the whole events; offline there are no tokens at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command, StreamMode
from pydantic import BaseModel, TypeAdapter

from agents.analyst.summary import BacktestSummary
from agents.drafting.events import (
    EVENTS,
    ApprovalNeededEvent,
    ChatEvent,
    MessageEvent,
    StreamEvent,
    TokenEvent,
    as_state,
)
from agents.drafting.graph import ChatBacktester, ChatDeps, build_chat_graph
from agents.llm import LLMClient
from gentrade.errors import GenTradeError
from gentrade.spec import StrategySpec, parse_spec

_EVENT: TypeAdapter[ChatEvent] = TypeAdapter(ChatEvent)
DROPPED = "The backtest waiting for approval was dropped: a new message came first."


class NothingToApproveError(GenTradeError):
    """`resume` was called on a thread that is not waiting for an approval."""

    code = "nothing_to_approve"
    http_status = 409


class ChatView(BaseModel):
    """A thread as a client sees it after a reconnect or a restart."""

    thread_id: str
    draft: StrategySpec | None
    draft_version: int | None = None
    last_backtest: BacktestSummary | None
    pending_approval: ApprovalNeededEvent | None
    events: list[ChatEvent]
    messages: list[dict[str, str]]


class ChatSession:
    def __init__(
        self,
        checkpointer: BaseCheckpointSaver[Any],
        llm: LLMClient | None = None,
        *,
        datadir: Path,
        backtester: ChatBacktester,
        timerange: str | None = None,
    ) -> None:
        """``backtester`` runs an approved draft (the API hands in one that stores and queues it)."""
        deps = ChatDeps(datadir=Path(datadir), backtester=backtester, llm=llm, timerange=timerange)
        self.graph = build_chat_graph(deps, checkpointer)

    def send(self, thread_id: str, text: str) -> list[ChatEvent]:
        """The events one user message produced (ending with ``approval_needed`` when a backtest waits);
        tokens are left out, the ``message`` they make up is not."""
        return _whole(self.stream(thread_id, text))

    def resume(self, thread_id: str, approved: bool) -> list[ChatEvent]:
        return _whole(self.stream_resume(thread_id, approved))

    def stream(self, thread_id: str, text: str) -> Iterator[StreamEvent]:
        """A new message; one still waiting for approval is dropped (and the drop is said, not silent)."""
        update: dict[str, Any] = {"messages": [{"role": "user", "content": text}]}
        if self._pending(thread_id) is not None:
            dropped = MessageEvent(text=DROPPED)
            update["events"] = as_state(dropped)
            yield dropped
        yield from self._run(update, thread_id)

    def stream_resume(self, thread_id: str, approved: bool) -> Iterator[StreamEvent]:
        if self._pending(thread_id) is None:
            raise NothingToApproveError(f"thread {thread_id!r} has no backtest waiting for approval")
        yield from self._run(Command(resume={"approved": approved}), thread_id)

    def state(self, thread_id: str) -> ChatView:
        values = self.graph.get_state(_config(thread_id)).values
        return ChatView(
            thread_id=thread_id,
            draft=parse_spec(values["draft"]) if values.get("draft") else None,
            draft_version=values.get("draft_version", 1) if values.get("draft") else None,
            last_backtest=values.get("last_backtest"),
            pending_approval=self._pending(thread_id),
            events=EVENTS.validate_python(values.get("events", [])),
            messages=values.get("messages", []),
        )

    def _run(self, graph_input: Any, thread_id: str) -> Iterator[StreamEvent]:
        modes: list[StreamMode] = ["updates", "custom"]
        chunk: Any
        for mode, chunk in self.graph.stream(graph_input, _config(thread_id), stream_mode=modes):
            if mode == "custom":
                if isinstance(chunk, dict) and chunk.get("type") == "token":
                    yield TokenEvent(text=chunk["text"])
                continue
            for node, update in chunk.items():
                if node == "__interrupt__" or not update:
                    continue
                for event in update.get("events", []):
                    yield _EVENT.validate_python(event)

    def _pending(self, thread_id: str) -> ApprovalNeededEvent | None:
        interrupts = self.graph.get_state(_config(thread_id)).interrupts
        return ApprovalNeededEvent.model_validate(interrupts[0].value) if interrupts else None


def _whole(events: Iterator[StreamEvent]) -> list[ChatEvent]:
    return [event for event in events if not isinstance(event, TokenEvent)]


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}
