"""The few freqtrade REST calls GenTrade makes to a bot it supervises (HTTP Basic, loopback only).

Errors come back as text rather than exceptions: every caller (an emergency stop, an API proxy) must report
what the bot said and carry on, not crash half-way.
"""

from __future__ import annotations

from typing import Any

import httpx

from gentrade.freqtrade_config.bot import Credentials

_REQUEST_TIMEOUT_S = 10.0


class BotClient:
    """A bot's api_server, logged in with HTTP Basic (freqtrade's reads all return JSON lists or objects,
    never a bare string, so a ``str`` answer is always our error text)."""

    def __init__(self, api_url: str, creds: Credentials) -> None:
        self.base = f"{api_url}/api/v1"
        self.auth = (creds.username, creds.password)

    def get(self, route: str, params: dict[str, Any] | None = None) -> Any:
        """The JSON of a read endpoint (``status``, ``trades``, ``profit``); a str says what went wrong."""
        try:
            reply = httpx.get(
                f"{self.base}/{route}", params=params, auth=self.auth, timeout=_REQUEST_TIMEOUT_S
            )
        except httpx.HTTPError as exc:
            return f"the bot's api_server did not answer: {type(exc).__name__}"
        if reply.status_code != 200:
            return f"/{route} answered {reply.status_code}: {reply.text[:200]}"
        return reply.json()

    def pause(self) -> str | None:
        """Stop new entries (open trades stay managed); None when freqtrade accepted it."""
        return self._post("stopentry", {})

    def resume(self) -> str | None:
        """Allow entries again after ``pause`` (freqtrade's ``/start`` on a paused bot)."""
        return self._post("start", {})

    def force_exit_all(self) -> str | None:
        """Exit every open trade at market; None when freqtrade accepted the request, else its answer."""
        return self._post("forceexit", {"tradeid": "all", "ordertype": "market"})

    def _post(self, route: str, body: dict[str, Any]) -> str | None:
        try:
            reply = httpx.post(f"{self.base}/{route}", json=body, auth=self.auth, timeout=_REQUEST_TIMEOUT_S)
        except httpx.HTTPError as exc:
            return f"the bot's api_server did not answer: {type(exc).__name__}"
        if reply.status_code != 200:
            return f"/{route} answered {reply.status_code}: {reply.text[:200]}"
        return None
