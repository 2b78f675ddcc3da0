"""The testnet's operations, one method per endpoint, in Binance's response shapes.

Routes only turn HTTP into validated parameters and call these; everything that decides an answer lives
here or below, under one lock (requests may arrive from the server thread and in-process callers at once).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC
from decimal import Decimal
from typing import Any

from gentrade.exchange import errors
from gentrade.exchange.accounts import AccountSpec, Wallet
from gentrade.exchange.clock import wall_ms
from gentrade.exchange.feed import MarketFeed
from gentrade.exchange.intervals import DAY
from gentrade.exchange.markets import SymbolRules, exchange_info
from gentrade.exchange.matching import Book, Matcher
from gentrade.exchange.numbers import exact, floor_to, fmt
from gentrade.exchange.orders import Order
from gentrade.exchange.params import (
    AccountParams,
    DepthParams,
    HistoryParams,
    KlinesParams,
    NewOrderParams,
    OrderRefParams,
    RawParams,
)
from gentrade.exchange.scripts import PriceScript
from gentrade.exchange.signing import check_api_key, verify

MAX_KLINES = 1000
MAX_DEPTH = 5000
MAX_HISTORY = 1000


class Testnet:
    def __init__(
        self,
        feed: MarketFeed,
        rules: dict[str, SymbolRules],
        accounts: list[AccountSpec],
        fee_rate: Decimal,
    ) -> None:
        self.feed = feed
        self.rules = rules
        self.fee_rate = fee_rate
        self.matcher = Matcher(feed, rules, fee_rate)
        self._secrets = {a.api_key: a.api_secret for a in accounts}
        self._books = {a.api_key: Book(Wallet(dict(a.balances))) for a in accounts}
        self._uids = {a.api_key: i + 1 for i, a in enumerate(accounts)}
        self.lock = threading.RLock()

    # ----------------------------------------------------------------- helpers
    def _rules(self, symbol: str) -> SymbolRules:
        if symbol not in self.rules:
            raise errors.invalid_symbol()
        return self.rules[symbol]

    def _selected(self, symbol: str | None, symbols: list[str] | None) -> list[str] | None:
        """The symbols a multi-symbol endpoint asked for; None means "answer with one object"."""
        if symbol is not None and symbols is not None:
            raise errors.BinanceError(-1128, "Combination of optional parameters invalid.")
        if symbol is not None:
            self._rules(symbol)
            return None
        chosen = list(self.rules) if symbols is None else symbols
        for s in chosen:
            self._rules(s)
        return chosen

    def _each(self, symbol: str | None, symbols: list[str] | None, one: Any) -> Any:
        chosen = self._selected(symbol, symbols)
        if chosen is None:
            return one(symbol)
        return [one(s) for s in chosen]

    def _level_qty(self, symbol: str) -> Decimal:
        rules = self.rules[symbol]
        size = floor_to(Decimal(f"{self.feed.recent_volume(symbol) / 20:.8f}"), rules.step)
        return max(size, rules.min_qty * 10)

    # ------------------------------------------------------------------ public
    def exchange_info(self, symbol: str | None, symbols: list[str] | None) -> dict[str, Any]:
        with self.lock:
            chosen = self._selected(symbol, symbols)
            names = [symbol] if chosen is None else chosen
            return exchange_info([self.rules[s] for s in names if s is not None], wall_ms())

    def klines(self, p: KlinesParams) -> list[list[Any]]:
        with self.lock:
            self._rules(p.symbol)
            if p.limit < 1:
                raise errors.invalid_value("limit")
            bars = self.feed.klines(p.symbol, p.interval, p.startTime, p.endTime, min(p.limit, MAX_KLINES))
        rows = []
        for b in bars:
            quote_volume = b.volume * (b.open + b.high + b.low + b.close) / 4
            rows.append(
                [
                    b.open_time,
                    exact(b.open),
                    exact(b.high),
                    exact(b.low),
                    exact(b.close),
                    exact(b.volume),
                    b.close_time,
                    fmt(quote_volume),
                    b.count,
                    fmt(b.volume / 2),
                    fmt(quote_volume / 2),
                    "0",
                ]
            )
        return rows

    def ticker_24hr(self, symbol: str | None, symbols: list[str] | None) -> Any:
        with self.lock:
            return self._each(symbol, symbols, self._ticker)

    def _ticker(self, symbol: str) -> dict[str, Any]:
        now = self.feed.now_served(symbol)
        bar = self.feed.window(symbol, now - DAY, now)
        quote = self.matcher.quote(symbol, now)
        level = fmt(self._level_qty(symbol))
        last = quote.last if quote else Decimal(0)
        first = Decimal(fmt(bar.open)) if bar else Decimal(0)
        volume = bar.volume if bar else 0.0
        typical = (bar.open + bar.high + bar.low + bar.close) / 4 if bar else float(last)
        quote_volume = volume * typical
        return {
            "symbol": symbol,
            "priceChange": fmt(last - first),
            "priceChangePercent": f"{(last - first) / first * 100 if first else 0:.3f}",
            "weightedAvgPrice": fmt(typical),
            "prevClosePrice": fmt(first),
            "lastPrice": fmt(last),
            "lastQty": level,
            "bidPrice": fmt(quote.bid if quote else Decimal(0)),
            "bidQty": level,
            "askPrice": fmt(quote.ask if quote else Decimal(0)),
            "askQty": level,
            "openPrice": fmt(first),
            "highPrice": fmt(bar.high if bar else 0.0),
            "lowPrice": fmt(bar.low if bar else 0.0),
            "volume": fmt(volume),
            "quoteVolume": fmt(quote_volume),
            "openTime": now - DAY,
            "closeTime": now,
            "firstId": 1,
            "lastId": bar.count if bar else 0,
            "count": bar.count if bar else 0,
        }

    def ticker_price(self, symbol: str | None, symbols: list[str] | None) -> Any:
        def one(s: str) -> dict[str, str]:
            quote = self.matcher.quote(s, self.feed.now_served(s))
            return {"symbol": s, "price": fmt(quote.last if quote else Decimal(0))}

        with self.lock:
            return self._each(symbol, symbols, one)

    def book_ticker(self, symbol: str | None, symbols: list[str] | None) -> Any:
        def one(s: str) -> dict[str, str]:
            quote = self.matcher.quote(s, self.feed.now_served(s))
            level = fmt(self._level_qty(s))
            return {
                "symbol": s,
                "bidPrice": fmt(quote.bid if quote else Decimal(0)),
                "bidQty": level,
                "askPrice": fmt(quote.ask if quote else Decimal(0)),
                "askQty": level,
            }

        with self.lock:
            return self._each(symbol, symbols, one)

    def depth(self, p: DepthParams) -> dict[str, Any]:
        with self.lock:
            rules = self._rules(p.symbol)
            if p.limit < 1:
                raise errors.invalid_value("limit")
            limit = min(p.limit, MAX_DEPTH)
            now = self.feed.now_served(p.symbol)
            quote = self.matcher.quote(p.symbol, now)
            level = fmt(self._level_qty(p.symbol))
        if quote is None:
            return {"lastUpdateId": now, "bids": [], "asks": []}
        bids = [quote.bid - i * rules.tick for i in range(limit)]
        return {
            "lastUpdateId": now,
            "bids": [[fmt(b), level] for b in bids if b > 0],
            "asks": [[fmt(quote.ask + i * rules.tick), level] for i in range(limit)],
        }

    # ----------------------------------------------------------------- private
    def authenticate(self, api_key: str | None, raw: RawParams) -> Book:
        """The caller's book, with its resting orders matched up to now."""
        with self.lock:
            secret = check_api_key(api_key, self._secrets)
            verify(raw, secret)
            book = self._books[api_key or ""]
            self.matcher.sweep(book)
            return book

    def account(self, api_key: str, book: Book, p: AccountParams) -> dict[str, Any]:
        rate = fmt(self.fee_rate)
        bps = int(self.fee_rate * 10_000)
        with self.lock:
            return {
                "makerCommission": bps,
                "takerCommission": bps,
                "buyerCommission": 0,
                "sellerCommission": 0,
                "commissionRates": {"maker": rate, "taker": rate, "buyer": fmt(0.0), "seller": fmt(0.0)},
                "canTrade": True,
                "canWithdraw": False,
                "canDeposit": False,
                "brokered": False,
                "requireSelfTradePrevention": False,
                "preventSor": False,
                "updateTime": wall_ms(),
                "accountType": "SPOT",
                "balances": book.wallet.balances(p.omitZeroBalances),
                "permissions": ["SPOT"],
                "uid": self._uids[api_key],
            }

    def new_order(self, book: Book, p: NewOrderParams, *, test: bool) -> dict[str, Any]:
        with self.lock:
            self._rules(p.symbol)
            order = self.matcher.place(book, p, wall_ms(), test=test)
            if test:
                return {}
            default = "FULL" if p.type in ("MARKET", "LIMIT") else "ACK"
            return order.as_new(p.newOrderRespType or default)

    def _find(self, book: Book, p: OrderRefParams, missing: errors.BinanceError) -> Order:
        self._rules(p.symbol)
        if p.orderId is None and p.origClientOrderId is None:
            raise errors.either_missing("origClientOrderId", "orderId")
        order_id = p.orderId if p.orderId is not None else book.by_client_id.get(p.origClientOrderId or "")
        order = book.orders.get(order_id if order_id is not None else -1)
        if order is None or order.symbol != p.symbol:
            raise missing
        if p.orderId is not None and p.origClientOrderId not in (None, order.client_order_id):
            raise missing
        return order

    def get_order(self, book: Book, p: OrderRefParams) -> dict[str, Any]:
        with self.lock:
            return self._find(book, p, errors.order_does_not_exist()).as_query()

    def cancel_order(self, book: Book, p: OrderRefParams) -> dict[str, Any]:
        with self.lock:
            order = self._find(book, p, errors.unknown_order())
            now = wall_ms()
            self.matcher.cancel(book, order, now)
            return order.as_canceled(p.newClientOrderId or f"gtc{order.order_id}", now)

    def open_orders(self, book: Book, symbol: str | None) -> list[dict[str, Any]]:
        with self.lock:
            if symbol is not None:
                self._rules(symbol)
            return [o.as_query() for o in book.orders.values() if o.is_open and symbol in (None, o.symbol)]

    def cancel_open_orders(self, book: Book, symbol: str) -> list[dict[str, Any]]:
        with self.lock:
            self._rules(symbol)
            now = wall_ms()
            canceled = []
            for order in [o for o in book.orders.values() if o.is_open and o.symbol == symbol]:
                self.matcher.cancel(book, order, now)
                canceled.append(order.as_canceled(f"gtc{order.order_id}", now))
            if not canceled:
                raise errors.unknown_order()
            return canceled

    @staticmethod
    def _window(items: Iterable[Any], time_of: Any, p: HistoryParams, anchored: bool) -> list[Any]:
        picked = [
            x
            for x in items
            if (p.startTime is None or time_of(x) >= p.startTime)
            and (p.endTime is None or time_of(x) <= p.endTime)
        ]
        limit = min(max(p.limit, 1), MAX_HISTORY)
        return picked[:limit] if anchored or p.startTime is not None else picked[-limit:]

    def all_orders(self, book: Book, p: HistoryParams) -> list[dict[str, Any]]:
        with self.lock:
            self._rules(p.symbol)
            orders = [
                o
                for o in book.orders.values()
                if o.symbol == p.symbol and (p.orderId is None or o.order_id >= p.orderId)
            ]
            chosen = self._window(orders, lambda o: o.time, p, anchored=p.orderId is not None)
            return [o.as_query() for o in chosen]

    def my_trades(self, book: Book, p: HistoryParams) -> list[dict[str, Any]]:
        with self.lock:
            self._rules(p.symbol)
            trades = [
                t
                for t in book.trades
                if t.symbol == p.symbol
                and (p.orderId is None or t.order_id == p.orderId)
                and (p.fromId is None or t.id >= p.fromId)
            ]
            chosen = self._window(trades, lambda t: t.time, p, anchored=p.fromId is not None)
            return [t.as_my_trade() for t in chosen]

    # ------------------------------------------------------------------- admin
    def clock_info(self) -> dict[str, Any]:
        clock = self.feed.clock
        return {
            "mode": "replay" if clock.live else "historical",
            "speed": clock.speed,
            "serverTime": wall_ms(),
            "historyNow": clock.history_now(),
            "replayStart": clock.hidden_before_ms,
            "candleMs": {s: self.feed.series(s).timeframe_ms for s in self.rules},
            "intervals": self.feed.servable_intervals(),
        }

    def script(self, spec: PriceScript) -> dict[str, Any]:
        with self.lock:
            clock = self.feed.clock
            if not clock.live:
                raise errors.BinanceError(
                    -1020, "Price scripts need the replay clock (serve --replay START)."
                )
            symbol = spec.symbol_id
            self._rules(symbol)
            now = clock.history_now()
            assert now is not None
            if spec.start is None:
                start = now
            else:
                moment = spec.start if spec.start.tzinfo else spec.start.replace(tzinfo=UTC)
                start = int(moment.timestamp() * 1000)
            candles = spec.ohlc()
            first = self.feed.apply_script(
                symbol, candles, spec.volumes(self.feed.recent_volume(symbol) or 1.0), start
            )
            step = self.feed.series(symbol).timeframe_ms
            return {
                "symbol": symbol,
                "firstCandle": clock.to_served(first),
                "candleDurationMs": round(step / clock.speed),
                "end": clock.to_served(first + step * len(candles)),
            }
