"""Check a strategy for look-ahead bias: the one use case behind ``gentrade check``, and behind the verdict
every stored strategy version carries (``check_unchecked_versions``, run by the beat's
``gentrade.checks.sweep`` task, so every version stored through the API gets checked).

Where the run dirs go is decided here (``<user_dir>/checks`` unless told), so the engine stays free of
settings; the rules and the sandbox are ``gentrade.engine.analysis``'s.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from gentrade.data import store
from gentrade.db.models import StrategyVersion
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.engine.analysis import VERDICT_EXIT_CODES, CheckReport, check_strategy
from gentrade.errors import GenTradeError
from gentrade.safety import audit

__all__ = ["VERDICT_EXIT_CODES", "CheckReport", "check_unchecked_versions", "check_version", "run_check"]


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


def _spec_pairs(version: StrategyVersion, datadir: Path, timeframe: str | None) -> list[str] | None:
    """The spec's pairs that have candles here, or None (every pair with candles) when none has."""
    wanted = version.spec.get("pairs") or []
    present = set(store.list_pairs(datadir, timeframe)) if timeframe else set()
    chosen = [pair for pair in wanted if pair in present]
    return chosen or None


def check_version(session: Session, version: StrategyVersion, datadir: Path, work_dir: Path) -> str:
    """Check one stored version and keep its verdict and findings on the row (``failed`` with the reason
    when the check could not judge: no candles, a strategy that does not load ...); returns the verdict."""
    with tempfile.TemporaryDirectory(dir=work_dir) as folder:
        report = audit(version.source)
        strategy_file = Path(folder) / f"{report.class_name or 'Strategy'}.py"
        strategy_file.write_text(version.source)
        try:
            result = run_check(
                strategy_file,
                datadir,
                pairs=_spec_pairs(version, datadir, version.spec.get("timeframe")),
                work_dir=work_dir,
            )
        except GenTradeError as exc:
            version.check_verdict = "failed"
            version.check_report = {"error": {"code": exc.code, "message": exc.message}}
        else:
            version.check_verdict = result.verdict
            version.check_report = result.model_dump(mode="json")
    session.commit()
    return version.check_verdict


def check_unchecked_versions(
    sessions: sessionmaker[Session], datadir: Path, work_dir: Path, *, limit: int | None = None
) -> list[int]:
    """Check the stored versions that have no verdict yet (at most ``limit``), oldest first, each committed
    on its own (a rerun after a crash does only what is left); returns their ids."""
    work_dir.mkdir(parents=True, exist_ok=True)
    with sessions() as session:
        ids = strategies_repo.unchecked_version_ids(session, limit)
    done: list[int] = []
    for version_id in ids:
        with sessions() as session:
            version = strategies_repo.version_by_id(session, version_id)
            if version is None or version.check_verdict is not None:
                continue  # deleted, or checked by another worker meanwhile
            check_version(session, version, datadir, work_dir)
            done.append(version_id)
    return done
