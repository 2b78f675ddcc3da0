"""Strategy sources parse correctly while other threads parse too (the API audits in request threads).

On CPython 3.11 a thread switch inside ``ast.parse`` (here: a garbage collection running a finalizer that
sleeps) lets another thread, parsing at a different stack depth, corrupt the AST constructor's recursion
counter, and the first parse fails with ``SystemError: AST constructor recursion depth mismatch``
(gh-106905); it failed the chat's backtests and the drafter's parallel backtests in a test run. This is
the same race, through ``gentrade.syntax.parse_module``.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from pathlib import Path

from gentrade.syntax import parse_module

SOURCES = sorted((Path(__file__).resolve().parents[2] / "gentrade").rglob("*.py"))[:40]


class _SwitchesThreads:
    """Garbage whose finalizer gives up the GIL: a collection inside a parse hands over to another thread."""

    partner: object

    def __del__(self) -> None:
        time.sleep(0.00001)


def _race(parse: Callable[[str], object], rounds: int) -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in SOURCES]
    errors: list[str] = []

    def at_depth(depth: int) -> None:
        if depth:
            at_depth(depth - 1)
            return
        for _ in range(rounds):
            for text in texts:
                for _ in range(20):
                    a, b = _SwitchesThreads(), _SwitchesThreads()
                    a.partner, b.partner = b, a
                try:
                    parse(text)
                except SystemError as exc:
                    errors.append(str(exc))

    threshold = gc.get_threshold()
    gc.set_threshold(100)
    try:
        threads = [threading.Thread(target=at_depth, args=(depth,)) for depth in (1, 9, 17)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        gc.set_threshold(*threshold)
    return errors


def test_parses_in_threads_at_different_depths_never_fail() -> None:
    assert _race(parse_module, rounds=10) == []
