"""The analyst graph: candles → snapshot → signal and spec → build (render + audit) → in-sample backtest →
critique → bounded revisions → one check on a held-back range, reported as it came out.

```
START → load → analyze → build → backtest_in_sample → critique ─┬─► revise → build (loop, ≤ max_revisions)
                                                                 └─► held_back ─┬─► lookahead_check → END
                                                          (both ranges passed) ─┘   (otherwise END)
any node that fails ──► END (the error is kept in state and reported)
```

The held-back range is never used to choose anything: the candles the analyst reads end where the in-sample
range ends, revisions look only at in-sample results, and the held-back backtest runs once, at the end.
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, TypedDict

import pandas as pd
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from agents.analyst.critique import CritiqueRules, Finding, critique
from agents.analyst.llm_analyst import analyze_with_llm, revise_with_llm
from agents.analyst.revise import revise, revised_name
from agents.analyst.summary import BacktestSummary
from agents.errors import UntradableDirectionError
from agents.llm import LLMClient
from agents.offline import Snapshot, analyze, take_snapshot
from gentrade.data import store
from gentrade.engine.analysis import check_strategy
from gentrade.errors import GenTradeError
from gentrade.spec import StrategySpec, TradeSignal, parse_signal, parse_spec, spec_json
from gentrade.spec.common import Pair
from gentrade.spec.signal import SignalTimeframe


class Node(Protocol):
    """A node as LangGraph's ``add_node`` expects it: the state parameter is named ``state``."""

    def __call__(self, state: AnalystState) -> dict[str, Any]: ...


class AnalystRequest(BaseModel):
    """One analysis: a market, an in-sample range and a later held-back range (freqtrade timeranges)."""

    model_config = ConfigDict(frozen=True)

    pair: Pair
    timeframe: SignalTimeframe = "1h"
    in_sample: str = Field(description="YYYYMMDD-YYYYMMDD; the analyst reads candles up to its end.")
    held_back: str = Field(description="YYYYMMDD-YYYYMMDD, starting at or after the in-sample end.")
    news: str | None = Field(None, max_length=4000, description="Untrusted text shown to an LLM analyst.")
    max_revisions: int = Field(2, ge=0, le=3)

    @model_validator(mode="after")
    def _ranges_in_order(self) -> AnalystRequest:
        inside, later = store.TimeRange.parse(self.in_sample), store.TimeRange.parse(self.held_back)
        if not (inside.start and inside.stop and later.start and later.stop):
            raise ValueError("in_sample and held_back need both ends (YYYYMMDD-YYYYMMDD)")
        if later.start < inside.stop:
            raise ValueError("held_back: must start at or after the end of in_sample (no overlap)")
        return self


class Round(BaseModel):
    """One in-sample attempt: the spec tried, what changed to get it, its numbers and the critic's view."""

    spec_name: str
    changes: list[str]
    in_sample: BacktestSummary
    findings: list[Finding]


class HeldBack(BaseModel):
    summary: BacktestSummary
    findings: list[Finding]


class AnalystOutcome(BaseModel):
    """Both ranges as they came out; a strategy that fails the held-back range says so here."""

    request: AnalystRequest
    source: Literal["offline", "llm"] | None = None
    snapshot: Snapshot | None = None
    signal: TradeSignal | None = None
    spec: StrategySpec | None = None
    strategy_file: str | None = None
    rounds: list[Round] = Field(default_factory=list)
    held_back: HeldBack | None = None
    lookahead: dict[str, Any] | None = Field(
        None,
        description="The look-ahead check (gentrade check) of the final strategy: verdict, reason, settings; "
        "run only once both ranges passed.",
    )
    notes: list[str] = Field(default_factory=list)
    error: dict[str, Any] | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def side_by_side(self) -> dict[str, Any] | None:
        """The last in-sample round and the held-back run next to each other, with the split dates, and the
        signal's confidence with the evidence behind it (its reasoning and both ranges' numbers)."""
        if not self.rounds or self.held_back is None:
            return None
        inside, later = self.rounds[-1].in_sample, self.held_back.summary
        metrics = ("trades", "win_rate", "profit_total_pct", "max_drawdown_pct", "profit_factor", "sharpe")
        return {
            "in_sample": {"timerange": self.request.in_sample, "start": inside.start, "end": inside.end},
            "held_back": {"timerange": self.request.held_back, "start": later.start, "end": later.end},
            "split_at": later.start,
            "rows": [
                {"metric": m, "in_sample": getattr(inside, m), "held_back": getattr(later, m)}
                for m in metrics
            ],
            "confidence": None if self.signal is None else self.signal.confidence,
            "evidence": [
                *([self.signal.reasoning] if self.signal is not None and self.signal.reasoning else []),
                f"in-sample {self.request.in_sample}: {inside.line()}",
                f"held-back {self.request.held_back}: {later.line()}",
            ],
        }

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict(
        self,
    ) -> Literal["passed", "unverified", "failed_in_sample", "failed_held_back", "failed_both", "error"]:
        """``passed`` only when both ranges passed the critic *and* the look-ahead check called the strategy
        clean; both ranges passing without that is ``unverified``, never ready."""
        if self.error is not None or not self.rounds or self.held_back is None:
            return "error"
        inside, later = not self.rounds[-1].findings, not self.held_back.findings
        if inside and later:
            clean = self.lookahead is not None and self.lookahead.get("verdict") == "clean"
            return "passed" if clean else "unverified"
        if inside:
            return "failed_held_back"
        return "failed_in_sample" if later else "failed_both"


