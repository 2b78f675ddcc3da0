"""The ASGI application: routes plus the handlers that keep every failure Binance-shaped.

Whatever a client sends, the answer is ``{"code": …, "msg": …}``: Binance errors as raised, unknown paths and
methods as -1020, and anything unexpected as -1000 with status 500 (logged, never a traceback to the client).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gentrade.exchange import errors
from gentrade.exchange.errors import BinanceError
from gentrade.exchange.outage import Outage
from gentrade.exchange.routes import build_router
from gentrade.exchange.service import Testnet

log = logging.getLogger(__name__)


def _reply(error: BinanceError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


def create_app(testnet: Testnet) -> FastAPI:
    app = FastAPI(title="GenTrade local testnet", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(build_router(testnet))
    outage = Outage()

    @app.post("/gentrade/v1/outage")
    async def switch_outage(request: Request) -> JSONResponse:
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("down"), bool):
            raise BinanceError(-1130, 'Invalid outage: send {"down": true} or {"down": false}.')
        outage.set(body["down"])
        return JSONResponse({"down": outage.down})

    @app.exception_handler(BinanceError)
    async def binance_error(_request: Request, exc: BinanceError) -> JSONResponse:
        return _reply(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code in (404, 405):
            return _reply(errors.not_supported())
        return _reply(BinanceError(-1000, str(exc.detail), status=exc.status_code))

    @app.middleware("http")
    async def unexpected(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if (failure := outage.reply(request.url.path)) is not None:
            return failure
        try:
            return await call_next(request)
        except Exception:
            log.exception("testnet failed on %s %s", request.method, request.url.path)
            return _reply(errors.unknown_error())

    return app
