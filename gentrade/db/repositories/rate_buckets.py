"""Rate buckets: the statements of one per-user token bucket, run in the limiter's one short transaction.

They take a ``Connection``, not a ``Session``: the limiter runs on every expensive request and a bucket
needs nothing an ORM session adds (no identity map, no flush), only Core statements the database applies
atomically. The limiter (``gentrade.api.ratelimit``) owns the clock, the retries and the 429; this module
owns the SQL.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, case, insert, literal, select, update

from gentrade.db.models import RateBucket


def _refilled(now: float, rate: float, capacity: int) -> ColumnElement[float]:
    """The bucket's tokens at ``now``: what it held plus the refill since, at most ``capacity``."""
    elapsed = case((RateBucket.updated < now, literal(now) - RateBucket.updated), else_=0.0)
    tokens = RateBucket.tokens + elapsed * rate
    return case((tokens > capacity, float(capacity)), else_=tokens)


def take(
    conn: Connection, name: str, user_id: int, *, now: float, rate: float, capacity: int
) -> float | None:
    """None when a token was taken (a missing bucket is created holding the rest); else the tokens the
    bucket holds now (none left, or another process's take committed in between). Raises IntegrityError
    when another process created the bucket first."""
    refilled = _refilled(now, rate, capacity)
    mine = (RateBucket.name == name, RateBucket.user_id == user_id)
    taken = conn.execute(
        update(RateBucket).where(*mine, refilled >= 1).values(tokens=refilled - 1, updated=now)
    )
    if taken.rowcount:
        return None
    left = conn.execute(select(refilled).where(*mine)).scalar()
    if left is None:
        conn.execute(
            insert(RateBucket).values(name=name, user_id=user_id, tokens=capacity - 1.0, updated=now)
        )
        return None
    return float(left)


def give_back(conn: Connection, name: str, user_id: int, *, now: float, rate: float, capacity: int) -> None:
    """Return one token, never above ``capacity``; a bucket that does not exist is full already."""
    refilled = _refilled(now, rate, capacity)
    conn.execute(
        update(RateBucket)
        .where(RateBucket.name == name, RateBucket.user_id == user_id)
        .values(
            tokens=case((refilled + 1 > capacity, float(capacity)), else_=refilled + 1),
            updated=case((RateBucket.updated < now, now), else_=RateBucket.updated),
        )
    )
