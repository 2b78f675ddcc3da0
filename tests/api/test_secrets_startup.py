"""Weak or missing keys stop the API before it serves anything: an empty GENTRADE_SECRET_KEY used to start
a server whose every login was a 500, a one-byte one a server whose tokens anyone could forge, and
PostgreSQL or Redis deployments silently used a key generated into one machine's user_dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from gentrade.api.app import build_services
from gentrade.errors import ConfigError
from gentrade.settings import Settings

STRONG = "k" * 32
POSTGRES = "postgresql+psycopg://127.0.0.1:5432/test"


@pytest.mark.parametrize("secret", ["", "a", "x" * 31])
def test_serve_refuses_a_short_secret_in_one_line(tmp_path: Path, secret: str) -> None:
    env = {**os.environ, "GENTRADE_USER_DIR": str(tmp_path), "GENTRADE_SECRET_KEY": secret}
    run = subprocess.run(
        [sys.executable, "-m", "gentrade.cli", "serve", "--port", "1", "--no-worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    assert run.stderr.strip() == "error[config_invalid]: GENTRADE_SECRET_KEY must be at least 32 bytes"
    assert not (tmp_path / ".secrets").exists()  # nothing generated, nothing opened


def test_a_32_byte_secret_starts(tmp_path: Path) -> None:
    services = build_services(Settings(user_dir=tmp_path, secret_key=STRONG))
    try:
        assert services.jwt_secret == STRONG
    finally:
        services.engine.dispose()


@pytest.mark.parametrize(
    ("database_url", "broker_url"),
    [(POSTGRES, None), (None, "redis://127.0.0.1:6379/0")],
    ids=["postgresql", "redis"],
)
def test_production_refuses_the_embedded_default_keys(
    tmp_path: Path, database_url: str | None, broker_url: str | None
) -> None:
    settings = Settings(user_dir=tmp_path, database_url=database_url, task_broker_url=broker_url)
    with pytest.raises(ConfigError) as refused:
        build_services(settings)
    assert refused.value.details == {
        "problems": [
            "GENTRADE_SECRET_KEY must be set with a PostgreSQL database or a Redis broker "
            "(the embedded default key is refused)",
            "GENTRADE_CREDENTIALS_KEY must be set with a PostgreSQL database or a Redis broker "
            "(the embedded default key is refused)",
        ]
    }
    assert not (tmp_path / ".secrets").exists()


def test_production_starts_with_both_keys_given(tmp_path: Path) -> None:
    settings = Settings(
        user_dir=tmp_path,
        task_broker_url="redis://127.0.0.1:6379/0",
        secret_key=STRONG,
        credentials_key=Fernet.generate_key().decode(),
    )
    services = build_services(settings)
    try:
        assert services.jwt_secret == STRONG and not (tmp_path / ".secrets").exists()
    finally:
        services.engine.dispose()
