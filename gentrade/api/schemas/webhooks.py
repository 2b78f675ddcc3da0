from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=8,
        max_length=2000,
        pattern=r"^https?://[^\s/]+",
        description="Receives JSON notifications from every bot you start (entries, exits with their tag, "
        "protections, emergency stops, crashes). Stored encrypted; never shown again in full.",
    )


class WebhookOut(BaseModel):
    configured: bool
    target: str | None = Field(description="Scheme and host only: the rest of a webhook URL may be a secret.")
