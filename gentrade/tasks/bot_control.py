"""Where a ``bots`` row meets its freqtrade process: one mapping for the API routes and the Celery tasks.

Each owner's bots live in a ``BotManager`` state dir of their own (``user_dir/bots/<owner_id>``), named
``bot-<id>``, always the *owner's*, also when an admin acts on them. The API and the periodic health check
must agree on that mapping exactly: a health check that looked elsewhere would find no process and mark
every running bot crashed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gentrade.db.keys import CredentialCipher
from gentrade.db.models import Bot, StrategyVersion, User
from gentrade.engine.bots import BotInfo, BotManager
from gentrade.errors import NotFoundError
from gentrade.freqtrade_config import ConfigRequest, Target, build_config
from gentrade.settings import Settings
from gentrade.spec import parse_spec


def process_name(bot: Bot) -> str:
    """The manager's name for the bot: stable, unique per owner, and valid whatever the display name is."""
    return f"bot-{bot.id}"


class Managers:
    """One ``BotManager`` per owner for the holder's life: a manager reaps the children it spawned."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.user_dir / "bots"
        self._managers: dict[int, BotManager] = {}
        self._lock = threading.Lock()

    def of(self, owner_id: int) -> BotManager:
        with self._lock:
            if owner_id not in self._managers:
                self._managers[owner_id] = BotManager(
                    self.root / str(owner_id), memory_mb=self.settings.bot_memory_mb
                )
            return self._managers[owner_id]

    def info(self, bot: Bot) -> BotInfo | None:
        """What the process table says; None for a bot the manager has no record of (never started)."""
        try:
            return self.of(bot.owner_id).status(process_name(bot))
        except NotFoundError:
            return None

    def source_dir(self, bot: Bot) -> Path:
        return self.of(bot.owner_id).registry.root / "sources" / process_name(bot)

    def launch(
        self,
        bot: Bot,
        version: StrategyVersion,
        keys: tuple[str, str] | None,
        webhook_url: str | None = None,
    ) -> BotInfo:
        """Start the row's bot with its version and overrides; ``keys`` (live only) are the exchange's,
        ``webhook_url`` the owner's notification webhook (``owner_webhook``)."""
        source_file = self.source_dir(bot) / f"{version.spec['name']}.py"
        source_file.parent.mkdir(parents=True, exist_ok=True)
        source_file.write_text(version.source)
        live = keys is not None
        info = self.of(bot.owner_id).start(
            source_file,
            name=process_name(bot),
            config=_freqtrade_config(self.settings, version.spec, bot.config["overrides"]),
            dry_run=not live,
            confirm_real_money=live,
            exchange_key=keys[0] if keys else None,
            exchange_secret=keys[1] if keys else None,
            webhook_url=webhook_url,
        )
        bot.port = urlsplit(info.api_url).port
        return info


def owner_webhook(owner: User | None, cipher: CredentialCipher) -> str | None:
    """The bot owner's notification webhook URL, decrypted; None when they set none."""
    if owner is None or owner.webhook_url_encrypted is None:
        return None
    return cipher.decrypt(owner.webhook_url_encrypted)


def _freqtrade_config(
    settings: Settings, spec_data: dict[str, Any], overrides: dict[str, Any]
) -> dict[str, Any]:
    spec = parse_spec(spec_data)
    config, _warnings = build_config(
        ConfigRequest(
            target=Target.LOCAL,
            url=settings.bot_exchange_url,
            pairs=tuple(spec.pairs),
            timeframe=spec.timeframe,
        )
    )
    if spec.risk is not None and spec.risk.max_open_trades is not None:
        # The config would override the strategy's own max_open_trades; a caller's override still wins.
        config["max_open_trades"] = spec.risk.max_open_trades
    throttle = overrides.get("process_throttle_secs")
    if throttle is not None:
        config["internals"]["process_throttle_secs"] = throttle
    config.update({key: value for key, value in overrides.items() if key != "process_throttle_secs"})
    return config
