"""Keys for secrets at rest: exchange credentials (Fernet) and, for the API, the JWT signing key.

Production passes keys through the environment. The embedded default generates each key once into
``user_dir/.secrets/`` (directory 0700, files 0600) so a single-machine install is safe with no setup;
losing that file makes stored exchange credentials unreadable, which is the point of encrypting them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.engine import make_url

from gentrade.errors import ConfigError
from gentrade.settings import Settings

MIN_SECRET_BYTES = 32
"""HS256 signs with the key as given: a short one is guessed offline from any one token (RFC 7518 §3.2 asks
for at least the hash's 256 bits)."""


def local_secret(user_dir: Path, name: str, generate: Callable[[], str]) -> str:
    """The secret stored in ``user_dir/.secrets/name``, generated and written 0600 on first use."""
    folder = user_dir / ".secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(generate())
    return path.read_text().strip()


def is_production(settings: Settings) -> bool:
    """PostgreSQL or Redis: a deployment of several processes or hosts, where a key generated into one
    machine's ``user_dir`` is either not shared (tokens fail at random) or sits in a shared volume."""
    database = make_url(settings.resolved_database_url).get_backend_name()
    return database == "postgresql" or settings.resolved_task_broker_url.startswith(("redis://", "rediss://"))


def check_secrets(settings: Settings) -> None:
    """Refuse to start with a weak or missing key, naming every problem at once.

    An empty key made every login a 500 and a one-byte key let anyone forge tokens, and both started
    without a word; production settings must hand both keys in rather than use the generated defaults.
    """
    problems = []
    secret = settings.secret_key.get_secret_value() if settings.secret_key is not None else None
    if secret is not None and len(secret.encode()) < MIN_SECRET_BYTES:
        problems.append(f"GENTRADE_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes")
    if is_production(settings):
        for name, value in (
            ("GENTRADE_SECRET_KEY", secret),
            ("GENTRADE_CREDENTIALS_KEY", settings.credentials_key),
        ):
            if value is None:
                problems.append(
                    f"{name} must be set with a PostgreSQL database or a Redis broker "
                    "(the embedded default key is refused)"
                )
    if problems:
        raise ConfigError("; ".join(problems), details={"problems": problems})


def jwt_secret(settings: Settings) -> str:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    return local_secret(settings.user_dir, "jwt_secret", lambda: secrets.token_urlsafe(48))


class CredentialCipher:
    """Encrypts exchange API keys and secrets with Fernet (AES-128-CBC + HMAC-SHA256)."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except ValueError as exc:
            raise ConfigError(
                "GENTRADE_CREDENTIALS_KEY is not a Fernet key (32 url-safe base64 bytes)"
            ) from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> CredentialCipher:
        if settings.credentials_key is not None:
            return cls(settings.credentials_key.get_secret_value())
        return cls(local_secret(settings.user_dir, "credentials_key", lambda: Fernet.generate_key().decode()))

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken as exc:
            raise ConfigError("stored credential cannot be decrypted with the configured key") from exc


def mask(value: str) -> str:
    """First and last four characters, enough to recognise a key without revealing it."""
    if len(value) <= 12:
        return "…"
    return f"{value[:4]}…{value[-4:]}"