class AnalystState(TypedDict, total=False):
    """JSON-only values, so any checkpointer (SQLite, PostgreSQL) can store a run."""

    request: dict[str, Any]
    backtest_datadir: str
    source: str
    snapshot: dict[str, Any]
    signal: dict[str, Any]
    spec: str
    base_name: str
    strategy_file: str
    revisions: int
    changes: list[str]
    in_sample: dict[str, Any]
    rounds: list[dict[str, Any]]
    held_back: dict[str, Any]
    lookahead: dict[str, Any]
    notes: Annotated[list[str], operator.add]
    error: dict[str, Any]


BuildStrategy = Callable[[StrategySpec, Path], Path]
"""Render and audit a spec, write its strategy file into the folder, and return the file's path."""


class RunBacktest(Protocol):
    """Backtest a strategy file on one pair; where it runs and under which limits is the caller's choice."""

    def __call__(
        self,
        strategy_file: Path,
        *,
        datadir: Path,
        timerange: str,
        pair: str,
        timeframe: str,
        results_dir: Path,
    ) -> BacktestSummary: ...


@dataclass(frozen=True)
class AnalystDeps:
    """What the graph is handed: where candles are, a work folder of its own, how a spec becomes a strategy
    file and how a file is backtested (the services layer's, so the analyst's backtests take the settings'
    launcher and limits like every other), and optionally a model."""

    datadir: Path
    workdir: Path
    build: BuildStrategy
    backtest: RunBacktest
    llm: LLMClient | None = None
    rules: CritiqueRules = CritiqueRules()


def build_analyst_graph(
    deps: AnalystDeps, checkpointer: BaseCheckpointSaver[Any] | None = None
) -> CompiledStateGraph[Any, Any, Any, Any]:
    nodes = _Nodes(deps)
    graph = StateGraph(AnalystState)
    graph.add_node("load", _guarded("load", nodes.load))
    graph.add_node("analyze", _guarded("analyze", nodes.analyze))
    graph.add_node("build", _guarded("build", nodes.build))
    graph.add_node("backtest_in_sample", _guarded("backtest_in_sample", nodes.backtest_in_sample))
    graph.add_node("critique", _guarded("critique", nodes.critique))
    graph.add_node("revise", _guarded("revise", nodes.revise))
    graph.add_node("held_back", _guarded("held_back", nodes.held_back))
    graph.add_node("lookahead_check", _guarded("lookahead_check", nodes.lookahead_check))
    graph.add_edge(START, "load")
    for before, after in (
        ("load", "analyze"),
        ("analyze", "build"),
        ("build", "backtest_in_sample"),
        ("backtest_in_sample", "critique"),
    ):
        graph.add_conditional_edges(before, _unless_error(after), [after, END])
    graph.add_conditional_edges("critique", _after_critique, ["revise", "held_back", END])
    graph.add_conditional_edges("revise", _after_revise, ["build", "held_back", END])
    graph.add_conditional_edges("held_back", _after_held_back, ["lookahead_check", END])
    graph.add_edge("lookahead_check", END)
    return graph.compile(checkpointer=checkpointer)


