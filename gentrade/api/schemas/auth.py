from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from gentrade.api.schemas.common import Out

Email = Field(pattern=r"^[^@\s]{1,64}@[^@\s]{1,255}$", max_length=320)
"""Enough shape to catch typos; proving an address belongs to someone takes a mail round trip anyway."""


class Credentials(BaseModel):
    email: str = Email
    password: str = Field(min_length=8, max_length=256)


class UserOut(Out):
    id: int
    email: str
    role: Literal["user", "admin"]
    created_at: datetime


class AccessToken(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class TokenOut(Out):
    id: int
    name: str
    prefix: str = Field(
        description="The token's first characters, to recognise it; the token is never shown again."
    )
    created_at: datetime
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The personal API token. Shown once: store it now.")
