"""Caps on concurrent long-lived streams (chat turns), per user and per process, answered with 429 and
Retry-After.

The rate limiter counts turns per minute, not turns in flight: 20 turns started at once all passed it and
each then waited minutes on a model or a backtest, on a threadpool thread and the checkpointer, so one user
could starve everyone else. A slot is held from the request until its stream ends, however it ends (the
generator's ``finally``, or the response's background task when a client disconnects before the first
frame); releasing twice is harmless. The count lives in this process, whose threads and connections it
protects: with ``serve --workers N`` a user may hold N times the cap across the processes.

The per-process cap keeps streams from taking every request thread: a stream's generator runs on the request
threadpool and may wait minutes on an approved backtest, so enough users each within their own cap could
otherwise leave no thread for anyone's next request (FastAPI's pool has 40).
"""

from __future__ import annotations

import threading
from collections import Counter

from gentrade.errors import RateLimitedError

RETRY_AFTER_S = 5
"""A chat turn without a backtest takes seconds: a few seconds later a slot is likely free."""


class StreamSlots:
    """At most ``per_user`` open streams per user and ``total`` in all; ``take`` raises ``RateLimitedError``
    beyond either."""

    def __init__(self, per_user: int, total: int, what: str = "chat streams") -> None:
        self.per_user = per_user
        self.total = total
        self.what = what
        self._held: Counter[int] = Counter()
        self._lock = threading.Lock()

    def take(self, user_id: int) -> Slot:
        with self._lock:
            if self._held[user_id] >= self.per_user:
                raise RateLimitedError(
                    f"{self.per_user} {self.what} already open; try again in {RETRY_AFTER_S} s",
                    details={"retry_after_s": RETRY_AFTER_S},
                )
            if self._held.total() >= self.total:
                raise RateLimitedError(
                    f"the server has {self.total} {self.what} open; try again in {RETRY_AFTER_S} s",
                    details={"retry_after_s": RETRY_AFTER_S},
                )
            self._held[user_id] += 1
        return Slot(self, user_id)

    def held(self, user_id: int) -> int:
        with self._lock:
            return self._held[user_id]

    def _give_back(self, user_id: int) -> None:
        with self._lock:
            self._held[user_id] -= 1
            if self._held[user_id] <= 0:
                del self._held[user_id]


class Slot:
    """One held stream; ``release`` gives it back once, whoever calls it first."""

    def __init__(self, slots: StreamSlots, user_id: int) -> None:
        self._slots = slots
        self._user_id = user_id
        self._lock = threading.Lock()
        self._released = False

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
        self._slots._give_back(self._user_id)
