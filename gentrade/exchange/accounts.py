"""Per-API-key accounts: the key pair, the starting balances, and the wallet that orders lock and move.

Accounts are configured at start-up (``--accounts FILE`` or one ``--api-key``/``--api-secret`` pair) and live
in memory only: a restarted testnet starts from the configured balances again, which is what tests want.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from gentrade.errors import ConfigError
from gentrade.exchange import errors
from gentrade.exchange.numbers import fmt

DEFAULT_API_KEY = "gentrade-local-key"
DEFAULT_API_SECRET = "gentrade-local-secret"


class AccountSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: str = Field(pattern=r"^[A-Za-z0-9\-_.]{1,128}$")
    api_secret: str = Field(min_length=1)
    balances: dict[str, Decimal] = Field(default_factory=dict)

    @field_validator("balances")
    @classmethod
    def _non_negative(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        bad = [asset for asset, amount in value.items() if amount < 0 or not asset.isalnum()]
        if bad:
            raise ValueError(f"balances need alphanumeric assets and amounts >= 0: {bad}")
        return {asset.upper(): amount for asset, amount in value.items()}


def load_accounts(path: Path) -> list[AccountSpec]:
    """Read a JSON list of ``{"api_key", "api_secret", "balances": {"BTC": "1.5"}}`` objects."""
    try:
        specs = TypeAdapter(list[AccountSpec]).validate_python(json.loads(path.read_text()))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read accounts file {path}: {exc}") from exc
    keys = [s.api_key for s in specs]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"accounts file {path} repeats an api_key")
    return specs


class Wallet:
    """Free and locked amounts per asset; every change either fully applies or raises."""

    def __init__(self, balances: dict[str, Decimal]) -> None:
        self.free: dict[str, Decimal] = dict(balances)
        self.locked: dict[str, Decimal] = {}

    def lock(self, asset: str, amount: Decimal) -> None:
        if self.free.get(asset, Decimal(0)) < amount:
            raise errors.insufficient_balance()
        self.free[asset] -= amount
        self.locked[asset] = self.locked.get(asset, Decimal(0)) + amount

    def unlock(self, asset: str, amount: Decimal) -> None:
        self.locked[asset] -= amount
        self.free[asset] = self.free.get(asset, Decimal(0)) + amount

    def spend_locked(self, asset: str, amount: Decimal) -> None:
        self.locked[asset] -= amount

    def spend_free(self, asset: str, amount: Decimal) -> None:
        if self.free.get(asset, Decimal(0)) < amount:
            raise errors.insufficient_balance()
        self.free[asset] -= amount

    def credit(self, asset: str, amount: Decimal) -> None:
        self.free[asset] = self.free.get(asset, Decimal(0)) + amount

    def balances(self, omit_zero: bool) -> list[dict[str, str]]:
        assets = sorted(set(self.free) | set(self.locked))
        rows = [
            {
                "asset": a,
                "free": fmt(self.free.get(a, Decimal(0))),
                "locked": fmt(self.locked.get(a, Decimal(0))),
            }
            for a in assets
        ]
        if omit_zero:
            rows = [r for r in rows if Decimal(r["free"]) or Decimal(r["locked"])]
        return rows
