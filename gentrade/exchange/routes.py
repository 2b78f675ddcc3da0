"""HTTP routes: Binance's spot REST paths (``/api/v3/...``) plus two admin paths under ``/gentrade/v1``.

Parameters are read from the raw query string and url-encoded body (Binance accepts both, and the raw strings
are what the signature covers), never through FastAPI's own validation, so every rejection is Binance-shaped.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from gentrade.exchange import errors
from gentrade.exchange.clock import wall_ms
from gentrade.exchange.matching import Book
from gentrade.exchange.params import (
    AccountParams,
    DepthParams,
    HistoryParams,
    KlinesParams,
    NewOrderParams,
    OptionalSymbolParams,
    OrderRefParams,
    RawParams,
    SymbolParams,
    SymbolsParams,
    parse,
    parse_raw,
)
from gentrade.exchange.scripts import PriceScript
from gentrade.exchange.service import Testnet

MAX_BODY_BYTES = 64 * 1024


async def _raw(request: Request) -> RawParams:
    body = b""
    if request.method in ("POST", "PUT", "DELETE"):
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise errors.BinanceError(-1101, "Too many parameters sent for this endpoint.")
    return parse_raw(request.scope.get("query_string", b""), body)


def build_router(testnet: Testnet) -> APIRouter:
    router = APIRouter()

    async def signed(request: Request) -> tuple[str, Book, RawParams]:
        raw = await _raw(request)
        api_key = request.headers.get("X-MBX-APIKEY")
        return api_key or "", testnet.authenticate(api_key, raw), raw

    # ------------------------------------------------------------- public
    @router.get("/api/v3/ping")
    async def ping() -> JSONResponse:
        return JSONResponse({})

    @router.get("/api/v3/time")
    async def server_time() -> JSONResponse:
        return JSONResponse({"serverTime": wall_ms()})

    @router.get("/api/v3/exchangeInfo")
    async def exchange_info(request: Request) -> JSONResponse:
        p = parse(SymbolsParams, await _raw(request))
        return JSONResponse(testnet.exchange_info(p.symbol, p.symbols))

    @router.get("/api/v3/klines")
    @router.get("/api/v3/uiKlines")
    async def klines(request: Request) -> JSONResponse:
        return JSONResponse(testnet.klines(parse(KlinesParams, await _raw(request))))

    @router.get("/api/v3/ticker/24hr")
    async def ticker_24hr(request: Request) -> JSONResponse:
        p = parse(SymbolsParams, await _raw(request))
        return JSONResponse(testnet.ticker_24hr(p.symbol, p.symbols))

    @router.get("/api/v3/ticker/price")
    async def ticker_price(request: Request) -> JSONResponse:
        p = parse(SymbolsParams, await _raw(request))
        return JSONResponse(testnet.ticker_price(p.symbol, p.symbols))

    @router.get("/api/v3/ticker/bookTicker")
    async def book_ticker(request: Request) -> JSONResponse:
        p = parse(SymbolsParams, await _raw(request))
        return JSONResponse(testnet.book_ticker(p.symbol, p.symbols))

    @router.get("/api/v3/depth")
    async def depth(request: Request) -> JSONResponse:
        return JSONResponse(testnet.depth(parse(DepthParams, await _raw(request))))

    # freqtrade's conversion-rate fallback asks for futures tickers; a spot testnet has none.
    @router.get("/fapi/v1/ticker/24hr")
    @router.get("/fapi/v1/ticker/bookTicker")
    async def no_futures_tickers() -> JSONResponse:
        return JSONResponse([])

    # ------------------------------------------------------------ private
    @router.get("/api/v3/account")
    async def account(request: Request) -> JSONResponse:
        api_key, book, raw = await signed(request)
        return JSONResponse(testnet.account(api_key, book, parse(AccountParams, raw)))

    @router.post("/api/v3/order")
    async def new_order(request: Request) -> JSONResponse:
        _, book, raw = await signed(request)
        return JSONResponse(testnet.new_order(book, parse(NewOrderParams, raw), test=False))

    @router.post("/api/v3/order/test")
    async def test_order(request: Request) -> JSONResponse:
        _, book, raw = await signed(request)
        return JSONResponse(testnet.new_order(book, parse(NewOrderParams, raw), test=True))

    @router.get("/api/v3/order")
    async def get_order(request: Request) -> JSONResponse:
        _, book, raw = await signed(request)
        return JSONResponse(testnet.get_order(book, parse(OrderRefParams, raw)))

    @router.delete("/api/v3/order")
    async def cancel_order(request: Request) -> JSONResponse:
        _, book, raw = await signed(request)
        return JSONResponse(testnet.cancel_order(book, parse(OrderRefParams, raw)))

    @router.get("/api/v3/openOrders")
    async def open_orders(request: Request) -> JSONResponse:
        _, book, raw = await signed(request)
        return JSONResponse(testnet.open_orders(book, parse(OptionalSymbolParams, raw).symbol))

    @router.delete("/api/v3/openOrders")
    async def cancel_open_orders(request: Request) -> JSONResponse:
        _, book, raw = await signed(request)
        return JSONResponse(testnet.cancel_open_orders(book, parse(SymbolParams, raw).symbol))

    @router.get("/api/v3/allOrders")
    async def all_orders(request: Request) -> JSONResponse:
        _, book, raw = await signed(request)
        return JSONResponse(testnet.all_orders(book, parse(HistoryParams, raw)))

    @router.get("/api/v3/myTrades")
    async def my_trades(request: Request) -> JSONResponse:
        _, book, raw = await signed(request)
        return JSONResponse(testnet.my_trades(book, parse(HistoryParams, raw)))

    # freqtrade asks for Binance's spot delisting schedule when trading live; nothing is ever delisted here.
    @router.get("/sapi/v1/spot/delist-schedule")
    async def delist_schedule(request: Request) -> JSONResponse:
        await signed(request)
        return JSONResponse([])

    # -------------------------------------------------------------- admin
    @router.get("/gentrade/v1/clock")
    async def clock() -> JSONResponse:
        return JSONResponse(testnet.clock_info())

    @router.post("/gentrade/v1/script")
    async def script(request: Request) -> JSONResponse:
        try:
            spec = PriceScript.model_validate_json(await request.body())
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"])
            raise errors.BinanceError(-1130, f"Invalid script: {where}: {first['msg']}") from None
        return JSONResponse(testnet.script(spec))

    return router