def run_analyst(
    request: AnalystRequest,
    deps: AnalystDeps,
    *,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    thread_id: str | None = None,
) -> AnalystOutcome:
    """Run the whole graph once; errors end up in the outcome (with their stable code), not as exceptions."""
    graph = build_analyst_graph(deps, checkpointer)
    config: RunnableConfig = {"configurable": {"thread_id": thread_id or f"analyst:{uuid.uuid4().hex}"}}
    start: AnalystState = {"request": request.model_dump(mode="json"), "revisions": 0, "rounds": []}
    final = graph.invoke(start, config)
    return outcome_of(final)


def outcome_of(state: dict[str, Any]) -> AnalystOutcome:
    """The final state as a typed outcome; the spec goes through `parse_spec` once more on the way out."""
    fields = {key: state[key] for key in AnalystOutcome.model_fields if key in state and key != "spec"}
    spec = parse_spec(state["spec"]) if state.get("spec") else None
    return AnalystOutcome.model_validate({**fields, "spec": spec})


def _guarded(name: str, node: Node) -> Node:
    """Expected failures (bad model output, audit, missing data, a failed backtest) end the run as a
    reported error with its stable code; anything else is a bug and propagates."""

    def run(state: AnalystState) -> dict[str, Any]:
        try:
            return node(state)
        except GenTradeError as exc:
            return {"error": {**exc.to_dict(), "node": name}}

    return run


def _unless_error(target: str) -> Callable[[AnalystState], str]:
    def route(state: AnalystState) -> str:
        return END if state.get("error") else target

    return route


def _after_critique(state: AnalystState) -> str:
    if state.get("error"):
        return END
    findings = state["rounds"][-1]["findings"]
    budget = AnalystRequest.model_validate(state["request"]).max_revisions
    return "revise" if findings and state["revisions"] < budget else "held_back"


def _after_held_back(state: AnalystState) -> str:
    """Only a strategy both ranges passed could be called ready, so only that one pays for the check."""
    if state.get("error"):
        return END
    passed = not state["rounds"][-1]["findings"] and not state["held_back"]["findings"]
    return "lookahead_check" if passed else END


def _after_revise(state: AnalystState) -> str:
    if state.get("error"):
        return END
    return "build" if state["changes"] else "held_back"


