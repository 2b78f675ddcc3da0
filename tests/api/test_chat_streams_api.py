"""Twenty concurrent chat turns from one user, each waiting on a slow model, over real HTTP: the user's
``chat_streams_per_user`` streams run, the rest are 429 with Retry-After at once, no database connection is
held while the streams wait, and another user is answered meanwhile. (Before: all twenty were 500 after
30 s, the pool exhausted by requests that each held one connection and waited for a second, and another
user's ``GET /users/me`` stalled.)"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import BACKENDS, PASSWORD, make_settings
from live_server import live
from test_chat_api import _llm_stub

from agents.llm import LLMSettings, ProviderConfig
from gentrade.api import create_app
from gentrade.db import upgrade
from gentrade.db.engine import make_engine
from gentrade.db.testing import fresh_database

TURNS = 20
CAP = 2
TOTAL = 3


@pytest.fixture(params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """The base URL of an app with a cap of CAP streams per user and TOTAL in all, and that app."""
    with fresh_database(request.param, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        settings = make_settings(
            tmp_path,
            url,
            chat_streams_per_user=CAP,
            chat_streams_total=TOTAL,
            rate_chat_per_minute=600,
            rate_chat_burst=100,
        )
        app = create_app(settings, engine=engine)
        with live(app) as base:
            yield base, app
        engine.dispose()


def _login(client: httpx.Client) -> dict[str, str]:
    email = f"chat-{uuid.uuid4().hex[:10]}@example.com"
    creds = {"email": email, "password": PASSWORD}
    assert client.post("/api/v1/auth/register", json=creds).status_code == 201
    return {"Authorization": f"Bearer {client.post('/api/v1/auth/login', json=creds).json()['access_token']}"}


def _turn(base: str, headers: dict[str, str], message: str) -> tuple[int, dict[str, str], list[str]]:
    """One chat turn on its own connection: status, headers and the SSE event names it streamed."""
    with (
        httpx.Client(base_url=base, timeout=120) as client,
        client.stream(
            "POST", f"/api/v1/chat/t-{uuid.uuid4().hex[:12]}", json={"message": message}, headers=headers
        ) as reply,
    ):
        events = [line.removeprefix("event: ") for line in reply.iter_lines() if line.startswith("event: ")]
        return reply.status_code, dict(reply.headers), events


def test_twenty_streams_from_one_user_are_capped_and_hold_no_connection(
    served: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, app = served
    stub_module = _llm_stub()
    gate = threading.Event()
    route = stub_module.completion(json.dumps({"intent": "question", "timerange": None}))
    route.hold = gate  # every routing call waits until the test lets it through
    with stub_module.serve(stub_module.StubLLM()) as stub, httpx.Client(base_url=base, timeout=60) as client:
        stub.script("main", *[route] * CAP, *[stub_module.streamed("Ask ", "away.")] * CAP)
        provider = ProviderConfig(name="main", base_url=stub.base_url("main"), model="m", max_retries=0)
        monkeypatch.setattr(app.state.services.settings, "llm", LLMSettings(providers=[provider]))
        heavy, other = _login(client), _login(client)
        with ThreadPoolExecutor(TURNS) as pool:
            turns = [pool.submit(_turn, base, heavy, "what can you do?") for _ in range(TURNS)]
            try:
                deadline = time.monotonic() + 120
                while len(stub.requests["main"]) < CAP or sum(t.done() for t in turns) < TURNS - CAP:
                    assert time.monotonic() < deadline, len(stub.requests["main"])
                    time.sleep(0.05)
                # CAP streams are waiting on the model; everyone else was answered already.
                waiting = [t for t in turns if not t.done()]
                refused = [t.result() for t in turns if t.done()]
                assert [status for status, _, _ in refused] == [429] * (TURNS - CAP)
                assert {headers["retry-after"] for _, headers, _ in refused} == {"5"}
                assert app.state.services.engine.pool.checkedout() == 0  # nothing held while they wait
                me = client.get("/api/v1/users/me", headers=other)
                assert me.status_code == 200 and not any(t.done() for t in waiting)
            finally:
                gate.set()
            served_turns = [t.result() for t in turns]
        answered = [(status, events) for status, _, events in served_turns if status == 200]
        assert answered == [(200, ["token", "token", "message"])] * CAP
        assert len(stub.requests["main"]) == 2 * CAP  # a refused turn never reached the model
        # The slots came back with the streams: the same user streams again.
        stub.script("main", stub_module.completion(route.body["choices"][0]["message"]["content"]))
        stub.script("main", stub_module.streamed("Ask ", "away."))
        status, _, events = _turn(base, heavy, "and now?")
        assert (status, events) == (200, ["token", "token", "message"])


def test_streams_of_all_users_together_are_capped_per_process(
    served: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each user within their own cap, together over TOTAL: the turn beyond it is a 429 at once, and once
    the streams end a new one runs."""
    base, app = served
    stub_module = _llm_stub()
    gate = threading.Event()
    route = stub_module.completion(json.dumps({"intent": "question", "timerange": None}))
    route.hold = gate
    with stub_module.serve(stub_module.StubLLM()) as stub, httpx.Client(base_url=base, timeout=60) as client:
        stub.script("main", *[route] * TOTAL, *[stub_module.streamed("Ask ", "away.")] * TOTAL)
        provider = ProviderConfig(name="main", base_url=stub.base_url("main"), model="m", max_retries=0)
        monkeypatch.setattr(app.state.services.settings, "llm", LLMSettings(providers=[provider]))
        users = [_login(client) for _ in range(TOTAL)]
        with ThreadPoolExecutor(TOTAL) as pool:
            turns = [pool.submit(_turn, base, headers, "what can you do?") for headers in users]
            try:
                deadline = time.monotonic() + 120
                while len(stub.requests["main"]) < TOTAL:
                    assert time.monotonic() < deadline, len(stub.requests["main"])
                    time.sleep(0.05)
                status, headers, _ = _turn(base, _login(client), "what can you do?")
                assert (status, headers["retry-after"]) == (429, "5")
                assert not any(t.done() for t in turns)
            finally:
                gate.set()
            assert [t.result()[0] for t in turns] == [200] * TOTAL
        stub.script("main", stub_module.completion(route.body["choices"][0]["message"]["content"]))
        stub.script("main", stub_module.streamed("Ask ", "away."))
        assert _turn(base, users[0], "and now?")[0] == 200
