"""Save a spec an agent produced (a chat draft, a signal) as the caller's strategy, in one step.

A strategy already named like the spec gets a new version, so saving a draft again after changing it keeps
its history in one place; otherwise a new strategy is created. Either way the source is rendered and
audited first, exactly as ``POST /strategies`` does.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gentrade.api.schemas.strategies import StrategyOut, StrategyRow, VersionOut
from gentrade.codegen import render, strategy_filename
from gentrade.db.models import Strategy, User
from gentrade.db.repositories import strategies as repo
from gentrade.safety import require_clean
from gentrade.spec import StrategySpec


class SavedStrategy(BaseModel):
    created: bool = Field(description="False when a strategy of that name got a new version instead.")
    strategy: StrategyOut


def save_agent_spec(session: Session, owner: User, spec: StrategySpec, model_id: str | None) -> SavedStrategy:
    source = render(spec)
    report = require_clean(source, filename=strategy_filename(spec))
    content = repo.NewVersion(
        spec=spec.model_dump(mode="json"),
        source=source,
        audit=report.to_dict(),
        created_by_kind="agent",
        created_by_model_id=model_id,
    )
    existing = session.scalar(
        select(Strategy).where(Strategy.owner_id == owner.id, Strategy.name == spec.name)
    )
    if existing is None:
        strategy, version = repo.create(session, owner, spec.name, content)
    else:
        strategy, version = existing, repo.add_version(session, existing, spec.name, content)
    return SavedStrategy(
        created=existing is None,
        strategy=StrategyOut(
            **StrategyRow.model_validate(strategy).model_dump(), version=VersionOut.model_validate(version)
        ),
    )
