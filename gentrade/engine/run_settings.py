"""The settings a backtest's numbers rest on, read before strategy code runs and compared after.

A strategy's ``__init__`` receives the very config dict freqtrade then reads its costs, stake, wallet,
limits and period from, and any callback can reach it through ``self.config``. The audit refuses the
writes it can see by shape, but an alias it cannot follow (a container, a parameter) slips through; this is
the check that does not depend on reading the source: the values the job asked for are copied before the
strategy loads and must be the same once freqtrade has built the run and once it has finished. A key the
job's config does not set is left out: freqtrade fills those from the strategy's own attributes, which is
how a strategy is meant to choose them.
"""

from __future__ import annotations

import json
from typing import Any

WATCHED_KEYS: tuple[str, ...] = (
    "fee",
    "timeframe_detail",
    "stake_amount",
    "stake_currency",
    "dry_run_wallet",
    "tradable_balance_ratio",
    "available_capital",
    "max_open_trades",
    "amend_last_stake_amount",
    "trading_mode",
    "margin_mode",
    "timeframe",
    "timerange",
    "enable_protections",
    "position_stacking",
    "gentrade",
)
"""Top-level config keys whose value decides what a backtest charges, sizes, allows and covers (``gentrade``
holds the fee and slippage the rendered strategies read back)."""

_WATCHED_EXCHANGE_KEYS: tuple[str, ...] = ("pair_whitelist", "pair_blacklist")


def snapshot(config: dict[str, Any]) -> dict[str, str]:
    """The watched values the config sets, each as canonical JSON (so nested dicts compare by value)."""
    values = {key: config[key] for key in WATCHED_KEYS if key in config}
    exchange = config.get("exchange") or {}
    values.update({f"exchange.{key}": exchange[key] for key in _WATCHED_EXCHANGE_KEYS if key in exchange})
    return {key: json.dumps(value, sort_keys=True, default=str) for key, value in values.items()}


class SettingsWatch:
    """The watched values of one run's config, taken before the strategy loads; ``look()`` after each stage
    adds what has changed since (each change once), ``changed`` is what the run reports."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config
        self._asked = snapshot(config)
        self.changed: list[str] = []

    def look(self) -> None:
        now = snapshot(self._config)
        for key, value in self._asked.items():
            change = f"{key} {now.get(key, 'removed')} instead of {value}"
            if now.get(key) != value and change not in self.changed:
                self.changed.append(change)
