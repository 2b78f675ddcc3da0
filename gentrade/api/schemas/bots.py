from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gentrade.api.schemas.common import MAX_ID
from gentrade.engine.bots import BotStatus


class BotConfigIn(BaseModel):
    """The freqtrade settings a caller may change; everything else (exchange, api_server, database,
    dry_run) is decided by the server."""

    model_config = ConfigDict(extra="forbid")

    stake_amount: float | Literal["unlimited"] | None = Field(None, description="Per trade; > 0.")
    max_open_trades: int | None = Field(None, ge=1, le=50)
    dry_run_wallet: float | None = Field(None, gt=0, le=1e9, description="Simulated starting balance.")
    process_throttle_secs: int | None = Field(None, ge=1, le=3600, description="Seconds per bot loop.")

    def overrides(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class BotIn(BaseModel):
    strategy_id: int = Field(ge=1, le=MAX_ID)
    version: int | None = Field(None, ge=1, le=MAX_ID, description="Default: the current version.")
    name: str | None = Field(None, min_length=1, max_length=100, description="Default: the strategy's name.")
    config: BotConfigIn = Field(default_factory=BotConfigIn)
    live: bool = Field(False, description="Trade with real orders. Refused unless the server allows it.")
    confirm_real_money: bool = Field(False, description="Required with `live`: the second 'yes'.")
    credential_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="With `live`: the exchange credential the bot trades with."
    )


class BotOut(BaseModel):
    id: int
    owner_id: int
    name: str
    strategy_id: int
    version_number: int
    strategy: str | None = Field(description="The strategy class the bot runs.")
    status: BotStatus
    dry_run: bool
    port: int | None
    api_url: str | None = Field(description="The bot's freqtrade api_server (loopback, for FreqUI).")
    config: dict[str, Any] = Field(description="The overrides the bot was started with.")
    started_at: datetime | None
    stopped_at: datetime | None
    created_at: datetime
    updated_at: datetime
    last_log: str | None = Field(description="The log's last lines when the bot crashed.")
    warmup: str | None = Field(None, description="Set while the strategy's indicators are not ready.")
    degraded: str | None = Field(None, description="Why the circuit breaker paused entries.")
    username: str | None = Field(None, description="api_server login; only on GET /bots/{id}, to the owner.")
    password: str | None = Field(
        None, description="api_server password; only on GET /bots/{id}, to the owner."
    )


class BotLogs(BaseModel):
    lines: int
    text: str


class TradeRefOut(BaseModel):
    trade_id: int
    pair: str


class OpenTradeOut(TradeRefOut):
    reason: str


class EmergencyStopOut(BaseModel):
    """What an emergency stop did to one bot: the positions it closed, those it could not, and the bot."""

    bot: BotOut
    complete: bool = Field(description="Every position closed (nothing left open on the exchange).")
    closed: list[TradeRefOut]
    not_closed: list[OpenTradeOut]
    error: str | None = Field(description="The bot could not be asked: its positions are unknown.")
