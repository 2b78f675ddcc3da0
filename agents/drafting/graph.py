"""The chat graph: one user message in, typed events out, the thread's draft kept by the checkpointer.

```
START → route ─┬─► answer ───────────────────────────────────────────► END
               ├─► draft ───(then_backtest)──► propose_backtest ─► …   END
               ├─► change ──(then_backtest)──► propose_backtest ─► …   END
               ├─► explain ──────────────────────────────────────────► END
               └─► propose_backtest ─► approve ─┬─► backtest_start ─► backtest_run ─► END
                        (no draft) ─► END        └─ (rejected) ─────────────────────► END
```

`answer` and `explain` stream the model's text as it is written: each piece goes to LangGraph's custom
stream as ``{"type": "token", "text": ...}`` (`ChatSession.stream` turns them into ``token`` events), and the
whole text then ends the node as one ``message`` event. Offline there are no tokens, only the message.

`approve` pauses the run with LangGraph's `interrupt` until a person answers `{"approved": true|false}`;
nothing is backtested without that answer. "Draft X, then backtest it" goes on from `draft` (or `change`) to
`propose_backtest` in the same turn, once the draft succeeded. The graph never runs freqtrade itself: it
splits the range into in-sample and held-back and hands both to the ``ChatBacktester`` its caller gave it
(the API's stores and queues them and waits; tests hand one that runs the engine directly).

A change bumps the thread's `draft_version` and its reply lists `spec_diff` (field by field); a change that
alters nothing says so and keeps the version. Starting and running a backtest are two nodes so the
`backtest_started` event is checkpointed and streamed before the long part begins.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Protocol, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import interrupt
from pydantic import BaseModel

from agents.analyst.critique import CritiqueRules, critique
from agents.analyst.summary import BacktestSummary
from agents.drafting.events import (
    ApprovalNeededEvent,
    BacktestDoneEvent,
    BacktestStartedEvent,
    DraftEvent,
    ErrorEvent,
    MessageEvent,
    as_state,
)
from agents.drafting.merge import merge_change
from agents.drafting.router import Route, route_offline, route_with_llm, split_backtest
from agents.drafting.spec_diff import spec_diff
from agents.llm import LLMClient
from agents.offline import DraftResult, draft
from gentrade.engine.holdout import split_timerange
from gentrade.errors import GenTradeError
from gentrade.spec import StrategySpec, parse_spec, spec_json

Update = dict[str, Any]
RECENT_MESSAGES = 10
DRAFT_PROMPT_VERSION = "chat-draft-1"
"""Part of an LLM draft's producer id; bump it when DRAFT_SYSTEM changes, so track records stay apart."""
DRAFT_TOOL = "strategy_draft"
DRAFT_TOOL_DESCRIPTION = "Emit the complete trading strategy spec for the user's idea."
DRAFT_SYSTEM = (
    "You turn trading ideas into a strategy spec. Always answer by calling the strategy_draft tool with the "
    "complete spec; never write code. Use only indicators and fields the schema allows."
)
NOT_READY = (
    "It is not ready to trade: no look-ahead check has called it clean yet (gentrade check, or the verdict "
    "on its stored version)."
)
CHAT_SYSTEM = (
    "You are GenTrade's assistant for drafting and testing trading strategies. Answer briefly. You cannot "
    "place trades or run code; strategies change only through drafts. Never call a strategy ready to trade: "
    "only a clean look-ahead check (gentrade check) can, and you have not seen one."
)
HELP = (
    "I can draft a strategy from a description (e.g. 'buy ETH/BTC when RSI(14) is under 30, stop 2 ATR'), "
    "change the draft ('use a 3% stop instead'), backtest it (after you approve) and explain the result."
)


class ChatState(TypedDict, total=False):
    """JSON-only values, so SQLite and PostgreSQL checkpointers store a thread the same way."""

    messages: Annotated[list[dict[str, str]], operator.add]
    events: Annotated[list[dict[str, Any]], operator.add]
    draft: str | None
    draft_version: int
    route: dict[str, Any]
    approved: bool
    last_backtest: dict[str, Any] | None


