"""``gentrade db upgrade|downgrade|current``: the schema only ever changes through these (Alembic)."""

from __future__ import annotations

import typer
from rich.console import Console
from sqlalchemy import Engine

from gentrade.cli.errors import cli_errors
from gentrade.db.engine import make_engine
from gentrade.db.migrate import downgrade, schema_state, upgrade
from gentrade.settings import get_settings

db_app = typer.Typer(
    help="Database schema migrations (GENTRADE_DATABASE_URL; default the embedded SQLite file)."
)
console = Console()


def _engine() -> Engine:
    return make_engine(get_settings().resolved_database_url)


@db_app.command("upgrade")
@cli_errors
def upgrade_cmd(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    engine = _engine()
    upgrade(engine, revision)
    console.print(f"database at revision {schema_state(engine).current}")


@db_app.command("downgrade")
@cli_errors
def downgrade_cmd(
    revision: str = typer.Argument("-1", help="Target revision, -1 for one step, base for empty."),
) -> None:
    """Revert migrations down to REVISION."""
    engine = _engine()
    downgrade(engine, revision)
    console.print(f"database at revision {schema_state(engine).current or '(none)'}")


@db_app.command("current")
@cli_errors
def current_cmd() -> None:
    """Show the database's revision and the code's."""
    state = schema_state(_engine())
    mark = "up to date" if state.at_head else "behind: run `gentrade db upgrade`"
    console.print(f"current {state.current or '(none)'}, head {state.head} ({mark})")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
