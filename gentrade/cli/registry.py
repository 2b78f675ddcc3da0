"""One line per command module: each module exposes ``register(app)``."""

from __future__ import annotations

import importlib

import typer

COMMAND_MODULES: tuple[str, ...] = (
    "quickstart",
    "strategy",
    "data",
    "backtest",
    "signal",
    "exchange",
    "config",
    "bot",
    "webserver",
    "draft",
    "serve",
    "worker",
    "db",
    "optimize",
    "compare",
    "models",
    "plot",
    "check",
)


def register_all(app: typer.Typer) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"gentrade.cli.{name}").register(app)
