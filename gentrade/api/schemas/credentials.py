from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from gentrade.api.schemas.common import Out


class CredentialIn(BaseModel):
    exchange: str = Field(pattern=r"^[a-z0-9_]{2,50}$", description="ccxt exchange id, e.g. binance.")
    label: str = Field(min_length=1, max_length=100)
    api_key: str = Field(min_length=1, max_length=512)
    api_secret: str = Field(min_length=1, max_length=4096)


class CredentialOut(Out):
    """What the API ever says about a credential: never the key or the secret."""

    id: int
    exchange: str
    label: str
    key_hint: str = Field(description="The key's first and last four characters.")
    created_at: datetime
