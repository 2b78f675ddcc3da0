"""The chat graph: route a message, draft or change a spec through a schema, ask before backtesting
(LangGraph `interrupt`), and keep each thread in a checkpointer the caller hands in; an approved backtest
goes to the backtester the caller hands in."""

from agents.drafting.events import (
    ApprovalNeededEvent,
    BacktestDoneEvent,
    BacktestStartedEvent,
    ChatEvent,
    DraftEvent,
    ErrorEvent,
    MessageEvent,
    StreamEvent,
    TokenEvent,
)
from agents.drafting.graph import (
    Approval,
    ChatBacktester,
    ChatBacktestRun,
    ChatDeps,
    ChatState,
    build_chat_graph,
)
from agents.drafting.merge import merge_change
from agents.drafting.router import Route, route_offline
from agents.drafting.session import ChatSession, ChatView, NothingToApproveError

__all__ = [
    "Approval",
    "ApprovalNeededEvent",
    "BacktestDoneEvent",
    "BacktestStartedEvent",
    "ChatBacktestRun",
    "ChatBacktester",
    "ChatDeps",
    "ChatEvent",
    "ChatSession",
    "ChatState",
    "ChatView",
    "DraftEvent",
    "ErrorEvent",
    "MessageEvent",
    "NothingToApproveError",
    "Route",
    "StreamEvent",
    "TokenEvent",
    "build_chat_graph",
    "merge_change",
    "route_offline",
]
