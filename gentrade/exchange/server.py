"""Build a testnet from options and run it: in the foreground (CLI) or on a thread (tests, bot managers).

``start_testnet(datadir, port=0)`` binds 127.0.0.1 on a free port before the thread starts, so ``handle.url``
is right at once and two testnets never race for a port.
"""

from __future__ import annotations

import ipaddress
import math
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import reduce
from pathlib import Path

import uvicorn
from pydantic import BaseModel, ConfigDict, Field, field_validator

from gentrade.data.markets import default_balance
from gentrade.errors import ConfigError
from gentrade.exchange import DEFAULT_PORT
from gentrade.exchange.accounts import DEFAULT_API_KEY, DEFAULT_API_SECRET, AccountSpec
from gentrade.exchange.app import create_app
from gentrade.exchange.candles import PairData, load_datadir
from gentrade.exchange.clock import Clock, wall_ms
from gentrade.exchange.feed import MarketFeed
from gentrade.exchange.intervals import DAY
from gentrade.exchange.markets import derive_rules
from gentrade.exchange.scripts import PriceScript
from gentrade.exchange.service import Testnet

_START_TIMEOUT_S = 15.0


class ServeOptions(BaseModel):
    """Everything a testnet is built from; the CLI and ``start_testnet`` both fill this in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    datadir: Path
    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    replay_start: datetime | None = Field(default=None, description="None: historical clock.")
    warmup_ms: int = Field(default=DAY, ge=0, description="History already past when a replay starts.")
    speed: float = Field(default=1.0, gt=0, le=1_000_000)
    accounts: list[AccountSpec] | None = Field(default=None, description="None: one default account.")
    fee_rate: Decimal = Field(default=Decimal("0.001"), ge=0, lt=1)
    scripts: list[PriceScript] = Field(default_factory=list)

    @field_validator("host")
    @classmethod
    def _loopback_only(cls, host: str) -> str:
        if host == "localhost":
            return host
        try:
            if ipaddress.ip_address(host).is_loopback:
                return host
        except ValueError:
            pass
        raise ValueError(f"the testnet only binds loopback addresses, not {host!r}")


def default_account(pairs: dict[str, PairData]) -> AccountSpec:
    """The account behind DEFAULT_API_KEY: each quote currency of the data dir at its default balance."""
    quotes = sorted({p.quote for p in pairs.values()})
    return AccountSpec(
        api_key=DEFAULT_API_KEY,
        api_secret=DEFAULT_API_SECRET,
        balances={q: default_balance(q) for q in quotes},
    )


def _ms(moment: datetime) -> int:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def build_testnet(options: ServeOptions) -> Testnet:
    pairs = load_datadir(options.datadir)
    if options.replay_start is None:
        clock = Clock.historical()
    else:
        align = reduce(math.lcm, (p.finest.timeframe_ms for p in pairs.values()))
        clock = Clock.replay(
            start_ms=_ms(options.replay_start),
            warmup_ms=options.warmup_ms,
            speed=options.speed,
            align_ms=align,
            now_ms=wall_ms(),
        )
    feed = MarketFeed(pairs, clock)
    rules = {symbol: derive_rules(pair) for symbol, pair in pairs.items()}
    accounts = options.accounts if options.accounts is not None else [default_account(pairs)]
    testnet = Testnet(feed, rules, accounts, options.fee_rate)
    if options.scripts and not clock.live:
        raise ConfigError("price scripts need the replay clock (--replay START)")
    for script in options.scripts:
        if script.symbol_id not in rules:
            raise ConfigError(f"script for unknown symbol {script.symbol}")
        testnet.script(script)
    return testnet


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot bind {host}:{port}: {exc}") from exc
    return sock


def _uvicorn(testnet: Testnet) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(testnet), log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=30
    )
    return uvicorn.Server(config)


@dataclass
class TestnetHandle:
    """A running in-process testnet: ``url`` for clients, ``testnet`` for direct inspection."""

    __test__ = False  # not a pytest test class

    url: str
    testnet: Testnet
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=_START_TIMEOUT_S)

    def __enter__(self) -> TestnetHandle:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def start_testnet(datadir: Path, *, port: int = 0, **options: object) -> TestnetHandle:
    """Start a testnet on a background thread and return once it accepts connections.

    ``options`` are ``ServeOptions`` fields: ``replay_start`` (a datetime; omit for the historical clock),
    ``warmup_ms``, ``speed``, ``accounts`` (list of ``{"api_key", "api_secret", "balances"}``), ``fee_rate``,
    ``scripts`` and ``host``.  Use the handle as a context manager or call ``stop()``.
    """
    opts = ServeOptions.model_validate({"datadir": datadir, "port": port, **options})
    testnet = build_testnet(opts)
    sock = _bind(opts.host, opts.port)
    server = _uvicorn(testnet)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="gentrade-testnet", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise ConfigError("the testnet server did not start")
        time.sleep(0.01)
    return TestnetHandle(_url(opts.host, sock.getsockname()[1]), testnet, server, thread)


def serve_forever(options: ServeOptions, on_ready: Callable[[str, Testnet], None] | None = None) -> None:
    """Run in the foreground until interrupted (the CLI's ``gentrade exchange serve``).

    ``on_ready`` gets the bound url (the real port when 0 was asked for) before serving starts.
    """
    testnet = build_testnet(options)
    sock = _bind(options.host, options.port)
    if on_ready is not None:
        on_ready(_url(options.host, sock.getsockname()[1]), testnet)
    _uvicorn(testnet).run(sockets=[sock])
