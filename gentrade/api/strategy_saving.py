"""Save a spec an agent produced (a chat draft, a signal) as the caller's strategy, in one step.

A strategy already named like the spec gets a new version, so saving a draft again after changing it keeps
its history in one place; otherwise a new strategy is created. Either way the source is rendered and
audited first (``gentrade.services.strategy_saving``), exactly as ``POST /strategies`` does.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from gentrade.api.schemas.strategies import StrategyOut, StrategyRow, VersionOut
from gentrade.db.models import User
from gentrade.services.strategy_saving import audited_content, save_content
from gentrade.spec import StrategySpec


class SavedStrategy(BaseModel):
    created: bool = Field(description="False when a strategy of that name got a new version instead.")
    strategy: StrategyOut


def save_agent_spec(session: Session, owner: User, spec: StrategySpec, model_id: str | None) -> SavedStrategy:
    content = audited_content(spec, created_by_kind="agent", model_id=model_id)
    strategy, version, created = save_content(session, owner, spec.name, content)
    return SavedStrategy(
        created=created,
        strategy=StrategyOut(
            **StrategyRow.model_validate(strategy).model_dump(), version=VersionOut.model_validate(version)
        ),
    )
