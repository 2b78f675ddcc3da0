from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=8,
        max_length=2000,
        pattern=r"^https?://[^\s/]+",
        description="Receives JSON notifications from every bot you start (entries, exits with their tag, "
        "protections, emergency stops, crashes). Stored encrypted; never shown again in full.",
    )

    @field_validator("url")
    @classmethod
    def _parsable(cls, value: str) -> str:
        """The pattern admits text urllib cannot split (``http://[``); those are a 422, not a 500 later."""
        try:
            parts = urlsplit(value)
            host, _ = parts.hostname, parts.port
        except ValueError as exc:
            raise ValueError(f"not a valid URL: {exc}") from None
        if not host:
            raise ValueError("the URL names no host")
        return value


class WebhookOut(BaseModel):
    configured: bool
    target: str | None = Field(description="Scheme and host only: the rest of a webhook URL may be a secret.")
