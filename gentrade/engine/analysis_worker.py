"""The bias-check child: ``python -m gentrade.engine.analysis_worker POLICY_JSON JOB.json``, sandboxed.

Runs freqtrade's own ``LookaheadAnalysis`` and ``RecursiveAnalysis`` on one strategy, with freqtrade's own
config overrides (``calculate_config_overrides``: market orders, no protections, a huge wallet, no cache),
against the offline exchange (the analyses build their ``Backtesting`` with the exchange handed to them, so
no market download is ever attempted), and writes what they found as JSON next to the job. freqtrade's
``start`` helpers only print tables; the instances are run here directly so their findings can be read:
which trades' entries/exits moved when the future was cut off, which indicator columns changed, and which
columns differ with more startup candles. One rule is added to freqtrade's cut (``_only_closed_candles``):
data handed to the strategy holds only candles closed by the end of the cut, as a live bot sees it, so an
informative pair merged without shifting is caught. One pass is added after freqtrade's: each re-checked
trade again with its decision candle hidden (``gentrade.engine.decision_candles``), which catches callbacks
that read the candle they decide on. Imports freqtrade: only ever run as the child.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from gentrade.engine.decision_candles import biased_trade, moved_when_hidden
from gentrade.safety.guard import install_guard
from gentrade.safety.guard_policy import GuardPolicy


class AnalysisJob(BaseModel):
    config_file: Path
    markets_file: Path
    strategy: str
    strategy_file: Path
    datadir: Path
    timerange: str
    minimum_trade_amount: int
    targeted_trade_amount: int
    startup_candles: list[int]
    result_file: Path


def _config(job: AnalysisJob) -> dict[str, Any]:
    from freqtrade.configuration import setup_utils_configuration
    from freqtrade.enums import RunMode

    args = {
        "config": [str(job.config_file)],
        "strategy": job.strategy,
        "strategy_path": str(job.strategy_file.parent),
        "datadir": str(job.datadir),
        "timerange": job.timerange,
        "minimum_trade_amount": job.minimum_trade_amount,
        "targeted_trade_amount": job.targeted_trade_amount,
        "startup_candle": [str(n) for n in job.startup_candles],
        "lookahead_analysis_exportfilename": str(job.result_file.with_name("lookahead.csv")),
    }
    return setup_utils_configuration(args, RunMode.UTIL_NO_EXCHANGE)


def _strategy_obj(config: dict[str, Any], name: str) -> dict[str, Any]:
    from freqtrade.resolvers import StrategyResolver

    for obj in StrategyResolver.search_all_objects(config, enum_failed=False):
        if obj["name"] == name:
            return obj
    raise RuntimeError(f"strategy class {name} not found in {config['strategy_path']}")


def _lookahead(job: AnalysisJob, markets: dict[str, Any]) -> dict[str, Any]:
    from freqtrade.optimize.analysis.lookahead import LookaheadAnalysis
    from freqtrade.optimize.analysis.lookahead_helpers import LookaheadAnalysisSubFunctions
    from freqtrade.util import get_progress_tracker

    from gentrade.engine.offline_exchange import build_offline_exchange

    config = LookaheadAnalysisSubFunctions.calculate_config_overrides(_config(job))
    analysis = LookaheadAnalysis(config, _strategy_obj(config, job.strategy))
    analysis.exchange = build_offline_exchange(config, markets)
    with get_progress_tracker() as progress:
        analysis.start(progress)
    # freqtrade's own CSV (``--lookahead-analysis-exportfilename``), written in the run dir.
    LookaheadAnalysisSubFunctions.export_to_csv(config, [analysis])
    found = analysis.current_analysis
    trades = analysis.full_varHolder.result["results"] if hasattr(analysis.full_varHolder, "result") else None
    biased: list[dict[str, Any]] = []
    for idx, (entry, exit_) in enumerate(
        zip(analysis.entry_varHolders, analysis.exit_varHolders, strict=True)
    ):
        if not hasattr(entry, "result") or trades is None:
            continue  # a forced exit freqtrade skipped
        row = trades.iloc[idx]
        entry_ok = analysis.report_signal(entry.result, "open_date", entry.compared_dt)
        exit_ok = analysis.report_signal(exit_.result, "close_date", exit_.compared_dt)
        if not (entry_ok and exit_ok):
            biased.append(biased_trade(row, entry_ok, exit_ok, "later candles cut off"))
    hidden = [] if trades is None else moved_when_hidden(analysis, trades)
    return {
        "trades_in_backtest": 0 if trades is None else int(trades.shape[0]),
        "total_signals": int(found.total_signals),
        "biased_entry_signals": int(found.false_entry_signals),
        "biased_exit_signals": int(found.false_exit_signals),
        "biased_indicators": sorted(set(found.false_indicators)),
        "biased_trades": [*biased, *hidden],
        "has_bias": bool(found.has_bias) or bool(hidden),
        "order_types": config["order_types"],
    }


def _recursive(job: AnalysisJob, markets: dict[str, Any]) -> dict[str, Any]:
    from freqtrade.optimize.analysis.recursive import RecursiveAnalysis
    from freqtrade.optimize.analysis.recursive_helpers import RecursiveAnalysisSubFunctions
    from freqtrade.util import get_progress_tracker

    from gentrade.engine.offline_exchange import build_offline_exchange

    config = RecursiveAnalysisSubFunctions.calculate_config_overrides(_config(job))
    analysis = RecursiveAnalysis(config, _strategy_obj(config, job.strategy))
    analysis.exchange = build_offline_exchange(config, markets)
    with get_progress_tracker() as progress:
        analysis.start(progress)
    # freqtrade only logs the indicators its short-window run finds changed; they are read here the same way.
    pair = analysis.pair_to_used
    part = analysis.partial_varHolder_lookahead_array[0].indicators[pair].iloc[-1]
    full = analysis.full_varHolder.indicators[pair]
    base = full.loc[full["date"] == part["date"]].iloc[-1]
    changed = base.compare(part)
    return {
        "pair": pair,
        "startup_candles": list(analysis._startup_candle),
        "strategy_startup_candles": analysis._strat_scc,
        "variance": {name: dict(diffs) for name, diffs in analysis.dict_recursive.items()},
        "lookahead_indicators": sorted(str(name) for name in changed.index),
    }


def _preload() -> None:
    """Import freqtrade's analysis machinery (and through it ccxt, urllib3, pandas) before the guard: library
    import-time code (urllib3 probes IPv6 support by binding a socket) is not the strategy's, and the backtest
    zygote preloads the same way. The strategy itself is imported only after the guard is in place."""
    import freqtrade.optimize.analysis.lookahead_helpers
    import freqtrade.optimize.analysis.recursive_helpers
    import freqtrade.optimize.backtesting  # noqa: F401

    import gentrade.engine.offline_exchange  # noqa: F401


def _sandbox(policy: GuardPolicy) -> None:
    """The two layers of ``gentrade.engine.guarded``: the OS layers, then the runtime guard."""
    from gentrade.engine.guarded import private_tmp
    from gentrade.engine.isolation import apply_os_layers

    tmp = private_tmp(policy)
    layers = apply_os_layers(list(policy.writable_dirs))
    print("sandbox: " + "; ".join([*layers, "runtime guard: audit hook installed"]), flush=True)
    os.environ["TMPDIR"] = tmp
    tempfile.tempdir = tmp
    install_guard(policy)


def _only_closed_candles() -> None:
    """Make the data provider hand out only candles that have *closed* by the end of the run's timerange.

    freqtrade cuts the future off by loading data up to a date, but an informative candle that *opened*
    before that date is loaded whole, close included: a 1h candle merged onto the 5m candles of its own hour
    without shifting passes the cut unchanged, and the look-ahead goes unseen. A live bot never has that
    candle before it closes, so the cut here drops it too, and the moved column shows.

    "Closed by the end" means by the close of the cut's last strategy candle: freqtrade keeps the candle
    that *opens* at the cut's end, and a live bot analyses a frame ending there only once that candle has
    closed, one strategy timeframe later. Cutting at the open instead would drop the hourly candle that the
    documented ``merge_informative_pair`` places on the last 5m candle of its hour (they close together)
    and flag an honest strategy.
    """
    from freqtrade.configuration import TimeRange
    from freqtrade.data.dataprovider import DataProvider
    from freqtrade.exchange import timeframe_to_seconds
    from pandas import DataFrame, Timedelta, Timestamp

    original = DataProvider.historic_ohlcv

    def historic_ohlcv(self: DataProvider, pair: str, timeframe: str, candle_type: str = "") -> DataFrame:
        frame = original(self, pair, timeframe, candle_type)
        stop = TimeRange.parse_timerange(self._config.get("timerange")).stopdt
        if stop is None or frame.empty:
            return frame
        closes = frame["date"] + Timedelta(seconds=timeframe_to_seconds(timeframe))
        now = Timestamp(stop) + Timedelta(seconds=timeframe_to_seconds(self._config["timeframe"]))
        return frame.loc[closes <= now].reset_index(drop=True)

    DataProvider.historic_ohlcv = historic_ohlcv  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    """``POLICY_JSON JOB_FILE``: preload, enter the sandbox, run both analyses, write the findings."""
    from gentrade.data.markets import load_snapshot

    policy = GuardPolicy.from_json(argv[0])
    job = AnalysisJob.model_validate_json(Path(argv[1]).read_text())
    markets = load_snapshot(job.markets_file)
    _preload()
    _only_closed_candles()
    _sandbox(policy)
    result: dict[str, Any] = {"ok": False}
    try:
        result["lookahead"] = _lookahead(job, markets)
        result["recursive"] = _recursive(job, markets)
        result["ok"] = True
    except Exception as exc:
        traceback.print_exc()
        result["error"] = f"{type(exc).__name__}: {exc}"
    job.result_file.write_text(json.dumps(result, default=str))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
