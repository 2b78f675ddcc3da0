"""Tables that fit the terminal: when the columns do not fit side by side, the least important are left out
(and the caption says which) instead of every cell being cut to "trad…" or "-105.…".

Rich shrinks a table wider than the console by truncating no-wrap cells with an ellipsis, which turned
numbers into lies ("-105.…" for -105.32); Rich's own wrapping still overflowed the right edge. Here the
columns are ranked and kept only while all of them fit at full width, so a narrow terminal shows fewer
columns, each whole.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

_CELL_PADDING = 3
"""A column's borders and padding in Rich's default box."""


def _width(header: str, cells: Sequence[str]) -> int:
    """A column's natural width: its longest header or cell, so nothing in it has to wrap or be cut."""
    return max(len(text) for text in (header, *cells))


def fitted_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    console: Console,
    title: str | None = None,
    keep: int = 1,
    right_from: int = 1,
) -> Table:
    """A table of ``rows`` for ``console``'s width. ``headers`` are in order of importance after the first
    ``keep`` (always shown); columns from the end are dropped until every column fits at its natural width.
    Columns from index ``right_from`` are right-aligned (numbers)."""
    shown = list(range(len(headers)))
    widths = [_width(headers[i], [row[i] for row in rows]) for i in shown]

    def needed() -> int:
        return sum(widths[i] + _CELL_PADDING for i in shown) + 1

    dropped: list[str] = []
    while needed() > console.width and len(shown) > keep:
        dropped.insert(0, headers[shown.pop()])
    caption = f"left out to fit the terminal: {', '.join(dropped)}" if dropped else None
    table = Table(title=title, caption=caption)
    for i in shown:
        table.add_column(
            headers[i], justify="right" if i >= right_from else "left", overflow="fold", min_width=widths[i]
        )
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    return table
