"""Jinja2 templates and the formatting filters pages share."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from gentrade.api.redact import redact_paths
from gentrade.web.session import Viewer

TEMPLATES = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES)


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _pct(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:+.{digits}f} %"


def _ratio_pct(value: float | None, digits: int = 2) -> str:
    """A ratio (0.0125) as percent (1.25 %)."""
    return "–" if value is None else f"{value * 100:.{digits}f} %"


def _when(value: datetime | str | None) -> str:
    if value is None:
        return "–"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%Y-%m-%d %H:%M")


def _tojson(value: Any) -> Markup:
    """JSON safe inside a <script> element (no closing tag, no HTML comment opener)."""
    text = json.dumps(value, default=str, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _sign(value: float | None) -> str:
    """A CSS class for a number's colour."""
    if value is None or value == 0:
        return ""
    return "pos" if value > 0 else "neg"


templates.env.filters.update(
    num=_num,
    pct=_pct,
    ratio_pct=_ratio_pct,
    when=_when,
    tojson_safe=_tojson,
    sign=_sign,
    no_paths=redact_paths,
)


def page(
    request: Request, template: str, viewer: Viewer | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, template, {"viewer": viewer, **context}, status_code=status_code
    )


def not_found(request: Request, viewer: Viewer, message: str) -> HTMLResponse:
    """The API's ownership rule on a page: missing and someone else's look the same."""
    return page(request, "not_found.html", viewer, status_code=404, message=message)
