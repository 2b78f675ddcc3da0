"""Exchange secrets are encrypted at rest and never appear in a response or a log line."""

from __future__ import annotations

import io
import logging
import uuid
from pathlib import Path

import pytest
from api_support import Api

from gentrade.db.models import ExchangeCredential
from gentrade.logs import JsonFormatter, RequestIdFilter


def test_secrets_are_encrypted_masked_and_never_logged(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    api_key = "AKEY" + uuid.uuid4().hex.upper() + "ZZ99"
    api_secret = "SECRET-" + uuid.uuid4().hex
    headers = api.user()
    handler = logging.StreamHandler(stream := io.StringIO())
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logging.getLogger().addHandler(handler)
    try:
        with caplog.at_level(logging.DEBUG):
            created = api.client.post(
                "/api/v1/credentials",
                json={"exchange": "binance", "label": "main", "api_key": api_key, "api_secret": api_secret},
                headers=headers,
            )
            listed = api.client.get("/api/v1/credentials", headers=headers)
            bad = api.client.post(
                "/api/v1/credentials",
                json={"exchange": "BAD!", "label": "x", "api_key": api_key, "api_secret": api_secret},
                headers=headers,
            )
    finally:
        logging.getLogger().removeHandler(handler)
    assert created.status_code == 201 and listed.status_code == 200 and bad.status_code == 422
    assert listed.json()[0]["key_hint"] == f"{api_key[:4]}…{api_key[-4:]}"
    for reply in (created, listed, bad):
        assert api_key not in reply.text and api_secret not in reply.text
    logged = stream.getvalue() + caplog.text
    assert "/api/v1/credentials" in logged
    assert api_key not in logged and api_secret not in logged

    with api.sessions() as session:
        row = session.get(ExchangeCredential, created.json()["id"])
        assert row is not None
        assert api.client.app.state.services.cipher.decrypt(row.api_secret_encrypted) == api_secret
    if api.backend == "sqlite":
        raw = b"".join(
            p.read_bytes() for p in Path(api.db_url.removeprefix("sqlite:///")).parent.glob("*.sqlite*")
        )
        assert api_secret.encode() not in raw and api_key.encode() not in raw
