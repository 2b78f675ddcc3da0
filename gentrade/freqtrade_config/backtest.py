"""The freqtrade config for one backtest (or analysis, or hyperopt fold), built from a few explicit choices; a
bot's or a user's config for an exchange is `gentrade.freqtrade_config.build_config`'s.

Costs are honest on purpose: freqtrade has no slippage model, so the slippage we assume is folded into the
per-side fee freqtrade charges (``fee = exchange_fee + slippage``), and both parts are kept for the record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gentrade.errors import ConfigError

DEFAULT_EXCHANGE_FEE = 0.001
DEFAULT_SLIPPAGE = 0.0005
DEFAULT_WALLET = 1000.0
DEFAULT_MAX_OPEN_TRADES = 3


class Costs(BaseModel):
    """Per-side trading costs as fractions of the traded value."""

    model_config = ConfigDict(frozen=True)

    exchange_fee: float = Field(default=DEFAULT_EXCHANGE_FEE, ge=0, lt=0.1)
    slippage: float = Field(default=DEFAULT_SLIPPAGE, ge=0, lt=0.1)

    @property
    def fee(self) -> float:
        """What freqtrade charges per side: the exchange fee plus the assumed slippage."""
        return round(self.exchange_fee + self.slippage, 12)


def stake_currency(pairs: list[str]) -> str:
    """The one quote currency all pairs share (freqtrade backtests a single stake currency)."""
    quotes = sorted({pair.partition("/")[2] for pair in pairs})
    if len(quotes) != 1 or not quotes[0]:
        raise ConfigError(f"pairs must share one quote currency to backtest together, got {quotes}")
    return quotes[0]


def build_backtest_config(
    *,
    strategy: str,
    pairs: list[str],
    datadir: Path,
    user_data_dir: Path,
    timerange: str | None,
    timeframe: str | None,
    costs: Costs,
    exchange: str = "binance",
    dry_run_wallet: float = DEFAULT_WALLET,
    stake_amount: float | Literal["unlimited"] = "unlimited",
    max_open_trades: int = DEFAULT_MAX_OPEN_TRADES,
) -> dict[str, Any]:
    """A config plain freqtrade accepts (``freqtrade backtesting -c``) for exactly this run.

    ``timeframe`` None leaves the strategy's own timeframe in force. Result caching is off so a run never
    returns an older result, and trades are exported so freqtrade writes its result zip.
    """
    if not pairs:
        raise ConfigError("a backtest needs at least one pair")
    if stake_amount != "unlimited" and not (0 < stake_amount <= dry_run_wallet):
        raise ConfigError(
            f"stake_amount {stake_amount} must be positive and at most the wallet {dry_run_wallet}"
        )
    config: dict[str, Any] = {
        "strategy": strategy,
        "exchange": {"name": exchange, "pair_whitelist": list(pairs), "pair_blacklist": []},
        "pairlists": [{"method": "StaticPairList"}],
        # freqtrade's own template values; backtests price from candles, the exchange only validates these.
        "entry_pricing": {
            "price_side": "same",
            "use_order_book": True,
            "order_book_top": 1,
            "price_last_balance": 0.0,
            "check_depth_of_market": {"enabled": False, "bids_to_ask_delta": 1},
        },
        "exit_pricing": {"price_side": "same", "use_order_book": True, "order_book_top": 1},
        "trading_mode": "spot",
        "stake_currency": stake_currency(pairs),
        "stake_amount": stake_amount,
        "dry_run": True,
        "dry_run_wallet": dry_run_wallet,
        "max_open_trades": max_open_trades,
        "fee": costs.fee,
        "dataformat_ohlcv": "feather",
        "datadir": str(datadir),
        "user_data_dir": str(user_data_dir),
        "export": "trades",
        "backtest_cache": "none",
        "gentrade": {"exchange_fee": costs.exchange_fee, "slippage": costs.slippage},
    }
    if timerange:
        config["timerange"] = timerange
    if timeframe:
        config["timeframe"] = timeframe
    return config
