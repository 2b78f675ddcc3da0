"""Freqtrade configs for the places a GenTrade strategy can run.

* ``local``: binance spot through ccxt, with every ccxt binance API url pointed at the local testnet
  (``gentrade exchange serve``), so backtests, downloads and dry-runs never leave the machine.
* ``bybit-demo``: Bybit's demo trading (``exchange.demo_trading``), the one testnet freqtrade supports.
* ``binance-testnet``: Binance's spot testnet through ccxt's sandbox urls; freqtrade does not support it
  (freqtrade issue #12086), so the config carries that warning.
* ``binance``: the real exchange, dry-run unless ``live`` *and* ``confirm_real_money`` are both set.

API keys are never written into a config: freqtrade reads ``FREQTRADE__EXCHANGE__KEY`` and
``FREQTRADE__EXCHANGE__SECRET`` from the environment, and ``freqtrade_env`` fills those from GenTrade's own
``GENTRADE_EXCHANGE_KEY`` / ``GENTRADE_EXCHANGE_SECRET``.  Every config is checked with freqtrade's own schema
validation before it is returned or written.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gentrade.data.markets import default_balance
from gentrade.data.synth import DEFAULT_PAIRS
from gentrade.errors import ConfigError
from gentrade.freqtrade_config.bot import FREQTRADE_KEY_ENV, FREQTRADE_SECRET_ENV

KEY_ENV = "GENTRADE_EXCHANGE_KEY"
SECRET_ENV = "GENTRADE_EXCHANGE_SECRET"
#: Where ``gentrade exchange serve`` listens unless told otherwise (``gentrade.exchange`` serves on it).
LOCAL_TESTNET_PORT = 8765
DEFAULT_LOCAL_URL = f"http://127.0.0.1:{LOCAL_TESTNET_PORT}"

_PAIR = re.compile(r"^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}$")
_STRATEGY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
_TIMEFRAME = re.compile(r"^[0-9]{1,3}[smhdwM]$")

TESTNET_WARNING = (
    "freqtrade does not support Binance's spot testnet (freqtrade issue #12086): this config switches ccxt "
    "to its sandbox urls, which may break on any freqtrade or ccxt update. Prefer --exchange bybit-demo or "
    "--exchange local."
)


class Target(StrEnum):
    LOCAL = "local"
    BYBIT_DEMO = "bybit-demo"
    BINANCE_TESTNET = "binance-testnet"
    BINANCE = "binance"


class ConfigRequest(BaseModel):
    """What a config is for; validated before anything is built."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: Target
    url: str = DEFAULT_LOCAL_URL
    strategy: str | None = None
    pairs: tuple[str, ...] = DEFAULT_PAIRS
    timeframe: str = "5m"
    stake_currency: str | None = None
    datadir: str | None = Field(default=None, description="Default: user_data/data/<exchange>.")
    live: bool = False
    confirm_real_money: bool = False

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"not an http(s) base url: {url!r}")
        return url.rstrip("/")

    @field_validator("strategy")
    @classmethod
    def _strategy_name(cls, name: str | None) -> str | None:
        if name is not None and not _STRATEGY.fullmatch(name):
            raise ValueError(f"not a strategy class name: {name!r}")
        return name

    @field_validator("pairs")
    @classmethod
    def _pair_names(cls, pairs: tuple[str, ...]) -> tuple[str, ...]:
        bad = [p for p in pairs if not _PAIR.fullmatch(p)]
        if not pairs or bad:
            raise ValueError(f"pairs must be BASE/QUOTE in capitals, got {bad or 'none'}")
        return tuple(dict.fromkeys(pairs))

    @field_validator("timeframe")
    @classmethod
    def _timeframe(cls, timeframe: str) -> str:
        if not _TIMEFRAME.fullmatch(timeframe):
            raise ValueError(f"not a timeframe: {timeframe!r}")
        return timeframe

    @model_validator(mode="after")
    def _one_stake_currency(self) -> ConfigRequest:
        quotes = {p.split("/")[1] for p in self.pairs}
        if self.stake_currency is None and len(quotes) > 1:
            raise ValueError(f"pairs quote several currencies {sorted(quotes)}: give the stake currency")
        if self.stake_currency is not None and quotes != {self.stake_currency}:
            raise ValueError(f"every pair must be quoted in the stake currency {self.stake_currency}")
        return self

    @property
    def stake(self) -> str:
        return self.stake_currency or self.pairs[0].split("/")[1]


def local_ccxt_urls(base_url: str) -> dict[str, str]:
    """Every url of ccxt's binance ``urls['api']``, re-based onto ``base_url`` with its path kept.

    Overriding all of them (not only public/private) makes sure no call ccxt or freqtrade adds later
    reaches binance.com: unknown paths get a Binance-style error from the testnet instead.
    """
    import ccxt  # deferred: importing ccxt costs about a second

    return {
        name: base_url + urlsplit(url).path
        for name, url in ccxt.binance().urls["api"].items()
        if isinstance(url, str)
    }


_SPOT_ONLY_OPTIONS = {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False}


def local_ccxt_config(base_url: str) -> dict[str, Any]:
    """ccxt constructor options that make ``ccxt.binance`` talk to the local testnet at ``base_url``.

    Markets come from spot ``exchangeInfo`` only; currencies and margin pairs are not asked for, because
    those are signed ``sapi`` calls a spot testnet does not serve.
    """
    return {"urls": {"api": local_ccxt_urls(base_url)}, "options": copy.deepcopy(_SPOT_ONLY_OPTIONS)}


