"""The runtime guard's policy for a trading bot: its own directory, its exchange, its own api_server.

A bot runs strategy code for as long as it trades, so its process is started through
``gentrade.engine.guarded`` like every process that runs outside code. Unlike a backtest it needs the network,
but only to two kinds of peers, both read from the exact config it runs with:

- the exchange: every url of ccxt's ``urls['api']`` for the configured exchange (``urls['test']`` too in
  sandbox mode), or the urls the config's ``ccxt_config`` puts in their place (the local testnet);
- the bot's own api_server (``listen_ip_address``:``listen_port``), which it binds.

The webhook URL the manager configures is added too; Telegram is not: a bot that enables it needs the
Docker runner.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gentrade.safety.guard_policy import Endpoint, GuardPolicy

_DEFAULT_PORTS = {"https": 443, "wss": 443, "http": 80, "ws": 80}


def _urls(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _urls(item)


def _endpoint(url: str) -> Endpoint | None:
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    return Endpoint(parts.hostname, parts.port or _DEFAULT_PORTS.get(parts.scheme))


def exchange_urls(config: Mapping[str, Any]) -> list[str]:
    """Every url the bot's exchange client may call: the config's own overrides, else ccxt's."""
    exchange = config.get("exchange", {})
    ccxt_config = exchange.get("ccxt_config", {})
    urls = [
        *_urls(ccxt_config.get("urls", {}).get("api")),
        *_urls(exchange.get("ccxt_async_config", {}).get("urls")),
    ]
    if urls:
        return urls
    import ccxt  # deferred: importing ccxt costs about a second

    client = getattr(ccxt, str(exchange.get("name", "")).lower(), None)
    if client is None:
        return []
    known = client().urls
    sandbox = bool(ccxt_config.get("sandbox"))
    return [*_urls(known.get("api")), *(_urls(known.get("test")) if sandbox else [])]


def bot_policy(
    bot_dir: Path, config: Mapping[str, Any], strategy_file: Path, *, extra_urls: Sequence[str] = ()
) -> GuardPolicy:
    """What the bot process in ``bot_dir`` running ``config`` may write and reach; ``extra_urls`` are peers
    the manager configured outside the file (the webhook URL, which travels in the environment)."""
    urls = [*exchange_urls(config), *(u for u in extra_urls if u)]
    endpoints = {e for e in map(_endpoint, urls) if e is not None}
    api = config.get("api_server", {})
    if api.get("enabled"):
        endpoints.add(Endpoint(str(api.get("listen_ip_address", "127.0.0.1")), int(api["listen_port"])))
    return GuardPolicy(
        writable_dirs=(bot_dir,),
        strategy_path=strategy_file,
        allowed_endpoints=tuple(sorted(endpoints, key=lambda e: (e.host, e.port or 0))),
    )
