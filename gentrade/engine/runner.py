"""``run_backtest``: audit a strategy, check the data, run freqtrade's Backtesting in a contained child.

The strategy is untrusted code and freqtrade's engine keeps process-wide state, so each run happens in a
child process of its own session (the whole group can be killed), with an address-space limit, a
wall-clock limit and, where the machine allows it, a network namespace of its own with no interfaces up.
The child is forked from a warm zygote that has freqtrade imported (``local_runner``), or runs in a
container (``docker_runner``).
Each run gets a fresh directory that is a complete freqtrade user dir, so results are never reused and
freqtrade (``--userdir``) or FreqUI can open them as they are.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from gentrade.codegen.parse import class_literal as _class_literal
from gentrade.data import grid, store
from gentrade.data import markets as market_snapshots
from gentrade.engine.detail import AUTO, choose_detail
from gentrade.engine.fills import fills_outside_candles
from gentrade.engine.launch import ChildLauncher
from gentrade.engine.local_runner import local_launcher
from gentrade.engine.result import BacktestResult, RunInfo
from gentrade.engine.worker import WorkerJob, WorkerStatus
from gentrade.errors import (
    BacktestFailedError,
    BacktestTimeoutError,
    ConfigError,
    DataMissingError,
    GenTradeError,
    SandboxViolation,
    StrategyLoadError,
    StrategyRuntimeError,
)
from gentrade.freqtrade_config.backtest import (
    DEFAULT_MAX_OPEN_TRADES,
    Costs,
    build_backtest_config,
    stake_currency,
)
from gentrade.safety.bypass import AuditBypass, strategy_class_name

logger = logging.getLogger(__name__)

_ERRORS: dict[str, type[GenTradeError]] = {
    "strategy_load": StrategyLoadError,
    "strategy_runtime": StrategyRuntimeError,
    "data_missing": DataMissingError,
    "config": ConfigError,
    "memory": BacktestFailedError,
    "cpu": BacktestTimeoutError,
    "failed": BacktestFailedError,
}
_LOG_TAIL_CHARS = 1500


def _strategy_timeframe(source: str, class_name: str) -> str | None:
    """The class-level ``timeframe = "..."`` literal, read without importing the strategy."""
    value = _class_literal(source, class_name, "timeframe")
    return value if isinstance(value, str) else None


def _max_open_trades(source: str, class_name: str) -> int:
    """The strategy's own literal ``max_open_trades`` (the spec's ``risk.max_open_trades``), else 3."""
    value = _class_literal(source, class_name, "max_open_trades")
    return value if isinstance(value, int) and value > 0 else DEFAULT_MAX_OPEN_TRADES


def _declares_protections(source: str, class_name: str) -> bool:
    """True when the class sets a non-empty literal ``protections`` list: freqtrade's backtest ignores
    protections unless told (``enable_protections``), so a run that honours the strategy turns them on."""
    return bool(_class_literal(source, class_name, "protections"))


def _audited_class(strategy_file: Path, bypass: AuditBypass | None) -> tuple[str, str]:
    """Source and strategy class name, after the static audit accepted the file (``bypass``: tests only)."""
    try:
        source = strategy_file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise StrategyLoadError(f"cannot read strategy file {strategy_file}: {exc}") from exc
    class_name = strategy_class_name(source, strategy_file.name, bypass)
    if not class_name:
        raise StrategyLoadError(f"{strategy_file.name} defines no IStrategy subclass")
    return source, class_name


def _run_dir_path(results_dir: Path, class_name: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return results_dir / f"{stamp}-{class_name}-{uuid.uuid4().hex[:8]}"


def _digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` by relative path: the candles the child gets, compared after
    it ran, since the run dir (where they sit) is the one place a strategy may write."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _log_text(log_file: Path) -> str:
    """The whole log (a guard report from a child without a control channel, e.g. a container, is there)."""
    try:
        return log_file.read_text(errors="replace")
    except OSError:
        return ""


def _log_tail(log_file: Path) -> str:
    try:
        return log_file.read_text(errors="replace")[-_LOG_TAIL_CHARS:].strip()
    except OSError:
        return ""


def _write_job(
    run_dir: Path,
    filename: str,
    source: str,
    config: dict[str, object],
    snapshot: dict[str, dict[str, object]],
    memory_mb: int,
    cpu_s: int,
) -> WorkerJob:
    """Everything the child needs, as files in a new run dir, so a run can be inspected and repeated.

    The strategy is copied alone into the run's strategies dir because freqtrade imports every module in
    the directory it searches.
    """
    (run_dir / "strategies").mkdir(parents=True)
    strategy_copy = run_dir / "strategies" / filename
    strategy_copy.write_text(source)
    config_file = run_dir / "config.json"
    config_file.write_text(json.dumps(config, indent=2))
    job = WorkerJob(
        config_file=config_file,
        markets_file=market_snapshots.save_snapshot(snapshot, run_dir / "markets.json"),
        strategy=str(config["strategy"]),
        strategy_file=strategy_copy,
        datadir=Path(str(config["datadir"])),
        status_file=run_dir / "status.json",
        memory_mb=memory_mb,
        cpu_s=cpu_s,
    )
    (run_dir / "job.json").write_text(job.model_dump_json(indent=2))
    return job


def _error_for(status: WorkerStatus, run_dir: Path, wanted: str) -> GenTradeError:
    message = status.message or "freqtrade failed without a message"
    if status.error_kind == "data_missing":
        message = f"freqtrade found no usable {wanted}: {message}"
    error = _ERRORS.get(status.error_kind or "failed", BacktestFailedError)
    return error(message, details={"run_dir": str(run_dir)})


def run_backtest(
    strategy_file: Path,
    datadir: Path,
    timerange: str | None,
    pairs: list[str] | None = None,
    timeframe: str | None = None,
    *,
    results_dir: Path,
    timeout_s: float = 600,
    memory_mb: int = 4096,
    fee: float = 0.001,
    slippage: float = 0.0005,
    dry_run_wallet: float = 1000.0,
    stake_amount: float | Literal["unlimited"] = "unlimited",
    max_open_trades: int | None = None,
    enable_protections: bool | None = None,
    timeframe_detail: str | None = AUTO,
    markets_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    launcher: ChildLauncher | None = None,
    _audit_bypass: AuditBypass | None = None,
) -> BacktestResult:
    """Backtest ``strategy_file`` on the candles in ``datadir`` with freqtrade, offline and contained.

    ``fee`` is the exchange's per-side fee and ``slippage`` the assumed per-side slippage; freqtrade is
    charged their sum. ``pairs`` defaults to every pair with candles for the timeframe, and ``timeframe``
    to the strategy's own. ``markets_file`` is a captured ccxt markets snapshot; by default one is derived
    from the candles. ``env`` reaches the child (``GENTRADE_REQUEST_ID`` tags its log lines); ``launcher``
    chooses where the child runs. The child's CPU time is capped at ``timeout_s`` too, which only a
    strategy that burns several cores at once can reach before the wall-clock limit.
    ``max_open_trades`` None takes the strategy's own literal ``max_open_trades`` (else 3), and
    ``enable_protections`` None turns protections on exactly when the strategy declares some.
    ``timeframe_detail`` "auto" uses 1m detail candles when the data dir has them (see ``engine.detail``).
    freqtrade reads a copy of the candles put on the markets' tick grid in the run dir (``data/``), never
    the raw files, so a level priced at an open fills at that open; the result counts the prices moved.
    """
    strategy_file, datadir = Path(strategy_file), Path(datadir).resolve()
    source, class_name = _audited_class(strategy_file, _audit_bypass)
    if timeout_s <= 0 or memory_mb <= 0:
        raise ConfigError(f"timeout_s and memory_mb must be positive, got {timeout_s} and {memory_mb}")
    try:
        costs = Costs(exchange_fee=fee, slippage=slippage)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise ConfigError(f"invalid costs (fee {fee}, slippage {slippage}): {reason}") from exc
    tf = timeframe or _strategy_timeframe(source, class_name)
    if tf is None:
        raise ConfigError(f"{class_name} sets no literal timeframe; pass the timeframe explicitly")
    chosen = list(pairs) if pairs else store.list_pairs(datadir, tf)
    if not chosen:
        raise DataMissingError(f"no {tf} candles in {datadir}", details={"timeframe": tf})
    stake_currency(chosen)
    store.require_coverage(datadir, chosen, tf, timerange)
    snapshot = (
        market_snapshots.load_snapshot(markets_file)
        if markets_file is not None
        else market_snapshots.snapshot_for_datadir(datadir, chosen)
    )
    if absent := [pair for pair in chosen if pair not in snapshot]:
        raise ConfigError(f"markets snapshot {markets_file} has no market for {', '.join(absent)}")
    detail = choose_detail(datadir, chosen, tf, timerange, timeframe_detail)

    run_dir = _run_dir_path(Path(results_dir).resolve(), class_name)
    timeframes = [tf, detail] if detail else [tf]
    gridded = grid.gridded_copy(datadir, run_dir / "data", chosen, timeframes, grid.market_ticks(snapshot))
    config = build_backtest_config(
        strategy=class_name,
        pairs=chosen,
        datadir=run_dir / "data",
        user_data_dir=run_dir,
        timerange=timerange,
        timeframe=tf,
        costs=costs,
        dry_run_wallet=dry_run_wallet,
        stake_amount=stake_amount,
        max_open_trades=max_open_trades
        if max_open_trades is not None
        else _max_open_trades(source, class_name),
    )
    if enable_protections if enable_protections is not None else _declares_protections(source, class_name):
        config["enable_protections"] = True
    if detail:
        config["timeframe_detail"] = detail
    job = _write_job(run_dir, strategy_file.name, source, config, snapshot, memory_mb, math.ceil(timeout_s))
    log_file = run_dir / "worker.log"
    candles_before = _digests(run_dir / "data")
    launched = (launcher or local_launcher())(run_dir / "job.json", run_dir, log_file, timeout_s, env or {})
    from gentrade.safety.guard_policy import violation_from_report

    violation = violation_from_report(launched.sandbox_report or _log_text(log_file))
    if violation is None and _digests(run_dir / "data") != candles_before:
        detail = (
            "the run's candle files changed while the strategy ran; the result would describe other prices"
        )
        violation = SandboxViolation(
            f"the sandbox refused candles_changed ({detail})",
            details={"event": "candles_changed", "detail": detail, "where": None},
        )
    if violation is not None:
        violation.details = {**violation.details, "run_dir": str(run_dir)}
        raise violation
    if not job.status_file.is_file():
        raise BacktestFailedError(
            f"the backtest process died without a result (log {log_file}): {_log_tail(log_file)}",
            details={"run_dir": str(run_dir)},
        )
    status = WorkerStatus.model_validate_json(job.status_file.read_text())
    if not status.ok or status.result_zip is None or status.result_file is None:
        raise _error_for(status, run_dir, f"{tf} candles for {', '.join(chosen)} in {datadir}")
    run = RunInfo(
        run_dir=run_dir,
        result_zip=status.result_zip,
        log_file=log_file,
        network_isolation=launched.network_isolation,
        os_layers=list(launched.os_layers),
        wall_s=launched.wall_s,
        child_import_s=status.import_s,
        backtest_s=status.backtest_s,
        freqtrade_run_id=status.run_id,
        warnings=status.warnings,
    )
    parsed = BacktestResult.model_validate_json(status.result_file.read_text())
    outside = fills_outside_candles(parsed.trade_list, run_dir / "data", detail or tf)
    return parsed.model_copy(
        update={"run": run, "grid_moved_prices": gridded.moved, "warnings": [*parsed.warnings, *outside]}
    )
