"""``gentrade serve``: the API on the embedded default with no setup (or on GENTRADE_DATABASE_URL)."""

from __future__ import annotations

import typer

from gentrade.cli.errors import cli_errors


@cli_errors
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
) -> None:
    """Start the HTTP API. A brand-new embedded database is created; one that is behind is refused."""
    import uvicorn

    from gentrade.api import create_app
    from gentrade.api.logging import configure_logging
    from gentrade.db.migrate import ensure_schema

    configure_logging()
    app = create_app()
    # Check before uvicorn starts so a stale schema is a one-line error, not a failed-lifespan traceback.
    ensure_schema(app.state.services.engine)
    uvicorn.run(app, host=host, port=port, log_config=None)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
