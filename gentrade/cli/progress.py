"""One progress display for long CLI work (quickstart, backtest, draft --backtest, optimize, check).

On a terminal it is a Rich spinner with the current step and the time elapsed, drawn on stderr so stdout
stays the command's output; under ``--json`` or when stderr is not a terminal (piped, in CI, in tests) it
draws nothing at all, so machine-read output is never interleaved with it.

    with progress("backtesting TrendFollower", quiet=as_json) as step:
        step("loading candles")            # replaces the line's text
        ...
        step.advance()                     # with total=N: one of N done
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

stderr_console = Console(stderr=True)


class Step:
    """Updates the running display; every method is a no-op when the display is off."""

    def __init__(self, bar: Progress | None, task: TaskID | None) -> None:
        self._bar = bar
        self._task = task

    def __call__(self, description: str) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=description)

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, steps)


def shows_progress(quiet: bool = False, console: Console = stderr_console) -> bool:
    """Whether a display would be drawn: only on an interactive terminal, and not when asked to be quiet."""
    return not quiet and console.is_terminal and not console.is_dumb_terminal


@contextmanager
def progress(
    description: str, *, total: int | None = None, quiet: bool = False, console: Console = stderr_console
) -> Iterator[Step]:
    """A spinner (and, with ``total``, a bar of done/total) until the block ends; nothing when quiet."""
    if not shows_progress(quiet, console):
        yield Step(None, None)
        return
    columns = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        yield Step(bar, bar.add_task(description, total=total))
