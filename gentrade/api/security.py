"""Passwords (argon2id), JWT access tokens (HS256) and personal API tokens (``gtp_``, stored as sha256).

Personal tokens are long random strings, so a fast hash is enough to store them; passwords are not, so
they get argon2. The ``gtp_`` prefix lets secret scanners and people recognise a leaked token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gentrade.errors import AuthError

TOKEN_PREFIX = "gtp_"
_ALGORITHM = "HS256"
_hasher = PasswordHasher()
_jwt = jwt.PyJWT(options={"require": ["exp", "sub"]})
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant work whether or not the user exists, so login timing does not reveal registered emails."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def create_access_token(user_id: int, secret: str, minutes: int) -> str:
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "iat": now, "exp": now + timedelta(minutes=minutes), "typ": "access"}
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


@lru_cache(maxsize=8)
def _hmac_key(secret: str) -> bytes:
    """The verification key, prepared (and checked not to look like an asymmetric key) once per secret."""
    return jwt.get_algorithm_by_name(_ALGORITHM).prepare_key(secret)  # type: ignore[no-any-return]


@lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> tuple[int, float]:
    """(user id, exp) of a token whose signature and claims checked out once; failures are not cached.

    Clients send the same token on every request, so the HMAC check and claim parsing run once per token
    instead of once per request. The key is the exact token and secret, so a token that differs in any
    byte is verified afresh; the one claim that can turn false with time, ``exp``, is rechecked per use.
    """
    claims = _jwt.decode(token, _hmac_key(secret), algorithms=[_ALGORITHM])
    if claims.get("typ") != "access" or not str(claims["sub"]).isdigit():
        raise jwt.InvalidTokenError("not an access token")
    return int(claims["sub"]), float(claims["exp"])


def user_id_from_access_token(token: str, secret: str) -> int:
    try:
        user_id, expires = _verified(token, secret)
    except jwt.PyJWTError:
        raise AuthError("invalid or expired access token") from None
    if expires <= datetime.now(UTC).timestamp():  # PyJWT's own test, with its default leeway of 0
        raise AuthError("invalid or expired access token")
    return user_id


def new_api_token() -> tuple[str, str, str]:
    """A fresh token, its stored hash, and the short prefix shown in listings."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_api_token(token), token[: len(TOKEN_PREFIX) + 6]


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
