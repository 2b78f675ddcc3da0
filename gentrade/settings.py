"""The one settings object (environment prefix ``GENTRADE_``).

Every default is the embedded mode: one machine, no servers, files under ``user_data/``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GENTRADE_", extra="ignore")

    user_dir: Path = Field(default=Path("user_data"), description="Freqtrade user directory.")
    data_dir: Path | None = Field(default=None, description="Candle directory; default user_dir/data/binance.")
    exchange: str = "binance"
    backtest_timeout_s: float = Field(default=600.0, gt=0)
    backtest_memory_mb: int = Field(default=4096, gt=0)
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default the embedded SQLite file user_dir/gentrade.sqlite. "
        "PostgreSQL: postgresql+psycopg://user:password@host/db.",
    )
    secret_key: SecretStr | None = Field(
        default=None, description="JWT signing key; embedded default: generated into user_dir/.secrets."
    )
    credentials_key: SecretStr | None = Field(
        default=None,
        description="Fernet key encrypting exchange credentials; embedded default: generated into user_dir/.secrets.",
    )
    access_token_minutes: int = Field(default=60, gt=0)
    backtest_workers: int = Field(default=2, gt=0, description="Backtests the local executor runs at once.")
    rate_backtests_per_minute: float = Field(default=10.0, gt=0)
    rate_backtests_burst: int = Field(default=5, gt=0)
    max_body_bytes: int = Field(default=1_000_000, gt=0, description="Largest accepted HTTP request body.")

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.user_dir / 'gentrade.sqlite'}"

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir if self.data_dir is not None else self.user_dir / "data" / self.exchange


@lru_cache
def get_settings() -> Settings:
    return Settings()