class _Nodes:
    def __init__(self, deps: AnalystDeps) -> None:
        self.deps = deps

    def _candles(self, request: AnalystRequest) -> pd.DataFrame:
        """Candles the analyst may read: only those before the in-sample range ends."""
        candles = store.load_candles_frame(self.deps.datadir, request.pair, request.timeframe, resample=True)
        stop = store.TimeRange.parse(request.in_sample).stop
        return candles[candles["date"] < stop].reset_index(drop=True)

    def load(self, state: AnalystState) -> dict[str, Any]:
        request = AnalystRequest.model_validate(state["request"])
        snapshot = take_snapshot(self._candles(request), request.pair, request.timeframe)
        return {"snapshot": snapshot.model_dump(mode="json"), "backtest_datadir": str(self._datadir(request))}

    def _datadir(self, request: AnalystRequest) -> Path:
        """freqtrade cannot resample: when only finer candles are stored, write the resampled series (all
        of it, the held-back range included) into the work folder for the backtests to read."""
        if request.timeframe in store.list_timeframes(self.deps.datadir, request.pair):
            return self.deps.datadir
        derived = self.deps.workdir / "data"
        coarse = store.load_candles_frame(self.deps.datadir, request.pair, request.timeframe, resample=True)
        store.save_candles(derived, request.pair, request.timeframe, coarse)
        return derived

    def analyze(self, state: AnalystState) -> dict[str, Any]:
        request = AnalystRequest.model_validate(state["request"])
        notes: list[str] = []
        if self.deps.llm is None:
            analysis = analyze(self._candles(request), request.pair, request.timeframe)
            signal, spec, source = analysis.signal, analysis.spec, "offline"
            if request.news:
                notes.append("news ignored: the offline analyst reads candles only")
        else:
            snapshot = Snapshot.model_validate(state["snapshot"])
            signal, spec = analyze_with_llm(self.deps.llm, snapshot, request.news)
            source = "llm"
        _require_tradable(signal)
        return {
            "source": source,
            "signal": parse_signal(signal.model_dump(mode="json")).model_dump(mode="json"),
            "spec": spec_json(parse_spec(spec.model_dump(mode="json"))),
            "base_name": spec.name,
            "changes": [],
            "notes": notes,
        }

    def build(self, state: AnalystState) -> dict[str, Any]:
        path = self.deps.build(parse_spec(state["spec"]), self.deps.workdir / "strategies")
        return {"strategy_file": str(path)}

    def _backtest(self, state: AnalystState, timerange: str) -> BacktestSummary:
        request = AnalystRequest.model_validate(state["request"])
        return self.deps.backtest(
            Path(state["strategy_file"]),
            datadir=Path(state["backtest_datadir"]),
            timerange=timerange,
            pair=request.pair,
            timeframe=request.timeframe,
            results_dir=self.deps.workdir / "runs",
        )

    def backtest_in_sample(self, state: AnalystState) -> dict[str, Any]:
        timerange = AnalystRequest.model_validate(state["request"]).in_sample
        return {"in_sample": self._backtest(state, timerange).model_dump(mode="json")}

    def critique(self, state: AnalystState) -> dict[str, Any]:
        summary = BacktestSummary.model_validate(state["in_sample"])
        findings = critique(summary, self.deps.rules)
        round_ = Round(
            spec_name=parse_spec(state["spec"]).name,
            changes=state.get("changes", []),
            in_sample=summary,
            findings=findings,
        )
        return {"rounds": [*state["rounds"], round_.model_dump(mode="json")]}

    def revise(self, state: AnalystState) -> dict[str, Any]:
        spec = parse_spec(state["spec"])
        last = Round.model_validate(state["rounds"][-1])
        revision = state["revisions"] + 1
        name = revised_name(state["base_name"], revision)
        if self.deps.llm is None:
            revised, changes = revise(spec, last.findings, name)
            if not changes:
                return {"changes": [], "notes": [f"no offline move for: {_codes(last.findings)}"]}
        else:
            proposal = revise_with_llm(self.deps.llm, spec, last.in_sample, last.findings)
            revised = parse_spec({**proposal.model_dump(mode="json"), "name": name})
            changes = [f"model revision for: {_codes(last.findings)}"]
        return {"spec": spec_json(revised), "revisions": revision, "changes": changes}

    def lookahead_check(self, state: AnalystState) -> dict[str, Any]:
        """freqtrade's lookahead and recursive analyses (``gentrade.engine.analysis``) on the final file."""
        request = AnalystRequest.model_validate(state["request"])
        report = check_strategy(
            Path(state["strategy_file"]),
            Path(state["backtest_datadir"]),
            work_dir=self.deps.workdir / "checks",
            pairs=[request.pair],
            timerange=_span(request),
        )
        return {
            "lookahead": {
                "verdict": report.verdict,
                "reason": report.reason,
                "settings": report.settings.model_dump(mode="json"),
            }
        }

    def held_back(self, state: AnalystState) -> dict[str, Any]:
        timerange = AnalystRequest.model_validate(state["request"]).held_back
        summary = self._backtest(state, timerange)
        findings = critique(summary, self.deps.rules, held_back=True)
        return {"held_back": HeldBack(summary=summary, findings=findings).model_dump(mode="json")}


def _span(request: AnalystRequest) -> str:
    """Both ranges as one timerange: the check looks at everything the strategy was backtested on."""
    return f"{request.in_sample.partition('-')[0]}-{request.held_back.partition('-')[2]}"


def _require_tradable(signal: TradeSignal) -> None:
    """GenTrade trades spot markets (``trading_mode: spot``; a ``BASE/QUOTE:SETTLE`` pair is a derivative):
    a short there cannot be opened, so the analyst proposes nothing rather than an idea nobody can trade."""
    if signal.direction == "short" and ":" not in signal.symbol:
        raise UntradableDirectionError(
            f"{signal.symbol} is a spot market and cannot be shorted; the analysis favoured a short "
            f"(confidence {signal.confidence}: {signal.reasoning or 'no reasoning given'}), so no strategy "
            "is proposed",
            details={"pair": signal.symbol, "direction": "short", "confidence": signal.confidence},
        )


def _codes(findings: list[Finding]) -> str:
    return ", ".join(finding.code for finding in findings)
