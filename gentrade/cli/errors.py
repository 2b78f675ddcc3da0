"""Turn GenTrade errors into one-line messages and non-zero exit codes (never a traceback)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from gentrade.errors import GenTradeError

P = ParamSpec("P")
R = TypeVar("R")

err_console = Console(stderr=True)


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a command so a ``GenTradeError`` prints ``error[code]: message`` and exits 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except GenTradeError as exc:
            err_console.print(
                f"[red]error{escape(f'[{exc.code}]')}[/red]: {escape(exc.message)}",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(code=1) from None

    return wrapper
