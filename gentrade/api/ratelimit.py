"""Per-user token buckets for the expensive routes (backtest creation, generation).

In memory, per process: right for the embedded single-process server. A multi-worker deployment needs a
shared store (Redis) behind the same ``RateLimiter.take`` call; that variant is not built yet.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from gentrade.errors import RateLimitedError


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """``capacity`` requests at once, refilled at ``per_minute``; ``take`` raises 429 with Retry-After."""

    def __init__(
        self, name: str, per_minute: float, capacity: int, clock: Callable[[], float] = time.monotonic
    ):
        self.name = name
        self.rate = per_minute / 60.0
        self.capacity = capacity
        self._clock = clock
        self._buckets: dict[int, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, user_id: int) -> None:
        now = self._clock()
        with self._lock:
            bucket = self._buckets.setdefault(user_id, _Bucket(float(self.capacity), now))
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return
            wait = math.ceil((1 - bucket.tokens) / self.rate)
        raise RateLimitedError(
            f"too many {self.name} requests; try again in {wait} s", details={"retry_after_s": wait}
        )
