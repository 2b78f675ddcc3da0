"""Shapes shared by every router."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict


class Problem(BaseModel):
    """Every error response."""

    code: str
    message: str
    details: Any = None
    request_id: str | None = None


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries saying these statuses answer with a ``Problem``."""
    return {status: {"model": Problem} for status in statuses}


MAX_ID = 2_147_483_647
"""Ids are 32-bit in PostgreSQL: a larger one can name nothing and must not reach the database."""

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="Object id.")]
