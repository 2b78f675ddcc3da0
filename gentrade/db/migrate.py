"""Schema state and migrations through Alembic, the only way GenTrade's schema changes.

The embedded default upgrades itself when the SQLite file is brand new (no tables at all), so
``gentrade serve`` needs no setup. Any other database that is not at head makes the app refuse to start:
silently migrating a shared PostgreSQL on boot is a decision for an operator, not for a web worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from gentrade.errors import SchemaOutdatedError

UPGRADE_HINT = "gentrade db upgrade"


def alembic_config(url: str | None = None) -> Config:
    package = Path(str(resources.files("gentrade.db")))
    config = Config(str(package / "alembic.ini"))
    config.set_main_option("script_location", str(package / "migrations"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _with_connection(engine: Engine, action: str, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def upgrade(engine: Engine, revision: str = "head") -> None:
    _with_connection(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str = "-1") -> None:
    _with_connection(engine, "downgrade", revision)


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads; merge them")
    return heads[0]


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str
    empty: bool
    """No tables at all (not even alembic_version): a database nobody has touched."""

    @property
    def at_head(self) -> bool:
        return self.current == self.head


def schema_state(engine: Engine) -> SchemaState:
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        empty = not inspect(connection).get_table_names()
    return SchemaState(current=current, head=head_revision(), empty=empty)


def ensure_schema(engine: Engine) -> SchemaState:
    """Upgrade a brand-new embedded SQLite file; otherwise refuse a schema that is not at head."""
    state = schema_state(engine)
    if state.at_head:
        return state
    if state.empty and engine.dialect.name == "sqlite":
        upgrade(engine)
        return schema_state(engine)
    where = engine.url.render_as_string(hide_password=True)
    raise SchemaOutdatedError(
        f"database {where} is at schema revision {state.current or '(none)'}, the code needs {state.head}: "
        f"run `{UPGRADE_HINT}` (with the same GENTRADE_DATABASE_URL)",
        details={"current": state.current, "head": state.head, "fix": UPGRADE_HINT},
    )
