"""The LLM settings are the ``llm`` part of the one Settings object: read from the environment once, with the
rest, and handed to the chat, the signal route and the dashboard. (Before: each of them built its own LLM
settings from the environment on every request, so the app's Settings said nothing about its models.)"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from api_support import PASSWORD, make_settings
from fastapi.testclient import TestClient
from test_chat_api import _llm_stub, sse

from agents.llm import LLMClient, LLMSettings, ProviderConfig
from gentrade.api import create_app
from gentrade.db import upgrade
from gentrade.db.engine import make_engine
from gentrade.db.testing import fresh_database
from gentrade.settings import Settings


@contextmanager
def _app(tmp_path: Path, llm: LLMSettings | None = None) -> Iterator[tuple[TestClient, Settings]]:
    """An app on a fresh SQLite database whose Settings are built now (from the environment, but for an
    explicit ``llm``)."""
    with fresh_database("sqlite", tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        settings = make_settings(tmp_path, url) if llm is None else make_settings(tmp_path, url, llm=llm)
        with TestClient(create_app(settings, engine=engine)) as client:
            yield client, settings
        engine.dispose()


def _token(client: TestClient) -> str:
    creds = {"email": f"llm-{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD}
    assert client.post("/api/v1/auth/register", json=creds).status_code == 201
    return str(client.post("/api/v1/auth/login", json=creds).json()["access_token"])


def test_the_environment_is_read_once_into_the_settings_and_the_chat_uses_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub_module = _llm_stub()
    with stub_module.serve(stub_module.StubLLM()) as stub:
        provider = {"name": "main", "base_url": stub.base_url("main"), "model": "m", "max_retries": 0}
        monkeypatch.setenv("GENTRADE_LLM__PROVIDERS", json.dumps([{**provider, "api_key": "sk-secret-123"}]))
        monkeypatch.setenv("GENTRADE_LLM__TOKEN_BUDGET", "1234")
        with _app(tmp_path) as (client, settings):
            assert [(p.name, p.model) for p in settings.llm.providers] == [("main", "m")]
            assert settings.llm.token_budget == 1234
            assert "sk-secret-123" not in repr(settings)
            assert LLMClient.from_settings(settings.llm).budget.limit == 1234
            # A request that read the environment now would find no model and answer offline.
            monkeypatch.delenv("GENTRADE_LLM__PROVIDERS")
            route = stub_module.completion(json.dumps({"intent": "question", "timerange": None}))
            stub.script("main", route, stub_module.streamed("I draft ", "strategies."))
            headers = {"Authorization": f"Bearer {_token(client)}"}
            events = sse(client, f"/api/v1/chat/t-{uuid.uuid4().hex[:12]}", {"message": "hi?"}, headers)
    assert [(e["event"], e["data"].get("text")) for e in events] == [
        ("token", "I draft "),
        ("token", "strategies."),
        ("message", "I draft strategies."),
    ]
    assert len(stub.requests["main"]) == 2
    assert all(request["model"] == "m" for request in stub.requests["main"])


def test_the_routes_use_the_llm_settings_they_were_handed_not_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = {"name": "from-env", "base_url": "http://127.0.0.1:9/v1", "model": "env-model"}
    monkeypatch.setenv("GENTRADE_LLM__PROVIDERS", json.dumps([elsewhere]))
    stub_module = _llm_stub()
    with stub_module.serve(stub_module.StubLLM()) as stub:
        stub.script("main", stub_module.error(500))
        handed = ProviderConfig(name="main", base_url=stub.base_url("main"), model="m", max_retries=0)
        with _app(tmp_path, LLMSettings(providers=[handed])) as (client, settings):
            assert [p.name for p in settings.llm.providers] == ["main"]
            token = _token(client)
            body = {"pair": "ETH/BTC", "timeframe": "1h"}
            signal = client.post("/api/v1/signals", json=body, headers={"Authorization": f"Bearer {token}"})
            page = client.get("/settings", cookies={"gentrade_session": token})
            chat_page = client.get("/chat", cookies={"gentrade_session": token})
    assert (signal.status_code, signal.json()["code"]) == (502, "llm_failed"), signal.text
    assert len(stub.requests["main"]) == 1  # the handed provider was asked, the environment's never
    assert page.status_code == 200 and 'id="llm-table"' in page.text
    assert "<td>main</td><td>m</td>" in page.text and "from-env" not in page.text
    assert chat_page.status_code == 200 and "Model: main (m)." in chat_page.text
