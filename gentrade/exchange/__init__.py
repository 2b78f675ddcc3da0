"""The local testnet: a Binance-spot REST subset over a freqtrade data dir (see ``server.start_testnet``)."""

DEFAULT_PORT = 8765