class Node(Protocol):
    """A node as LangGraph's ``add_node`` expects it: the parameters are named ``state`` and ``config``."""

    def __call__(self, state: ChatState, config: RunnableConfig) -> Update: ...


class Approval(BaseModel):
    """The only answer `approve` accepts when the run is resumed."""

    approved: bool


@dataclass(frozen=True)
class ChatBacktestRun:
    """One finished backtest of a chat draft: its summary, and the stored backtest's id when the backtester
    keeps one (the API's does: ``GET /backtests/{id}`` and the dashboard open it)."""

    summary: BacktestSummary
    backtest_id: int | None = None


class ChatBacktester(Protocol):
    """Runs the draft once per timerange and returns the runs in the same order, or raises a
    ``GenTradeError`` (which becomes an error event). One call for all ranges, so a backtester that stores
    them can store the draft once and run the ranges side by side. ``model_id`` is who drafted the spec."""

    def __call__(
        self, spec: StrategySpec, timeranges: Sequence[str], *, thread_id: str, model_id: str | None
    ) -> list[ChatBacktestRun]: ...


@dataclass(frozen=True)
class ChatDeps:
    """What the graph is handed: the candles to split a range on, the backtester, and an optional model."""

    datadir: Path
    backtester: ChatBacktester
    llm: LLMClient | None = None
    timerange: str | None = None


def build_chat_graph(
    deps: ChatDeps, checkpointer: BaseCheckpointSaver[Any] | None
) -> CompiledStateGraph[Any, Any, Any, Any]:
    nodes = _Nodes(deps)
    graph = StateGraph(ChatState)
    # A failed route must not leave the previous turn's route in place for the edge below to follow.
    graph.add_node("route", _guarded(nodes.route, on_error={"route": None}))
    for name in ("answer", "draft", "change", "explain", "propose_backtest", "backtest_start"):
        graph.add_node(name, _guarded(getattr(nodes, name)))
    graph.add_node("backtest_run", _guarded(nodes.backtest_run))
    graph.add_node("approve", nodes.approve)  # never guarded: its interrupt must reach LangGraph
    graph.add_edge(START, "route")
    graph.add_conditional_edges("route", _after_route, [*_INTENT_NODES.values(), END])
    graph.add_conditional_edges(
        "propose_backtest", lambda state: "approve" if state.get("draft") else END, ["approve", END]
    )
    graph.add_conditional_edges(
        "approve", lambda state: "backtest_start" if state["approved"] else END, ["backtest_start", END]
    )
    graph.add_edge("backtest_start", "backtest_run")
    for name in ("draft", "change"):
        graph.add_conditional_edges(name, _after_draft, ["propose_backtest", END])
    for name in ("answer", "explain", "backtest_run"):
        graph.add_edge(name, END)
    return graph.compile(checkpointer=checkpointer)


_INTENT_NODES = {
    "question": "answer",
    "draft": "draft",
    "change": "change",
    "explain": "explain",
    "backtest": "propose_backtest",
}


def _after_route(state: ChatState) -> str:
    route = state.get("route")
    return END if route is None else _INTENT_NODES[route["intent"]]


def _after_draft(state: ChatState) -> str:
    """On to the backtest only when asked in the same message and this turn's draft came out."""
    asked = Route.model_validate(state["route"]).then_backtest
    return "propose_backtest" if asked and state["events"][-1]["type"] == "draft" else END


def _guarded(node: Node, on_error: Update | None = None) -> Node:
    """Expected failures become an error event and the thread stays usable; bugs propagate."""

    def run(state: ChatState, config: RunnableConfig) -> Update:
        try:
            return node(state, config)
        except GenTradeError as exc:
            event = ErrorEvent(code=exc.code, message=exc.message, details=exc.details)
            return {
                **(on_error or {}),
                "events": as_state(event),
                "messages": [_assistant(f"Error: {exc.message}")],
            }

    return run


def _assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


def _say(text: str) -> Update:
    return {"events": as_state(MessageEvent(text=text)), "messages": [_assistant(text)]}


