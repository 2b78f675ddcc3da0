"""Trading rules per symbol and the ``exchangeInfo`` document built from them.

A data dir only holds candles, so tick size, lot size and minimum notional are derived from the prices
with ``gentrade.data.markets`` (about five significant digits per tick, lot steps worth a hundredth of the
minimum order, Binance's minimum order per quote currency).  freqtrade reads these through ccxt for
precision and stake limits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from gentrade.data.markets import amount_step, market_tick, min_cost
from gentrade.exchange.candles import PairData
from gentrade.exchange.numbers import fmt


@dataclass(frozen=True)
class SymbolRules:
    symbol: str
    base: str
    quote: str
    tick: Decimal
    min_price: Decimal
    max_price: Decimal
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    max_notional: Decimal

    def filters(self) -> list[dict[str, object]]:
        return [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": fmt(self.min_price),
                "maxPrice": fmt(self.max_price),
                "tickSize": fmt(self.tick),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": fmt(self.min_qty),
                "maxQty": fmt(self.max_qty),
                "stepSize": fmt(self.step),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": fmt(self.min_qty),
                "maxQty": fmt(self.max_qty),
                "stepSize": fmt(self.step),
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": fmt(self.min_notional),
                "applyMinToMarket": True,
                "maxNotional": fmt(self.max_notional),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        ]

    def info(self) -> dict[str, object]:
        return {
            "symbol": self.symbol,
            "status": "TRADING",
            "baseAsset": self.base,
            "baseAssetPrecision": 8,
            "quoteAsset": self.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": list(ORDER_TYPES),
            "icebergAllowed": False,
            "ocoAllowed": False,
            "otoAllowed": False,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": False,
            "cancelReplaceAllowed": False,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": self.filters(),
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "NONE",
            "allowedSelfTradePreventionModes": ["NONE"],
        }


ORDER_TYPES = ("LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT")


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))


def derive_rules(pair: PairData) -> SymbolRules:
    """Rules from the median close, the same way ``gentrade.data.markets`` builds offline snapshots, so a
    backtest sees identical precision through the testnet and through the offline exchange."""
    closes = pair.finest.close[pair.finest.close > 0]
    reference = float(np.median(closes)) if closes.size else 1.0
    highest = float(closes.max()) if closes.size else 1.0
    opens = pair.finest.open[pair.finest.open > 0]
    tick = _decimal(market_tick(np.concatenate([opens, closes])) if closes.size else 1.0)
    step = _decimal(amount_step(reference, pair.quote))
    min_notional = _decimal(min_cost(pair.quote))
    return SymbolRules(
        symbol=pair.symbol,
        base=pair.base,
        quote=pair.quote,
        tick=tick,
        min_price=tick,
        max_price=Decimal(1).scaleb(math.ceil(math.log10(highest * 1000))),
        step=step,
        min_qty=step,
        max_qty=Decimal(9_000_000_000),
        min_notional=min_notional,
        max_notional=Decimal(9_000_000_000),
    )


def exchange_info(rules: list[SymbolRules], server_time: int) -> dict[str, object]:
    return {
        "timezone": "UTC",
        "serverTime": server_time,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
        ],
        "exchangeFilters": [],
        "symbols": [r.info() for r in rules],
    }
