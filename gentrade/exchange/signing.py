"""Binance's SIGNED endpoint security: API key header, HMAC-SHA256 signature, timestamp within recvWindow.

The signature covers the query string followed directly by the request body, exactly as sent and without the
``signature`` parameter itself; comparing against the raw strings (not re-encoded values) is what makes a
ccxt-signed request verify byte for byte.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from gentrade.exchange import errors
from gentrade.exchange.clock import wall_ms
from gentrade.exchange.params import RawParams, SignedParams, parse

_KEY_FORMAT = re.compile(r"^[A-Za-z0-9\-_.]{1,128}$")
MAX_RECV_WINDOW = 60_000


def _without_signature(text: str) -> str:
    return "&".join(part for part in text.split("&") if not part.startswith("signature="))


def sign(payload: str, secret: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def check_api_key(header: str | None, secrets: dict[str, str]) -> str:
    """The secret of a known, well-formed API key; Binance's -2014/-2015 otherwise."""
    if not header or not _KEY_FORMAT.fullmatch(header):
        raise errors.bad_api_key_format()
    if header not in secrets:
        raise errors.invalid_api_key()
    return secrets[header]


def verify(raw: RawParams, secret: str, *, now_ms: int | None = None) -> None:
    """Reject a request whose signature or timestamp is not what Binance would accept."""
    signed = parse(SignedParams, raw)
    if signed.recvWindow > MAX_RECV_WINDOW:
        raise errors.recv_window_too_large()
    payload = _without_signature(raw.query) + _without_signature(raw.body)
    if not hmac.compare_digest(sign(payload, secret), signed.signature):
        raise errors.invalid_signature()
    now = wall_ms() if now_ms is None else now_ms
    if signed.timestamp >= now + 1000:
        raise errors.ahead_of_server()
    if now - signed.timestamp > signed.recvWindow:
        raise errors.outside_recv_window()
