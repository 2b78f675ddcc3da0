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


class SandboxViolation(GenTradeError):
    """Strategy code tried something the runtime guard refuses (a process, a write outside its run, a socket,
    a denied import ...); the message names the audit event and the strategy's line, ``details`` holds
    ``event``, ``detail`` and ``where``."""

    code = "sandbox_violation"
    http_status = 422


class ZygoteUnavailableError(BacktestFailedError):
    """The warm process backtests fork from could not be started, or died: infrastructure, worth a retry."""


class ConfigError(GenTradeError):
    """A configuration value is missing or invalid."""

    code = "config_invalid"
    http_status = 400


class NotFoundError(GenTradeError):
    """An object does not exist or belongs to someone else (the two are indistinguishable on purpose)."""

    code = "not_found"
    http_status = 404


class AuthError(GenTradeError):
    """Missing, malformed, expired or unknown credentials (the reason is never more specific than that)."""

    code = "unauthorized"
    http_status = 401


class ForbiddenError(GenTradeError):
    """The caller is known but the action needs a role it does not have."""

    code = "forbidden"
    http_status = 403


class ConflictError(GenTradeError):
    """The request clashes with the current state (a taken name or email, a finished backtest)."""

    code = "conflict"
    http_status = 409


class PayloadTooLargeError(GenTradeError):
    """A request body or uploaded source exceeds its size limit."""

    code = "payload_too_large"
    http_status = 413


class RateLimitedError(GenTradeError):
    """Too many expensive requests; ``details.retry_after_s`` says when to try again."""

    code = "rate_limited"
    http_status = 429


class ServiceUnavailableError(GenTradeError):
    """A dependency (the database, its schema) is not ready."""

    code = "service_unavailable"
    http_status = 503


class SchemaOutdatedError(ServiceUnavailableError):
    """The database schema is behind the code; the message names the command that upgrades it."""

    code = "schema_outdated"


class InvalidRequestError(GenTradeError):
    """A well-formed request whose values make no sense (a forged cursor, an unknown sort key)."""

    code = "invalid_request"
    http_status = 400


class OptimizeFailedError(GenTradeError):
    """A hyperopt search or its walk-forward judgement failed; the message says which window and why."""

    code = "optimize_failed"
    http_status = 422


class BotStartFailedError(GenTradeError):
    """A freqtrade bot or webserver process exited while starting; ``details.log_tail`` says why."""

    code = "bot_start_failed"
    http_status = 500


class DockerUnavailableError(ServiceUnavailableError):
    """No Docker engine is reachable, so a container runner cannot run anything."""

    code = "docker_unavailable"


class LiveTradingRefusedError(GenTradeError):
    """A bot with real money was asked for where only dry-run is allowed, or without the confirmation."""

    code = "live_trading_refused"
    http_status = 403


class BrokerUnavailableError(ServiceUnavailableError):
    """The task queue's broker did not accept the work; nothing was queued."""

    code = "broker_unavailable"


class QuickstartReportError(GenTradeError):
    """The quickstart's report (or a file it names) is damaged or out of date, so nothing was imported."""

    code = "quickstart_report_invalid"
    http_status = 422