def _guard_real_money(req: ConfigRequest) -> bool:
    """Decide ``dry_run``; refuse real-money trading unless both explicit flags are given."""
    if req.confirm_real_money and not req.live:
        raise ConfigError("--i-understand-this-uses-real-money only makes sense together with --live")
    if req.target is Target.BINANCE:
        if req.live and not req.confirm_real_money:
            raise ConfigError(
                "refusing to write a live (real-money) binance config: add "
                "--i-understand-this-uses-real-money to confirm"
            )
        return not req.live
    if req.target is Target.LOCAL:
        return not req.live
    return False  # demo and testnet accounts trade play money: orders must reach them


def _exchange_section(req: ConfigRequest) -> tuple[dict[str, Any], list[str]]:
    pairs = list(req.pairs)
    if req.target is Target.LOCAL:
        section = {
            "name": "binance",
            "ccxt_config": local_ccxt_config(req.url),
            "enable_ws": False,
            "only_from_ccxt": True,
        }
        return {**section, "pair_whitelist": pairs, "pair_blacklist": []}, []
    if req.target is Target.BYBIT_DEMO:
        return {"name": "bybit", "demo_trading": True, "pair_whitelist": pairs, "pair_blacklist": []}, []
    if req.target is Target.BINANCE_TESTNET:
        section = {
            "name": "binance",
            "ccxt_config": {"sandbox": True, "options": copy.deepcopy(_SPOT_ONLY_OPTIONS)},
            "enable_ws": False,
            "only_from_ccxt": True,
        }
        return {**section, "pair_whitelist": pairs, "pair_blacklist": []}, [TESTNET_WARNING]
    return {"name": "binance", "pair_whitelist": pairs, "pair_blacklist": []}, []


def _notes(req: ConfigRequest, dry_run: bool, warnings: list[str]) -> dict[str, Any]:
    notes = [
        f"API keys are not stored here: export {FREQTRADE_KEY_ENV} and {FREQTRADE_SECRET_ENV} "
        f"(GenTrade fills them from {KEY_ENV} / {SECRET_ENV}).",
    ]
    if req.target is Target.LOCAL:
        parts = urlsplit(req.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        notes.append(f"Start the local testnet first: gentrade exchange serve --port {port}.")
    if not dry_run and req.target is Target.BINANCE:
        notes.append("LIVE: this config trades real money.")
    return {"target": req.target.value, "dry_run": dry_run, "notes": notes + warnings}


def build_config(req: ConfigRequest) -> tuple[dict[str, Any], list[str]]:
    """The config and the warnings to show; raises ``ConfigError`` for refused or invalid requests."""
    dry_run = _guard_real_money(req)
    exchange, warnings = _exchange_section(req)
    config: dict[str, Any] = {
        "_gentrade": _notes(req, dry_run, warnings),
        "max_open_trades": 3,
        "stake_currency": req.stake,
        "stake_amount": "unlimited",
        "tradable_balance_ratio": 0.99,
        "dry_run": dry_run,
        "dry_run_wallet": float(default_balance(req.stake)),
        "cancel_open_orders_on_exit": False,
        "trading_mode": "spot",
        "timeframe": req.timeframe,
        "entry_pricing": {
            "price_side": "same",
            "use_order_book": True,
            "order_book_top": 1,
            "price_last_balance": 0.0,
            "check_depth_of_market": {"enabled": False, "bids_to_ask_delta": 1},
        },
        "exit_pricing": {"price_side": "same", "use_order_book": True, "order_book_top": 1},
        "exchange": exchange,
        "pairlists": [{"method": "StaticPairList"}],
        "datadir": req.datadir or f"user_data/data/{exchange['name']}",
        "dataformat_ohlcv": "feather",
        "dataformat_trades": "feather",
        "bot_name": "gentrade",
        "initial_state": "running",
        "force_entry_enable": False,
        "internals": {"process_throttle_secs": 5},
    }
    if req.strategy is not None:
        config["strategy"] = req.strategy
    validate_config(config)
    return config, warnings


def validate_config(config: Mapping[str, Any]) -> None:
    """Check ``config`` with freqtrade's own schema (on a copy: freqtrade fills in defaults as it goes)."""
    from freqtrade.configuration.config_validation import validate_config_schema
    from freqtrade.exceptions import ConfigurationError

    try:
        validate_config_schema(copy.deepcopy(dict(config)))
    except ConfigurationError as exc:
        raise ConfigError(f"freqtrade rejects the config: {exc}") from exc


def write_config(req: ConfigRequest, path: Path) -> list[str]:
    config, warnings = build_config(req)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=4) + "\n")
    return warnings


def parse_request(**fields: Any) -> ConfigRequest:
    """``ConfigRequest`` from loose input, with pydantic's complaint turned into a ``ConfigError``."""
    try:
        return ConfigRequest.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "request"
        raise ConfigError(f"{where}: {first['msg'].removeprefix('Value error, ')}") from None


def freqtrade_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment overrides that hand GenTrade's exchange keys to a freqtrade process."""
    env = os.environ if environ is None else environ
    mapping = {FREQTRADE_KEY_ENV: KEY_ENV, FREQTRADE_SECRET_ENV: SECRET_ENV}
    return {target: env[source] for target, source in mapping.items() if env.get(source)}


def default_local_config() -> dict[str, Any]:
    """The repository's top-level ``config.json``: local testnet, synthetic USDT pairs, 5m, dry-run."""
    config, _ = build_config(ConfigRequest(target=Target.LOCAL, datadir="user_data/data/binance"))
    return config
