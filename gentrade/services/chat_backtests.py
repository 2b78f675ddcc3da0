"""A chat's approved backtest as stored, queued backtests: the ``ChatBacktester`` the API hands the chat.

Without it a chat backtest took a road of its own (run inline in the request thread, never stored, blind to
the settings' launcher and limits). Here it is the backtest ``POST /backtests`` makes: the same candle checks
before anything is stored or charged, one rate-limit token per run, the draft stored as the user's strategy
version (render → audit, ``strategy_saving``), a row per range with the same parameters and audit entry, and
the same executor (so Docker and the time and memory caps apply as the settings say). The chat then waits,
polling in short sessions: no database connection is held while freqtrade runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from agents.analyst.summary import BacktestSummary
from agents.drafting import ChatBacktestRun
from gentrade.db.models import Backtest, Strategy, StrategyVersion, User
from gentrade.db.repositories import backtests as repo
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.db.repositories.scope import record
from gentrade.engine.result import BacktestResult
from gentrade.errors import BacktestTimeoutError, GenTradeError, ServiceUnavailableError
from gentrade.freqtrade_config.backtest import DEFAULT_EXCHANGE_FEE, DEFAULT_SLIPPAGE
from gentrade.services.strategy_saving import audited_content, save_content
from gentrade.services.submission import require_candles
from gentrade.settings import Settings
from gentrade.spec import StrategySpec

logger = logging.getLogger("gentrade.services.chat_backtests")
POLL_S = 0.5
"""How often the waiting chat looks at its rows: each look is one short query on a pooled connection."""


class BacktestQueue(Protocol):
    """Where backtests run: the executor ``POST /backtests`` queues on (the API's pool, or Celery)."""

    def submit(self, backtest_id: int, *, request_id: str | None) -> None: ...

    def cancel(self, backtest_id: int) -> None: ...


class TokenBucket(Protocol):
    """The backtest rate limiter ``POST /backtests`` takes from; ``take`` raises when none is left."""

    def take(self, user_id: int) -> None: ...


class StoredBacktestError(GenTradeError):
    """A chat backtest's row ended without a result. The code is the row's own (``backtest_cancelled`` for a
    cancelled one), so the chat's error event says what the backtest's page says."""

    def __init__(self, code: str, message: str, *, details: dict[str, Any]) -> None:
        super().__init__(message, details=details)
        self.code = code


@dataclass(frozen=True)
class ChatBacktests:
    """The chat's backtester for one user's request (``agents.drafting.ChatBacktester``).

    ``public_message`` turns a stored error message into what the user may read (the API strips server
    paths, as its backtest pages do); ``request_id`` goes into the audit entries.
    """

    sessions: sessionmaker[Session]
    user: User
    executor: BacktestQueue
    limiter: TokenBucket
    settings: Settings
    public_message: Callable[[str], str]
    request_id: str | None = None

    def __call__(
        self, spec: StrategySpec, timeranges: Sequence[str], *, thread_id: str, model_id: str | None
    ) -> list[ChatBacktestRun]:
        """Check, charge, store and queue a backtest per range, wait for all, and summarise them in order;
        a row that failed, was cancelled or outran the wait is a ``GenTradeError``."""
        for timerange in timeranges:
            require_candles(
                self.settings.resolved_data_dir,
                list(spec.pairs),
                spec.timeframe,
                timerange,
                pairs_field="spec.pairs",
            )
        for _ in timeranges:  # before anything is stored, and on no connection of ours
            self.limiter.take(self.user.id)
        ids = self._store(spec, timeranges, thread_id, model_id)
        self._submit(ids)
        logger.info("chat backtests queued", extra={"backtests": ids, "thread_id": thread_id})
        self._wait(ids)
        return self._runs(ids)

    def _store(
        self, spec: StrategySpec, timeranges: Sequence[str], thread_id: str, model_id: str | None
    ) -> list[int]:
        """One version and a row per range in one transaction, committed before anything is queued so a
        worker never receives an id it cannot see yet."""
        with self.sessions() as session:
            strategy, version = self._version(session, spec, model_id)
            ids = []
            for timerange in timeranges:
                parameters = {
                    "timerange": timerange,
                    "pairs": list(spec.pairs),
                    "timeframe": None,
                    "fee": DEFAULT_EXCHANGE_FEE,
                    "slippage": DEFAULT_SLIPPAGE,
                }
                backtest = repo.create(session, self.user, strategy, version, parameters)
                detail = {"chat_thread": thread_id}
                record(session, self.user, "create", "backtest", backtest.id, self.request_id, detail)
                ids.append(backtest.id)
            session.commit()
        return ids

    def _version(
        self, session: Session, spec: StrategySpec, model_id: str | None
    ) -> tuple[Strategy, StrategyVersion]:
        """The draft as the user's strategy version: the current one when it is this very draft (approving
        it again adds no version), else a new one through the one saving path (render, audit, store)."""
        content = audited_content(spec, created_by_kind="agent", model_id=model_id)
        existing = strategies_repo.by_name(session, self.user, spec.name)
        if existing is not None:
            current = strategies_repo.version(session, existing)
            if current.source == content.source and current.spec == content.spec:
                return existing, current
        strategy, version, created = save_content(session, self.user, spec.name, content)
        action = "create" if created else "update"
        record(session, self.user, action, "strategy", strategy.id, self.request_id)
        return strategy, version

    def _submit(self, ids: list[int]) -> None:
        """Queue every row; when the queue refuses one (its broker is down), the rows go again rather than
        wait forever as "queued", and any already queued is called off."""
        for backtest_id in ids:
            try:
                self.executor.submit(backtest_id, request_id=self.request_id)
            except ServiceUnavailableError:
                with self.sessions() as session:
                    for row in repo.many(session, ids, self.user):
                        repo.remove(session, row)
                    session.commit()
                for queued in ids:
                    self.executor.cancel(queued)
                raise

    def _wait(self, ids: list[int]) -> None:
        """Until no row is queued or running (or one is gone). Each row may use its whole lease even when
        the rows run one after the other; past that the rows still active are cancelled."""
        deadline = time.monotonic() + len(ids) * self.settings.task_visibility_timeout_s
        while True:
            with self.sessions() as session:
                statuses = repo.statuses(session, ids, self.user)
            if len(statuses) < len(ids) or not any(status in repo.ACTIVE for status in statuses.values()):
                return
            if time.monotonic() >= deadline:
                self._call_off(ids)
                raise BacktestTimeoutError(
                    f"backtests {', '.join(map(str, ids))} did not finish within "
                    f"{len(ids) * self.settings.task_visibility_timeout_s:.0f} s and were cancelled",
                    details={"backtest_ids": ids},
                )
            time.sleep(POLL_S)

    def _call_off(self, ids: list[int]) -> None:
        with self.sessions() as session:
            for row in repo.many(session, ids, self.user):
                if row.status in repo.ACTIVE:
                    repo.cancel(session, row)
                    record(session, self.user, "cancel", "backtest", row.id, self.request_id)
            session.commit()
        for backtest_id in ids:
            self.executor.cancel(backtest_id)

    def _runs(self, ids: list[int]) -> list[ChatBacktestRun]:
        """The summaries read back from the stored rows, so the chat shows what ``GET /backtests`` shows."""
        with self.sessions() as session:
            rows = repo.many(session, ids, self.user)
            for row in rows:
                if row.status != "succeeded" or row.result is None:
                    raise self._error(row)
            return [
                ChatBacktestRun(
                    summary=BacktestSummary.of(BacktestResult.model_validate(row.result)),
                    backtest_id=row.id,
                )
                for row in rows
            ]

    def _error(self, row: Backtest) -> StoredBacktestError:
        where = f"backtest {row.id} ({row.parameters['timerange']})"
        details = {"backtest_id": row.id, "status": row.status}
        if row.status == "cancelled":
            return StoredBacktestError("backtest_cancelled", f"{where} was cancelled", details=details)
        message = self.public_message(row.error_message or "no reason recorded")
        return StoredBacktestError(
            row.error_code or "backtest_failed", f"{where} failed: {message}", details=details
        )
