"""OHLCV data in freqtrade's layout: the store, a synthetic generator, markets snapshots, downloads."""
