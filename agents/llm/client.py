"""One way to ask any OpenAI-compatible model for typed output, with retries, fallbacks, budget and records.

Structured output degrades by method rather than by quality: JSON schema (where the server supports it), then
JSON mode with the schema in the prompt, then one repair prompt that shows the validation errors. If that
still fails the caller gets a typed error, never a default value dressed up as a model answer.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import openai
from pydantic import BaseModel, ValidationError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from agents.errors import BudgetExceededError, LLMError, StructuredOutputError
from agents.llm.records import CallRecord, Recorder, TokenBudget
from agents.llm.settings import LLMSettings, ProviderConfig
from gentrade.spec import error_list

M = TypeVar("M", bound=BaseModel)
Message = dict[str, Any]
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, openai.APITimeoutError | openai.APIConnectionError | openai.RateLimitError):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def _describe(exc: BaseException) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    return type(exc).__name__


class _Invalid(ValueError):
    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['path']}: {p['message']}" for p in problems))
        self.problems = problems


def parse_reply(text: str | None, schema: type[M]) -> M:
    """A model's reply as `schema`, tolerating a Markdown fence; _Invalid lists what is wrong."""
    if not text:
        raise _Invalid([{"path": "(root)", "message": "the reply was empty"}])
    fenced = _FENCE.match(text)
    try:
        data = json.loads(fenced.group(1) if fenced else text)
    except json.JSONDecodeError as exc:
        raise _Invalid(
            [{"path": "(root)", "message": f"not valid JSON: {exc.msg} at position {exc.pos}"}]
        ) from None
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise _Invalid(error_list(exc)) from None


