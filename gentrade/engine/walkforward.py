"""Walk-forward optimisation: hyperopt on in-sample windows, judged on the held-back windows that follow.

The timerange is cut into ``folds`` rolling windows. Fold i optimises on ``[start + i*h, start + i*h + L)``
and is judged on the ``h`` days right after it, where ``L`` is the in-sample share of the whole range and the
held-back windows tile the rest, so the last one ends at the range's end and no held-back day is ever seen
by the search that is judged on it. Each fold's search runs as ``jobs`` sandboxed
``gentrade.engine.hyperopt_worker`` processes with different random states that share the epochs; the best
epoch of all wins. Its parameters are then backtested with the ordinary runner on the in-sample and on the
held-back window, so both columns of the report come from the same engine and the same metrics, and the
degradation between them is measured, not estimated. The parameters of the last fold (trained on the most
recent data) are the ones proposed for the next version.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from gentrade.codegen import render
from gentrade.data.markets import save_snapshot, snapshot_for_datadir
from gentrade.engine.hyperopt_worker import LOSSES, HyperoptJob, HyperoptStatus
from gentrade.engine.launch import child_environment
from gentrade.engine.result import BacktestResult
from gentrade.engine.runner import run_backtest
from gentrade.errors import OptimizeFailedError
from gentrade.freqtrade_config.backtest import Costs, build_backtest_config
from gentrade.safety import require_clean
from gentrade.safety.guard_policy import violation_from_report
from gentrade.spec import StrategySpec
from gentrade.spec.search import apply_values, resolve_search

_POLL_S = 0.5
_DAY = timedelta(days=1)


class WalkForwardRequest(BaseModel):
    spec: StrategySpec
    datadir: Path
    timerange: str = Field(description="The whole range, YYYYMMDD-YYYYMMDD; cut into the folds' windows.")
    pairs: list[str] | None = None
    loss: str = "sharpe"
    epochs: int = Field(20, ge=1, le=5000, description="Epochs per fold, shared by the parallel searches.")
    folds: int = Field(2, ge=1, le=20)
    in_sample: float = Field(0.7, gt=0.1, lt=0.95, description="Share of the range each search sees.")
    jobs: int = Field(1, ge=1, le=64, description="Parallel sandboxed searches per fold (up to the cores).")
    random_state: int = 1
    costs: Costs = Costs()
    timeout_s: float = 3600


class Metrics(BaseModel):
    """The numbers a fold is judged by, from one ordinary backtest."""

    timerange: str
    days: int
    trades: int
    profit_pct: float
    profit_pct_per_day: float
    max_drawdown_pct: float
    win_rate: float
    sharpe: float | None
    sortino: float | None
    calmar: float | None

    @classmethod
    def of(cls, timerange: str, result: BacktestResult) -> Metrics:
        days = max(result.backtest_days, 1)
        return cls(
            timerange=timerange,
            days=days,
            trades=result.trades,
            profit_pct=result.profit_total_pct,
            profit_pct_per_day=result.profit_total_pct / days,
            max_drawdown_pct=result.max_drawdown_pct,
            win_rate=result.win_rate,
            sharpe=result.sharpe,
            sortino=result.sortino,
            calmar=result.calmar,
        )


class FoldReport(BaseModel):
    index: int
    epochs: int
    best_loss: float
    params: dict[str, float]
    in_sample: Metrics
    held_back: Metrics
    degradation_pct_per_day: float = Field(
        description="In-sample minus held-back profit per day, in percentage points: what did not carry over."
    )
    efficiency: float | None = Field(
        description="Held-back over in-sample profit per day (1: all carried over); None if in-sample <= 0."
    )


class WalkForwardReport(BaseModel):
    loss: str
    loss_class: str
    epochs_per_fold: int
    jobs: int
    spaces: list[str]
    folds: list[FoldReport]
    params: dict[str, float] = Field(description="The last fold's parameters: proposed for the next version.")
    spec: StrategySpec = Field(description="The spec with those parameters as its values (ranges kept).")

    @property
    def mean_efficiency(self) -> float | None:
        values = [fold.efficiency for fold in self.folds if fold.efficiency is not None]
        return sum(values) / len(values) if values else None


class Progress(BaseModel):
    fold: int
    folds: int
    epochs_done: int
    epochs_total: int
    best_loss: float | None
    phase: str = Field(description="'search' while hyperopt runs, 'judge' while the fold is backtested.")


def _day(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%d").replace(tzinfo=UTC)


def _range(start: datetime, end: datetime) -> str:
    return f"{start:%Y%m%d}-{end:%Y%m%d}"


def windows(timerange: str, folds: int, in_sample: float) -> list[tuple[str, str]]:
    """(in-sample, held-back) timeranges of each fold in whole days; the held-back windows tile the end."""
    try:
        start_text, end_text = timerange.split("-")
        start, end = _day(start_text), _day(end_text)
    except ValueError:
        raise OptimizeFailedError(f"timerange '{timerange}' is not YYYYMMDD-YYYYMMDD") from None
    days = (end - start).days
    held = int(round(days * (1 - in_sample), 6) // folds)
    learn = days - held * folds
    if held < 1 or learn < 2:
        raise OptimizeFailedError(
            f"timerange '{timerange}' ({days} days) is too short for {folds} fold(s) with an in-sample share "
            f"of {in_sample:g}: each held-back window needs at least one day"
        )
    result = []
    for index in range(folds):
        first = start + index * held * _DAY
        split = first + learn * _DAY
        result.append((_range(first, split), _range(split, split + held * _DAY)))
    return result


def _spaces(spec: StrategySpec) -> list[str]:
    spaces = sorted({p.space for p in resolve_search(spec)})
    if not spaces:
        raise OptimizeFailedError(
            "the spec has no search ranges: add `search` (e.g. 'stop.initial.atr': [1, 3])"
        )
    return spaces


def _epochs_seen(run_dir: Path) -> tuple[int, float | None]:
    """Epochs a search has written so far and its best loss (freqtrade appends one JSON line per epoch)."""
    done, best = 0, None
    for results in run_dir.glob("hyperopt_results/*.fthypt"):
        for line in results.read_text().splitlines():
            if line.strip():
                done += 1
                loss = json.loads(line).get("loss")
                if isinstance(loss, int | float) and (best is None or loss < best):
                    best = float(loss)
    return done, best


def _search(
    request: WalkForwardRequest,
    strategy_file: Path,
    markets_file: Path,
    fold_dir: Path,
    timerange: str,
    report: Callable[[int, float | None], None],
) -> HyperoptStatus:
    """Run the fold's parallel searches; the best epoch of all of them."""
    spec = request.spec
    jobs = min(request.jobs, request.epochs)
    shares = [request.epochs // jobs + (1 if index < request.epochs % jobs else 0) for index in range(jobs)]
    processes = []
    for index, epochs in enumerate(shares):
        run_dir = fold_dir / f"search{index}"
        run_dir.mkdir(parents=True)
        config = build_backtest_config(
            strategy=spec.name,
            pairs=request.pairs or list(spec.pairs),
            datadir=request.datadir,
            user_data_dir=run_dir,
            timerange=timerange,
            timeframe=spec.timeframe,
            costs=request.costs,
        )
        (run_dir / "config.json").write_text(json.dumps(config))
        job = HyperoptJob(
            config_file=run_dir / "config.json",
            markets_file=markets_file,
            strategy=spec.name,
            strategy_file=strategy_file,
            datadir=request.datadir,
            run_dir=run_dir,
            timerange=timerange,
            loss=request.loss,
            spaces=_spaces(spec),
            epochs=epochs,
            random_state=request.random_state + index,
        )
        (run_dir / "job.json").write_text(job.model_dump_json())
        log = (run_dir / "output.log").open("wb")
        processes.append(
            (
                run_dir,
                subprocess.Popen(
                    [sys.executable, "-m", "gentrade.engine.hyperopt_worker", str(run_dir / "job.json")],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=child_environment(),
                    start_new_session=True,
                ),
            )
        )
    deadline = time.monotonic() + request.timeout_s
    try:
        while any(process.poll() is None for _, process in processes):
            if time.monotonic() > deadline:
                raise OptimizeFailedError(
                    f"the search on {timerange} took longer than {request.timeout_s:g} s"
                )
            seen = [_epochs_seen(run_dir) for run_dir, _ in processes]
            losses = [loss for _, loss in seen if loss is not None]
            report(sum(done for done, _ in seen), min(losses) if losses else None)
            time.sleep(_POLL_S)
    finally:
        for _, process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    statuses = []
    for run_dir, _ in processes:
        status_file = run_dir / "status.json"
        if not status_file.is_file():
            output = (run_dir / "output.log").read_text(errors="replace")
            violation = violation_from_report(output)
            if violation is not None:
                raise violation  # the guard ended the search: the strategy's doing, said as such
            tail = output[-600:]
            raise OptimizeFailedError(f"a search on {timerange} ended without a result: {tail.strip()}")
        statuses.append(HyperoptStatus.model_validate_json(status_file.read_text()))
    good = [status for status in statuses if status.ok and status.best_loss is not None]
    if not good:
        reasons = "; ".join(sorted({status.message or "failed" for status in statuses}))
        raise OptimizeFailedError(f"no search on {timerange} found a result: {reasons}")
    best = min(good, key=lambda status: status.best_loss if status.best_loss is not None else float("inf"))
    best.epochs = sum(status.epochs for status in statuses)
    return best


def _backtest(request: WalkForwardRequest, spec: StrategySpec, workdir: Path, timerange: str) -> Metrics:
    path = workdir / f"{spec.name}.py"
    source = render(spec)
    require_clean(source, filename=path.name)
    path.write_text(source)
    result = run_backtest(
        path,
        request.datadir,
        timerange,
        request.pairs or list(spec.pairs),
        spec.timeframe,
        results_dir=workdir / f"results-{timerange}",
        fee=request.costs.exchange_fee,
        slippage=request.costs.slippage,
    )
    return Metrics.of(timerange, result)


def walk_forward(
    request: WalkForwardRequest, workdir: Path, on_progress: Callable[[Progress], None] | None = None
) -> WalkForwardReport:
    """Optimise `request.spec` fold by fold; see the module docstring for what is measured."""
    if request.loss not in LOSSES:
        raise OptimizeFailedError(f"unknown loss '{request.loss}' (one of {', '.join(LOSSES)})")
    spaces = _spaces(request.spec)
    plan = windows(request.timerange, request.folds, request.in_sample)
    pairs = request.pairs or list(request.spec.pairs)
    markets_file = save_snapshot(snapshot_for_datadir(request.datadir, pairs), workdir / "markets.json")
    strategies = workdir / "strategies"
    strategies.mkdir(parents=True, exist_ok=True)
    strategy_file = strategies / f"{request.spec.name}.py"
    source = render(request.spec)
    require_clean(source, filename=strategy_file.name)
    strategy_file.write_text(source)
    total = request.epochs * len(plan)
    folds: list[FoldReport] = []

    def notify(fold: int, done: int, best: float | None, phase: str) -> None:
        if on_progress is not None:
            on_progress(
                Progress(
                    fold=fold + 1,
                    folds=len(plan),
                    epochs_done=fold * request.epochs + min(done, request.epochs),
                    epochs_total=total,
                    best_loss=best,
                    phase=phase,
                )
            )

    for index, (learn, held) in enumerate(plan):
        fold_dir = workdir / f"fold{index + 1}"
        best = _search(
            request,
            strategy_file,
            markets_file,
            fold_dir,
            learn,
            lambda done, loss, index=index: notify(index, done, loss, "search"),  # type: ignore[misc]
        )
        notify(index, request.epochs, best.best_loss, "judge")
        params: dict[str, Any] = best.best_params or {}
        tuned = apply_values(request.spec, params)
        in_sample = _backtest(request, tuned, fold_dir, learn)
        held_back = _backtest(request, tuned, fold_dir, held)
        efficiency = (
            held_back.profit_pct_per_day / in_sample.profit_pct_per_day
            if in_sample.profit_pct_per_day > 0
            else None
        )
        folds.append(
            FoldReport(
                index=index + 1,
                epochs=best.epochs,
                best_loss=best.best_loss or 0.0,
                params={name: float(value) for name, value in params.items()},
                in_sample=in_sample,
                held_back=held_back,
                degradation_pct_per_day=in_sample.profit_pct_per_day - held_back.profit_pct_per_day,
                efficiency=efficiency,
            )
        )
    last = folds[-1]
    return WalkForwardReport(
        loss=request.loss,
        loss_class=LOSSES[request.loss],
        epochs_per_fold=request.epochs,
        jobs=request.jobs,
        spaces=spaces,
        folds=folds,
        params=last.params,
        spec=apply_values(request.spec, last.params),
    )