def _recent(state: ChatState) -> list[dict[str, str]]:
    return state["messages"][-RECENT_MESSAGES:]


def _user_text(state: ChatState) -> str:
    return next(m["content"] for m in reversed(state["messages"]) if m["role"] == "user")


def _idea_text(state: ChatState) -> str:
    """The user's message without a trailing "then backtest it" the route already took note of."""
    text = _user_text(state)
    return split_backtest(text)[0] if Route.model_validate(state["route"]).then_backtest else text


def _streamed(llm: LLMClient, messages: list[dict[str, str]]) -> Update:
    """The model's free-text answer, each token sent to the custom stream as it arrives, then kept whole."""
    writer = get_stream_writer()
    return _say(llm.stream_complete(messages, lambda text: writer({"type": "token", "text": text})))


def _drafted(result: DraftResult, state: ChatState, previous: StrategySpec | None = None) -> Update:
    """The new draft, with a change's version bump and diff; a change that alters nothing is only said."""
    spec = result.spec
    version = state.get("draft_version", 1)
    diff = spec_diff(previous, spec) if previous is not None else []
    if previous is not None and not diff:
        return _say(f"That changes nothing: {spec.name} stays as it is (version {version}).")
    version = version + 1 if previous is not None else 1
    event = DraftEvent(
        spec=json.loads(spec_json(spec)),
        changed=previous is not None,
        version=version,
        diff=diff,
        model_id=result.model_id,
        understood=result.understood,
        not_understood=result.not_understood,
        assumptions=result.assumptions,
    )
    verb = "Changed" if previous is not None else "Drafted"
    text = (
        f"{verb} {spec.name} (version {version}): {spec.timeframe} {', '.join(spec.pairs)} {spec.direction}."
    )
    if diff:
        text += "\n" + "\n".join(diff)
    if result.not_understood:
        text += f" Not understood: {'; '.join(result.not_understood)}."
    return {
        "draft": spec_json(spec),
        "draft_version": version,
        "events": as_state(event),
        "messages": [_assistant(text)],
    }


def _drafted_by(state: ChatState) -> str | None:
    """The producer of the thread's current draft (its latest draft event), kept with a stored version."""
    drafts = [event for event in state.get("events", []) if event["type"] == "draft"]
    return drafts[-1]["model_id"] if drafts else None


def _stored(run: ChatBacktestRun) -> str:
    return f" (backtest {run.backtest_id})" if run.backtest_id is not None else ""


def _llm_draft(llm: LLMClient, state: ChatState, previous: StrategySpec | None) -> DraftResult:
    """The model's tool call, validated against the spec schema; its words never become code."""
    system = DRAFT_SYSTEM
    if previous is not None:
        system += f"\nThe current draft, to change as the user asks:\n{spec_json(previous)}"
    spec = llm.call_tool(
        [{"role": "system", "content": system}, *_recent(state)],
        StrategySpec,
        name=DRAFT_TOOL,
        description=DRAFT_TOOL_DESCRIPTION,
    )
    return DraftResult(
        spec=spec,
        model_id=llm.producer(DRAFT_PROMPT_VERSION),
        understood=[],
        not_understood=[],
        assumptions=[],
    )