class LLMClient:
    """Providers in order of preference; one client per request (it carries that request's budget)."""

    def __init__(
        self,
        providers: Sequence[ProviderConfig],
        *,
        recorder: Recorder | None = None,
        budget: TokenBudget | None = None,
    ) -> None:
        if not providers:
            raise LLMError("no LLM provider configured (set GENTRADE_LLM__PROVIDERS)")
        self.providers = list(providers)
        self.recorder = recorder or (lambda record: None)
        self.budget = budget or TokenBudget(limit=LLMSettings.model_fields["token_budget"].default)
        self._clients: dict[str, openai.OpenAI] = {}
        self._fallback_from: str | None = None
        self.answered_by: ProviderConfig | None = None
        """The provider that gave the last successful answer: what a producer records as its model."""

    @classmethod
    def from_settings(cls, settings: LLMSettings, *, recorder: Recorder | None = None) -> LLMClient:
        return cls(settings.providers, recorder=recorder, budget=TokenBudget(limit=settings.token_budget))

    def producer(self, prompt_version: str) -> str:
        """``provider/model@prompt-version`` of the last answer: what a spec or signal records as its maker,
        so the model report tells models, and prompts of one model, apart."""
        if self.answered_by is None:
            raise LLMError("no model has answered yet, so there is no producer to name")
        return f"{self.answered_by.name}/{self.answered_by.model}@{prompt_version}"

    def structured(self, messages: list[Message], schema: type[M]) -> M:
        """`schema` filled in by the first provider that manages it."""
        return self._fallback(lambda provider: self._structured_on(provider, messages, schema))

    def call_tool(self, messages: list[Message], schema: type[M], *, name: str, description: str) -> M:
        """The arguments of a forced call to the tool `name` whose parameters are `schema`."""
        return self._fallback(lambda provider: self._tool_on(provider, messages, schema, name, description))

    def complete(self, messages: list[Message]) -> str:
        """Plain text (critiques, explanations)."""
        return self._fallback(lambda provider: self._create(provider, "text", messages=messages)[1] or "")

    def stream_complete(self, messages: list[Message], on_token: Callable[[str], None]) -> str:
        """Plain text streamed: `on_token` gets each piece as it arrives, the whole text is returned.

        Same rules as `complete`: retries and fallback to the next provider, but only while nothing has been
        passed to `on_token` yet; a stream that breaks after its first token raises `LLMError` (the caller has
        already shown part of the answer, so another provider's answer cannot be spliced on). Usage comes from
        the final chunk (``stream_options.include_usage``); a server that sends none is charged an estimate
        and its record says ``tokens_estimated``.
        """
        return self._fallback(lambda provider: self._stream_on(provider, messages, on_token))

    def _fallback(self, attempt: Callable[[ProviderConfig], Any]) -> Any:
        failures: list[dict[str, str]] = []
        for index, provider in enumerate(self.providers):
            # Calls on a later provider are recorded as a fallback from the first one of this request.
            self._fallback_from = self.providers[0].name if index else None
            try:
                answer = attempt(provider)
                self.answered_by = provider
                return answer
            except BudgetExceededError:
                raise
            except StructuredOutputError as exc:
                failures.append({"provider": provider.name, "error": exc.message})
            except openai.OpenAIError as exc:
                failures.append({"provider": provider.name, "error": _describe(exc)})
        summary = "; ".join(f"{f['provider']}: {f['error']}" for f in failures)
        if all("reply" in f["error"] for f in failures):
            raise StructuredOutputError(f"no provider produced a valid reply: {summary}", details=failures)
        raise LLMError(f"every LLM provider failed: {summary}", details=failures)

    def _client(self, provider: ProviderConfig) -> openai.OpenAI:
        if provider.name not in self._clients:
            self._clients[provider.name] = openai.OpenAI(
                base_url=provider.base_url,
                api_key=provider.api_key.get_secret_value(),
                timeout=provider.timeout_s,
                max_retries=0,
            )
        return self._clients[provider.name]

    def _create(self, provider: ProviderConfig, method: str, **request: Any) -> tuple[Any, str | None]:
        """One logical call: retried on 429/5xx/timeouts with exponential backoff, every attempt recorded."""
        for attempt in _retrying(provider):
            with attempt:
                return self._attempt(provider, method, request)
        raise AssertionError("unreachable: tenacity reraises")

    def _record_failure(
        self, provider: ProviderConfig, method: str, started: float, exc: BaseException, outcome: str
    ) -> None:
        self.recorder(
            CallRecord(
                provider=provider.name,
                model=provider.model,
                method=method,
                latency_s=time.perf_counter() - started,
                outcome=outcome,
                fallback_from=self._fallback_from,
                error=_describe(exc),
            )
        )

    def _attempt(
        self, provider: ProviderConfig, method: str, request: dict[str, Any]
    ) -> tuple[Any, str | None]:
        self.budget.check()
        started = time.perf_counter()
        try:
            response = self._client(provider).chat.completions.create(model=provider.model, **request)
        except openai.OpenAIError as exc:
            self._record_failure(provider, method, started, exc, "retry" if _retryable(exc) else "failed")
            raise
        usage = response.usage
        tokens_in, tokens_out = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
        self.recorder(
            CallRecord(
                provider=provider.name,
                model=provider.model,
                method=method,
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                latency_s=time.perf_counter() - started,
                outcome="ok",
                fallback_from=self._fallback_from,
            )
        )
        self.budget.charge(tokens_in, tokens_out)
        message = response.choices[0].message
        return message, message.content

    def _stream_on(
        self, provider: ProviderConfig, messages: list[Message], on_token: Callable[[str], None]
    ) -> str:
        for attempt in _retrying(provider):
            with attempt:
                return self._stream_attempt(provider, messages, on_token)
        raise AssertionError("unreachable: tenacity reraises")

    def _stream_attempt(
        self, provider: ProviderConfig, messages: list[Message], on_token: Callable[[str], None]
    ) -> str:
        self.budget.check()
        started = time.perf_counter()
        pieces: list[str] = []
        usage: Any = None

        try:
            request: dict[str, Any] = {"messages": messages, "stream_options": {"include_usage": True}}
            stream = self._client(provider).chat.completions.create(
                model=provider.model, stream=True, **request
            )
            with stream:
                for chunk in stream:
                    if chunk.usage is not None:
                        usage = chunk.usage
                    for choice in chunk.choices:
                        text = choice.delta.content if choice.delta else None
                        if text:
                            pieces.append(text)
                            on_token(text)
        except openai.OpenAIError as exc:
            if pieces:  # part of the answer is out: neither a retry nor another provider can continue it
                self._record_failure(provider, "stream", started, exc, "failed")
                raise LLMError(
                    f"{provider.name} broke off mid-answer: {_describe(exc)}",
                    details=[{"provider": provider.name, "error": _describe(exc)}],
                ) from exc
            self._record_failure(provider, "stream", started, exc, "retry" if _retryable(exc) else "failed")
            raise
        text = "".join(pieces)
        if usage is not None:
            tokens_in, tokens_out, estimated = usage.prompt_tokens, usage.completion_tokens, False
        else:
            tokens_in, tokens_out, estimated = _estimate_tokens(messages), _estimate(text), True
        self.recorder(
            CallRecord(
                provider=provider.name,
                model=provider.model,
                method="stream",
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                tokens_estimated=estimated,
                latency_s=time.perf_counter() - started,
                outcome="ok",
                fallback_from=self._fallback_from,
            )
        )
        self.budget.charge(tokens_in, tokens_out)
        return text

    def _structured_on(self, provider: ProviderConfig, messages: list[Message], schema: type[M]) -> M:
        schema_json = schema.model_json_schema()
        reply: str | None = None
        if provider.json_schema:
            response_format = {
                "type": "json_schema",
                "json_schema": {"name": schema.__name__, "schema": schema_json},
            }
            try:
                reply = self._create(
                    provider, "json_schema", messages=messages, response_format=response_format
                )[1]
            except openai.BadRequestError:
                reply = None  # The server does not do JSON schema: ask in words instead.
        if reply is None:
            instruction = {
                "role": "system",
                "content": "Reply with one JSON object only, matching this JSON "
                f"schema:\n{json.dumps(schema_json)}",
            }
            reply = self._create(
                provider,
                "json_mode",
                messages=[instruction, *messages],
                response_format={"type": "json_object"},
            )[1]
        try:
            return parse_reply(reply, schema)
        except _Invalid as invalid:
            repair = [
                *messages,
                {"role": "assistant", "content": reply or ""},
                _repair_prompt(invalid, schema_json),
            ]
            fixed = self._create(
                provider, "repair", messages=repair, response_format={"type": "json_object"}
            )[1]
            return _final(fixed, schema, provider)

    def _tool_on(
        self, provider: ProviderConfig, messages: list[Message], schema: type[M], name: str, description: str
    ) -> M:
        schema_json = schema.model_json_schema()
        tools = [
            {
                "type": "function",
                "function": {"name": name, "description": description, "parameters": schema_json},
            }
        ]
        choice = {"type": "function", "function": {"name": name}}
        message, _ = self._create(provider, "tool", messages=messages, tools=tools, tool_choice=choice)
        arguments = _tool_arguments(message, name)
        try:
            return parse_reply(arguments, schema)
        except _Invalid as invalid:
            repair = [
                *messages,
                {"role": "assistant", "content": arguments or ""},
                _repair_prompt(invalid, schema_json),
            ]
            fixed, _ = self._create(provider, "tool_repair", messages=repair, tools=tools, tool_choice=choice)
            return _final(_tool_arguments(fixed, name), schema, provider)


