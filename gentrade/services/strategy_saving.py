"""A spec becomes a strategy one way: render, audit, then a strategy file on disk or a stored version (a new
strategy, or a new version of its namesake).

Every road goes through here (the CLI, quickstart, the analyst, a chat draft, a signal, the quickstart
import, an optimization, ``POST /strategies``), so none of them can write or store a source that was not
rendered from its spec and audited clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from gentrade.codegen import render, strategy_filename
from gentrade.db.models import Strategy, StrategyVersion, User
from gentrade.db.repositories import strategies as repo
from gentrade.files import write_atomically
from gentrade.safety import AuditReport, require_clean
from gentrade.spec import StrategySpec


@dataclass(frozen=True)
class BuiltStrategy:
    """A strategy file written from its spec, with the source and the audit report that let it through."""

    spec: StrategySpec
    path: Path
    source: str
    audit: AuditReport


def _rendered_and_audited(spec: StrategySpec) -> tuple[str, AuditReport]:
    """The source of ``spec`` and its clean audit report; a rendered spec that fails the audit is a renderer
    bug, raised as ``AuditFailedError`` before anything is written or stored."""
    source = render(spec)
    return source, require_clean(source, filename=strategy_filename(spec))


def build_strategy(spec: StrategySpec, strategies_dir: Path) -> BuiltStrategy:
    """Render and audit ``spec``, then write ``<Name>.py`` into ``strategies_dir`` (only if the audit
    passes), whole or not at all, for freqtrade or a bot that may be reading the folder."""
    source, report = _rendered_and_audited(spec)
    path = Path(strategies_dir) / strategy_filename(spec)
    write_atomically(path, source)
    return BuiltStrategy(spec=spec, path=path, source=source, audit=report)


def audited_content(
    spec: StrategySpec, *, created_by_kind: str = "person", model_id: str | None = None
) -> repo.NewVersion:
    """What a stored version of ``spec`` holds: the spec, its rendered source and the clean audit."""
    source, report = _rendered_and_audited(spec)
    return repo.NewVersion(
        spec=spec.model_dump(mode="json"),
        source=source,
        audit=report.to_dict(),
        created_by_kind=created_by_kind,
        created_by_model_id=model_id,
    )


def save_content(
    session: Session, owner: User, name: str, content: repo.NewVersion
) -> tuple[Strategy, StrategyVersion, bool]:
    """(strategy, version, created): a strategy already named ``name`` gets a new version, keeping its
    history in one place; otherwise a new strategy is created. Flushed, not committed."""
    existing = repo.by_name(session, owner, name)
    if existing is None:
        strategy, version = repo.create(session, owner, name, content)
        return strategy, version, True
    return existing, repo.add_version(session, existing, name, content), False
