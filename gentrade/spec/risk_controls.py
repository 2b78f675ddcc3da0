"""The spec's ``risk:`` section: account-level limits that decide *whether* and *how much* to trade.

Stops and the take-profit ladder (``gentrade.spec.risk``) decide how one trade leaves; this section guards
the account: freqtrade's own protections (pair and global locks after bad runs of trades), a daily loss
limit, position sizing by risk and a cap on open trades.

Units follow the rest of the spec: percentages are written as percent (``risk_per_trade: 1`` or ``"1%"``
is 1 % of the wallet), shares of the wallet as fractions (``max_stake_fraction: 0.25``), and durations in
candles of the strategy's timeframe, so a spec means the same thing whatever the timeframe is.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from gentrade.spec.common import Strict


def _percent_text(value: Any) -> Any:
    """Accept ``"1%"`` / ``"1 %"`` as well as ``1``: people write percentages with the sign."""
    if isinstance(value, str) and value.strip().endswith("%"):
        number = value.strip()[:-1].strip()
        try:
            return float(number)
        except ValueError:
            return value
    return value


PercentValue = Annotated[float, BeforeValidator(_percent_text)]


class _Protection(Strict):
    lookback_period_candles: int = Field(
        12, ge=1, le=100_000, description="Closed trades of this many recent candles are counted."
    )
    stop_duration_candles: int = Field(
        6, ge=1, le=100_000, description="How long the lock lasts, in candles."
    )


class StoplossGuard(_Protection):
    """Lock after ``trade_limit`` stop-outs within the lookback (per pair, or every pair)."""

    method: Literal["StoplossGuard"]
    trade_limit: int = Field(3, ge=1, le=1000)
    only_per_pair: bool = Field(True, description="Lock only the pair that stopped out (else all pairs).")
    only_per_side: bool = False
    required_profit: float = Field(
        0.0, ge=-1, le=1, description="A stop-out counts only if its profit ratio is below this."
    )


class MaxDrawdown(_Protection):
    """Lock every pair when the drawdown of the closed trades in the lookback passes the limit."""

    method: Literal["MaxDrawdown"]
    trade_limit: int = Field(1, ge=1, le=1000)
    max_allowed_drawdown: float = Field(
        gt=0, le=1, description="Largest drawdown allowed, as a fraction (0.1 = 10 %)."
    )
    calculation_mode: Literal["equity", "ratios"] = Field(
        "equity", description="equity: the account's drawdown; ratios: freqtrade's sum of trade ratios."
    )


class CooldownPeriod(Strict):
    """Lock a pair for a while after each exit."""

    method: Literal["CooldownPeriod"]
    stop_duration_candles: int = Field(ge=1, le=100_000, description="Lock after each exit, in candles.")


class LowProfitPairs(_Protection):
    """Lock a pair whose closed trades in the lookback made less than ``required_profit``."""

    method: Literal["LowProfitPairs"]
    trade_limit: int = Field(1, ge=1, le=1000)
    required_profit: float = Field(0.0, ge=-1, le=1, description="Profit ratio the pair must reach.")
    only_per_side: bool = False


Protection = Annotated[
    StoplossGuard | MaxDrawdown | CooldownPeriod | LowProfitPairs, Field(discriminator="method")
]
PROTECTION_METHODS = ("StoplossGuard", "MaxDrawdown", "CooldownPeriod", "LowProfitPairs")


class RiskSpec(Strict):
    protections: list[Protection] = Field(default_factory=list, max_length=10)
    daily_loss_limit: PercentValue | None = Field(
        None,
        gt=0,
        le=100,
        description="Stop opening trades for the rest of the UTC day once the day's realised loss passes "
        "this percent of the wallet.",
    )
    risk_per_trade: PercentValue | None = Field(
        None,
        gt=0,
        le=100,
        description="Size each entry so that its initial stop loses this percent of the wallet.",
    )
    max_stake_fraction: float = Field(
        1.0, gt=0, le=1, description="Largest stake of one entry, as a fraction of the wallet."
    )
    max_open_trades: int | None = Field(None, ge=1, le=1000)

    @model_validator(mode="after")
    def _cap_needs_sizing(self) -> RiskSpec:
        if self.max_stake_fraction != 1.0 and self.risk_per_trade is None:
            raise ValueError("max_stake_fraction: it caps risk-sized stakes; set risk_per_trade too")
        return self

    def freqtrade_protections(self) -> list[dict[str, Any]]:
        """The protections as freqtrade's ``protections`` list (keys exactly as freqtrade reads them)."""
        return [protection.model_dump() for protection in self.protections]
