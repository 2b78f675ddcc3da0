"""Orders and trades of one account, and their Binance JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from gentrade.exchange.numbers import fmt

Status = Literal["NEW", "FILLED", "CANCELED", "EXPIRED"]


@dataclass
class Trade:
    id: int
    order_id: int
    symbol: str
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool

    def as_fill(self) -> dict[str, object]:
        return {
            "price": fmt(self.price),
            "qty": fmt(self.qty),
            "commission": fmt(self.commission),
            "commissionAsset": self.commission_asset,
            "tradeId": self.id,
        }

    def as_my_trade(self) -> dict[str, object]:
        return {
            "symbol": self.symbol,
            "id": self.id,
            "orderId": self.order_id,
            "orderListId": -1,
            "price": fmt(self.price),
            "qty": fmt(self.qty),
            "quoteQty": fmt(self.price * self.qty),
            "commission": fmt(self.commission),
            "commissionAsset": self.commission_asset,
            "time": self.time,
            "isBuyer": self.is_buyer,
            "isMaker": self.is_maker,
            "isBestMatch": True,
        }


@dataclass
class Order:
    """One order; ``locked`` is what it still holds of the wallet (quote for buys, base for sells)."""

    order_id: int
    client_order_id: str
    symbol: str
    side: Literal["BUY", "SELL"]
    type: str
    time_in_force: str
    price: Decimal
    stop_price: Decimal
    orig_qty: Decimal
    orig_quote_qty: Decimal
    time: int
    working_time: int | None
    locked: Decimal = Decimal(0)
    status: Status = "NEW"
    update_time: int = 0
    executed_qty: Decimal = Decimal(0)
    quote_qty: Decimal = Decimal(0)
    trades: list[Trade] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status == "NEW"

    def _common(self) -> dict[str, object]:
        return {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.client_order_id,
            "price": fmt(self.price),
            "origQty": fmt(self.orig_qty),
            "executedQty": fmt(self.executed_qty),
            "origQuoteOrderQty": fmt(self.orig_quote_qty),
            "cummulativeQuoteQty": fmt(self.quote_qty),
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
            "selfTradePreventionMode": "NONE",
        }

    def as_query(self) -> dict[str, object]:
        """Shape of GET /order, /openOrders and /allOrders."""
        body = self._common()
        body.update(
            {
                "stopPrice": fmt(self.stop_price),
                "icebergQty": fmt(Decimal(0)),
                "time": self.time,
                "updateTime": self.update_time,
                "isWorking": self.working_time is not None,
                "workingTime": self.working_time if self.working_time is not None else -1,
            }
        )
        return body

    def as_new(self, resp_type: str) -> dict[str, object]:
        """Shape of POST /order for ``newOrderRespType`` ACK, RESULT or FULL."""
        ack: dict[str, object] = {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.client_order_id,
            "transactTime": self.time,
        }
        if resp_type == "ACK":
            return ack
        body = {**self._common(), **ack}
        body["workingTime"] = self.working_time if self.working_time is not None else -1
        if self.type == "STOP_LOSS_LIMIT":
            body["stopPrice"] = fmt(self.stop_price)
        if resp_type == "FULL":
            body["fills"] = [t.as_fill() for t in self.trades]
        return body

    def as_canceled(self, cancel_client_id: str, now: int) -> dict[str, object]:
        body = self._common()
        body.update(
            {
                "origClientOrderId": self.client_order_id,
                "clientOrderId": cancel_client_id,
                "transactTime": now,
            }
        )
        if self.type == "STOP_LOSS_LIMIT":
            body["stopPrice"] = fmt(self.stop_price)
        return body
