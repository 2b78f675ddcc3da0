"""The local testnet: a Binance-spot REST subset over a freqtrade data dir (see ``server.start_testnet``)."""

from gentrade.freqtrade_config.targets import LOCAL_TESTNET_PORT

DEFAULT_PORT = LOCAL_TESTNET_PORT
