"""Every table GenTrade keeps. Each user-facing row has an ``owner_id``; repositories scope by it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gentrade.db.base import Base, utcnow

ROLES = ("user", "admin")
BACKTEST_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
CREATOR_KINDS = ("person", "agent")
OPTIMIZATION_STATUSES = ("queued", "running", "succeeded", "failed")
BACKTEST_METRICS = (
    "total_profit_pct",
    "total_profit_abs",
    "trades",
    "win_rate",
    "max_drawdown_pct",
    "sharpe",
    "sortino",
    "calmar",
    "profit_factor",
)
"""Headline metrics kept as columns so lists can filter and sort on them without reading result JSON."""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="user")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    webhook_url_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class ApiToken(Base):
    """A personal token for scripts; only its sha256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    owner: Mapped[User] = relationship(lazy="joined")


class Strategy(Base):
    __tablename__ = "strategies"
    __table_args__ = (
        UniqueConstraint("owner_id", "name"),
        Index("ix_strategies_owner_created", "owner_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StrategyVersion(Base):
    __tablename__ = "strategy_versions"
    __table_args__ = (
        UniqueConstraint("strategy_id", "number"),
        CheckConstraint(_in("created_by_kind", CREATOR_KINDS), name="created_by_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"))
    number: Mapped[int]
    spec: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(Text)
    audit: Mapped[dict[str, Any]]
    created_by_kind: Mapped[str] = mapped_column(String(16), default="person")
    created_by_model_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The walk-forward report of the optimisation that produced this version, if one did.
    optimization: Mapped[dict[str, Any] | None]
    # The look-ahead check (gentrade.services.checks): clean / biased / inconclusive / failed; NULL until run.
    check_verdict: Mapped[str | None] = mapped_column(String(16))
    check_report: Mapped[dict[str, Any] | None]


class Optimization(Base):
    """A walk-forward hyperopt of one strategy version; its best parameters become a new version."""

    __tablename__ = "optimizations"
    __table_args__ = (
        CheckConstraint(_in("status", OPTIMIZATION_STATUSES), name="status"),
        Index("ix_optimizations_owner_created", "owner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"))
    source_version_id: Mapped[int] = mapped_column(ForeignKey("strategy_versions.id", ondelete="CASCADE"))
    result_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("strategy_versions.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default="queued")
    request: Mapped[dict[str, Any]]
    progress: Mapped[dict[str, Any] | None]
    report: Mapped[dict[str, Any] | None]
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Backtest(Base):
    __tablename__ = "backtests"
    __table_args__ = (
        CheckConstraint(_in("status", BACKTEST_STATUSES), name="status"),
        Index("ix_backtests_owner_created", "owner_id", "created_at"),
        Index("ix_backtests_owner_status", "owner_id", "status"),
        Index("ix_backtests_strategy", "strategy_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"))
    strategy_version_id: Mapped[int] = mapped_column(ForeignKey("strategy_versions.id", ondelete="CASCADE"))
    version_number: Mapped[int]
    parameters: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="queued")
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    total_profit_pct: Mapped[float | None] = mapped_column(Float)
    total_profit_abs: Mapped[float | None] = mapped_column(Float)
    trades: Mapped[int | None]
    win_rate: Mapped[float | None] = mapped_column(Float)
    max_drawdown_pct: Mapped[float | None] = mapped_column(Float)
    sharpe: Mapped[float | None] = mapped_column(Float)
    sortino: Mapped[float | None] = mapped_column(Float)
    calmar: Mapped[float | None] = mapped_column(Float)
    profit_factor: Mapped[float | None] = mapped_column(Float)
    result: Mapped[dict[str, Any] | None]
    result_zip: Mapped[str | None] = mapped_column(String(1024))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Bot(Base):
    __tablename__ = "bots"
    __table_args__ = (Index("ix_bots_owner_created", "owner_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    strategy_version_id: Mapped[int] = mapped_column(ForeignKey("strategy_versions.id", ondelete="RESTRICT"))
    config: Mapped[dict[str, Any]]
    port: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default="stopped")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExchangeCredential(Base):
    """API key and secret, both Fernet-encrypted; only ``key_hint`` (first and last 4) is ever shown."""

    __tablename__ = "exchange_credentials"
    __table_args__ = (Index("ix_exchange_credentials_owner_created", "owner_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    exchange: Mapped[str] = mapped_column(String(50))
    label: Mapped[str] = mapped_column(String(100))
    api_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    api_secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    key_hint: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChatThread(Base):
    """Who owns a chat thread; the conversation itself lives in the LangGraph checkpointer.

    ``thread_key`` is the client's id for the thread, unique across users, so a key names one owner and the
    API can answer 404 for someone else's key before the checkpointer is ever asked.
    """

    __tablename__ = "chat_threads"
    __table_args__ = (Index("ix_chat_threads_owner_created", "owner_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    thread_key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TradeSignal(Base):
    __tablename__ = "trade_signals"
    __table_args__ = (
        Index("ix_trade_signals_owner_generated", "owner_id", "generated_at"),
        Index("ix_trade_signals_owner_status", "owner_id", "status"),
        Index("ix_trade_signals_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(50))
    direction: Mapped[str] = mapped_column(String(8))
    timeframe: Mapped[str] = mapped_column(String(8))
    entry: Mapped[float] = mapped_column(Float)
    take_profits: Mapped[list[Any]]
    stop: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float | None] = mapped_column(Float)
    market_condition: Mapped[str | None] = mapped_column(String(50))
    model_id: Mapped[str | None] = mapped_column(String(200))
    breakeven_after_tp1: Mapped[bool] = mapped_column(default=True)
    reasoning: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24), default="active")
    snapshots: Mapped[dict[str, Any] | None]
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]


class SignalOutcome(Base):
    __tablename__ = "signal_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("trade_signals.id", ondelete="CASCADE"), unique=True)
    outcome: Mapped[dict[str, Any]]
    net_pnl_pct: Mapped[float | None] = mapped_column(Float)
    net_pnl_abs: Mapped[float | None] = mapped_column(Float)
    evaluated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_actor_at", "actor_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    request_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class RateBucket(Base):
    """A token bucket of one rate limit for one user, in the database so every API process shares it.

    No foreign key: a bucket is a few bytes of throttling state, and a limiter must work before (and
    after) the user row it is keyed by.
    """

    __tablename__ = "rate_buckets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tokens: Mapped[float] = mapped_column(Float)
    updated: Mapped[float] = mapped_column(Float, comment="Seconds since the epoch of the last refill.")


class LLMCall(Base):
    """One HTTP call to a model made for a user: the per-user record behind tokens, latency and fallbacks.

    `outcome` is the client's (ok / retry / failed); `fallback_from` names the request's first provider
    when this call went to a later one because it failed. Written by `gentrade.services.llm_calls`, read
    by the model performance report.
    """

    __tablename__ = "llm_calls"
    __table_args__ = (Index("ix_llm_calls_owner_at", "owner_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(32))
    tokens_in: Mapped[int]
    tokens_out: Mapped[int]
    tokens_estimated: Mapped[bool]
    latency_s: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(16))
    fallback_from: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
