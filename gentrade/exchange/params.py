"""Request parameters, validated with pydantic and rejected the way Binance rejects them.

Binance takes parameters from the query string and, for POST/PUT/DELETE, from an url-encoded body as well;
both count for the signature.  Every validation failure becomes a Binance error (-1100 illegal characters,
-1102 missing, -1101 duplicate, or the enum's own code), so ccxt raises ``BadRequest`` and friends and the
server never answers 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from gentrade.exchange import errors
from gentrade.exchange.errors import BinanceError
from gentrade.exchange.intervals import INTERVALS


@dataclass(frozen=True)
class RawParams:
    """Parameters as received: the decoded values and the exact strings the client signed."""

    values: dict[str, str]
    query: str
    body: str


def parse_raw(query: bytes, body: bytes) -> RawParams:
    try:
        query_text, body_text = query.decode("utf-8"), body.decode("utf-8")
        pairs = parse_qsl(query_text, keep_blank_values=True, errors="strict")
        pairs += parse_qsl(body_text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise BinanceError(-1100, "Illegal characters found in a parameter.") from None
    values: dict[str, str] = {}
    for key, value in pairs:
        if key in values:
            raise errors.duplicate_param(key)
        values[key] = value
    return RawParams(values, query_text, body_text)


# ----------------------------------------------------------------------------- field types
def _fail(code: int, msg: str) -> PydanticCustomError:
    return PydanticCustomError("binance", "{msg}", {"code": code, "msg": msg})


def _matching(regex: str, convert: Callable[[str], Any]) -> BeforeValidator:
    pattern = re.compile(regex)

    def check(value: object, info: ValidationInfo) -> Any:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise _fail(-1100, errors.illegal_chars(info.field_name or "?", regex).msg)
        return convert(value)

    return BeforeValidator(check)


def _choice(options: dict[str, Any], error: Callable[[], BinanceError]) -> BeforeValidator:
    def check(value: object) -> Any:
        if not isinstance(value, str) or value not in options:
            err = error()
            raise _fail(err.code, err.msg)
        return options[value]

    return BeforeValidator(check)


def _symbol_list(value: object, info: ValidationInfo) -> list[str]:
    legal = r'^\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\]$'
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, list) or not all(
        isinstance(s, str) and re.fullmatch(r"[A-Z0-9\-_.]{1,20}", s) for s in parsed
    ):
        raise _fail(-1100, errors.illegal_chars(info.field_name or "symbols", legal).msg)
    return parsed


UInt = Annotated[int, _matching(r"^[0-9]{1,20}$", int)]
Amount = Annotated[Decimal, _matching(r"^([0-9]{1,20})(\.[0-9]{1,20})?$", Decimal)]
SymbolId = Annotated[str, _matching(r"^[A-Z0-9-_.]{1,20}$", str)]
ClientId = Annotated[str, _matching(r"^[a-zA-Z0-9-_.]{1,36}$", str)]
SymbolList = Annotated[list[str], BeforeValidator(_symbol_list)]
Flag = Annotated[
    bool, _choice({"true": True, "false": False}, lambda: errors.invalid_value("omitZeroBalances"))
]
IntervalMs = Annotated[int, _choice(INTERVALS, errors.invalid_interval)]
Side = Annotated[Literal["BUY", "SELL"], _choice({"BUY": "BUY", "SELL": "SELL"}, errors.invalid_side)]
OrderType = Annotated[
    Literal["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT"],
    _choice({t: t for t in ("LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT")}, errors.invalid_order_type),
]
TimeInForce = Annotated[
    Literal["GTC", "IOC", "FOK"], _choice({t: t for t in ("GTC", "IOC", "FOK")}, errors.invalid_time_in_force)
]
RespType = Annotated[
    Literal["ACK", "RESULT", "FULL"],
    _choice({t: t for t in ("ACK", "RESULT", "FULL")}, lambda: errors.invalid_value("newOrderRespType")),
]


class Params(BaseModel):
    """Base of every endpoint's parameters; unknown parameters are ignored as Binance ignores them."""

    model_config = ConfigDict(extra="ignore", frozen=True)


M = TypeVar("M", bound=Params)


def parse(model: type[M], raw: RawParams) -> M:
    """Validate ``raw`` into ``model``; empty values count as missing, as on Binance."""
    present = {k: v for k, v in raw.values.items() if v != ""}
    try:
        return model.model_validate(present)
    except ValidationError as exc:
        raise _to_binance(exc) from None


def _to_binance(exc: ValidationError) -> BinanceError:
    first = exc.errors(include_url=False)[0]
    name = str(first["loc"][0]) if first["loc"] else "?"
    ctx = first.get("ctx") or {}
    if first["type"] == "binance":
        return BinanceError(int(ctx["code"]), str(ctx["msg"]))
    if first["type"] == "missing":
        return errors.mandatory_missing(name)
    return errors.invalid_value(name)


# ----------------------------------------------------------------------------- endpoint models
class SymbolParams(Params):
    symbol: SymbolId


class SymbolsParams(Params):
    """``symbol`` or ``symbols`` (a JSON list) or neither (all symbols)."""

    symbol: SymbolId | None = None
    symbols: SymbolList | None = None


class KlinesParams(Params):
    symbol: SymbolId
    interval: IntervalMs
    startTime: UInt | None = None
    endTime: UInt | None = None
    limit: UInt = 500


class DepthParams(Params):
    symbol: SymbolId
    limit: UInt = 100


class SignedParams(Params):
    timestamp: UInt
    recvWindow: UInt = 5000
    signature: Annotated[str, _matching(r"^[0-9a-fA-F]{64}$", str.lower)]


class NewOrderParams(Params):
    symbol: SymbolId
    side: Side
    type: OrderType
    timeInForce: TimeInForce | None = None
    quantity: Amount | None = None
    quoteOrderQty: Amount | None = None
    price: Amount | None = None
    stopPrice: Amount | None = None
    newClientOrderId: ClientId | None = None
    newOrderRespType: RespType | None = None


class OrderRefParams(Params):
    symbol: SymbolId
    orderId: UInt | None = None
    origClientOrderId: ClientId | None = None
    newClientOrderId: ClientId | None = None


class OptionalSymbolParams(Params):
    symbol: SymbolId | None = None


class HistoryParams(Params):
    """``allOrders`` and ``myTrades``: one symbol, optional id and time bounds, newest ``limit`` first cut."""

    symbol: SymbolId
    orderId: UInt | None = None
    fromId: UInt | None = None
    startTime: UInt | None = None
    endTime: UInt | None = None
    limit: UInt = 500


class AccountParams(Params):
    omitZeroBalances: Flag = False
