"""Files written whole or not at all: strategy files freqtrade or a bot may read at any moment, and reports.

Kept at the bottom of the layers, knowing nothing of ours, so any layer that hands a file to a reader can
use the same write.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str, *, private: bool = False) -> None:
    """Write a temporary file and rename it, so a reader (a bot, freqtrade) never sees half a file.

    The file is its owner's only from its first byte (``mkstemp`` creates it 0600); ``private`` also makes the
    folders it creates 0700: bot configs and states carry webserver passwords and the bot's API tokens.
    """
    path.parent.mkdir(mode=0o700 if private else 0o777, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
