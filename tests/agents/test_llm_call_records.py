"""LLM calls recorded per user in the database: a real `LLMClient` over HTTP against the stub server (the
first provider fails, so a fallback is used), rows written by `gentrade.services.llm_calls.DbRecorder` in a
real SQLite file, read back through the model report and `gentrade models --json`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from llm_stub import StubLLM, completion, error
from pydantic import BaseModel

from agents.llm import LLMClient, ProviderConfig
from gentrade.db.engine import make_engine, make_session_factory
from gentrade.db.migrate import ensure_schema
from gentrade.db.repositories import users as users_repo
from gentrade.services.llm_calls import DbRecorder
from gentrade.services.models import model_performance


class Answer(BaseModel):
    word: str


def _provider(stub: StubLLM, name: str) -> ProviderConfig:
    return ProviderConfig(
        name=name, base_url=stub.base_url(name), model=f"{name}-model", timeout_s=5.0, max_retries=0
    )


def test_calls_are_recorded_per_user_and_reported(stub: StubLLM, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gentrade.sqlite'}"
    engine = make_engine(url)
    ensure_schema(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        alice = users_repo.create_user(session, "alice@example.com", "x")
        bob = users_repo.create_user(session, "bob@example.com", "x")
        alice_id, bob_id = alice.id, bob.id
    stub.script("down", error(503), error(503))
    stub.script("up", completion(json.dumps({"word": "hi"}), tokens=(31, 7)))
    stub.script("up", completion(json.dumps({"word": "again"}), tokens=(12, 3)))
    client = LLMClient(
        [_provider(stub, "down"), _provider(stub, "up")], recorder=DbRecorder(sessions, alice_id, "chat")
    )
    assert client.structured([{"role": "user", "content": "say hi"}], Answer).word == "hi"
    assert client.structured([{"role": "user", "content": "again"}], Answer).word == "again"

    with sessions() as session:
        owner = session.get(users_repo.User, alice_id)
        assert owner is not None
        records = {r.producer: r for r in model_performance(session, owner)}
        other = session.get(users_repo.User, bob_id)
        assert other is not None and model_performance(session, other) == []
    assert set(records) == {"down/down-model", "up/up-model"}
    down, up = records["down/down-model"].llm, records["up/up-model"].llm
    # Each request tried "down" first (a 503: retryable, no retries configured), then fell back to "up".
    assert down is not None and (down.calls, down.ok, down.errors, down.retryable_errors) == (2, 0, 2, 2)
    assert (down.fallbacks, down.tokens_in) == (0, 0)
    assert up is not None and (up.calls, up.ok, up.errors, up.fallbacks) == (2, 2, 0, 2)
    assert (up.tokens_in, up.tokens_out) == (43, 10)
    assert up.mean_latency_s is not None and up.mean_latency_s > 0
    engine.dispose()

    env = {**os.environ, "GENTRADE_DATABASE_URL": url, "GENTRADE_USER_DIR": str(tmp_path / "ud")}
    run = subprocess.run(
        [sys.executable, "-m", "gentrade.cli", "models", "--user", "alice@example.com", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    shown = {r["producer"]: r["llm"] for r in json.loads(run.stdout)}
    assert shown["up/up-model"]["tokens_out"] == 10 and shown["up/up-model"]["fallbacks"] == 2
