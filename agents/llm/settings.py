"""Where the models are: an ordered list of OpenAI-compatible endpoints, and what one request may spend.

The agents are handed this configuration, never read it: it is the ``llm`` part of ``gentrade``'s one
Settings object, read from the environment with the rest of it, as
``GENTRADE_LLM__PROVIDERS='[{"name": "main", "base_url": "https://…/v1", "api_key": "…", "model": "…"}]'`` and
``GENTRADE_LLM__TOKEN_BUDGET=20000``; the first provider is preferred, the others are fallbacks in order.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class ProviderConfig(BaseModel):
    name: str
    base_url: str = Field(description="OpenAI-compatible base URL, ending in /v1 for most servers.")
    api_key: SecretStr = SecretStr("not-needed")
    model: str
    timeout_s: float = Field(30.0, gt=0)
    max_retries: int = Field(
        2, ge=0, le=10, description="Retries on 429, 5xx and timeouts before falling back."
    )
    backoff_s: float = Field(1.0, ge=0, description="First retry delay; doubles each retry.")
    json_schema: bool = Field(
        True, description="False for servers known to reject response_format json_schema."
    )


class LLMSettings(BaseModel):
    """No providers: the offline drafter and analyst answer."""

    providers: list[ProviderConfig] = Field(default_factory=list)
    token_budget: int = Field(50_000, gt=0, description="Tokens (in + out) one request may spend in total.")
