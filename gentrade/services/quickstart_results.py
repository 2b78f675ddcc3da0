"""Import the results of ``gentrade quickstart`` as a user's strategies and succeeded backtests.

The quickstart runs offline and writes files only (strategies, freqtrade zips, ``quickstart_report.json``);
this use case is what lets a person see those runs in the dashboard. Each strategy is stored through the
same render + audit path as every other version (``services.strategy_saving``), and each run as a succeeded
backtest in exactly the shape the backtest task records (``services.recorded_results``), so the backtest
page, charts and compare read them like any other.

Everything is checked before anything is stored: a missing report is a 404, a damaged one (or a strategy
file that no longer matches what this GenTrade renders from its spec) a ``quickstart_report_invalid``
naming every bad field; messages never carry a server path. Importing again adds nothing: a run is
recognised by its idempotency key (owner, strategy, result zip, source hash) and a strategy version by its
source.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from gentrade.codegen import embedded_spec
from gentrade.data.store import candles_path
from gentrade.db.models import StrategyVersion, User
from gentrade.db.repositories import backtests as backtests_repo
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.db.repositories.scope import record
from gentrade.db.repositories.strategies import NewVersion
from gentrade.engine.result import BacktestResult
from gentrade.errors import GenTradeError, NotFoundError, QuickstartReportError
from gentrade.services.quickstart import REPORT_JSON, QuickstartReport, QuickstartRow
from gentrade.services.recorded_results import stored_result
from gentrade.services.strategy_saving import audited_content, save_content

RERUN = "run `gentrade quickstart` again"


class QuickstartImport(BaseModel):
    strategies_created: int = Field(description="Strategies that did not exist by that name before.")
    versions_added: int = Field(description="Versions stored (new strategies' first versions included).")
    imported: list[int] = Field(description="Ids of the backtests this import added.")
    already_imported: list[int] = Field(description="Ids of backtests an earlier import already added.")


@dataclass(frozen=True)
class _Checked:
    """One report row after every check passed: what will be stored."""

    row: QuickstartRow
    content: NewVersion
    result_zip: Path


def has_report(user_dir: Path) -> bool:
    return (user_dir / REPORT_JSON).is_file()


def load_report(user_dir: Path) -> QuickstartReport:
    path = user_dir / REPORT_JSON
    if not path.is_file():
        raise NotFoundError("this server has no quickstart report: run `gentrade quickstart` first")
    try:
        report = QuickstartReport.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        fields = sorted({".".join(map(str, error["loc"])) or "(whole file)" for error in exc.errors()})
        raise QuickstartReportError(
            f"the quickstart report is damaged (bad fields: {', '.join(fields)}); {RERUN}",
            details=[{"path": field, "message": "invalid or missing"} for field in fields],
        ) from None
    if not report.rows:
        raise QuickstartReportError(f"the quickstart report lists no backtests; {RERUN}")
    return report


def import_quickstart(
    session: Session, owner: User, user_dir: Path, data_dir: Path, request_id: str | None = None
) -> QuickstartImport:
    """Store the report's strategies and runs as ``owner``'s; flushed, the caller commits.

    ``data_dir`` is where this server reads candles: the charts need the quickstart's candles there."""
    report = load_report(user_dir)
    checked = _check(report, user_dir, data_dir)
    created = added = 0
    imported: list[int] = []
    existing: list[int] = []
    for item in checked:
        version, new_strategy, new_version = _version_for(session, owner, item)
        created += new_strategy
        added += new_version
        key = _run_key(owner, item)
        found = backtests_repo.by_key(session, owner, key)
        if found is not None:
            existing.append(found.id)
            continue
        metrics, result = stored_result(item.row.result)
        outcome = item.row.result
        parameters = {
            "timerange": outcome.timerange or _span(outcome),
            "pairs": outcome.pairs,
            "timeframe": outcome.timeframe,
            "fee": outcome.exchange_fee,
            "slippage": outcome.slippage,
            "imported_from": "quickstart",
        }
        backtest = backtests_repo.add_finished(
            session, owner, version, parameters, key, metrics, result, str(item.result_zip)
        )
        record(session, owner, "import", "backtest", backtest.id, request_id, {"from": "quickstart"})
        imported.append(backtest.id)
    return QuickstartImport(
        strategies_created=created, versions_added=added, imported=imported, already_imported=existing
    )


