"""The rate-bucket statements on both backends: a take spends a refilled token or reports what is left, and
a give-back returns one without ever filling a bucket past its capacity (the signal route's failed model
call depends on it; nothing else exercises it without a failing upstream)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from gentrade.db.migrate import upgrade
from gentrade.db.models import RateBucket
from gentrade.db.repositories import rate_buckets

RATE = 1.0  # a token a second
CAPACITY = 2


def _take(engine: Engine, user_id: int, now: float) -> float | None:
    with engine.begin() as conn:
        return rate_buckets.take(conn, "t", user_id, now=now, rate=RATE, capacity=CAPACITY)


def _give_back(engine: Engine, user_id: int, now: float) -> None:
    with engine.begin() as conn:
        rate_buckets.give_back(conn, "t", user_id, now=now, rate=RATE, capacity=CAPACITY)


def _tokens(engine: Engine, user_id: int) -> float | None:
    with engine.connect() as conn:
        return conn.execute(select(RateBucket.tokens).where(RateBucket.user_id == user_id)).scalar()


def test_take_spends_refilled_tokens_and_reports_what_is_left(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    assert _take(empty_engine, 1, now=10.0) is None  # creates the bucket holding capacity - 1
    assert _take(empty_engine, 1, now=10.0) is None
    assert _take(empty_engine, 1, now=10.5) == 0.5  # none left: half a token refilled so far
    assert _take(empty_engine, 1, now=11.0) is None
    assert _tokens(empty_engine, 1) == 0.0
    assert _tokens(empty_engine, 2) is None  # another user's bucket is untouched


def test_give_back_returns_one_token_never_past_capacity(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    _give_back(empty_engine, 1, now=10.0)  # no bucket yet: nothing to return to, nothing created
    assert _tokens(empty_engine, 1) is None
    _take(empty_engine, 1, now=10.0)
    _take(empty_engine, 1, now=10.0)
    _give_back(empty_engine, 1, now=10.0)
    assert _tokens(empty_engine, 1) == 1.0
    _give_back(empty_engine, 1, now=10.0)
    _give_back(empty_engine, 1, now=10.0)
    assert _tokens(empty_engine, 1) == float(CAPACITY)
    _take(empty_engine, 1, now=10.0)
    _give_back(empty_engine, 1, now=5.0)  # a clock behind the bucket's refill neither refills nor rewinds
    assert _tokens(empty_engine, 1) == float(CAPACITY)
