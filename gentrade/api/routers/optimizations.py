"""Optimisations: queue a walk-forward hyperopt of a strategy version, follow it (status, SSE), read it.

With Celery (``task_backend=celery``) the API only publishes ``gentrade.optimize.run``; embedded, it runs the
same service body on a thread of its own (the work itself happens in sandboxed child processes). Either way
the row is the truth: status, progress (epochs done, best loss so far), the report, the new version.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from gentrade.api.deps import CurrentUser, DbSession, RequestId, Services, ServicesDep
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.common import ObjectId, problems
from gentrade.db.models import Optimization, User
from gentrade.db.repositories import optimizations as repo
from gentrade.db.repositories.scope import record
from gentrade.services import optimize

router = APIRouter(route_class=SessionReleasingRoute, tags=["optimizations"], responses=problems(401))
TASK_NAME = "gentrade.optimize.run"
_POLL_S = 0.5


class OptimizeIn(optimize.OptimizeOptions):
    version: int | None = Field(None, ge=1, description="Default: the current version.")


class OptimizationOut(BaseModel):
    id: int
    strategy_id: int
    status: str
    request: dict[str, Any]
    progress: dict[str, Any] | None = Field(
        description="fold, folds, epochs_done, epochs_total, best_loss, phase."
    )
    report: dict[str, Any] | None = Field(
        description="Each fold's in-sample and held-back results, and params."
    )
    result_version_id: int | None
    error_code: str | None
    error_message: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, row: Optimization) -> OptimizationOut:
        return cls.model_validate(row, from_attributes=True)


def _dispatch(svc: Services, optimization_id: int) -> None:
    """Publish to Celery when the API queues through it; otherwise run here, on a thread of its own."""
    celery_app = getattr(svc.executor, "app", None)
    if celery_app is not None:
        celery_app.send_task(TASK_NAME, args=(optimization_id,), retry=False)
        return
    settings = svc.settings
    thread = threading.Thread(
        target=optimize.run,
        args=(svc.sessions, optimization_id, settings.resolved_data_dir, settings.user_dir / "optimizations"),
        name=f"optimize-{optimization_id}",
        daemon=True,
    )
    thread.start()


@router.post(
    "/strategies/{strategy_id}/optimize",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OptimizationOut,
    responses=problems(404, 422),
)
def create_optimization(
    strategy_id: ObjectId,
    body: OptimizeIn,
    user: CurrentUser,
    session: DbSession,
    svc: ServicesDep,
    request_id: RequestId,
) -> OptimizationOut:
    """Queue a walk-forward optimisation; its best parameters become the strategy's next version."""
    options = optimize.OptimizeOptions.model_validate(body.model_dump(exclude={"version"}))
    row = optimize.queue(session, user, strategy_id, body.version, options)
    record(session, user, "create", "optimization", row.id, request_id)
    session.commit()
    _dispatch(svc, row.id)
    return OptimizationOut.of(row)


@router.get("/optimizations/{optimization_id}", response_model=OptimizationOut, responses=problems(404))
def get_optimization(optimization_id: ObjectId, user: CurrentUser, session: DbSession) -> OptimizationOut:
    return OptimizationOut.of(repo.get(session, optimization_id, user))


def _events(svc: Services, optimization_id: int, user: User) -> Iterator[str]:
    """A `progress` event whenever the row's progress changes, then one `done` event with the final row."""
    last: Any = None
    while True:
        with svc.sessions() as session:
            row = repo.get(session, optimization_id, user)
            out = OptimizationOut.of(row)
        if out.progress != last and out.progress is not None:
            last = out.progress
            yield f"event: progress\ndata: {json.dumps(out.progress)}\n\n"
        if out.status in ("succeeded", "failed"):
            yield f"event: done\ndata: {out.model_dump_json()}\n\n"
            return
        time.sleep(_POLL_S)


@router.get(
    "/optimizations/{optimization_id}/events",
    responses={
        **problems(404),
        200: {"content": {"text/event-stream": {}}, "description": "Progress events."},
    },
)
def optimization_events(
    optimization_id: ObjectId, user: CurrentUser, session: DbSession, svc: ServicesDep
) -> StreamingResponse:
    """Server-sent events while it runs: `progress` (epochs done, best loss), then `done` (the final row)."""
    repo.get(session, optimization_id, user)  # a 404 before the stream starts
    return StreamingResponse(
        _events(svc, optimization_id, user),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
