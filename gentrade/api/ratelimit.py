"""Per-user token buckets for the expensive routes (backtest creation, signal generation, chat turns).

The buckets live in the database (``rate_buckets``), so every API process of ``gentrade serve --workers N``
(and every host behind a load balancer) draws from the same bucket: a limit held in each process's memory
would let a user through N times as often. One request costs one short transaction: a conditional UPDATE
that refills and takes a token only where one is left, which the database applies atomically whatever the
number of processes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from sqlalchemy import ColumnElement, Engine, case, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from gentrade.db.models import RateBucket
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
        refilled = self._refilled(now)
        with self._engine.begin() as conn:
            conn.execute(
                update(RateBucket)
                .where(RateBucket.name == self.name, RateBucket.user_id == user_id)
                .values(
                    tokens=case((refilled + 1 > self.capacity, float(self.capacity)), else_=refilled + 1),
                    updated=case((RateBucket.updated < now, now), else_=RateBucket.updated),
                )
            )

    def _refilled(self, now: float) -> ColumnElement[float]:
        """The bucket's tokens at ``now``: what it held plus the refill since, at most ``capacity``."""
        elapsed = case((RateBucket.updated < now, literal(now) - RateBucket.updated), else_=0.0)
        tokens = RateBucket.tokens + elapsed * self.rate
        return case((tokens > self.capacity, float(self.capacity)), else_=tokens)

    def _take(self, user_id: int) -> float | None:
        """None when a token was taken; else the tokens the bucket holds now (none left, or a race)."""
        now = self._clock()
        refilled = self._refilled(now)
        mine = (RateBucket.name == self.name, RateBucket.user_id == user_id)
        with self._engine.begin() as conn:
            taken = conn.execute(
                update(RateBucket).where(*mine, refilled >= 1).values(tokens=refilled - 1, updated=now)
            )
            if taken.rowcount:
                return None
            left = conn.execute(select(refilled).where(*mine)).scalar()
            if left is None:
                conn.execute(
                    insert(RateBucket).values(
                        name=self.name, user_id=user_id, tokens=self.capacity - 1.0, updated=now
                    )
                )
                return None
        return float(left)
