"""The LLM layer against a local OpenAI-compatible stub server over real HTTP (see conftest.py)."""

from __future__ import annotations

import json

import pytest
from llm_stub import StubLLM, completion, error, streamed

from agents.errors import BudgetExceededError, LLMError, StructuredOutputError
from agents.llm import LLMClient, LLMSettings, MemoryRecorder, ProviderConfig, TokenBudget
from agents.offline import draft
from gentrade.spec import StrategySpec, spec_json

SPEC = draft("RSI(14) under 30 on ETH/BTC, stop 2 ATR").spec
ASK = [{"role": "user", "content": "RSI(14) under 30 on ETH/BTC, stop 2 ATR"}]


def _provider(stub: StubLLM, name: str, **extra: object) -> ProviderConfig:
    settings = {"timeout_s": 5.0, "max_retries": 1, "backoff_s": 0.01, **extra}
    return ProviderConfig(name=name, base_url=stub.base_url(name), model=f"{name}-model", **settings)


def test_json_schema_reply_is_validated_and_recorded(stub: StubLLM) -> None:
    stub.script("main", completion(spec_json(SPEC), tokens=(120, 80)))
    recorder = MemoryRecorder()
    spec = LLMClient([_provider(stub, "main")], recorder=recorder).structured(ASK, StrategySpec)
    assert spec == SPEC
    sent = stub.requests["main"][0]
    assert sent["response_format"]["type"] == "json_schema" and sent["model"] == "main-model"
    (record,) = recorder.records
    assert (record.provider, record.model, record.tokens_in, record.tokens_out, record.outcome) == (
        "main",
        "main-model",
        120,
        80,
        "ok",
    )
    assert record.latency_s > 0


def test_server_without_json_schema_falls_back_to_json_mode(stub: StubLLM) -> None:
    stub.script(
        "main", error(400, "response_format json_schema is not supported"), completion(spec_json(SPEC))
    )
    assert LLMClient([_provider(stub, "main")]).structured(ASK, StrategySpec) == SPEC
    second = stub.requests["main"][1]
    assert second["response_format"] == {"type": "json_object"}
    assert "JSON schema" in second["messages"][0]["content"]


def test_malformed_json_gets_one_repair_prompt_with_the_errors(stub: StubLLM) -> None:
    broken = json.loads(spec_json(SPEC))
    broken["take_profit"][0]["fraction"] = 0.9
    stub.script("main", completion("{not json"), completion(json.dumps(broken)))
    with pytest.raises(StructuredOutputError, match="take_profit") as caught:
        LLMClient([_provider(stub, "main")]).structured(ASK, StrategySpec)
    assert caught.value.code == "llm_bad_output"
    repair = stub.requests["main"][1]["messages"][-1]["content"]
    assert "not valid JSON" in repair

    stub.requests.clear()
    stub.script("main", completion("{not json"), completion("```json\n" + spec_json(SPEC) + "\n```"))
    assert LLMClient([_provider(stub, "main")]).structured(ASK, StrategySpec) == SPEC


def test_429_and_500_are_retried_then_the_fallback_answers(stub: StubLLM) -> None:
    stub.script("main", error(429, "slow down"), error(500, "boom"))
    stub.script("backup", completion(spec_json(SPEC)))
    recorder = MemoryRecorder()
    client = LLMClient([_provider(stub, "main"), _provider(stub, "backup")], recorder=recorder)
    assert client.structured(ASK, StrategySpec) == SPEC
    assert [(r.provider, r.outcome, r.error) for r in recorder.records] == [
        ("main", "retry", "HTTP 429"),
        ("main", "retry", "HTTP 500"),
        ("backup", "ok", None),
    ]


def test_a_timeout_moves_on_to_the_fallback(stub: StubLLM) -> None:
    slow = completion(spec_json(SPEC))
    slow.delay_s = 2.0
    stub.script("main", slow)
    stub.script("backup", completion(spec_json(SPEC)))
    recorder = MemoryRecorder()
    providers = [_provider(stub, "main", timeout_s=0.3, max_retries=0), _provider(stub, "backup")]
    assert LLMClient(providers, recorder=recorder).structured(ASK, StrategySpec) == SPEC
    assert recorder.records[0].error == "APITimeoutError" and recorder.records[-1].provider == "backup"


def test_every_provider_failing_is_one_typed_error(stub: StubLLM) -> None:
    stub.script("main", error(401, "bad key"))
    stub.script("backup", error(503), error(503))
    with pytest.raises(LLMError, match="every LLM provider failed") as caught:
        LLMClient([_provider(stub, "main"), _provider(stub, "backup")]).complete(ASK)
    assert [d["error"] for d in caught.value.details] == ["HTTP 401", "HTTP 503"]


