"""Order matching against the replayed price.

There is no other trader: an order fills against the market the candles describe.  The book is one tick
either side of the last price (rounded to the tick).  A marketable order fills at once, whole, at the bid or
ask (taker); a resting limit order fills whole at its own price (maker) the first moment the ask falls to it
(buy) or the bid rises to it (sell).  Resting orders are matched lazily, whenever their account is touched,
using the first-touch time along the replayed price path, so the result does not depend on how often a client
polls.  A stop-loss-limit order starts working when the last price touches its stop price and from then on is
an ordinary limit order.  Partial fills do not happen.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from gentrade.exchange import errors
from gentrade.exchange.accounts import Wallet
from gentrade.exchange.feed import MarketFeed
from gentrade.exchange.markets import SymbolRules
from gentrade.exchange.numbers import EIGHT, dec, floor_to
from gentrade.exchange.orders import Order, Trade
from gentrade.exchange.params import NewOrderParams


@dataclass(frozen=True)
class Quote:
    last: Decimal
    bid: Decimal
    ask: Decimal


@dataclass
class Book:
    """Everything one API key owns: its wallet, its orders (by id, in placement order) and its trades."""

    wallet: Wallet
    orders: dict[int, Order] = field(default_factory=dict)
    by_client_id: dict[str, int] = field(default_factory=dict)
    trades: list[Trade] = field(default_factory=list)


class Matcher:
    def __init__(self, feed: MarketFeed, rules: dict[str, SymbolRules], fee_rate: Decimal) -> None:
        self.feed = feed
        self.rules = rules
        self.fee_rate = fee_rate
        self._order_ids = itertools.count(1)
        self._trade_ids = itertools.count(1)

    # ------------------------------------------------------------------ quotes
    def quote(self, symbol: str, served_ms: int) -> Quote | None:
        last = self.feed.price_at(symbol, served_ms)
        if last is None:
            return None
        tick = self.rules[symbol].tick
        rounded = max(tick, (dec(last) / tick).to_integral_value(rounding=ROUND_HALF_UP) * tick)
        return Quote(rounded, max(tick, rounded - tick), rounded + tick)

    # --------------------------------------------------------------- placement
    def place(self, book: Book, p: NewOrderParams, now: int, *, test: bool = False) -> Order:
        rules = self.rules[p.symbol]
        self._check_shape(p)
        if p.newClientOrderId is not None:
            existing = book.orders.get(book.by_client_id.get(p.newClientOrderId, -1))
            if existing is not None and existing.is_open:
                raise errors.duplicate_client_order_id()
        quote = self.quote(p.symbol, now)
        if quote is None:
            raise errors.market_closed()
        qty = self._quantity(p, rules, quote)
        price = p.price if p.price is not None else Decimal(0)
        self._check_filters(p, rules, qty, price if p.type != "MARKET" else self._taker_price(p.side, quote))
        if p.type == "LIMIT_MAKER" and self._marketable(p.side, price, quote):
            raise errors.would_take()
        if p.type == "STOP_LOSS_LIMIT":
            assert p.stopPrice is not None
            if (quote.last <= p.stopPrice) if p.side == "SELL" else (quote.last >= p.stopPrice):
                raise errors.stop_would_trigger()
        order = Order(
            order_id=0,
            client_order_id=p.newClientOrderId or f"gt{secrets.token_hex(11)}",
            symbol=p.symbol,
            side=p.side,
            type=p.type,
            time_in_force=p.timeInForce or "GTC",
            price=price,
            stop_price=p.stopPrice or Decimal(0),
            orig_qty=qty,
            orig_quote_qty=p.quoteOrderQty or Decimal(0),
            time=now,
            working_time=None if p.type == "STOP_LOSS_LIMIT" else now,
            update_time=now,
        )
        if test:
            self._check_affordable(book, order, quote)
            return order
        if p.type == "MARKET":
            self._check_affordable(book, order, quote)
        else:
            order.locked = qty * price if p.side == "BUY" else qty
            book.wallet.lock(self._locked_asset(order), order.locked)
        order.order_id = next(self._order_ids)
        book.orders[order.order_id] = order
        book.by_client_id[order.client_order_id] = order.order_id
        if order.working_time is not None:
            self._work(book, order, quote, now)
        return order

    def _check_shape(self, p: NewOrderParams) -> None:
        needs_price = p.type in ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT")
        if needs_price and p.price is None:
            raise errors.mandatory_missing("price")
        if p.type in ("LIMIT", "STOP_LOSS_LIMIT") and p.timeInForce is None:
            raise errors.mandatory_missing("timeInForce")
        if p.type == "STOP_LOSS_LIMIT" and p.stopPrice is None:
            raise errors.mandatory_missing("stopPrice")
        if p.type != "STOP_LOSS_LIMIT" and p.stopPrice is not None:
            raise errors.not_required("stopPrice")
        if p.type == "MARKET" and p.price is not None:
            raise errors.not_required("price")
        if p.type == "MARKET":
            if p.quantity is None and p.quoteOrderQty is None:
                raise errors.either_missing("quantity", "quoteOrderQty")
            if p.quantity is not None and p.quoteOrderQty is not None:
                raise errors.not_required("quoteOrderQty")
        else:
            if p.quantity is None:
                raise errors.mandatory_missing("quantity")
            if p.quoteOrderQty is not None:
                raise errors.not_required("quoteOrderQty")

    def _quantity(self, p: NewOrderParams, rules: SymbolRules, quote: Quote) -> Decimal:
        if p.quantity is not None:
            return p.quantity
        assert p.quoteOrderQty is not None
        return floor_to(p.quoteOrderQty / self._taker_price(p.side, quote), rules.step)

    @staticmethod
    def _check_filters(p: NewOrderParams, rules: SymbolRules, qty: Decimal, price: Decimal) -> None:
        for value in (price, p.stopPrice) if p.type == "STOP_LOSS_LIMIT" else (price,):
            if value is None or value < rules.min_price or value > rules.max_price or value % rules.tick:
                raise errors.filter_failure("PRICE_FILTER")
        if qty < rules.min_qty or qty > rules.max_qty or qty % rules.step:
            raise errors.filter_failure("LOT_SIZE")
        if qty * price < rules.min_notional:
            raise errors.filter_failure("NOTIONAL")

    @staticmethod
    def _taker_price(side: str, quote: Quote) -> Decimal:
        return quote.ask if side == "BUY" else quote.bid

    @staticmethod
    def _marketable(side: str, price: Decimal, quote: Quote) -> bool:
        return price >= quote.ask if side == "BUY" else price <= quote.bid

    def _locked_asset(self, order: Order) -> str:
        rules = self.rules[order.symbol]
        return rules.quote if order.side == "BUY" else rules.base

    def _check_affordable(self, book: Book, order: Order, quote: Quote) -> None:
        if order.type == "MARKET":
            need = (
                order.orig_qty * self._taker_price(order.side, quote)
                if order.side == "BUY"
                else order.orig_qty
            )
        else:
            need = order.orig_qty * order.price if order.side == "BUY" else order.orig_qty
        if book.wallet.free.get(self._locked_asset(order), Decimal(0)) < need:
            raise errors.insufficient_balance()

    # ----------------------------------------------------------------- matching
    def _work(self, book: Book, order: Order, quote: Quote, at: int) -> None:
        """An order starts working at ``at``: fill it if marketable, expire IOC/FOK, or let it rest."""
        if order.type == "MARKET" or self._marketable(order.side, order.price, quote):
            self._fill(book, order, self._taker_price(order.side, quote), at, maker=False)
        elif order.time_in_force in ("IOC", "FOK"):
            self._close(book, order, "EXPIRED", at)

    def sweep(self, book: Book) -> None:
        """Bring every open order of ``book`` up to now along the replayed price path."""
        for order in [o for o in book.orders.values() if o.is_open]:
            symbol = order.symbol
            if order.working_time is None:
                touched = self.feed.first_touch(
                    symbol, order.time, float(order.stop_price), order.side == "SELL"
                )
                quote = None if touched is None else self.quote(symbol, touched)
                if touched is None or quote is None:
                    continue
                order.working_time = order.update_time = touched
                self._work(book, order, quote, touched)
                if not order.is_open:
                    continue
            tick = self.rules[symbol].tick
            level = order.price - tick if order.side == "BUY" else order.price + tick
            assert order.working_time is not None
            filled_at = self.feed.first_touch(symbol, order.working_time, float(level), order.side == "BUY")
            if filled_at is not None:
                self._fill(book, order, order.price, filled_at, maker=True)

    def _fill(self, book: Book, order: Order, price: Decimal, at: int, *, maker: bool) -> None:
        rules = self.rules[order.symbol]
        qty = order.orig_qty
        cost = qty * price
        wallet = book.wallet
        paid_asset, paid = (rules.quote, cost) if order.side == "BUY" else (rules.base, qty)
        if order.locked:
            wallet.spend_locked(paid_asset, paid)
            if order.locked > paid:
                wallet.unlock(paid_asset, order.locked - paid)
        else:
            wallet.spend_free(paid_asset, paid)
        got_asset, got = (rules.base, qty) if order.side == "BUY" else (rules.quote, cost)
        commission = (got * self.fee_rate).quantize(EIGHT, rounding=ROUND_HALF_UP)
        wallet.credit(got_asset, got - commission)
        trade = Trade(
            id=next(self._trade_ids),
            order_id=order.order_id,
            symbol=order.symbol,
            price=price,
            qty=qty,
            commission=commission,
            commission_asset=got_asset,
            time=at,
            is_buyer=order.side == "BUY",
            is_maker=maker,
        )
        order.trades.append(trade)
        book.trades.append(trade)
        order.executed_qty = qty
        order.quote_qty = cost
        order.locked = Decimal(0)
        order.status = "FILLED"
        order.update_time = at

    def _close(self, book: Book, order: Order, status: Literal["CANCELED", "EXPIRED"], at: int) -> None:
        if order.locked:
            book.wallet.unlock(self._locked_asset(order), order.locked)
            order.locked = Decimal(0)
        order.status = status
        order.update_time = at

    def cancel(self, book: Book, order: Order, at: int) -> None:
        if not order.is_open:
            raise errors.unknown_order()
        self._close(book, order, "CANCELED", at)
