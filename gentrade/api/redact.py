"""No server path in anything a client reads: absolute file paths in messages become their last part.

Messages come from deep inside (freqtrade, the data store, a worker's traceback summary) and some name a
file by its absolute path, which tells a caller how the server is laid out. The file's own name is kept,
since it is usually what the message is about (``ETH_BTC-5m.feather``). API routes in a message
(``/api/v1/...``) and URLs are left alone.
"""

from __future__ import annotations

import re
from typing import Any

_ABSOLUTE_PATH = re.compile(
    r"(?<![\w.:/~-])/(?!api/)(?:[^\s/'\"`,;:()\[\]{}<>]+/)+([^\s/'\"`,;:()\[\]{}<>]*)"
)


def redact_paths(text: str) -> str:
    """``text`` with every absolute path of two or more parts replaced by its last part."""
    return _ABSOLUTE_PATH.sub(lambda match: match.group(1) or "…", text)


def redact(value: Any) -> Any:
    """``redact_paths`` through strings, lists and dict values (problem ``details`` are JSON)."""
    if isinstance(value, str):
        return redact_paths(value)
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    return value
