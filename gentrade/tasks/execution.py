"""The backtest task body: claim the row, run the engine, record the outcome.

This is the only code that joins engine work to the database. Every executor calls it: the API's local
thread pool (``gentrade.api.executor.LocalExecutor``) and the Celery task (``gentrade.tasks.backtests``).
Claiming with a conditional UPDATE makes redelivery harmless: a second delivery of the same backtest finds
it no longer claimable and returns.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path

import psutil
from sqlalchemy.orm import Session, sessionmaker

from gentrade.db.repositories import backtests as repo
from gentrade.errors import GenTradeError
from gentrade.logs import request_id_var
from gentrade.services.recorded_results import finite, stored_result
from gentrade.settings import Settings

__all__ = ["execute_backtest", "finite", "kill_backtest_processes", "work_dir"]

logger = logging.getLogger("gentrade.tasks.execution")


def work_dir(settings: Settings, owner_id: int, backtest_id: int) -> Path:
    """Per-user, per-backtest directory: the strategy file and freqtrade's run directories live here."""
    return (settings.user_dir / "work" / f"user-{owner_id}" / f"backtest-{backtest_id}").resolve()


def execute_backtest(
    sessions: sessionmaker[Session],
    settings: Settings,
    backtest_id: int,
    *,
    claim: Callable[[Session, int], bool] = repo.claim,
    passthrough: tuple[type[BaseException], ...] = (),
) -> None:
    """Claim, run and record one backtest; safe to call twice for the same id.

    A Celery task passes its own ``claim`` (one that may take over a dead delivery's run) and the errors
    it handles itself in ``passthrough`` (retried infrastructure errors, time limits): those leave the
    row running for the caller to retry or fail.
    """
    from gentrade.services.backtests import run_with_settings

    with sessions() as session:
        if not claim(session, backtest_id):
            logger.info(
                "backtest not claimable (cancelled, deleted or already run)", extra={"backtest": backtest_id}
            )
            return
        found = repo.job(session, backtest_id)
    if found is None:
        return
    backtest, version = found
    params = backtest.parameters
    folder = work_dir(settings, backtest.owner_id, backtest_id)
    folder.mkdir(parents=True, exist_ok=True)
    strategy_file = folder / f"{version.spec['name']}.py"
    strategy_file.write_text(version.source)
    logger.info("backtest started", extra={"backtest": backtest_id, "strategy": version.spec["name"]})
    try:
        outcome = run_with_settings(
            settings,
            strategy_file,
            results_dir=folder / "runs",
            timerange=params.get("timerange"),
            pairs=params.get("pairs"),
            timeframe=params.get("timeframe"),
            fee=params["fee"],
            slippage=params["slippage"],
            env={"GENTRADE_REQUEST_ID": request_id_var.get() or ""},
        )
    except passthrough:
        raise
    except GenTradeError as exc:
        with sessions() as session:
            repo.fail(session, backtest_id, exc.code, exc.message)
        logger.info("backtest failed", extra={"backtest": backtest_id, "code": exc.code})
        return
    except Exception as exc:  # a bug, not the strategy's fault: record it, keep the worker alive
        logger.exception("backtest crashed", extra={"backtest": backtest_id})
        with sessions() as session:
            repo.fail(session, backtest_id, "internal_error", f"{type(exc).__name__}: {exc}")
        return
    metrics, result = stored_result(outcome)
    zip_path = str(outcome.run.result_zip) if outcome.run is not None else ""
    with sessions() as session:
        stored = repo.succeed(session, backtest_id, metrics, result, zip_path)
    logger.info("backtest finished", extra={"backtest": backtest_id, "stored": stored})


def kill_backtest_processes(backtest_id: int) -> None:
    """Kill the freqtrade children this process spawned for a backtest (found by their working dir)."""
    marker = f"{os.sep}backtest-{backtest_id}{os.sep}"
    for child in psutil.Process().children(recursive=True):
        try:
            if marker in child.cwd() + os.sep:
                os.killpg(child.pid, signal.SIGKILL)
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue
