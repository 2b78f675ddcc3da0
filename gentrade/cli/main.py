"""The ``gentrade`` command. Each concern registers its commands from its own module."""

from __future__ import annotations

import typer

from gentrade.cli.usage import GenTradeGroup

app = typer.Typer(
    name="gentrade",
    cls=GenTradeGroup,
    help="Turn trading ideas into audited, backtested Freqtrade strategies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    """Import command modules here (one line each) so `app` knows every command."""
    from gentrade.cli import registry

    registry.register_all(app)


_register()
