"""Malformed and hostile requests: Binance-style errors, ccxt's exception mapping, and no 500s ever."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from urllib.parse import urlencode

import ccxt
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gentrade.exchange.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET
from gentrade.exchange.server import TestnetHandle, start_testnet

PUBLIC_PATHS = [
    "/api/v3/ping",
    "/api/v3/time",
    "/api/v3/exchangeInfo",
    "/api/v3/klines",
    "/api/v3/ticker/24hr",
    "/api/v3/ticker/price",
    "/api/v3/ticker/bookTicker",
    "/api/v3/depth",
]
SIGNED_PATHS = [
    "/api/v3/account",
    "/api/v3/order",
    "/api/v3/openOrders",
    "/api/v3/allOrders",
    "/api/v3/myTrades",
]


@pytest.fixture(scope="module")
def testnet(synthetic_data_dir: Path) -> Iterator[TestnetHandle]:
    with start_testnet(synthetic_data_dir) as handle:
        yield handle


@pytest.fixture(scope="module")
def http(testnet: TestnetHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=testnet.url, timeout=10) as client:
        yield client


def _signed_query(params: Mapping[str, object], secret: str = DEFAULT_API_SECRET) -> str:
    query = urlencode({**params, "timestamp": int(time.time() * 1000)})
    return query + "&signature=" + hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()


def _binance_error(reply: httpx.Response) -> tuple[int, str]:
    body = reply.json()
    assert set(body) == {"code", "msg"}, body
    return body["code"], body["msg"]


def test_unknown_symbol_is_bad_symbol(
    http: httpx.Client, testnet: TestnetHandle, make_client: Callable[..., ccxt.binance]
) -> None:
    reply = http.get("/api/v3/ticker/price", params={"symbol": "NOPEUSDT"})
    assert reply.status_code == 400 and _binance_error(reply) == (-1121, "Invalid symbol.")
    client = make_client(testnet.url)
    with pytest.raises(ccxt.BadSymbol):
        client.public_get_klines({"symbol": "NOPEUSDT", "interval": "5m"})
    with pytest.raises(ccxt.BadSymbol):
        client.public_get_ticker_24hr({"symbols": '["BTCUSDT","NOPEUSDT"]'})
    assert client.fetch_time() > 0


def test_missing_and_malformed_parameters_are_bad_requests(
    http: httpx.Client, testnet: TestnetHandle, make_client: Callable[..., ccxt.binance]
) -> None:
    code, msg = _binance_error(http.get("/api/v3/klines", params={"symbol": "BTCUSDT"}))
    assert code == -1102 and "'interval'" in msg
    code, msg = _binance_error(http.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "7m"}))
    assert (code, msg) == (-1120, "Invalid interval.")
    code, msg = _binance_error(
        http.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "5m", "startTime": "yesterday"})
    )
    assert code == -1100 and "'startTime'" in msg
    code, _ = _binance_error(http.get("/api/v3/klines?symbol=BTCUSDT&symbol=ETHUSDT&interval=5m"))
    assert code == -1101
    code, _ = _binance_error(http.get("/api/v3/ticker/price", params={"symbols": "BTCUSDT"}))
    assert code == -1100
    client = make_client(testnet.url)
    with pytest.raises(ccxt.BadRequest):
        client.public_get_klines({"symbol": "BTCUSDT"})
    with pytest.raises(ccxt.BadRequest):
        client.public_get_ticker_price({"symbols": "BTCUSDT"})


def test_unknown_paths_and_methods(http: httpx.Client) -> None:
    reply = http.get("/api/v3/nothingHere")
    assert reply.status_code == 404 and _binance_error(reply)[0] == -1020
    reply = http.put("/api/v3/klines")
    assert reply.status_code == 404 and _binance_error(reply)[0] == -1020


def test_signed_request_errors(http: httpx.Client) -> None:
    key = {"X-MBX-APIKEY": DEFAULT_API_KEY}
    assert _binance_error(http.get("/api/v3/account"))[0] == -2014
    assert _binance_error(http.get("/api/v3/account", headers={"X-MBX-APIKEY": "stranger"}))[0] == -2015
    assert _binance_error(http.get("/api/v3/account", headers=key))[0] == -1102
    bad = _signed_query({}, secret="wrong")
    assert _binance_error(http.get(f"/api/v3/account?{bad}", headers=key)) == (
        -1022,
        "Signature for this request is not valid.",
    )
    old = urlencode({"timestamp": int(time.time() * 1000) - 60_000})
    old += "&signature=" + hmac.new(DEFAULT_API_SECRET.encode(), old.encode(), hashlib.sha256).hexdigest()
    assert _binance_error(http.get(f"/api/v3/account?{old}", headers=key))[0] == -1021
    ok = http.get(f"/api/v3/account?{_signed_query({})}", headers=key)
    assert ok.status_code == 200 and ok.json()["accountType"] == "SPOT"


def test_signature_may_cover_query_and_body(http: httpx.Client) -> None:
    """Binance signs query string + body; a POST split across both must verify."""
    query = "symbol=BTCUSDT&side=BUY"
    body = f"type=MARKET&quantity=0.001&timestamp={int(time.time() * 1000)}"
    signature = hmac.new(DEFAULT_API_SECRET.encode(), (query + body).encode(), hashlib.sha256).hexdigest()
    reply = http.post(
        f"/api/v3/order/test?{query}",
        content=f"{body}&signature={signature}",
        headers={"X-MBX-APIKEY": DEFAULT_API_KEY, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status_code == 200 and reply.json() == {}


_garbage_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40
) | st.sampled_from(["", "-1", "1e9", "99999999999999999999999", '["BTCUSDT"', "null", "5m", "BTCUSDT"])
_param_names = st.sampled_from(
    [
        "symbol",
        "symbols",
        "interval",
        "startTime",
        "endTime",
        "limit",
        "side",
        "type",
        "quantity",
        "price",
        "timeInForce",
        "orderId",
        "origClientOrderId",
        "timestamp",
        "recvWindow",
        "signature",
        "x",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(PUBLIC_PATHS + SIGNED_PATHS + ["/api/v3/order/test", "/gentrade/v1/script", "/x"]),
    method=st.sampled_from(["GET", "POST", "DELETE"]),
    params=st.lists(st.tuples(_param_names, _garbage_text), max_size=6),
    raw_query=st.lists(
        st.sampled_from(
            ["%ff", "%", "&", "=", "%c3%28", "%00", "a", "symbol=", "BTCUSDT", "[", "]", "+", "%20"]
        )
        | st.text(
            alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="#"), max_size=8
        ),
        max_size=10,
    ).map("".join),
    body=st.binary(max_size=60),
    with_key=st.booleans(),
)
def test_garbage_never_gives_500(
    http: httpx.Client,
    path: str,
    method: str,
    params: list[tuple[str, str]],
    raw_query: str,
    body: bytes,
    with_key: bool,
) -> None:
    headers = {"X-MBX-APIKEY": DEFAULT_API_KEY} if with_key else {}
    for url in (httpx.URL(path, params=params), httpx.URL(path).copy_with(query=raw_query.encode())):
        reply = http.request(method, url, content=body, headers=headers)
        assert reply.status_code < 500, (method, url, body, reply.text)
        if reply.status_code >= 400:
            assert isinstance(reply.json()["code"], int)


def test_server_still_serves_after_the_garbage(
    http: httpx.Client, testnet: TestnetHandle, make_client: Callable[..., ccxt.binance]
) -> None:
    assert http.get("/api/v3/ping").json() == {}
    assert make_client(testnet.url).fetch_ticker("ETH/USDT")["last"] > 0


_order_values = st.one_of(
    _garbage_text,
    st.sampled_from(
        ["BUY", "SELL", "LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "GTC", "IOC", "FOK"]
    ),
    st.decimals(min_value=0, max_value=10**20, places=8, allow_nan=False).map(str),
)
_order_names = st.sampled_from(
    [
        "symbol",
        "side",
        "type",
        "timeInForce",
        "quantity",
        "quoteOrderQty",
        "price",
        "stopPrice",
        "newClientOrderId",
        "newOrderRespType",
        "orderId",
        "origClientOrderId",
        "fromId",
        "limit",
        "omitZeroBalances",
        "recvWindow",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    target=st.sampled_from(
        [("POST", "/api/v3/order"), ("POST", "/api/v3/order/test"), ("GET", "/api/v3/order")]
        + [("DELETE", "/api/v3/order"), ("DELETE", "/api/v3/openOrders"), ("GET", "/api/v3/myTrades")]
        + [("GET", "/api/v3/allOrders"), ("GET", "/api/v3/account"), ("GET", "/api/v3/openOrders")]
    ),
    params=st.dictionaries(_order_names, _order_values, max_size=8),
    symbol=st.sampled_from(["BTCUSDT", "ETHUSDT", "NOPE", None]),
)
def test_correctly_signed_garbage_never_gives_500(
    http: httpx.Client, target: tuple[str, str], params: dict[str, str], symbol: str | None
) -> None:
    """Past the signature check, every parameter combination still gets a Binance-style answer."""
    if symbol is not None:
        params = {**params, "symbol": symbol}
    method, path = target
    reply = http.request(method, f"{path}?{_signed_query(params)}", headers={"X-MBX-APIKEY": DEFAULT_API_KEY})
    assert reply.status_code < 500, (method, path, params, reply.text)
    if reply.status_code >= 400:
        assert isinstance(reply.json()["code"], int)