def _check(report: QuickstartReport, user_dir: Path, data_dir: Path) -> list[_Checked]:
    """Every row's strategy file and result zip, and the candles, or one error naming every bad field."""
    problems: dict[str, str] = {}
    for index, pair in enumerate(report.pairs):
        if not candles_path(data_dir, pair, report.timeframe).is_file():
            problems[f"pairs[{index}]"] = (
                f"this server's data dir has no {report.timeframe} candles for {pair} (serve with the "
                "quickstart's --user-dir and no other GENTRADE_DATA_DIR)"
            )
    checked: list[_Checked] = []
    for index, row in enumerate(report.rows):
        where = f"rows[{index}]"
        source_file = _located(row.strategy_file, report, user_dir)
        if not source_file.is_file():
            problems[f"{where}.strategy_file"] = f"{row.strategy}'s strategy file is missing"
            continue
        try:
            spec = embedded_spec(source_file.read_text(encoding="utf-8"))
            content = audited_content(spec)
        except (GenTradeError, UnicodeDecodeError) as exc:
            problems[f"{where}.strategy_file"] = f"{row.strategy}'s strategy file is damaged ({_reason(exc)})"
            continue
        if spec.name != row.strategy:
            problems[f"{where}.strategy"] = f"the report names {row.strategy} but its file holds {spec.name}"
        elif content.source != source_file.read_text(encoding="utf-8"):
            problems[f"{where}.strategy_file"] = (
                f"{row.strategy}'s file is not what this GenTrade renders from its spec (edited, or made "
                "by another version)"
            )
        zip_path = _located(row.result_zip, report, user_dir) if row.result_zip else None
        if zip_path is None or not zip_path.is_file():
            problems[f"{where}.result_zip"] = f"{row.strategy}'s freqtrade result zip is missing"
        elif f"{where}.strategy" not in problems and f"{where}.strategy_file" not in problems:
            checked.append(_Checked(row=row, content=content, result_zip=zip_path.resolve()))
    if problems:
        reasons = "; ".join(f"{field}: {reason}" for field, reason in problems.items())
        raise QuickstartReportError(
            f"the quickstart report cannot be imported ({reasons}); {RERUN}",
            details=[{"path": field, "message": reason} for field, reason in problems.items()],
        )
    return checked


def _span(outcome: BacktestResult) -> str:
    """The range the run covered, in freqtrade's timerange syntax (the quickstart asks for all candles)."""
    return f"{outcome.backtest_start:%Y%m%d}-{outcome.backtest_end:%Y%m%d}"


def _reason(exc: Exception) -> str:
    return exc.message if isinstance(exc, GenTradeError) else "not UTF-8 text"


def _located(path: Path, report: QuickstartReport, user_dir: Path) -> Path:
    """A path the report wrote, found under this server's user_dir when the report's user_dir is its root
    (the quickstart may have been run from another working directory, or with a relative --user-dir)."""
    try:
        return user_dir / path.relative_to(report.user_dir)
    except ValueError:
        return path


def _version_for(session: Session, owner: User, item: _Checked) -> tuple[StrategyVersion, bool, bool]:
    """(version, strategy created, version added): an existing version with the same source is reused."""
    strategy = strategies_repo.by_name(session, owner, item.row.strategy)
    if strategy is not None:
        same = strategies_repo.version_with_source(session, strategy, item.content.source)
        if same is not None:
            return same, False, False
    _strategy, version, created = save_content(session, owner, item.row.strategy, item.content)
    return version, created, True


def _run_key(owner: User, item: _Checked) -> str:
    """Stable per owner and run: the same zip of the same source is the same backtest."""
    source_hash = hashlib.sha256(item.content.source.encode()).hexdigest()
    digest = hashlib.sha256(
        "\0".join([str(owner.id), item.row.strategy, item.result_zip.name, source_hash]).encode()
    ).hexdigest()
    return f"quickstart:{digest[:48]}"
