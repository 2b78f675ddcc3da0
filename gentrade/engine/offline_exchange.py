"""A freqtrade Exchange that never touches the network.

``validate=False`` skips freqtrade's initial market download; the markets come from a snapshot handed to
both ccxt objects with ``set_markets`` (as freqtrade's own tests do) and to the Exchange's market cache, so
``Backtesting(config, exchange=...)`` has everything it asks the exchange for. Imports freqtrade: call it
only where freqtrade is meant to be loaded (the backtest child process).
"""

from __future__ import annotations

from typing import Any

from freqtrade.exchange import Exchange
from freqtrade.resolvers import ExchangeResolver
from freqtrade.util import dt_ts

from gentrade.errors import ConfigError


def build_offline_exchange(config: dict[str, Any], markets: dict[str, dict[str, Any]]) -> Exchange:
    """freqtrade's exchange class for ``config["exchange"]["name"]`` with ``markets`` preloaded."""
    wanted = config["exchange"].get("pair_whitelist", [])
    absent = [pair for pair in wanted if pair not in markets]
    if absent:
        raise ConfigError(f"markets snapshot lacks {', '.join(absent)}")
    exchange = ExchangeResolver.load_exchange(config, validate=False)
    exchange._api.set_markets(markets)
    exchange._api_async.set_markets(markets)
    exchange._markets = exchange._api.markets
    # Marks the markets as fresh so no code path decides to reload them from the exchange.
    exchange._last_markets_refresh = dt_ts()
    exchange.validate_config(config)
    return exchange
