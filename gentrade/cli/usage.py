"""The top-level command group: freqtrade's ``--pairs A B C`` form, and usage errors as one line.

Click options take a fixed number of values, so ``--pairs ETH/BTC LTC/BTC`` was "Got unexpected extra
argument" in a Typer box, although it is how freqtrade's users write it (and how the README did). Before
parsing, the pair-looking words after a pair option are spread into repeated options
(``--pairs ETH/BTC --pairs LTC/BTC``); commas and repeats were accepted already (``split_pairs``). Only
words shaped like a pair (``BASE/QUOTE``, optionally ``:SETTLE``) are taken, so a path after the pairs
(``user_data/strategies/X.py``) is still the positional argument it was.

Every usage error (unknown option, missing argument, bad value) prints ``error[usage]: reason`` on one line
and exits 2, like every other error prints ``error[code]: reason``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import typer
from typer._click import core as click_core
from typer._click import exceptions as click_errors
from typer.core import TyperGroup

from gentrade.cli.errors import err_console

PAIR_OPTIONS = frozenset({"--pairs", "-p", "--pair"})
USAGE_EXIT = 2
_PAIR = re.compile(
    r"^[A-Za-z0-9.\-_]+/[A-Za-z0-9.\-_]+(:[A-Za-z0-9.\-_]+)?(,[A-Za-z0-9.\-_]+/[A-Za-z0-9.\-_:]+)*,?$"
)


def spread_pairs(args: Sequence[str]) -> list[str]:
    """``--pairs A B C`` → ``--pairs A --pairs B --pairs C``; everything else unchanged."""
    out: list[str] = []
    option: str | None = None
    for arg in args:
        if option is not None and _PAIR.match(arg) and out[-1] != option:
            out.append(option)
        elif arg == "--":
            option = None
        out.append(arg)
        if arg in PAIR_OPTIONS:
            option = arg
        elif not _PAIR.match(arg):
            option = None
    return out


def _fail(code: str, message: str, exit_code: int) -> NoReturn:
    err_console.print(f"error[{code}]: {message}", markup=False, highlight=False, soft_wrap=True)
    sys.exit(exit_code)


class GenTradeGroup(TyperGroup):
    """``gentrade`` itself: spreads pair lists before parsing and prints usage errors as one line."""

    def parse_args(self, ctx: click_core.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, spread_pairs(args))

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            print(exc.format_message())
            sys.exit(0)
        except click_errors.ClickException as exc:
            message = " ".join(exc.format_message().split())
            where = exc.ctx.command_path if isinstance(exc, click_errors.UsageError) and exc.ctx else None
            hint = f" (see `{where} --help`)" if where else ""
            _fail(
                "usage",
                f"{message}{hint}",
                USAGE_EXIT if isinstance(exc, click_errors.UsageError) else exc.exit_code,
            )
        except typer.Abort:
            _fail("aborted", "aborted", 1)
        sys.exit(code if isinstance(code, int) else 0)