def _estimate(text: str) -> int:
    """A rough token count (about four characters a token) for servers that report no usage."""
    return max(1, (len(text) + 3) // 4) if text else 0


def _estimate_tokens(messages: list[Message]) -> int:
    return sum(_estimate(str(m.get("content") or "")) + 4 for m in messages)


def _tool_arguments(message: Any, name: str) -> str | None:
    for call in message.tool_calls or []:
        if call.function.name == name:
            return call.function.arguments
    return None


def _repair_prompt(invalid: _Invalid, schema_json: dict[str, Any]) -> Message:
    problems = "\n".join(f"- {p['path']}: {p['message']}" for p in invalid.problems)
    return {
        "role": "user",
        "content": f"Your reply is not valid:\n{problems}\nReply again with only the corrected "
        f"JSON object, matching this JSON schema:\n{json.dumps(schema_json)}",
    }


def _final(reply: str | None, schema: type[M], provider: ProviderConfig) -> M:
    try:
        return parse_reply(reply, schema)
    except _Invalid as invalid:
        raise StructuredOutputError(
            f"{provider.name} gave no valid reply after a repair prompt: {invalid}", details=invalid.problems
        ) from None


def _retrying(provider: ProviderConfig) -> Retrying:
    """Retries on 429/5xx/timeouts with exponential backoff, as the provider's settings say."""
    return Retrying(
        retry=retry_if_exception(_retryable),
        stop=stop_after_attempt(provider.max_retries + 1),
        wait=wait_exponential(multiplier=provider.backoff_s, max=30),
        reraise=True,
    )
