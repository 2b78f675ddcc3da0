"""``gentrade serve``'s watch over its Celery worker and beat: a child that dies is started again, after a
backoff that doubles while it keeps dying, and every death and restart is logged.

Before, a worker killed with ``kill -9`` stayed a zombie, nothing replaced it, ``/ready`` still said ready
and new backtests waited in the queue until someone restarted ``serve``. The state of each child is
published for ``/ready`` through ``gentrade.supervision``.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gentrade.supervision import ChildState, write_states

logger = logging.getLogger("gentrade.serve")

FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 60.0
STABLE_S = 60.0
"""A child that ran this long before dying starts again after FIRST_BACKOFF_S, not the grown backoff."""
POLL_S = 0.5


@dataclass
class _Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float | None = None
    restarts: int = 0
    backoff_s: float = FIRST_BACKOFF_S
    restart_at: float | None = None


class Supervisor:
    """Starts the children, then (``run_in_thread``) reaps and restarts them until ``stop``."""

    def __init__(
        self,
        children: dict[str, list[str]],
        state_file: Path,
        spawn: Callable[[list[str]], subprocess.Popen[bytes]],
    ) -> None:
        self._children = [_Child(name, argv) for name, argv in children.items()]
        self._state_file = state_file
        self._spawn = spawn
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        for child in self._children:
            self._launch(child)
        self._publish()

    def run_in_thread(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="serve-supervisor", daemon=True)
        self._thread.start()

    def processes(self) -> list[subprocess.Popen[bytes]]:
        with self._lock:
            return [child.process for child in self._children if child.process is not None]

    def stop(self, stop_children: Callable[[list[subprocess.Popen[bytes]]], None]) -> None:
        """No more restarts; then ``stop_children`` ends the ones that are running."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        stop_children(self.processes())

    def _launch(self, child: _Child) -> None:
        child.process = self._spawn(child.argv)
        child.started_at = time.time()
        child.restart_at = None

    def _watch(self) -> None:
        while not self._stopping.wait(POLL_S):
            with self._lock:
                changed = [self._check(child, time.time()) for child in self._children]
            if any(changed):
                self._publish()

    def _check(self, child: _Child, now: float) -> bool:
        """Reap a dead child and schedule its restart, or restart it when its backoff is over."""
        if child.process is not None:
            code = child.process.poll()
            if code is None:
                return False
            lived = now - (child.started_at or now)
            child.backoff_s = FIRST_BACKOFF_S if lived >= STABLE_S else child.backoff_s
            child.restart_at = now + child.backoff_s
            logger.error(
                "%s (pid %s) exited with code %s after %.0f s; restarting in %.0f s",
                child.name,
                child.process.pid,
                code,
                lived,
                child.backoff_s,
                extra={"child": child.name, "exit_code": code, "backoff_s": child.backoff_s},
            )
            child.process, child.started_at = None, None
            return True
        if child.restart_at is not None and now >= child.restart_at:
            child.restarts += 1
            self._launch(child)
            child.backoff_s = min(child.backoff_s * 2, MAX_BACKOFF_S)
            logger.warning(
                "%s restarted (pid %s, restart %d)",
                child.name,
                child.process.pid if child.process else None,
                child.restarts,
                extra={"child": child.name, "restarts": child.restarts},
            )
            return True
        return False

    def _publish(self) -> None:
        with self._lock:
            states = [
                ChildState(
                    name=child.name,
                    pid=child.process.pid if child.process else None,
                    up_since=child.started_at,
                    restarts=child.restarts,
                )
                for child in self._children
            ]
        write_states(self._state_file, states)
