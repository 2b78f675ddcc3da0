"""One exception family with stable codes.

Every boundary (CLI, API, tasks) turns a ``GenTradeError`` into a one-line message or a problem-JSON body
using ``code``; the code is part of the public contract and never changes meaning.
"""

from __future__ import annotations

from typing import Any


class GenTradeError(Exception):
    """Base of every error GenTrade raises on purpose."""

    code: str = "gentrade_error"
    http_status: int = 500

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class SpecValidationError(GenTradeError):
    """A strategy spec or trade signal failed validation; ``details`` lists every bad field path."""

    code = "spec_invalid"
    http_status = 422


class AuditFailedError(GenTradeError):
    """Strategy source was rejected by the static audit; ``details`` holds the violations."""

    code = "audit_failed"
    http_status = 422


class DataMissingError(GenTradeError):
    """Candles needed for a run are not in the data dir (names pair, timeframe and range)."""

    code = "data_missing"
    http_status = 422


class StrategyLoadError(GenTradeError):
    """freqtrade could not load the strategy; the message is freqtrade's."""

    code = "strategy_load_failed"
    http_status = 422


class StrategyRuntimeError(GenTradeError):
    """The strategy raised while freqtrade ran it; the message is freqtrade's."""

    code = "strategy_error"
    http_status = 422


class BacktestTimeoutError(GenTradeError):
    """A backtest exceeded its wall-clock limit and was killed."""

    code = "backtest_timeout"
    http_status = 504


class BacktestFailedError(GenTradeError):
    """freqtrade failed for a reason that is not the strategy's fault (resources, engine error)."""

    code = "backtest_failed"
    http_status = 500


class ConfigError(GenTradeError):
    """A configuration value is missing or invalid."""

    code = "config_invalid"
    http_status = 400


class NotFoundError(GenTradeError):
    """An object does not exist or belongs to someone else (the two are indistinguishable on purpose)."""

    code = "not_found"
    http_status = 404
