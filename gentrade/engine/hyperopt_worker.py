"""One sandboxed hyperopt search: ``python -m gentrade.engine.hyperopt_worker JOB.json``.

freqtrade's own ``Hyperopt`` (optuna, the chosen built-in loss) runs here on one in-sample window, with one
job (``-j 1``): the runtime guard refuses process creation, so parallelism comes from the parent starting
several of these searches with different random states and keeping the best epoch of all. Like the backtest
worker, the process limits its memory, installs the guard before freqtrade imports the strategy, and prices
against GenTrade's offline exchange (the markets snapshot), so it needs no network. freqtrade appends every
epoch to ``<run_dir>/hyperopt_results/*.fthypt`` as it goes, which is what the parent reads for progress; the
best epoch goes to the status file at the end.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from gentrade.engine import run_settings
from gentrade.engine.worker import _limit_resources
from gentrade.safety.seal import SEAL_CHECK, SEAL_TAKE

LOSSES: dict[str, str] = {
    "sharpe": "SharpeHyperOptLoss",
    "sortino": "SortinoHyperOptLoss",
    "calmar": "CalmarHyperOptLoss",
    "profit": "OnlyProfitHyperOptLoss",
    "max-drawdown-relative": "MaxDrawDownRelativeHyperOptLoss",
}
"""The losses a person picks, by name, and freqtrade's built-in class for each."""


class HyperoptJob(BaseModel):
    config_file: Path
    markets_file: Path
    strategy: str
    strategy_file: Path
    datadir: Path
    run_dir: Path
    timerange: str
    loss: str
    spaces: list[str]
    epochs: int
    random_state: int
    memory_mb: int = 4096


class HyperoptStatus(BaseModel):
    ok: bool
    message: str | None = None
    epochs: int = 0
    best_loss: float | None = None
    best_params: dict[str, Any] | None = None


def _search(job: HyperoptJob) -> HyperoptStatus:
    from freqtrade.commands.optimize_commands import setup_optimize_configuration
    from freqtrade.enums import RunMode
    from freqtrade.optimize.backtesting import Backtesting
    from freqtrade.optimize.hyperopt import hyperopt_optimizer
    from freqtrade.optimize.hyperopt.hyperopt import Hyperopt

    from gentrade.data.markets import load_snapshot
    from gentrade.engine.offline_exchange import build_offline_exchange

    markets = load_snapshot(job.markets_file)

    class OfflineBacktesting(Backtesting):
        """freqtrade's Backtesting on the offline exchange, as GenTrade's backtest worker builds it."""

        def __init__(self, config: dict[str, Any], exchange: Any = None) -> None:
            super().__init__(config, exchange=exchange or build_offline_exchange(config, markets))

    hyperopt_optimizer.Backtesting = OfflineBacktesting  # type: ignore[misc]

    def in_process_log_queue(_self: Any) -> None:
        # freqtrade starts a multiprocessing Manager (a server process) to carry its loky workers' log
        # records; with one job there are no workers, and the guard refuses the extra process.
        hyperopt_optimizer.log_queue = queue.SimpleQueue()  # type: ignore[attr-defined]

    hyperopt_optimizer.HyperOptimizer._setup_logging_mp_workaround = in_process_log_queue  # type: ignore[method-assign]
    args = {
        "config": [str(job.config_file)],
        "strategy": job.strategy,
        "strategy_path": str(job.strategy_file.parent),
        "datadir": str(job.datadir),
        "user_data_dir": str(job.run_dir),
        "timerange": job.timerange,
        "hyperopt_loss": LOSSES[job.loss],
        "spaces": job.spaces,
        "epochs": job.epochs,
        "hyperopt_jobs": 1,
        "hyperopt_random_state": job.random_state,
        "hyperopt_min_trades": 1,
        "disableparamexport": True,
        "print_json": False,
    }
    config = setup_optimize_configuration(args, RunMode.HYPEROPT)
    # As in the backtest child: the settings the job asked for, and the seal over the libraries' code, taken
    # before the strategy loads and checked once the search is done (gentrade.engine.run_settings, .seal).
    watch, audit = run_settings.SettingsWatch(config), sys.audit
    audit(SEAL_TAKE)
    hyperopt = Hyperopt(config)
    watch.look()
    hyperopt.start()
    watch.look()
    audit(SEAL_CHECK, "; ".join(watch.changed))
    best = hyperopt.current_best_epoch
    if not best:
        return HyperoptStatus(ok=False, message="no epoch made a trade", epochs=hyperopt.num_epochs_saved)
    return HyperoptStatus(
        ok=True,
        epochs=hyperopt.num_epochs_saved,
        best_loss=float(best["loss"]),
        best_params=dict(best["params_dict"]),
    )


def main(argv: list[str]) -> int:
    job = HyperoptJob.model_validate_json(Path(argv[0]).read_text())
    _limit_resources(job.memory_mb, None)
    # freqtrade and its libraries are imported before the guard, as the backtest zygote does: some probe
    # the machine at import time (urllib3 binds a socket to test IPv6), which is no strategy's doing.
    import freqtrade.optimize.hyperopt.hyperopt  # noqa: F401

    from gentrade.safety.guard import install_guard
    from gentrade.safety.guard_policy import GuardPolicy

    # The strategy file lives outside the run dir, where the guard allows no writes (no __pycache__ there).
    sys.dont_write_bytecode = True
    from gentrade.engine.guarded import private_tmp
    from gentrade.engine.isolation import apply_os_layers

    # The same two layers as every process running outside code: the OS layers, then the runtime guard.
    policy = GuardPolicy(writable_dirs=(job.run_dir,), strategy_path=job.strategy_file)
    tmp = private_tmp(policy)
    layers = apply_os_layers([job.run_dir])
    print("sandbox: " + "; ".join([*layers, "runtime guard: audit hook installed"]), flush=True)
    os.environ["TMPDIR"] = tmp
    tempfile.tempdir = tmp
    install_guard(policy)
    status_file = job.run_dir / "status.json"
    try:
        status = _search(job)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as the run's outcome
        status = HyperoptStatus(ok=False, message=f"{type(exc).__name__}: {exc}")
    partial = status_file.with_suffix(".partial")
    partial.write_text(json.dumps(status.model_dump(mode="json")))
    partial.replace(status_file)
    return 0 if status.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
