from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from gentrade.api.schemas.common import Out
from gentrade.spec import StrategySpec


class CreatedBy(BaseModel):
    kind: Literal["person", "agent"] = "person"
    model_id: str | None = Field(
        None, max_length=200, description="The model that produced the spec (agents)."
    )


class StrategyIn(BaseModel):
    spec: StrategySpec
    created_by: CreatedBy | None = None


class VersionSummary(Out):
    number: int
    created_by_kind: Literal["person", "agent"]
    created_by_model_id: str | None
    created_at: datetime


class VersionOut(VersionSummary):
    spec: dict[str, Any]
    audit: dict[str, Any] = Field(description="The static audit report of the rendered source.")
    check_verdict: Literal["clean", "biased", "inconclusive", "failed"] | None = Field(
        None, description="The look-ahead check (`gentrade check`); null until the check task has run."
    )
    check_report: dict[str, Any] | None = Field(
        None, description="The check's settings and findings (lookahead, recursive), or its error."
    )
    optimization: dict[str, Any] | None = Field(
        None, description="The walk-forward report of the optimisation that made this version, if one did."
    )


class StrategyRow(Out):
    """A list row: no spec or source, so a page of 50 stays a few kilobytes."""

    id: int
    owner_id: int
    name: str
    current_version: int
    created_at: datetime
    updated_at: datetime


class StrategyOut(StrategyRow):
    version: VersionOut


class StrategyPage(BaseModel):
    items: list[StrategyRow]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class SpecIn(BaseModel):
    spec: StrategySpec


class Rendered(BaseModel):
    filename: str
    source: str


class SourceIn(BaseModel):
    source: str = Field(description="Strategy source text (at most 200 KB).")
    filename: str | None = Field(None, max_length=255)


class Violation(BaseModel):
    line: int
    col: int
    code: str
    message: str


class AuditOut(BaseModel):
    ok: bool
    filename: str | None = None
    class_name: str | None = None
    violations: list[Violation]
