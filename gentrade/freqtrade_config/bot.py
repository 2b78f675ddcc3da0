"""The freqtrade config a supervised bot runs with: the caller's config plus the parts the manager owns.

The manager owns everything that must differ between two bots or must never be left to chance: the api_server
(loopback, a port of its own, generated credentials), the database file, ``initial_state`` and ``dry_run``.
Real money is refused unless the caller says so twice: ``dry_run=False`` alone is enough only when every url
the exchange client would call is a loopback address (the local testnet).
"""

from __future__ import annotations

import copy
import ipaddress
import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from gentrade.errors import ConfigError

#: freqtrade reads exchange keys from these environment variables, so no key is ever written into a file.
FREQTRADE_KEY_ENV = "FREQTRADE__EXCHANGE__KEY"
FREQTRADE_SECRET_ENV = "FREQTRADE__EXCHANGE__SECRET"
DEFAULT_CORS_ORIGINS = ("http://localhost:3000", "http://127.0.0.1:3000", "http://localhost:8080")
USERNAME = "gentrade"


class Credentials(BaseModel):
    """Login for one bot's api_server; kept in a 0600 file beside the bot, never in the registry."""

    model_config = ConfigDict(frozen=True)

    username: str
    password: str
    jwt_secret_key: str = Field(min_length=32)
    ws_token: str


def new_credentials() -> Credentials:
    return Credentials(
        username=USERNAME,
        password=secrets.token_urlsafe(24),
        jwt_secret_key=secrets.token_hex(32),
        ws_token=secrets.token_urlsafe(24),
    )


def load_base(config: Mapping[str, Any] | Path) -> dict[str, Any]:
    """The caller's config (a mapping or a JSON file) as a fresh dict."""
    if isinstance(config, Path):
        try:
            loaded = json.loads(config.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read freqtrade config {config}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"{config} is not a JSON object")
        return loaded
    return copy.deepcopy(dict(config))


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def trades_on_loopback(config: Mapping[str, Any]) -> bool:
    """True when the exchange client is pointed only at loopback urls (no real exchange can be reached)."""
    urls = config.get("exchange", {}).get("ccxt_config", {}).get("urls", {}).get("api")
    if isinstance(urls, str):
        return _is_loopback(urls)
    if not isinstance(urls, Mapping) or not urls:
        return False
    return all(isinstance(u, str) and _is_loopback(u) for u in urls.values())


#: Exchanges whose ``demo_trading`` account freqtrade supports: real orders, play money.
DEMO_EXCHANGES = frozenset({"bybit"})


def trades_on_demo(config: Mapping[str, Any]) -> bool:
    """True for a demo account freqtrade supports (Bybit's ``demo_trading``): orders, but no real money."""
    exchange = config.get("exchange", {})
    return exchange.get("demo_trading") is True and exchange.get("name") in DEMO_EXCHANGES


def guard_live(config: Mapping[str, Any], *, dry_run: bool, confirm_real_money: bool) -> None:
    if dry_run:
        if confirm_real_money:
            raise ConfigError("confirm_real_money only makes sense together with dry_run=False")
        return
    if not (trades_on_loopback(config) or trades_on_demo(config)) and not confirm_real_money:
        raise ConfigError(
            "refusing to start a live bot on a real exchange: pass confirm_real_money=True "
            "(CLI: --live --i-understand-this-uses-real-money), or point the config at the local testnet"
        )


def api_server_section(port: int, creds: Credentials, cors_origins: tuple[str, ...]) -> dict[str, Any]:
    return {
        "enabled": True,
        "listen_ip_address": "127.0.0.1",
        "listen_port": port,
        "verbosity": "error",
        "enable_openapi": False,
        "jwt_secret_key": creds.jwt_secret_key,
        "ws_token": creds.ws_token,
        "CORS_origins": list(cors_origins),
        "username": creds.username,
        "password": creds.password,
    }


def bot_config(
    base: dict[str, Any],
    *,
    name: str,
    strategy: str,
    dry_run: bool,
    port: int,
    creds: Credentials,
    db_file: Path,
    cors_origins: tuple[str, ...] = DEFAULT_CORS_ORIGINS,
) -> dict[str, Any]:
    config = copy.deepcopy(base)
    config.pop("_gentrade", None)
    config.update(
        strategy=strategy,
        dry_run=dry_run,
        db_url=f"sqlite:///{db_file}",
        bot_name=name,
        initial_state="running",
        api_server=api_server_section(port, creds, cors_origins),
    )
    return config


def webserver_config(*, port: int, creds: Credentials, cors_origins: tuple[str, ...]) -> dict[str, Any]:
    """Enough config for ``freqtrade webserver``: it serves stored results and never contacts an exchange.

    The api's ``show_config`` reads stake and trade settings even in webserver mode, so they are set.
    """
    return {
        "bot_name": "gentrade-backtests",
        "dry_run": True,
        "stake_currency": "USDT",
        "stake_amount": "unlimited",
        "max_open_trades": 3,
        "timeframe": "5m",
        "exchange": {"name": "binance", "pair_whitelist": ["BTC/USDT"], "pair_blacklist": []},
        "pairlists": [{"method": "StaticPairList"}],
        "api_server": api_server_section(port, creds, cors_origins),
    }
