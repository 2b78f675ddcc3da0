"""Per-user token buckets for the expensive routes (backtest creation, signal generation, chat turns).

The buckets live in the database (``rate_buckets``), so every API process of ``gentrade serve --workers N``
(and every host behind a load balancer) draws from the same bucket: a limit held in each process's memory
would let a user through N times as often. One request costs one short transaction: a conditional UPDATE
that refills and takes a token only where one is left, which the database applies atomically whatever the
number of processes. The statements are ``gentrade.db.repositories.rate_buckets``; this module holds the
clock, the retries and the 429.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from gentrade.db.repositories import rate_buckets
from gentrade.errors import RateLimitedError

_ATTEMPTS = 5


class RateLimiter:
    """``capacity`` requests at once, refilled at ``per_minute``; ``take`` raises 429 with Retry-After."""

    def __init__(
        self,
        name: str,
        per_minute: float,
        capacity: int,
        engine: Engine,
        clock: Callable[[], float] = time.time,
    ):
        self.name = name
        self.rate = per_minute / 60.0
        self.capacity = capacity
        self._engine = engine
        self._clock = clock

    def take(self, user_id: int) -> None:
        """Take a token or raise 429. Another process may create the bucket, or commit a take, between
        this process's statements: the attempt then only learns the bucket's state and goes again."""
        for _ in range(_ATTEMPTS):
            try:
                left = self._take(user_id)
            except IntegrityError:  # another process created this user's bucket first
                continue
            if left is None:
                return
            if left < 1:
                wait = max(1, math.ceil((1 - left) / self.rate))
                raise RateLimitedError(
                    f"too many {self.name} requests; try again in {wait} s", details={"retry_after_s": wait}
                )
        raise RateLimitedError(
            f"too many concurrent {self.name} requests; try again in 1 s", details={"retry_after_s": 1}
        )

    def give_back(self, user_id: int) -> None:
        """Return a token taken for work that then produced nothing through no fault of the caller (an
        upstream model that failed): one failed attempt should not cost the user a minute's wait."""
        now = self._clock()
        with self._engine.begin() as conn:
            rate_buckets.give_back(conn, self.name, user_id, now=now, rate=self.rate, capacity=self.capacity)

    def _take(self, user_id: int) -> float | None:
        """None when a token was taken; else the tokens the bucket holds now (none left, or a race)."""
        now = self._clock()
        with self._engine.begin() as conn:
            return rate_buckets.take(
                conn, self.name, user_id, now=now, rate=self.rate, capacity=self.capacity
            )
