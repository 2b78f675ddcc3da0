"""Check a strategy for look-ahead bias: the one use case behind ``gentrade check`` (and anything that must
know whether a strategy is ``clean`` before calling it ready).

Where the run dirs go is decided here (``<user_dir>/checks`` unless told), so the engine stays free of
settings; the rules and the sandbox are ``gentrade.engine.analysis``'s.
"""

from __future__ import annotations

from pathlib import Path

from gentrade.engine.analysis import VERDICT_EXIT_CODES, CheckReport, check_strategy

__all__ = ["VERDICT_EXIT_CODES", "CheckReport", "run_check"]


def run_check(
    strategy_file: Path,
    datadir: Path,
    *,
    pairs: list[str] | None = None,
    timerange: str | None = None,
    minimum_trade_amount: int = 10,
    targeted_trade_amount: int = 20,
    work_dir: Path | None = None,
) -> CheckReport:
    """Audit, then run freqtrade's lookahead and recursive analyses in the sandbox; the verdict and why."""
    if work_dir is None:
        from gentrade.settings import get_settings

        work_dir = get_settings().user_dir / "checks"
    work_dir.mkdir(parents=True, exist_ok=True)
    return check_strategy(
        strategy_file,
        datadir,
        work_dir=work_dir,
        pairs=pairs,
        timerange=timerange,
        minimum_trade_amount=minimum_trade_amount,
        targeted_trade_amount=targeted_trade_amount,
    )
