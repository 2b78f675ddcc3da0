"""The one settings object (environment prefix ``GENTRADE_``).

Every default is the embedded mode: one machine, no servers, files under ``user_data/``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GENTRADE_", extra="ignore")

    user_dir: Path = Field(default=Path("user_data"), description="Freqtrade user directory.")
    data_dir: Path | None = Field(default=None, description="Candle directory; default user_dir/data/binance.")
    exchange: str = "binance"
    backtest_timeout_s: float = Field(default=600.0, gt=0)
    backtest_memory_mb: int = Field(default=4096, gt=0)

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir if self.data_dir is not None else self.user_dir / "data" / self.exchange


@lru_cache
def get_settings() -> Settings:
    return Settings()
