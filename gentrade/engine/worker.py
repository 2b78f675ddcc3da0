"""The backtest child process: ``python -m gentrade.engine.worker JOB.json``.

freqtrade's engine keeps process-wide state, and strategy code is untrusted, so every backtest runs here,
in a process of its own that the parent can limit and kill. The child applies its memory limit before it
imports anything large, runs freqtrade's own ``Backtesting`` on an offline exchange, and always leaves a
status file saying what happened, with freqtrade's message when something failed. The job and status models
are defined here so parent and child share one schema; this module imports freqtrade only in the child.
"""

from __future__ import annotations

import logging
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from gentrade.engine import run_settings
from gentrade.safety.seal import SEAL_CHECK, SEAL_TAKE

ErrorKind = Literal["strategy_load", "strategy_runtime", "data_missing", "config", "memory", "cpu", "failed"]

_MAX_WARNINGS = 20
_NO_DATA_MESSAGES = ("No data found", "No data left after adjusting for startup candles")


class WorkerJob(BaseModel):
    config_file: Path
    markets_file: Path
    strategy: str
    strategy_file: Path
    datadir: Path
    status_file: Path
    memory_mb: int
    cpu_s: int | None = None


class WorkerStatus(BaseModel):
    ok: bool
    error_kind: ErrorKind | None = None
    message: str | None = None
    result_zip: Path | None = None
    result_file: Path | None = None
    import_s: float | None = None
    backtest_s: float | None = None
    run_id: str | None = None
    warnings: list[str] = []


class _WarningCollector(logging.Handler):
    """Keeps freqtrade's warnings: they carry the real cause behind its generic load errors."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().splitlines()[0]
        if message not in self.messages and len(self.messages) < _MAX_WARNINGS:
            self.messages.append(message)


class CpuLimitExceeded(Exception):
    """Raised from SIGXCPU, so a run over its CPU time says so instead of dying without a status."""


def _on_cpu_limit(_signum: int, _frame: object) -> None:
    raise CpuLimitExceeded


def _limit_resources(memory_mb: int, cpu_s: int | None) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if cpu_s is not None:
        # SIGXCPU at the soft limit lets the status be written; the hard limit (SIGKILL) is the backstop.
        signal.signal(signal.SIGXCPU, _on_cpu_limit)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))


class _RequestIdFormatter(logging.Formatter):
    """freqtrade's own line format with the correlation id of the request that queued the run."""

    def __init__(self, request_id: str) -> None:
        super().__init__(f"%(asctime)s - %(name)s - %(levelname)s - request_id={request_id} - %(message)s")


def _tag_log_lines() -> None:
    request_id = os.environ.get("GENTRADE_REQUEST_ID")
    if request_id:
        for name in ("", "freqtrade"):
            for handler in logging.getLogger(name).handlers:
                handler.setFormatter(_RequestIdFormatter(request_id))


def _strategy_frame(exc: BaseException, strategy_file: Path) -> traceback.FrameSummary | None:
    """The innermost frame of the traceback that is in the strategy's own file."""
    target = strategy_file.resolve()
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() == target]
    cause = exc.__cause__
    if not frames and cause is not None:
        return _strategy_frame(cause, strategy_file)
    return frames[-1] if frames else None


def _in_strategy_loader(exc: BaseException) -> bool:
    return any(
        frame.filename.endswith(os.path.join("freqtrade", "resolvers", "strategy_resolver.py"))
        for frame in traceback.extract_tb(exc.__traceback__)
    )


def _without_run_path(warning: str, strategy_file: Path) -> str:
    """freqtrade's "Could not import /run/dir/strategies/X.py due to 'why'" without the server's path."""
    return warning.replace(str(strategy_file), strategy_file.name).replace(
        str(strategy_file.resolve()), strategy_file.name
    )


def classify(exc: BaseException, job: WorkerJob, warnings: list[str]) -> WorkerStatus:
    """Turn whatever freqtrade or the strategy raised into an error kind and freqtrade's message."""
    from freqtrade.exceptions import ConfigurationError, StrategyError

    text = str(exc) or type(exc).__name__
    if isinstance(exc, CpuLimitExceeded):
        return WorkerStatus(
            ok=False, error_kind="cpu", message=f"the backtest exceeded its CPU time limit of {job.cpu_s} s"
        )
    if isinstance(exc, MemoryError):
        return WorkerStatus(
            ok=False,
            error_kind="memory",
            message=f"the backtest exceeded its memory limit of {job.memory_mb} MB",
        )
    if _in_strategy_loader(exc) or text.startswith("Impossible to load Strategy"):
        # freqtrade swallows the import error and logs it; its reason is the useful part of the message.
        causes = [
            _without_run_path(w, job.strategy_file) for w in warnings if w.startswith("Could not import")
        ]
        message = text if text.startswith("Impossible") else f"{type(exc).__name__}: {text}"
        return WorkerStatus(ok=False, error_kind="strategy_load", message=" ".join([message, *causes]))
    frame = _strategy_frame(exc, job.strategy_file)
    if isinstance(exc, StrategyError) or frame is not None:
        where = f" (at {Path(frame.filename).name}:{frame.lineno} in {frame.name})" if frame else ""
        return WorkerStatus(
            ok=False, error_kind="strategy_runtime", message=f"{type(exc).__name__}: {text}{where}"
        )
    if any(text.startswith(prefix) for prefix in _NO_DATA_MESSAGES):
        return WorkerStatus(ok=False, error_kind="data_missing", message=text)
    if isinstance(exc, ConfigurationError):
        return WorkerStatus(ok=False, error_kind="config", message=text)
    return WorkerStatus(ok=False, error_kind="failed", message=f"{type(exc).__name__}: {text}")


