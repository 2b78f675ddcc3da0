"""Look-ahead and recursive bias checks of a strategy file: freqtrade's own analyses, offline and guarded.

``check_strategy`` audits the file (the static audit first, as for a backtest), copies the candles onto the
markets' tick grid in a run dir (the path every backtest reads, so off-grid prices cannot stall a level and
pass for bias), and runs ``gentrade.engine.analysis_worker`` as a child behind the two layers of
``gentrade.engine.guarded`` (OS layers plus the runtime guard, installed after freqtrade is preloaded: no
network, no writes outside the run dir). The child runs freqtrade's
``lookahead-analysis`` and ``recursive-analysis`` against the offline exchange; this module turns their
findings into one verdict:

``biased``
    freqtrade saw an entry or exit that moved, or an indicator column that changed, once the candles after
    it were cut off (``lookahead``), or the recursive run's short-window check found a changed column, or
    an entry or exit decided at a candle's open moved once that candle's high, low, close and volume were
    hidden (``gentrade.engine.decision_candles``: a callback peeking at a frame kept on ``self``).
``inconclusive``
    no bias seen, but fewer trades were re-checked than ``minimum_trade_amount``: too few to judge.
``clean``
    enough trades re-checked, nothing moved.

Recursive *variance* (an indicator that differs with more startup candles, e.g. an EMA warming up) is
reported but is not look-ahead and does not decide the verdict.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from gentrade.codegen.parse import class_literal
from gentrade.data import grid, store
from gentrade.data import markets as market_snapshots
from gentrade.engine.analysis_worker import AnalysisJob
from gentrade.errors import (
    BacktestFailedError,
    BacktestTimeoutError,
    ConfigError,
    DataMissingError,
    StrategyLoadError,
)
from gentrade.freqtrade_config.backtest import Costs, build_backtest_config, stake_currency
from gentrade.safety import require_clean
from gentrade.safety.guard_policy import SANDBOX_EXIT_CODE, GuardPolicy, violation_from_report

Verdict = Literal["clean", "biased", "inconclusive"]
VERDICT_EXIT_CODES: dict[str, int] = {"clean": 0, "biased": 3, "inconclusive": 4}
_LOG_TAIL_CHARS = 1500


class CheckSettings(BaseModel):
    """What the analyses are asked for; printed with every verdict so a reader can judge it."""

    timerange: str = Field(description="freqtrade timerange the analyses backtest over.")
    pairs: list[str]
    timeframe: str
    minimum_trade_amount: int = Field(description="Fewer trades re-checked than this: inconclusive.")
    targeted_trade_amount: int = Field(description="freqtrade re-checks at most this many trades.")
    startup_candles: list[int] = Field(description="Startup candle counts the recursive analysis compares.")
    order_types: str = "market (freqtrade forces market orders so limit prices cannot hide a bias)"
    exportfilename: str = Field(description="Where freqtrade's lookahead CSV was written (in the run dir).")
    run_dir: str


class CheckReport(BaseModel):
    verdict: Verdict
    reason: str
    settings: CheckSettings
    lookahead: dict[str, Any]
    recursive: dict[str, Any]


def _default_timerange(datadir: Path, pairs: list[str], timeframe: str) -> str:
    """The span every pair's candles cover, from the day after the first candle (freqtrade's analyses insist
    on an explicit timerange, and the recursive one needs candles before its start for the startup)."""
    starts, ends = [], []
    for pair in pairs:
        dates = store.load_candles_frame(datadir, pair, timeframe)["date"]
        starts.append(dates.min())
        ends.append(dates.max())
    start, end = max(starts) + timedelta(days=1), min(ends)
    if start >= end:
        raise DataMissingError(f"the {timeframe} candles of {', '.join(pairs)} share no common period")
    return f"{start:%Y%m%d}-{end:%Y%m%d}"


def verdict_of(lookahead: dict[str, Any], recursive: dict[str, Any], minimum: int) -> tuple[Verdict, str]:
    """The verdict and a one-line reason, from the child's findings (rules: module doc)."""
    moved = [
        f"{t['pair']} {'/'.join(k for k in ('entry', 'exit') if t[f'{k}_biased'])} of the trade opened "
        f"{t['open_date']} ({t['found_by']})"
        for t in lookahead["biased_trades"]
    ]
    columns = sorted({*lookahead["biased_indicators"], *recursive["lookahead_indicators"]})
    if moved or columns or lookahead["has_bias"]:
        parts = []
        if columns:
            parts.append(f"columns that change when later candles are cut off: {', '.join(columns)}")
        if moved:
            parts.append(f"signals that move: {'; '.join(moved[:5])}{' …' if len(moved) > 5 else ''}")
        return "biased", "; ".join(parts) or "freqtrade reports bias"
    signals = int(lookahead["total_signals"])
    if signals < minimum:
        return "inconclusive", f"only {signals} trades re-checked (at least {minimum} are needed to judge)"
    return "clean", f"{signals} trades re-checked, no entry, exit or column changed"


