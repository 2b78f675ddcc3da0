"""Notifications: one webhook per bot owner, fed by freqtrade itself and by the supervisor.

freqtrade's own ``webhook`` RPC sends what happens inside the bot: entries and exits as they fill (the exit
carries its tag: ``tp1``, ``breakeven_stop``, ``stop_loss`` ...), protections that lock pairs, and the bot's
warnings and errors. What only the supervisor sees (an emergency stop, a crashed process) is sent by
``send_event`` in the same JSON shape: ``{"event": ..., "bot": ..., ...}``.

A webhook URL often *is* a credential (Slack and Discord put the token in the path; others use
``user:pass@`` or a query key), so it is never written to a log: freqtrade's log gets a filter
(``SecretFilter``, installed through freqtrade's ``log_config``) that blanks the URL's secret parts, and our
own messages name only the scheme and host.
"""

from __future__ import annotations

import copy
import logging
import os
from typing import Any
from urllib.parse import urlsplit

import httpx

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"
#: How the URL reaches freqtrade (its own environment override of ``webhook.url``) and our log filter.
WEBHOOK_URL_ENV = "FREQTRADE__WEBHOOK__URL"
_SEND_TIMEOUT_S = 10.0


def _templates(bot: str) -> dict[str, dict[str, str]]:
    """freqtrade webhook templates by message type (placeholders are freqtrade's message fields)."""
    trade = {"bot": bot, "trade_id": "{trade_id}", "pair": "{pair}", "direction": "{direction}"}
    lock = {"bot": bot, "pair": "{pair}", "reason": "{reason}", "until": "{lock_end_time}"}
    return {
        "entry_fill": {"event": "entry", **trade, "enter_tag": "{enter_tag}", "rate": "{open_rate}"},
        "exit_fill": {
            "event": "exit",
            **trade,
            "tag": "{exit_reason}",
            "rate": "{close_rate}",
            "amount": "{amount}",
            "profit_ratio": "{profit_ratio}",
            "final": "{is_final_exit}",
        },
        "protection_trigger": {"event": "protection", **lock},
        "protection_trigger_global": {"event": "protection", **lock},
        "warning": {"event": "warning", "bot": bot, "message": "{status}"},
        "exception": {"event": "error", "bot": bot, "message": "{status}"},
    }


def webhook_section(url: str, bot: str) -> dict[str, Any]:
    """freqtrade's ``webhook`` config for ``url`` (JSON bodies, a few quick retries)."""
    _check_url(url)
    section: dict[str, Any] = {"enabled": True, "url": url, "format": "json", "retries": 2, "timeout": 10}
    return {**section, "retry_delay": 1, **_templates(bot)}


def secrets_of(url: str) -> list[str]:
    """The parts of ``url`` that may be a credential: the whole URL, user info, path and query."""
    parts = urlsplit(url)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    path = parts.path if parts.path not in ("", "/") else ""
    found = [url, tail if path or parts.query else "", path, parts.query]
    if parts.username or parts.password:
        found.append(parts.netloc.rsplit("@", 1)[0])
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def log_config(base: dict[str, Any]) -> dict[str, Any]:
    """freqtrade's ``log_config`` (``base`` is its default) with ``SecretFilter`` on every handler; the filter
    reads the URL from the bot's environment, so no file holds it."""
    config = copy.deepcopy(base)
    config.setdefault("filters", {})["gentrade_secrets"] = {"()": f"{__name__}.SecretFilter"}
    for handler in config.get("handlers", {}).values():
        handler.setdefault("filters", []).append("gentrade_secrets")
    return config


class SecretFilter(logging.Filter):
    """Blanks given strings in every record that passes (message and arguments, formatted first)."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        found = secrets if secrets is not None else secrets_of(os.environ.get(WEBHOOK_URL_ENV, ""))
        self.secrets = sorted(found, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if any(secret in text for secret in self.secrets):
            for secret in self.secrets:
                text = text.replace(secret, REDACTED)
            record.msg, record.args = text, None
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and any(secret in str(error) for secret in self.secrets):
            record.msg = (
                f"{record.getMessage()} [{type(error).__name__}: details withheld, they name the URL]"
            )
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


def public_part(url: str) -> str:
    """What of a webhook URL may be shown: scheme and host."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}"


def send_event(url: str, event: dict[str, Any]) -> bool:
    """POST one supervisor event as JSON; True when the receiver took it. Never raises, never logs the URL."""
    try:
        reply = httpx.post(url, json=event, timeout=_SEND_TIMEOUT_S)
    except httpx.HTTPError as exc:
        logger.warning("webhook to %s failed: %s", public_part(url), type(exc).__name__)
        return False
    if reply.status_code >= 400:
        logger.warning("webhook to %s answered %s", public_part(url), reply.status_code)
        return False
    return True


def _check_url(url: str) -> None:
    from gentrade.errors import ConfigError

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"a webhook URL must be http(s)://host/..., got one for {public_part(url)}")
