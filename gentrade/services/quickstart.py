"""`gentrade quickstart`: the main job on the embedded default, with no servers, network or keys.

Writes deterministic synthetic candles, renders the bundled example specs into strategies, audits them,
backtests each with the real freqtrade engine (offline, in a contained child process) and writes a report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from gentrade.data import synth
from gentrade.engine import BacktestResult
from gentrade.examples import load_examples
from gentrade.files import write_atomically
from gentrade.services.backtests import backtest_spec
from gentrade.settings import Settings
from gentrade.spec import StrategySpec

REPORT_JSON = "quickstart_report.json"
REPORT_MARKDOWN = "quickstart_report.md"


class QuickstartRow(BaseModel):
    strategy: str
    strategy_file: Path
    audit_passed: bool
    result: BacktestResult
    result_zip: Path | None


class QuickstartReport(BaseModel):
    user_dir: Path
    datadir: Path
    pairs: list[str]
    timeframe: str
    days: int
    seed: int
    rows: list[QuickstartRow]


Progress = Callable[[str], None]


def run_quickstart(
    user_dir: Path,
    settings: Settings,
    *,
    days: int = 30,
    seed: int = 42,
    progress: Progress = lambda _step: None,
) -> QuickstartReport:
    """Everything under ``user_dir`` (its own candles included); ``settings`` choose the backtests' launcher
    and limits, as for every other backtest."""
    user_dir = Path(user_dir)
    datadir = user_dir / "data" / "binance"
    pairs, timeframe = list(synth.DEFAULT_PAIRS), "5m"
    progress(f"writing {days} days of synthetic {timeframe} candles for {', '.join(pairs)}")
    synth.synthesize(datadir, pairs, timeframe, days=days, seed=seed)
    rows = []
    for spec in load_examples():
        progress(f"rendering, auditing and backtesting {spec.name}")
        rows.append(_run_one(settings, spec, user_dir, datadir, pairs))
    report = QuickstartReport(
        user_dir=user_dir, datadir=datadir, pairs=pairs, timeframe=timeframe, days=days, seed=seed, rows=rows
    )
    write_atomically(user_dir / REPORT_JSON, report.model_dump_json(indent=2))
    write_atomically(user_dir / REPORT_MARKDOWN, markdown(report))
    return report


def _run_one(
    settings: Settings, spec: StrategySpec, user_dir: Path, datadir: Path, pairs: list[str]
) -> QuickstartRow:
    built, result = backtest_spec(
        settings,
        spec,
        strategies_dir=user_dir / "strategies",
        datadir=datadir,
        timerange=None,
        pairs=pairs,
        results_dir=user_dir / "backtests",
    )
    return QuickstartRow(
        strategy=spec.name,
        strategy_file=built.path,
        audit_passed=built.audit.ok,
        result=result,
        result_zip=result.run.result_zip if result.run else None,
    )


def headline(result: BacktestResult) -> dict[str, str]:
    """The columns a person compares first, formatted for a table."""

    def num(value: float | None, fmt: str) -> str:
        return "n/a" if value is None else format(value, fmt)

    tp_exits = sum(count for reason, count in result.exit_reasons.items() if reason.startswith("tp"))
    return {
        "trades": str(result.trades),
        "win %": f"{result.win_rate * 100:.1f}",
        "profit %": f"{result.profit_total_pct:+.2f}",
        "max DD %": f"{result.max_drawdown_pct:.2f}",
        "sharpe": num(result.sharpe, ".2f"),
        "PF": num(result.profit_factor, ".2f"),
        "TP exits": str(tp_exits),
        "fee + slippage / side %": f"{result.exchange_fee * 100:.3g} + {result.slippage * 100:.3g}",
        "detail": result.timeframe_detail or "none",
        "warnings": str(len(result.warnings)),
    }


def markdown(report: QuickstartReport) -> str:
    columns = ["strategy", *headline(report.rows[0].result)] if report.rows else ["strategy"]
    lines = [
        "# GenTrade quickstart report",
        "",
        f"Synthetic {report.timeframe} candles for {', '.join(report.pairs)} ({report.days} days, seed "
        f"{report.seed}) in `{report.datadir}`. freqtrade charged fee plus slippage on every fill (both "
        "rates per side in the table); `detail` is the --timeframe-detail the fills were checked on.",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in report.rows:
        lines.append("| " + " | ".join([row.strategy, *headline(row.result).values()]) + " |")
    lines += ["", "Strategy files and freqtrade result zips:", ""]
    lines += [f"- `{row.strategy_file}` → `{row.result_zip}`" for row in report.rows]
    lines += ["", "Exit reasons (every take-profit partial exit counted by its tag):", ""]
    lines += [
        f"- {row.strategy}: {json.dumps(row.result.exit_reasons, sort_keys=True)}" for row in report.rows
    ]
    warned = [(row.strategy, warning) for row in report.rows for warning in row.result.warnings]
    if warned:
        lines += ["", "Warnings:", ""] + [f"- {name}: {warning}" for name, warning in warned]
    return "\n".join(lines) + "\n"
