"""The starting wallet when none is given: a sum that fits the pairs' quote currency.

A flat 1000 meant 1000 BTC (tens of millions of dollars) for ETH/BTC, which sized every trade absurdly and
made absolute profits unreadable. The defaults are about a thousand US dollars' worth at the time of
writing, rounded: enough for freqtrade's minimum stakes, small enough to read as one person's account.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_WALLETS: dict[str, float] = {
    "USDT": 1000.0,
    "USDC": 1000.0,
    "FDUSD": 1000.0,
    "BUSD": 1000.0,
    "TUSD": 1000.0,
    "DAI": 1000.0,
    "USD": 1000.0,
    "EUR": 1000.0,
    "BTC": 0.02,
    "ETH": 0.5,
    "BNB": 2.0,
}
FALLBACK_WALLET = 1000.0


def quote_of(pair: str) -> str:
    """``ETH/BTC`` → ``BTC``; ``BTC/USDT:USDT`` → ``USDT``."""
    return pair.split("/", 1)[-1].split(":", 1)[0].upper()


def default_wallet(pairs: list[str] | None, datadir: Path) -> tuple[float, str] | None:
    """(amount, currency) for the pairs (else every pair with candles in ``datadir``); None when they have
    no single quote currency (the backtest then refuses the mix itself)."""
    from gentrade.data.store import list_pairs

    chosen = pairs or (list_pairs(datadir) if datadir.is_dir() else [])
    quotes = {quote_of(pair) for pair in chosen}
    if len(quotes) != 1:
        return None
    (quote,) = quotes
    return DEFAULT_WALLETS.get(quote, FALLBACK_WALLET), quote
