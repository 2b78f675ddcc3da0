"""A switch that makes the testnet fail the way an exchange that is down fails, for circuit-breaker tests.

``POST /gentrade/v1/outage {"down": true}`` and every exchange route (``/api/...``) answers 503 with a
Binance-shaped body (ccxt reads it as ``ExchangeNotAvailable``, freqtrade as a temporary error), until
``{"down": false}``. The admin routes (``/gentrade/v1/...``) keep answering, so a test can switch it back.
"""

from __future__ import annotations

import threading

from fastapi.responses import JSONResponse

#: Binance's own code for "internal error; unable to process your request".
_DISCONNECTED = -1001
EXCHANGE_PREFIX = "/api/"


class Outage:
    """Whether the testnet plays dead; safe to flip from any thread."""

    def __init__(self) -> None:
        self._down = False
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        with self._lock:
            return self._down

    def set(self, down: bool) -> None:
        with self._lock:
            self._down = down

    def reply(self, path: str) -> JSONResponse | None:
        """The failure to answer ``path`` with while down; None to serve it normally."""
        if not (self.down and path.startswith(EXCHANGE_PREFIX)):
            return None
        body = {"code": _DISCONNECTED, "msg": "Service unavailable (GenTrade testnet outage switch)."}
        return JSONResponse(body, status_code=503)