def _backtest(
    job: WorkerJob, status: WorkerStatus, collector: _WarningCollector, audit: Callable[..., None]
) -> None:
    """Run the backtest and write its result. ``audit`` is ``sys.audit`` as it was before the strategy
    loaded (a strategy could rebind the module attribute): it asks the guard to seal freqtrade's code before
    the strategy loads and to check the seal once the result is written (``gentrade.safety.seal``)."""
    started = time.perf_counter()
    from freqtrade.commands.optimize_commands import setup_optimize_configuration
    from freqtrade.enums import RunMode
    from freqtrade.optimize.backtesting import Backtesting

    from gentrade.data.markets import load_snapshot
    from gentrade.engine.offline_exchange import build_offline_exchange
    from gentrade.engine.result import parse_result_zip

    status.import_s = time.perf_counter() - started
    started = time.perf_counter()
    args = {
        "config": [str(job.config_file)],
        "strategy": job.strategy,
        "strategy_path": str(job.strategy_file.parent),
        "datadir": str(job.datadir),
    }
    config = setup_optimize_configuration(args, RunMode.BACKTEST)
    # After freqtrade's logging setup, which replaces the handlers of the loggers it configures.
    _tag_log_lines()
    logging.getLogger().addHandler(collector)
    exchange = build_offline_exchange(config, load_snapshot(job.markets_file))
    # What the job asked for, read before any strategy code runs: the settings the run must still hold when
    # built and when done, and the fee and detail timeframe every trade must then show
    # (gentrade.engine.run_settings: a strategy's __init__ gets the very config dict freqtrade reads).
    watch = run_settings.SettingsWatch(config)
    fee, detail = float(config["fee"]), str(config.get("timeframe_detail", ""))
    audit(SEAL_TAKE)
    backtesting = Backtesting(config, exchange=exchange)
    watch.look()
    # What freqtrade took from the config while the strategy's __init__ and bot_start could still change it
    # (and change back): the fee and detail timeframe the run actually uses.
    changed = [
        *([f"fee {backtesting.fee} instead of {fee}"] if backtesting.fee != fee else []),
        *(
            [f"detail timeframe {backtesting.timeframe_detail}"]
            if backtesting.timeframe_detail != detail
            else []
        ),
    ]
    backtesting.start()
    watch.look()
    changed = [*watch.changed, *changed]
    status.backtest_s = time.perf_counter() - started
    zips = sorted(Path(config["exportdirectory"]).glob("*.zip"))
    if len(zips) != 1:
        raise RuntimeError(f"expected one result zip in {config['exportdirectory']}, found {len(zips)}")
    status.result_zip = zips[0]
    status.run_id = backtesting.run_ids.get(job.strategy)
    # Parsed here, where freqtrade is already loaded, so the parent never has to import it.
    result = parse_result_zip(zips[0], job.strategy)
    status.result_file = job.status_file.with_name("result.json")
    status.result_file.write_text(result.model_dump_json())
    changed += [
        f"{trade.pair} trade of {trade.open_date:%Y-%m-%d %H:%M} charged {trade.fee_open}/{trade.fee_close}"
        for trade in result.trade_list
        if trade.fee_open != fee or trade.fee_close not in (fee, None)
    ][:3]
    audit(SEAL_CHECK, "; ".join(changed))
    status.ok = True


def _write_status(path: Path, status: WorkerStatus) -> None:
    # Written whole and renamed, so the parent never reads half a status.
    partial = path.with_suffix(".partial")
    partial.write_text(status.model_dump_json())
    partial.replace(path)


def _guard(job: WorkerJob, report_fd: int | None) -> None:
    """Install the runtime guard before freqtrade imports the strategy: from here on this process may write
    only under its run dir (which holds a private tmp) and reach no network, whatever the strategy does."""
    from gentrade.safety.guard import install_guard
    from gentrade.safety.guard_policy import GuardPolicy

    run_dir = job.status_file.parent
    private_tmp = run_dir / "tmp"
    private_tmp.mkdir(exist_ok=True)
    os.environ["TMPDIR"] = str(private_tmp)
    tempfile.tempdir = str(private_tmp)
    install_guard(GuardPolicy(writable_dirs=(run_dir,), strategy_path=job.strategy_file, report_fd=report_fd))


def main(argv: list[str], *, report_fd: int | None = None) -> int:
    """Run the job in ``argv[0]``; ``report_fd`` receives the runtime guard's violation report, if any."""
    job = WorkerJob.model_validate_json(Path(argv[0]).read_text())
    if request_id := os.environ.get("GENTRADE_REQUEST_ID"):
        # The log's first line joins this run to the request (and the task) that queued it.
        print(f"request_id={request_id}", flush=True)
    _limit_resources(job.memory_mb, job.cpu_s)
    _guard(job, report_fd)
    collector = _WarningCollector()
    status = WorkerStatus(ok=False)
    try:
        _backtest(job, status, collector, sys.audit)
    except Exception as exc:
        traceback.print_exc()
        status = classify(exc, job, collector.messages).model_copy(
            update={"import_s": status.import_s, "backtest_s": status.backtest_s}
        )
    status.warnings = list(collector.messages)
    _write_status(job.status_file, status)
    return 0 if status.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
