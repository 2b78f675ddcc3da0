"""Optimise a strategy: walk-forward hyperopt of one version, whose best parameters become a new version.

The CLI, the API (``POST /strategies/{id}/optimize``) and the Celery task ``gentrade.optimize.run`` all come
through here. A stored optimisation is a row that moves queued -> running -> succeeded | failed; while it
runs its ``progress`` says how many epochs are done and the best loss so far (what the API's status and SSE
stream read). On success the spec with the best parameters is rendered, audited and saved as the strategy's
next version (never overwriting one), created by ``gentrade-optimizer/<loss class>``, and the walk-forward
report is attached to that version as its ``optimization`` record.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from gentrade.db.base import utcnow
from gentrade.db.models import Optimization, User
from gentrade.db.repositories import optimizations as repo
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.engine.walkforward import Progress, WalkForwardReport, WalkForwardRequest, walk_forward
from gentrade.errors import GenTradeError, OptimizeFailedError
from gentrade.services.strategy_saving import audited_content
from gentrade.spec import StrategySpec, parse_spec

Loss = Literal["sharpe", "sortino", "calmar", "profit", "max-drawdown-relative"]
PRODUCER_PREFIX = "gentrade-optimizer/"
logger = logging.getLogger("gentrade.services.optimize")


class OptimizeOptions(BaseModel):
    """What a person chooses; everything else (costs, windows' arithmetic) is fixed by the engine."""

    timerange: str = Field(description="Whole range to cut into folds, YYYYMMDD-YYYYMMDD.")
    pairs: list[str] | None = Field(None, description="Default: the spec's pairs.")
    loss: Loss = "sharpe"
    epochs: int = Field(20, ge=1, le=5000, description="Epochs per fold.")
    folds: int = Field(2, ge=1, le=20)
    in_sample: float = Field(0.7, gt=0.1, lt=0.95)
    jobs: int | None = Field(
        None, ge=1, le=64, description="Parallel searches; default: the machine's cores."
    )

    def request(self, spec: StrategySpec, datadir: Path) -> WalkForwardRequest:
        return WalkForwardRequest(
            spec=spec,
            datadir=datadir,
            timerange=self.timerange,
            pairs=self.pairs,
            loss=self.loss,
            epochs=self.epochs,
            folds=self.folds,
            in_sample=self.in_sample,
            jobs=self.jobs or os.cpu_count() or 1,
        )


def optimize_spec(
    spec: StrategySpec,
    datadir: Path,
    options: OptimizeOptions,
    on_progress: Callable[[Progress], None] | None = None,
) -> WalkForwardReport:
    """Optimise a spec that is not stored (the CLI's file mode); the caller decides where the result goes."""
    with tempfile.TemporaryDirectory(prefix="gentrade-optimize-") as workdir:
        return walk_forward(options.request(spec, datadir), Path(workdir), on_progress)


def record(
    report: WalkForwardReport, optimization_id: int | None, from_version: int | None
) -> dict[str, Any]:
    """The record a new version keeps: the report without the spec (the version *is* that spec)."""
    return {
        "optimization_id": optimization_id,
        "from_version": from_version,
        **report.model_dump(mode="json", exclude={"spec"}),
        "mean_efficiency": report.mean_efficiency,
    }


def queue(
    session: Session, user: User, strategy_id: int, version_number: int | None, options: OptimizeOptions
) -> Optimization:
    """A queued optimisation of a version (default: the current one). Checked before anything is stored:
    the version must have search ranges, so a request that can never run is a 422 now, not a failed row."""
    strategy = strategies_repo.get(session, strategy_id, user)
    version = strategies_repo.version(session, strategy, version_number)
    spec = parse_spec(version.spec)
    if not spec.search:
        raise OptimizeFailedError(
            f"version {version.number} of {strategy.name} has no search ranges: add `search` to its spec"
        )
    return repo.create(session, user, strategy, version, options.model_dump(mode="json"))


def run(
    sessions: sessionmaker[Session], optimization_id: int, datadir: Path, workdir_root: Path
) -> Optimization:
    """Run a queued optimisation to its end, recording progress, the report and the new version."""
    with sessions() as session:
        row, source = repo.start(session, optimization_id)
        spec = parse_spec(source.spec)
        options = OptimizeOptions.model_validate(row.request)
        from_version = source.number
        session.commit()

    def progress(update: Progress) -> None:
        with sessions() as session:
            repo.set_progress(session, optimization_id, update.model_dump(mode="json"))
            session.commit()

    workdir = workdir_root / f"optimization-{optimization_id}"
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        report = walk_forward(options.request(spec, datadir), workdir, progress)
    except GenTradeError as exc:
        return _finish(sessions, optimization_id, error=exc)
    except Exception:  # noqa: BLE001 - the row must not stay "running"; the log keeps the traceback
        logger.exception("optimization failed", extra={"optimization": optimization_id})
        unexpected = OptimizeFailedError(
            "the optimisation failed unexpectedly; the worker's log has the cause"
        )
        return _finish(sessions, optimization_id, error=unexpected)
    return _finish(sessions, optimization_id, report=report, from_version=from_version)


def _finish(
    sessions: sessionmaker[Session],
    optimization_id: int,
    *,
    report: WalkForwardReport | None = None,
    from_version: int | None = None,
    error: GenTradeError | None = None,
) -> Optimization:
    with sessions() as session:
        row = repo.running(session, optimization_id)
        row.finished_at = utcnow()
        if report is None:
            row.status = "failed"
            row.error_code = error.code if error else "optimize_failed"
            row.error_message = error.message if error else "failed"
        else:
            strategy = repo.strategy_of(session, row)
            content = audited_content(
                report.spec, created_by_kind="agent", model_id=PRODUCER_PREFIX + report.loss_class
            )
            version = strategies_repo.add_version(session, strategy, report.spec.name, content)
            version.optimization = record(report, optimization_id, from_version)
            session.flush()
            row.status = "succeeded"
            row.report = report.model_dump(mode="json", exclude={"spec"})
            row.result_version_id = version.id
        session.commit()
        session.refresh(row)
        session.expunge(row)
        return row
