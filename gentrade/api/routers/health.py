"""Liveness (the process answers) and readiness (the database answers and its schema is at head)."""

from __future__ import annotations

import time

from fastapi import APIRouter
from sqlalchemy.exc import SQLAlchemyError

from gentrade.api.deps import ServicesDep
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.common import problems
from gentrade.api.schemas.health import Health, Ready
from gentrade.db.migrate import UPGRADE_HINT, schema_state
from gentrade.errors import SchemaOutdatedError, ServiceUnavailableError
from gentrade.supervision import children_down

router = APIRouter(route_class=SessionReleasingRoute, tags=["health"])


@router.get("/health", response_model=Health)
async def health() -> Health:
    """On the event loop, not in the thread pool: liveness must answer while every pool thread is busy
    (a saturated pool is load, not a dead process to restart)."""
    return Health()


@router.get("/ready", response_model=Ready, responses=problems(503))
def ready(svc: ServicesDep) -> Ready:
    try:
        state = schema_state(svc.engine)
    except SQLAlchemyError as exc:
        raise ServiceUnavailableError(f"database unreachable: {type(exc).__name__}") from None
    if not state.at_head:
        raise SchemaOutdatedError(
            f"schema at {state.current or '(none)'}, code needs {state.head}: run `{UPGRADE_HINT}`"
        )
    state_file = svc.settings.serve_state_file
    down = children_down(state_file, time.time()) if state_file is not None else []
    if down:
        raise ServiceUnavailableError(f"not running: {', '.join(down)} (gentrade serve is restarting it)")
    return Ready(schema_revision=state.head)
