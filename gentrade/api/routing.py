"""The route class every GenTrade router uses: a sync endpoint gives its database connection back before
FastAPI serializes its answer.

FastAPI runs a sync endpoint, then the validation of its return value, as two separate hops into the
request threadpool, and closes the request's session later still. A session that read something holds its
pooled connection across those hops. Under load every threadpool thread was waiting for a connection, while
the connections were held by requests waiting for a thread to serialize their answer: each such request
failed with the pool's 30 s timeout (``QueuePool limit ... reached``). Closing the session as the endpoint
returns, on the endpoint's own thread, breaks that cycle. Writes a route did not commit are discarded, as
the session's close at the end of the request always did; what the endpoint loaded stays readable (the
sessions do not expire on commit, and a close detaches without expiring).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy.orm import Session


class SessionReleasingRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _releasing(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _releasing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return endpoint(*args, **kwargs)
        finally:
            for value in kwargs.values():
                if isinstance(value, Session):
                    value.close()

    return run
