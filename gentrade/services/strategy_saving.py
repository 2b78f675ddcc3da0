"""Store a spec as the owner's strategy: render, audit, then create it or add a version to its namesake.

One path for every way a spec becomes a stored version (a chat draft, a signal, the quickstart import), so
none of them can store a source that was not rendered from its spec and audited clean.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gentrade.codegen import render, strategy_filename
from gentrade.db.models import Strategy, StrategyVersion, User
from gentrade.db.repositories import strategies as repo
from gentrade.safety import require_clean
from gentrade.spec import StrategySpec


def audited_content(
    spec: StrategySpec, *, created_by_kind: str = "person", model_id: str | None = None
) -> repo.NewVersion:
    """Render and audit; a rendered spec that fails the audit is a renderer bug and is never stored."""
    source = render(spec)
    report = require_clean(source, filename=strategy_filename(spec))
    return repo.NewVersion(
        spec=spec.model_dump(mode="json"),
        source=source,
        audit=report.to_dict(),
        created_by_kind=created_by_kind,
        created_by_model_id=model_id,
    )


def owned_by_name(session: Session, owner: User, name: str) -> Strategy | None:
    return session.scalar(select(Strategy).where(Strategy.owner_id == owner.id, Strategy.name == name))


def save_content(
    session: Session, owner: User, name: str, content: repo.NewVersion
) -> tuple[Strategy, StrategyVersion, bool]:
    """(strategy, version, created): a strategy already named ``name`` gets a new version, keeping its
    history in one place; otherwise a new strategy is created. Flushed, not committed."""
    existing = owned_by_name(session, owner, name)
    if existing is None:
        strategy, version = repo.create(session, owner, name, content)
        return strategy, version, True
    return existing, repo.add_version(session, existing, name, content), False
