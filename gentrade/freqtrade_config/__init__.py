"""Every freqtrade config GenTrade writes, in one package below the engine.

* ``backtest``: the config of one backtest, analysis or hyperopt fold (costs folded into the fee, the
  detail timeframe, the wallet), built from explicit choices;
* ``bot``: what a supervised bot's config gets on top of the caller's (api_server, database, dry-run and the
  real-money guard), and ``freqtrade webserver``'s;
* ``targets``: a user's config for an exchange (the local testnet, Bybit demo, Binance testnet, Binance),
  checked with freqtrade's own schema.

It imports only ``errors`` and ``data`` of ours, so the engine, the CLI and the tasks can all build configs
without the engine reaching into the testnet or the settings (the testnet's url and the keys are handed in).
"""

from gentrade.freqtrade_config.bot import FREQTRADE_KEY_ENV, FREQTRADE_SECRET_ENV
from gentrade.freqtrade_config.targets import (
    DEFAULT_LOCAL_URL,
    KEY_ENV,
    SECRET_ENV,
    TESTNET_WARNING,
    ConfigRequest,
    Target,
    build_config,
    default_local_config,
    freqtrade_env,
    local_ccxt_config,
    parse_request,
    validate_config,
    write_config,
)

__all__ = [
    "DEFAULT_LOCAL_URL",
    "FREQTRADE_KEY_ENV",
    "FREQTRADE_SECRET_ENV",
    "KEY_ENV",
    "SECRET_ENV",
    "TESTNET_WARNING",
    "ConfigRequest",
    "Target",
    "build_config",
    "default_local_config",
    "freqtrade_env",
    "local_ccxt_config",
    "parse_request",
    "validate_config",
    "write_config",
]
