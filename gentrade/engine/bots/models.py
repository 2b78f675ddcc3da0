"""What the registry stores about a bot, and what callers are shown.

The record is the bot's JSON file on disk; ``BotInfo`` is the record judged against the live process table,
so ``status`` is always computed, never stored (a stored "running" would lie after a crash or a reboot).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

BOT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class BotStatus(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    DEGRADED = "degraded"  # running, entries paused by the circuit breaker
    STOPPED = "stopped"
    CRASHED = "crashed"


class BotKind(StrEnum):
    TRADE = "trade"
    WEBSERVER = "webserver"


class BotRecord(BaseModel):
    """The registry entry of one bot (``<state_dir>/<name>/bot.json``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=BOT_NAME.pattern)
    kind: BotKind
    strategy: str | None
    dry_run: bool
    port: int
    username: str
    pid: int
    create_time: float = Field(description="psutil's process start time: tells our pid from a reused one.")
    started_at: datetime
    stopped_at: datetime | None = None
    config_file: Path
    log_file: Path
    db_file: Path | None
    startup_candles: int | None = Field(
        default=None, description="Candles the strategy needs before its indicators are ready."
    )
    timeframe: str | None = None
    watch_pair: str | None = Field(default=None, description="The pair whose candles tell readiness.")

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class BotInfo(BaseModel):
    """A bot as callers see it."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: BotKind
    status: BotStatus
    pid: int | None
    api_url: str
    username: str
    strategy: str | None
    dry_run: bool
    started_at: datetime
    stopped_at: datetime | None
    log_path: Path
    db_path: Path | None
    last_log: str | None = Field(default=None, description="The log's last lines, for a crashed bot.")
    degraded: str | None = Field(
        default=None, description="Why the circuit breaker paused entries (the exchange kept failing)."
    )
    warmup: str | None = Field(
        default=None,
        description="Set while the strategy's indicators are not ready (too few candles), saying how many.",
    )
