"""Emergency stop: close every open position of a bot at market through its own REST API, then stop it.

Order matters (freqtrade's ``/stop`` leaves positions unmanaged and ``/forceexit`` then fails): force-exit
first, wait until the bot's ``/status`` lists no open trade (or time runs out), and only then stop the
process. The report names every trade that closed and every one that did not, so a person knows exactly
what is still open on the exchange.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gentrade.engine.bots.client import BotClient
from gentrade.engine.bots.models import BotInfo

DEFAULT_CLOSE_TIMEOUT_S = 60.0
_POLL_S = 0.5


class TradeRef(BaseModel):
    """One trade as the bot's ``/status`` lists it."""

    model_config = ConfigDict(frozen=True)

    trade_id: int
    pair: str


class OpenTrade(TradeRef):
    reason: str = Field(description="Why it is still open (the bot's answer, or the wait that ran out).")


class EmergencyStopReport(BaseModel):
    """What an emergency stop did to one bot."""

    model_config = ConfigDict(frozen=True)

    name: str
    closed: list[TradeRef] = Field(description="Positions that were open and are now closed.")
    not_closed: list[OpenTrade] = Field(description="Positions still open when the bot was stopped.")
    error: str | None = Field(
        None, description="Set when the bot could not be asked at all: its positions are unknown."
    )
    bot: BotInfo = Field(description="The bot after the stop.")

    @property
    def complete(self) -> bool:
        return not self.not_closed and self.error is None

    def detail(self) -> dict[str, Any]:
        """The audit record's ``detail``: which trades closed and which did not."""
        return {
            "bot": self.name,
            "closed": [t.model_dump() for t in self.closed],
            "not_closed": [t.model_dump() for t in self.not_closed],
            "error": self.error,
        }


def close_positions(
    client: BotClient, timeout_s: float
) -> tuple[list[TradeRef], list[OpenTrade], str | None]:
    """Pause entries, force-exit every open trade at market and wait until none is open.

    Returns (closed, still open, error); ``error`` says the bot could not be asked, so nothing is known.
    """
    paused = client.pause()
    before = _open_trades(client)
    if isinstance(before, str):
        return [], [], before
    if not before:
        return [], [], None
    refused = paused or client.force_exit_all()
    deadline = time.monotonic() + timeout_s
    still: list[TradeRef] | str = before
    while refused is None:
        still = _open_trades(client)
        if (isinstance(still, list) and not still) or time.monotonic() > deadline:
            break
        time.sleep(_POLL_S)
    if isinstance(still, str):
        return [], [OpenTrade(trade_id=t.trade_id, pair=t.pair, reason=still) for t in before], None
    open_ids = {t.trade_id for t in still}
    reason = refused or f"still open after {timeout_s:g} s"
    closed = [t for t in before if t.trade_id not in open_ids]
    not_closed = [OpenTrade(trade_id=t.trade_id, pair=t.pair, reason=reason) for t in still]
    return closed, not_closed, None


def _open_trades(client: BotClient) -> list[TradeRef] | str:
    answer = client.get("status")
    if isinstance(answer, str):
        return answer
    return [TradeRef(trade_id=t["trade_id"], pair=t["pair"]) for t in answer]
