"""The one settings object (environment prefix ``GENTRADE_``; a nested part's fields after ``__``, as in
``GENTRADE_LLM__PROVIDERS``).

Every default is the embedded mode: one machine, no servers, files under ``user_data/``. Read once per
process and handed down: the agents get their part (``llm``), never the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from agents.llm.settings import LLMSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GENTRADE_", env_nested_delimiter="__", extra="ignore")

    user_dir: Path = Field(default=Path("user_data"), description="Freqtrade user directory.")
    data_dir: Path | None = Field(
        default=None, description="Candle directory; default user_dir/data/binance."
    )
    exchange: str = "binance"
    backtest_timeout_s: float = Field(default=600.0, gt=0)
    backtest_memory_mb: int = Field(default=4096, gt=0)
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default the embedded SQLite file user_dir/gentrade.sqlite. "
        "PostgreSQL: postgresql+psycopg://user:password@host/db.",
    )
    database_pool_size: int = Field(
        default=20,
        ge=1,
        description="PostgreSQL connections an engine keeps open. An API process has two engines (its "
        "sync one, and an asyncio one for hot reads), a worker process one: size max_connections for "
        "(pool size + overflow) x engines.",
    )
    database_max_overflow: int = Field(
        default=20, ge=0, description="PostgreSQL connections an engine may open beyond its pool size."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="JWT signing key; embedded default: generated into user_dir/.secrets."
    )
    credentials_key: SecretStr | None = Field(
        default=None,
        description="Fernet key encrypting exchange credentials; embedded: generated into user_dir/.secrets.",
    )
    access_token_minutes: int = Field(default=60, gt=0)
    backtest_workers: int = Field(default=2, gt=0, description="Backtests the local executor runs at once.")
    rate_backtests_per_minute: float = Field(default=10.0, gt=0)
    rate_backtests_burst: int = Field(default=5, gt=0)
    max_body_bytes: int = Field(default=1_000_000, gt=0, description="Largest accepted HTTP request body.")
    task_backend: Literal["local", "celery"] = Field(
        default="celery",
        description="Where the API queues backtests: Celery workers (embedded: a broker on a SQLite file "
        "and a worker started by `gentrade serve`), or the API's own thread pool.",
    )
    task_broker_url: str | None = Field(
        default=None,
        description="Celery broker; default the embedded SQLite file user_dir/celery-broker.sqlite "
        "(sqla+sqlite:///...). Production: redis://host:6379/0.",
    )
    task_queue: str = Field(default="gentrade", description="Queue the API publishes to and workers consume.")
    task_time_margin_s: float = Field(
        default=60.0,
        gt=0,
        description="Gap between backtest_timeout_s, the task's soft limit, its hard limit and the broker's "
        "visibility timeout (each one margin above the previous).",
    )
    task_max_retries: int = Field(default=3, ge=0, description="Retries after infrastructure errors.")
    task_retry_backoff_s: float = Field(default=10.0, gt=0, description="First retry delay; then doubled.")
    task_retry_backoff_max_s: float = Field(default=300.0, gt=0)
    bot_health_interval_s: float = Field(default=60.0, gt=0, description="How often beat checks bots.")
    bot_memory_mb: int = Field(
        default=4096, gt=0, description="Address-space limit of each bot process (it runs strategy code)."
    )
    runner: Literal["local", "docker"] = Field(
        default="local", description="Backtests run as a contained child process, or in a Docker container."
    )
    docker_image: str = Field(default="gentrade:latest", description="Built from the repo's Dockerfile.")
    backtest_cpus: float = Field(default=1.0, gt=0, description="CPUs a backtest container may use.")
    rate_signals_per_minute: float = Field(default=1.0, gt=0, description="Signal generations per user.")
    rate_signals_burst: int = Field(default=1, gt=0)
    rate_chat_per_minute: float = Field(default=20.0, gt=0, description="Chat turns per user.")
    rate_chat_burst: int = Field(default=5, gt=0)
    serve_state_file: Path | None = Field(
        default=None,
        description="Set by `gentrade serve`: where it publishes the state of its worker and beat, so "
        "/ready reports a dead one.",
    )
    chat_streams_per_user: int = Field(
        default=3, gt=0, description="Chat streams one user may have open at once in one API process."
    )
    chat_streams_total: int = Field(
        default=16,
        gt=0,
        description="Chat streams all users together may have open at once in one API process; each holds "
        "a request thread (40 per process) while it waits on a model or a backtest.",
    )
    bot_exchange_url: str = Field(
        default="http://127.0.0.1:8765",
        description="Exchange the API's dry-run bots trade on: the local testnet (gentrade exchange serve).",
    )
    allow_live_bots: bool = Field(
        default=False,
        description="Let the API start bots with dry_run off (each request must still confirm real money).",
    )
    llm: LLMSettings = Field(
        default_factory=LLMSettings,
        description="The models the chat and the signal analyst ask (GENTRADE_LLM__PROVIDERS, a JSON list in "
        "fallback order) and the tokens one request may spend (GENTRADE_LLM__TOKEN_BUDGET); no providers: "
        "the offline agents.",
    )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.user_dir / 'gentrade.sqlite'}"

    @property
    def resolved_task_broker_url(self) -> str:
        return self.task_broker_url or f"sqla+sqlite:///{(self.user_dir / 'celery-broker.sqlite').resolve()}"

    @property
    def task_soft_time_limit_s(self) -> float:
        """Above the runner's own timeout, so a slow backtest fails as a timeout before Celery steps in."""
        return self.backtest_timeout_s + self.task_time_margin_s

    @property
    def task_time_limit_s(self) -> float:
        """The hard limit: no delivery of a backtest task outlives it, so it is also the claim's lease."""
        return self.task_soft_time_limit_s + self.task_time_margin_s

    @property
    def task_visibility_timeout_s(self) -> float:
        """Above the hard limit, so the broker redelivers only work whose holder is certainly gone."""
        return self.task_time_limit_s + self.task_time_margin_s

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir if self.data_dir is not None else self.user_dir / "data" / self.exchange


@lru_cache
def get_settings() -> Settings:
    return Settings()
