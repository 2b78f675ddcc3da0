"""Python source to an ``ast.Module``, one parse at a time per process.

CPython 3.11 keeps the AST constructor's recursion counter in interpreter-wide state, seeded from the calling
thread's stack depth (CPython issue gh-106905). When a thread switch lands inside ``ast.parse`` (a garbage
collection that runs a finalizer is enough) and another thread parses at a different stack depth, the first
parse fails with ``SystemError: AST constructor recursion depth mismatch``. The API parses strategies in
request threads and the runners parse them in pools, so every parse of ours goes through this lock; a test
in ``tests/architecture`` keeps ``ast.parse`` out of every other module.

Warnings the source provokes (``SyntaxWarning`` on an odd escape in hostile code) are not the reader's
business and are silenced; ``warnings.catch_warnings`` is process-wide too, so it sits under the same lock.
"""

from __future__ import annotations

import ast
import threading
import warnings

_PARSE = threading.Lock()


def parse_module(source: str, filename: str = "<strategy>") -> ast.Module:
    """``ast.parse(source)``, serialised; raises what ``ast.parse`` raises (SyntaxError, ValueError)."""
    with _PARSE, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, filename=filename)
