"""Circuit breaker: a bot whose exchange keeps failing stops opening trades until the exchange answers again.

freqtrade itself only retries and logs when the exchange is down; it goes on placing entries the moment a
call happens to succeed, on prices it could not follow. The breaker is a supervisor's check, one *tick* at a
time (the periodic health check, or ``gentrade bot watch``): each tick probes the exchange the bot trades
on; after ``max_failures`` failed probes in a row, or failures for ``outage_s`` seconds, it pauses entries
through the bot's REST API (``/stopentry``: open trades stay managed) and marks the bot degraded with the
reason. The first tick that finds the exchange answering resumes entries (``/start``) and clears the mark.
The state lives in the bot's directory, so any supervisor process continues where another stopped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

_PROBE_TIMEOUT_S = 3.0


class BreakerPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_failures: int = Field(3, ge=1, le=1000, description="Failed probes in a row that trip the breaker.")
    outage_s: float = Field(60.0, gt=0, description="Or: failing for this many seconds trips it.")


class BreakerState(BaseModel):
    """What the breaker knows about one bot's exchange (``<bot dir>/breaker.json``)."""

    failures: int = 0
    failing_since: datetime | None = None
    last_error: str | None = None
    degraded_reason: str | None = None
    degraded_since: datetime | None = None

    @property
    def degraded(self) -> bool:
        return self.degraded_reason is not None


def probe_url(config: Mapping[str, Any]) -> str | None:
    """The ping endpoint of the exchange a bot's config points ccxt at (Binance-style ``/ping``), or None
    when the config leaves ccxt on its built-in urls (then freqtrade's own retries are all there is)."""
    urls = config.get("exchange", {}).get("ccxt_config", {}).get("urls", {}).get("api")
    base = urls if isinstance(urls, str) else urls.get("public") if isinstance(urls, Mapping) else None
    return f"{base.rstrip('/')}/ping" if isinstance(base, str) and base else None


def probe(url: str) -> str | None:
    """None when the exchange answers, else why not (a 5xx or no answer at all)."""
    try:
        reply = httpx.get(url, timeout=_PROBE_TIMEOUT_S)
    except httpx.HTTPError as exc:
        return f"exchange unreachable ({type(exc).__name__})"
    if reply.status_code >= 500:
        return f"exchange answered {reply.status_code}"
    return None


def step(
    state: BreakerState, error: str | None, policy: BreakerPolicy, now: datetime | None = None
) -> tuple[BreakerState, str | None]:
    """The next state after one probe, and the action it calls for: "pause", "resume" or None."""
    now = now or datetime.now(UTC)
    if error is None:
        action = "resume" if state.degraded else None
        return BreakerState(), action
    since = state.failing_since or now
    failures = state.failures + 1
    new = BreakerState(
        failures=failures,
        failing_since=since,
        last_error=error,
        degraded_reason=state.degraded_reason,
        degraded_since=state.degraded_since,
    )
    if state.degraded:
        return new, None
    outage = (now - since).total_seconds()
    if failures >= policy.max_failures or outage >= policy.outage_s:
        reason = f"{error}: {failures} failed checks in a row over {outage:.0f} s; entries paused"
        return new.model_copy(update={"degraded_reason": reason, "degraded_since": now}), "pause"
    return new, None