def check_strategy(
    strategy_file: Path,
    datadir: Path,
    *,
    work_dir: Path,
    pairs: list[str] | None = None,
    timerange: str | None = None,
    minimum_trade_amount: int = 10,
    targeted_trade_amount: int = 20,
    startup_candles: tuple[int, ...] = (199, 399),
    timeout_s: float = 900,
) -> CheckReport:
    """Run both analyses on ``strategy_file`` over ``datadir``'s candles and judge them (module doc).

    ``pairs`` defaults to every pair with candles for the strategy's timeframe, ``timerange`` to the period
    all of them cover. The run dir (config, gridded candles, freqtrade's log and CSV) is made under
    ``work_dir`` and kept for inspection.
    """
    strategy_file, datadir = Path(strategy_file), Path(datadir).resolve()
    if not 1 <= minimum_trade_amount <= targeted_trade_amount:
        raise ConfigError(
            f"minimum_trade_amount {minimum_trade_amount} must be ≥ 1 and ≤ targeted_trade_amount "
            f"{targeted_trade_amount}"
        )
    try:
        source = strategy_file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise StrategyLoadError(f"cannot read strategy file {strategy_file.name}: {exc}") from exc
    report = require_clean(source, filename=strategy_file.name)
    if not report.class_name:
        raise StrategyLoadError(f"{strategy_file.name} defines no IStrategy subclass")
    name = report.class_name
    timeframe = class_literal(source, name, "timeframe")
    if not isinstance(timeframe, str):
        raise ConfigError(f"{name} sets no literal timeframe")
    chosen = list(pairs) if pairs else store.list_pairs(datadir, timeframe)
    if not chosen:
        raise DataMissingError(f"no {timeframe} candles in {datadir.name}", details={"timeframe": timeframe})
    stake_currency(chosen)
    store.require_coverage(datadir, chosen, timeframe, timerange)
    span = timerange or _default_timerange(datadir, chosen, timeframe)

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_dir = (Path(work_dir) / f"{stamp}-check-{name}-{uuid.uuid4().hex[:8]}").resolve()
    (run_dir / "strategy").mkdir(parents=True)
    copied = run_dir / "strategy" / strategy_file.name
    shutil.copyfile(strategy_file, copied)
    # Every candle file goes in, not only the traded pairs': informative pairs and timeframes are read too.
    snapshot = market_snapshots.snapshot_for_datadir(datadir)
    ticks = grid.market_ticks(snapshot)
    for pair, tf in store.available(datadir):
        grid.gridded_copy(datadir, run_dir / "data", [pair], [tf], ticks)
    markets_file = market_snapshots.save_snapshot(snapshot, run_dir / "markets.json")
    config = build_backtest_config(
        strategy=name,
        pairs=chosen,
        datadir=run_dir / "data",
        user_data_dir=run_dir,
        timerange=span,
        timeframe=timeframe,
        costs=Costs(),
    )
    config_file = run_dir / "config.json"
    config_file.write_text(json.dumps(config))
    job = AnalysisJob(
        config_file=config_file,
        markets_file=markets_file,
        strategy=name,
        strategy_file=copied,
        datadir=run_dir / "data",
        timerange=span,
        minimum_trade_amount=minimum_trade_amount,
        targeted_trade_amount=targeted_trade_amount,
        startup_candles=list(startup_candles),
        result_file=run_dir / "analysis.json",
    )
    job_file = run_dir / "job.json"
    job_file.write_text(job.model_dump_json())
    found = _run_child(job, job_file, run_dir, timeout_s)
    lookahead, recursive = found["lookahead"], found["recursive"]
    verdict, reason = verdict_of(lookahead, recursive, minimum_trade_amount)
    return CheckReport(
        verdict=verdict,
        reason=reason,
        settings=CheckSettings(
            timerange=span,
            pairs=chosen,
            timeframe=timeframe,
            minimum_trade_amount=minimum_trade_amount,
            targeted_trade_amount=targeted_trade_amount,
            startup_candles=list(startup_candles),
            exportfilename=str(run_dir / "lookahead.csv"),
            run_dir=str(run_dir),
        ),
        lookahead=lookahead,
        recursive=recursive,
    )


def _run_child(job: AnalysisJob, job_file: Path, run_dir: Path, timeout_s: float) -> dict[str, Any]:
    """Run the guarded child; its findings, or the error that names why there are none."""
    policy = GuardPolicy(writable_dirs=(run_dir,), strategy_path=job.strategy_file)
    command = [sys.executable, "-m", "gentrade.engine.analysis_worker", policy.to_json(), str(job_file)]
    log_file = run_dir / "analysis.log"
    with log_file.open("wb") as log:
        try:
            done = subprocess.run(
                command, stdout=log, stderr=subprocess.STDOUT, timeout=timeout_s, cwd=run_dir, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise BacktestTimeoutError(f"the bias check ran over {timeout_s:g} s") from exc
    text = log_file.read_text(errors="replace")
    if done.returncode == SANDBOX_EXIT_CODE:
        violation = violation_from_report(text)
        if violation is not None:
            raise violation
    found: dict[str, Any] = json.loads(job.result_file.read_text()) if job.result_file.is_file() else {}
    if not found.get("ok"):
        reason = found.get("error") or text[-_LOG_TAIL_CHARS:].strip() or f"exit status {done.returncode}"
        raise BacktestFailedError(f"the bias check failed: {reason}")
    return found
