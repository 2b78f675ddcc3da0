"""Who is looking at a page: the API's own JWT, carried in an HttpOnly cookie set by the login form.

Pages only read (GET); every change a page makes goes through the JSON API with the same token as a
bearer header (the page hands it to its script in a meta tag), so the cookie never authorizes a write and
a cross-site form cannot act for the user. Ownership is the API's: pages load rows through the same
repositories, so another user's object is a 404 here exactly as there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from gentrade.api.deps import DbSession, ServicesDep, authenticate
from gentrade.db.models import User
from gentrade.errors import AuthError

COOKIE = "gentrade_session"


class LoginRequired(Exception):
    """No valid session cookie: the page answers with a redirect to the login form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(frozen=True)
class Viewer:
    user: User
    token: str
    """The access token, for the page's script to call the API with."""


def viewer(request: Request, svc: ServicesDep, session: DbSession) -> Viewer:
    token = request.cookies.get(COOKIE)
    if not token:
        raise LoginRequired(request.url.path)
    try:
        user = authenticate(session, svc, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token))
    except AuthError:
        raise LoginRequired(request.url.path) from None
    return Viewer(user=user, token=token)


ViewerDep = Annotated[Viewer, Depends(viewer)]