class _Nodes:
    def __init__(self, deps: ChatDeps) -> None:
        self.deps = deps

    def route(self, state: ChatState, config: RunnableConfig) -> Update:
        has_draft, has_result = bool(state.get("draft")), bool(state.get("last_backtest"))
        if self.deps.llm is None:
            route = route_offline(_user_text(state), has_draft=has_draft, has_result=has_result)
        else:
            route = route_with_llm(self.deps.llm, _recent(state), has_draft=has_draft, has_result=has_result)
        return {"route": route.model_dump()}

    def answer(self, state: ChatState, config: RunnableConfig) -> Update:
        if self.deps.llm is None:
            status = f" The current draft is {parse_spec(state['draft']).name}." if state.get("draft") else ""
            return _say(HELP + status)
        return _streamed(self.deps.llm, [{"role": "system", "content": CHAT_SYSTEM}, *_recent(state)])

    def draft(self, state: ChatState, config: RunnableConfig) -> Update:
        if self.deps.llm is None:
            return _drafted(draft(_idea_text(state)), state)
        return _drafted(_llm_draft(self.deps.llm, state, None), state)

    def change(self, state: ChatState, config: RunnableConfig) -> Update:
        if not state.get("draft"):
            return _say("There is no draft to change yet: describe a strategy first.")
        previous = parse_spec(state["draft"])
        if self.deps.llm is None:
            return _drafted(merge_change(previous, _idea_text(state)), state, previous)
        return _drafted(_llm_draft(self.deps.llm, state, previous), state, previous)

    def explain(self, state: ChatState, config: RunnableConfig) -> Update:
        if not state.get("last_backtest"):
            return _say("There is no backtest result yet: ask me to backtest the draft first.")
        summary = BacktestSummary.model_validate(state["last_backtest"])
        if self.deps.llm is not None:
            context = f"{CHAT_SYSTEM}\nThe last backtest:\n{summary.model_dump_json(indent=2)}"
            return _streamed(self.deps.llm, [{"role": "system", "content": context}, *_recent(state)])
        exits = ", ".join(f"{reason} {count}" for reason, count in summary.exit_reasons.items()) or "none"
        findings = critique(summary, CritiqueRules())
        verdict = (
            "The critic's rules flag: " + "; ".join(f.message for f in findings) + "."
            if findings
            else "It passes the critic's rules (enough trades, profitable, drawdown within limits)."
        )
        return _say(f"{summary.line()}. Exits: {exits}. {verdict} {NOT_READY}")

    def propose_backtest(self, state: ChatState, config: RunnableConfig) -> Update:
        if not state.get("draft"):
            return _say("There is no draft to backtest yet: describe a strategy first.")
        spec = parse_spec(state["draft"])
        event = ApprovalNeededEvent(
            strategy=spec.name, pairs=spec.pairs, timeframe=spec.timeframe, timerange=self._timerange(state)
        )
        return {"events": as_state(event)}

    def approve(self, state: ChatState) -> Update:
        """Pauses until resumed; LangGraph re-runs this node on resume, so it has no side effects."""
        pending = ApprovalNeededEvent.model_validate(state["events"][-1])
        reply = interrupt(pending.model_dump(mode="json"), response_schema=Approval)
        if reply.approved:
            return {"approved": True}
        return {"approved": False, **_say("Backtest not started: it was not approved.")}

    def backtest_start(self, state: ChatState, config: RunnableConfig) -> Update:
        spec = parse_spec(state["draft"])
        event = BacktestStartedEvent(strategy=spec.name, timerange=self._timerange(state))
        return {"events": as_state(event)}

    def backtest_run(self, state: ChatState, config: RunnableConfig) -> Update:
        """The in-sample and held-back ranges go to the backtester in one call; the reply names the stored
        backtests when there are any."""
        spec = parse_spec(state["draft"])
        split = split_timerange(self.deps.datadir, list(spec.pairs), spec.timeframe, self._timerange(state))
        in_sample, held_back = self.deps.backtester(
            spec,
            [split.in_sample, split.held_back],
            thread_id=config["configurable"]["thread_id"],
            model_id=_drafted_by(state),
        )
        text = (
            f"in-sample {split.in_sample}: {in_sample.summary.line()}{_stored(in_sample)}; held-back "
            f"{split.held_back} (split at {split.split_at:%Y-%m-%d}): {held_back.summary.line()}"
            f"{_stored(held_back)}"
        )
        event = BacktestDoneEvent(
            summary=in_sample.summary,
            held_back=held_back.summary,
            split_at=split.split_at,
            backtest_id=in_sample.backtest_id,
            held_back_id=held_back.backtest_id,
        )
        return {
            "last_backtest": in_sample.summary.model_dump(mode="json"),
            "events": as_state(event),
            "messages": [_assistant(text)],
        }

    def _timerange(self, state: ChatState) -> str | None:
        return Route.model_validate(state["route"]).timerange or self.deps.timerange
