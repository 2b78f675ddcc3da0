"""The web dashboard: server-rendered pages over the API's own services, served by the same app at ``/``.

Every asset (styles, scripts, the vendored lightweight-charts build) ships inside the package, so the
dashboard works with no network at all.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from gentrade.web.pages import backtests, live, login, strategies
from gentrade.web.session import LoginRequired, ViewerDep

STATIC_DIR = Path(__file__).parent / "static"


async def _to_login(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)


def install(app: FastAPI) -> None:
    """Mount the pages and their static files on the API's app."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(LoginRequired, _to_login)
    for module in (login, strategies, backtests, live):
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    def home(_viewer: ViewerDep) -> Response:
        return RedirectResponse("/strategies", status_code=303)
