"""Sign in, create an account, sign out: the same users, passwords and tokens as ``/api/v1/auth``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from gentrade.api.deps import DbSession, ServicesDep
from gentrade.api.routing import SessionReleasingRoute
from gentrade.api.schemas.auth import Credentials
from gentrade.api.security import create_access_token, hash_password, verify_password
from gentrade.db.repositories import users
from gentrade.db.repositories.scope import record
from gentrade.errors import ConflictError
from gentrade.web.render import page
from gentrade.web.session import COOKIE

router = APIRouter(route_class=SessionReleasingRoute, include_in_schema=False)
Field = Annotated[str, Form(max_length=400)]


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an absolute URL here would make the login form an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _signed_in(svc: ServicesDep, user_id: int, target: str | None) -> Response:
    minutes = svc.settings.access_token_minutes
    response = RedirectResponse(_safe_next(target), status_code=303)
    response.set_cookie(
        COOKIE,
        create_access_token(user_id, svc.jwt_secret, minutes),
        max_age=minutes * 60,
        httponly=True,
        samesite="strict",
        path="/",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return page(request, "login.html", None, next=_safe_next(next), error=None, email="")


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, svc: ServicesDep, session: DbSession, email: Field, password: Field, next: Field = "/"
) -> Response:
    user = users.by_email(session, email)
    if not verify_password(password, user.password_hash if user else None) or user is None:
        return page(
            request,
            "login.html",
            None,
            401,
            next=_safe_next(next),
            error="Wrong email or password.",
            email=email,
        )
    return _signed_in(svc, user.id, next)


@router.post("/register", response_class=HTMLResponse)
def register(
    request: Request, svc: ServicesDep, session: DbSession, email: Field, password: Field
) -> Response:
    try:
        body = Credentials(email=email, password=password)
        user = users.create_user(session, body.email, hash_password(body.password))
    except ValidationError as exc:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        return page(request, "login.html", None, 422, next="/", error=problems, email=email, register=True)
    except ConflictError:
        return page(
            request,
            "login.html",
            None,
            409,
            next="/",
            error="That email is registered.",
            email=email,
            register=True,
        )
    record(session, user, "register", "user", user.id, None)
    session.commit()
    return _signed_in(svc, user.id, "/")


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
