"""GenTrade: typed strategy specs rendered into audited, honestly backtested Freqtrade strategies."""

__version__ = "0.1.0"