def test_budget_overrun_stops_the_run(stub: StubLLM) -> None:
    stub.script("main", completion("{not json", tokens=(300, 100)))
    stub.script("backup", completion(spec_json(SPEC)))
    client = LLMClient([_provider(stub, "main"), _provider(stub, "backup")], budget=TokenBudget(limit=250))
    with pytest.raises(BudgetExceededError, match="400 of 250") as caught:
        client.structured(ASK, StrategySpec)
    assert caught.value.code == "llm_budget_exceeded"
    assert len(stub.requests["main"]) == 1 and not stub.requests["backup"]
    with pytest.raises(BudgetExceededError, match="budget spent"):
        client.complete(ASK)


def test_tool_call_arguments_become_the_spec(stub: StubLLM) -> None:
    stub.script(
        "main",
        completion(tool=("strategy_draft", '{"name": 1}')),
        completion(tool=("strategy_draft", spec_json(SPEC))),
    )
    spec = LLMClient([_provider(stub, "main")]).call_tool(
        ASK, StrategySpec, name="strategy_draft", description="Draft a strategy spec"
    )
    assert spec == SPEC
    first = stub.requests["main"][0]
    assert first["tools"][0]["function"]["name"] == "strategy_draft"
    assert first["tool_choice"]["function"]["name"] == "strategy_draft"
    assert "pairs" in stub.requests["main"][1]["messages"][-1]["content"]


def test_settings_set_the_budget_and_never_show_the_key() -> None:
    """Values shaped as the environment gives them; reading it is gentrade.settings' job, not the agents'."""
    providers = [{"name": "a", "base_url": "http://127.0.0.1:1/v1", "model": "m", "api_key": "sk-secret-123"}]
    settings = LLMSettings.model_validate({"providers": providers, "token_budget": "1234"})
    assert settings.providers[0].model == "m" and settings.token_budget == 1234
    assert "sk-secret-123" not in repr(settings)
    assert LLMClient.from_settings(settings).budget.limit == 1234
    with pytest.raises(LLMError, match="no LLM provider"):
        LLMClient([])


def test_stream_complete_passes_tokens_in_order_and_returns_the_text(stub: StubLLM) -> None:
    stub.script("main", streamed("The ", "stop ", "decided ", "most exits.", tokens=(30, 7)))
    recorder = MemoryRecorder()
    tokens: list[str] = []
    client = LLMClient([_provider(stub, "main")], recorder=recorder)
    text = client.stream_complete(ASK, tokens.append)
    assert tokens == ["The ", "stop ", "decided ", "most exits."]
    assert text == "The stop decided most exits."
    sent = stub.requests["main"][0]
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    (record,) = recorder.records
    assert (record.method, record.tokens_in, record.tokens_out, record.tokens_estimated) == (
        "stream",
        30,
        7,
        False,
    )
    assert client.budget.spent == 37


def test_stream_without_usage_is_charged_an_estimate(stub: StubLLM) -> None:
    stub.script("main", streamed("a fairly ", "short answer", usage=False))
    recorder = MemoryRecorder()
    client = LLMClient([_provider(stub, "main")], recorder=recorder)
    assert client.stream_complete(ASK, lambda token: None) == "a fairly short answer"
    (record,) = recorder.records
    assert record.tokens_estimated and record.tokens_out > 0 and record.tokens_in > 0
    assert client.budget.spent == record.tokens_in + record.tokens_out


def test_stream_falls_back_when_a_provider_fails_before_the_first_token(stub: StubLLM) -> None:
    stub.script("main", error(500), error(500))
    stub.script("backup", streamed("from ", "backup"))
    recorder = MemoryRecorder()
    tokens: list[str] = []
    providers = [_provider(stub, "main"), _provider(stub, "backup")]
    text = LLMClient(providers, recorder=recorder).stream_complete(ASK, tokens.append)
    assert (text, tokens) == ("from backup", ["from ", "backup"])
    assert [(r.provider, r.outcome) for r in recorder.records] == [
        ("main", "retry"),
        ("main", "retry"),
        ("backup", "ok"),
    ]


def test_stream_respects_the_budget(stub: StubLLM) -> None:
    client = LLMClient([_provider(stub, "main")], budget=TokenBudget(limit=10, spent=10))
    with pytest.raises(BudgetExceededError, match="budget spent"):
        client.stream_complete(ASK, lambda token: None)
    assert stub.requests["main"] == []
