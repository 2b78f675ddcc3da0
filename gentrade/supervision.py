"""What ``gentrade serve`` knows about the children it supervises (Celery worker, beat), for ``/ready``.

``serve`` writes one small JSON file (``GENTRADE_SERVE_STATE_FILE``, set by serve for itself and its API
processes) every time a child dies or is started again; ``/ready`` reads it. A child counts as up only once
it has run for ``STARTUP_S``: a worker that dies on start (a broken broker URL) then never looks ready.
Deployments without ``serve`` (compose, workers on other hosts) have no file and no such check.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from gentrade.files import write_atomically

STARTUP_S = 5.0
"""How long a started child must stay alive before it counts as up."""


@dataclass(frozen=True)
class ChildState:
    name: str
    pid: int | None
    up_since: float | None
    """Monotonic-free wall time (``time.time()``) the child was started; None while it is down."""
    restarts: int


def write_states(path: Path, states: list[ChildState]) -> None:
    """Replace the file atomically, so a reader never sees half of it."""
    write_atomically(path, json.dumps([asdict(state) for state in states]))


def children_down(path: Path, now: float) -> list[str]:
    """Names of supervised children that are not up (dead, restarting, or started under STARTUP_S ago)."""
    try:
        states = json.loads(path.read_text())
    except FileNotFoundError:
        return []  # serve has not started any child yet, or runs none (GENTRADE_TASK_BACKEND=local)
    return [
        state["name"] for state in states if state["up_since"] is None or now - state["up_since"] < STARTUP_S
    ]
