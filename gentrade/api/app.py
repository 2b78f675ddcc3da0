"""The FastAPI app factory: services, middleware, error handlers, routers under /api/v1."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gentrade import web
from gentrade.api import errors
from gentrade.api.deps import Services
from gentrade.api.executor import BacktestExecutor, LocalExecutor
from gentrade.api.middleware import RequestContextMiddleware, RequestGuardMiddleware
from gentrade.api.ratelimit import RateLimiter
from gentrade.api.routers import (
    auth,
    backtests,
    bots,
    charts,
    chat,
    credentials,
    health,
    models,
    optimizations,
    signals,
    strategies,
    users,
)
from gentrade.db.engine import make_async_engine, make_engine, make_session_factory, pool_options
from gentrade.db.keys import CredentialCipher, check_secrets, jwt_secret
from gentrade.db.migrate import ensure_schema
from gentrade.settings import Settings, get_settings

API_PREFIX = "/api/v1"


def default_executor(sessions: sessionmaker[Session], settings: Settings) -> BacktestExecutor:
    """``task_backend``: the API's own thread pool, or Celery workers (imported only when chosen)."""
    if settings.task_backend == "celery":
        from gentrade.tasks.executor import CeleryExecutor

        return CeleryExecutor(settings)
    return LocalExecutor(sessions, settings)


def build_services(
    settings: Settings, engine: Engine | None = None, executor: BacktestExecutor | None = None
) -> Services:
    check_secrets(settings)  # before anything is opened or a default key is generated
    engine = engine or make_engine(settings.resolved_database_url, **pool_options(settings))
    sessions = make_session_factory(engine)
    async_engine = (
        make_async_engine(engine.url, **pool_options(settings))
        if engine.dialect.name == "postgresql"
        else None
    )
    return Services(
        settings=settings,
        engine=engine,
        autocommit=engine.execution_options(isolation_level="AUTOCOMMIT"),
        async_engine=async_engine,
        async_autocommit=async_engine.execution_options(isolation_level="AUTOCOMMIT")
        if async_engine
        else None,
        sessions=sessions,
        executor=executor or default_executor(sessions, settings),
        cipher=CredentialCipher.from_settings(settings),
        jwt_secret=jwt_secret(settings),
        backtest_limiter=RateLimiter(
            "backtest", settings.rate_backtests_per_minute, settings.rate_backtests_burst, engine
        ),
    )


def _freeze_startup_heap() -> None:
    """Moves what imports and app construction left alive (about 300k objects: freqtrade, pandas,
    LangChain) out of the collector's reach until shutdown.

    They live as long as the process anyway, but every full collection walks them all: about 150 ms with
    the event loop stopped, which stalls every request in flight and set the list route's p99 under load.
    Garbage is collected first, so only live objects are frozen.
    """
    gc.collect()
    gc.freeze()


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    executor: BacktestExecutor | None = None,
) -> FastAPI:
    """The API app; on startup it refuses a database whose schema is behind (see ``ensure_schema``)."""
    svc = build_services(settings or get_settings(), engine, executor)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ensure_schema(svc.engine)
        _freeze_startup_heap()
        yield
        gc.unfreeze()
        svc.executor.shutdown()
        if svc.async_engine is not None:
            # Its connections belong to this event loop, so they are closed on it, not left to the GC.
            await svc.async_engine.dispose()

    app = FastAPI(
        title="GenTrade",
        version="1",
        summary="Typed strategy specs → audited Freqtrade strategies → honest offline backtests, per user.",
        lifespan=lifespan,
    )
    app.state.services = svc
    errors.install(app)
    app.add_middleware(RequestGuardMiddleware, max_bytes=svc.settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    for module in (
        health,
        auth,
        users,
        strategies,
        backtests,
        credentials,
        bots,
        chat,
        signals,
        optimizations,
        models,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(charts.router, prefix=API_PREFIX)
    web.install(app)  # the dashboard at /, on the same services and auth
    return app
