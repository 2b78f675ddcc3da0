"""The bot registry on disk: one directory per bot under the state dir, holding its files and ``bot.json``.

Files are replaced atomically (write to a temporary file, then rename) so a reader never sees half a record,
and everything is created 0600/0700 because configs and credentials carry the api_server password.  A lock
file serializes starts across managers (processes), so two bots can never be handed the same port.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gentrade.engine.bots.models import BOT_NAME, BotRecord
from gentrade.errors import ConfigError, NotFoundError
from gentrade.files import write_atomically
from gentrade.freqtrade_config.bot import Credentials

RECORD = "bot.json"
CREDENTIALS = "credentials.json"


def write_json(path: Path, data: Any) -> None:
    write_atomically(path, json.dumps(data, indent=2, default=str) + "\n", private=True)


class Registry:
    def __init__(self, state_dir: Path) -> None:
        self.root = Path(state_dir).resolve()
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def bot_dir(self, name: str) -> Path:
        if not BOT_NAME.fullmatch(name):
            raise ConfigError(f"bot name {name!r} must be 1-63 lowercase letters, digits, '-' or '_'")
        return self.root / name

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        with (self.root / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def save(self, record: BotRecord) -> None:
        write_atomically(
            self.bot_dir(record.name) / RECORD, record.model_dump_json(indent=2) + "\n", private=True
        )

    def load(self, name: str) -> BotRecord:
        path = self.bot_dir(name) / RECORD
        try:
            return BotRecord.model_validate_json(path.read_text())
        except FileNotFoundError:
            raise NotFoundError(f"no bot named {name!r}") from None
        except (OSError, ValidationError) as exc:
            raise ConfigError(f"unreadable bot record {path}: {exc}") from exc

    def records(self) -> list[BotRecord]:
        found = []
        for path in sorted(self.root.glob(f"*/{RECORD}")):
            with contextlib.suppress(NotFoundError, ConfigError):
                found.append(self.load(path.parent.name))
        return found

    def save_credentials(self, name: str, creds: Credentials) -> None:
        write_atomically(
            self.bot_dir(name) / CREDENTIALS, creds.model_dump_json(indent=2) + "\n", private=True
        )

    def credentials(self, name: str) -> Credentials:
        path = self.bot_dir(name) / CREDENTIALS
        try:
            return Credentials.model_validate_json(path.read_text())
        except FileNotFoundError:
            raise NotFoundError(f"no credentials for bot {name!r}") from None
