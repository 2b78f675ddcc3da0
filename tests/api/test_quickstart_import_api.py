"""`POST /backtests/import-quickstart` and its use case on SQLite and PostgreSQL, on a real quickstart run.

The quickstart's user_dir is copied per backend (it is also relocated that way: the import finds the files
the report names under the server's user_dir), so a test can damage its copy without touching the others.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import BACKENDS, Api, make_settings
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gentrade.api import create_app
from gentrade.api.executor import LocalExecutor
from gentrade.db import upgrade
from gentrade.db.engine import make_engine, make_session_factory
from gentrade.db.models import Backtest, Strategy, StrategyVersion, User
from gentrade.db.testing import fresh_database
from gentrade.errors import NotFoundError, QuickstartReportError
from gentrade.services.quickstart import REPORT_JSON, QuickstartReport
from gentrade.services.quickstart_results import import_quickstart

pytestmark = pytest.mark.slow
IMPORT = "/api/v1/backtests/import-quickstart"


@pytest.fixture(scope="module", params=BACKENDS)
def qs_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, quickstart_dir: Path
) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp(f"qs-{request.param}")
    user_dir = tmp / "served"
    shutil.copytree(quickstart_dir, user_dir)
    with fresh_database(request.param, tmp) as url:
        engine = make_engine(url)
        upgrade(engine)
        settings = make_settings(tmp, url, user_dir=user_dir, data_dir=None)
        executor = LocalExecutor(make_session_factory(engine), settings)
        app = create_app(settings, engine=engine, executor=executor)
        with TestClient(app) as client:
            yield Api(client, settings, app.state.services.sessions, executor, request.param, url)
        engine.dispose()


def _report(api: Api) -> QuickstartReport:
    return QuickstartReport.model_validate_json((api.settings.user_dir / REPORT_JSON).read_bytes())


def _counts(api: Api, headers: dict[str, str]) -> tuple[int, int, int]:
    """(strategies, versions, backtests) the caller owns, read from the database."""
    me = api.client.get("/api/v1/users/me", headers=headers).json()["id"]
    with api.sessions() as session:
        strategies = session.scalar(select(func.count()).where(Strategy.owner_id == me)) or 0
        versions = (
            session.scalar(
                select(func.count(StrategyVersion.id))
                .join(Strategy, Strategy.id == StrategyVersion.strategy_id)
                .where(Strategy.owner_id == me)
            )
            or 0
        )
        backtests = session.scalar(select(func.count()).where(Backtest.owner_id == me)) or 0
    return strategies, versions, backtests


def test_import_stores_each_run_as_a_succeeded_backtest_with_its_charts(qs_api: Api) -> None:
    alice = qs_api.user()
    report = _report(qs_api)
    reply = qs_api.client.post(IMPORT, headers=alice)
    assert reply.status_code == 200, reply.text
    summary = reply.json()
    assert summary["strategies_created"] == summary["versions_added"] == len(report.rows)
    assert len(summary["imported"]) == len(report.rows) and summary["already_imported"] == []

    ladder_markers = 0
    for backtest_id, row in zip(summary["imported"], report.rows, strict=True):
        got = qs_api.client.get(f"/api/v1/backtests/{backtest_id}", headers=alice).json()
        assert got["status"] == "succeeded"
        assert got["result"]["trades"] == row.result.trades
        assert got["result"]["exit_reasons"] == row.result.exit_reasons
        assert got["parameters"]["pairs"] == report.pairs
        span = f"{row.result.backtest_start:%Y%m%d}-{row.result.backtest_end:%Y%m%d}"
        assert got["parameters"]["timerange"] == span  # the quickstart asked for all candles: say which
        assert got["parameters"]["fee"] == row.result.exchange_fee
        strategy = qs_api.client.get(f"/api/v1/strategies/{got['strategy_id']}", headers=alice).json()
        assert strategy["name"] == row.strategy
        source = qs_api.client.get(f"/api/v1/strategies/{got['strategy_id']}/source", headers=alice)
        assert source.text == row.strategy_file.read_text()
        assert strategy["version"]["audit"]["ok"] is True

        equity = qs_api.client.get(f"/api/v1/backtests/{backtest_id}/equity", headers=alice).json()
        closes = {t.close_date for t in row.result.trade_list if t.close_date is not None and not t.is_open}
        assert len(equity["points"]) == 1 + len(closes)  # the start, then one point per closing moment
        assert equity["points"][-1]["equity"] == pytest.approx(
            row.result.starting_balance + row.result.profit_total_abs, abs=1e-6
        )
        for pair in report.pairs:
            candles = qs_api.client.get(
                f"/api/v1/backtests/{backtest_id}/candles", params={"pair": pair}, headers=alice
            )
            assert candles.status_code == 200, candles.text
            labels = [marker["label"] for marker in candles.json()["markers"]]
            ladder_markers += sum(label.startswith("tp") for label in labels)
        zipped = qs_api.client.get(f"/api/v1/backtests/{backtest_id}/result.zip", headers=alice)
        assert zipped.status_code == 200 and zipped.content[:2] == b"PK"
    assert ladder_markers == sum(
        count
        for row in report.rows
        for reason, count in row.result.exit_reasons.items()
        if reason[:2] == "tp"
    )
    assert ladder_markers > 0


def test_a_second_import_adds_nothing_and_another_user_gets_only_their_own(qs_api: Api) -> None:
    alice, bob = qs_api.user(), qs_api.user()
    first = qs_api.client.post(IMPORT, headers=alice).json()
    before = _counts(qs_api, alice)
    again = qs_api.client.post(IMPORT, headers=alice)
    assert again.status_code == 200, again.text
    assert again.json() == {
        "strategies_created": 0,
        "versions_added": 0,
        "imported": [],
        "already_imported": first["imported"],
    }
    assert _counts(qs_api, alice) == before

    for backtest_id in first["imported"]:
        assert qs_api.client.get(f"/api/v1/backtests/{backtest_id}", headers=bob).status_code == 404
    assert qs_api.client.get("/api/v1/backtests", headers=bob).json()["total"] == 0
    bobs = qs_api.client.post(IMPORT, headers=bob).json()
    assert len(bobs["imported"]) == len(first["imported"])
    assert not set(bobs["imported"]) & set(first["imported"])
    assert _counts(qs_api, bob) == before
    assert _counts(qs_api, alice) == before


def _problem(reply: Any, status: int) -> dict[str, Any]:
    """The problem-JSON body of an error reply, with its status checked."""
    assert reply.status_code == status, reply.text
    body: dict[str, Any] = reply.json()
    assert set(body) >= {"code", "message", "request_id"}
    return body


def test_a_missing_or_damaged_report_is_a_clear_error_and_stores_nothing(qs_api: Api) -> None:
    carol = qs_api.user()
    user_dir = qs_api.settings.user_dir
    report_file = user_dir / REPORT_JSON
    intact = report_file.read_text()
    hidden = user_dir / "report.moved"
    try:
        report_file.rename(hidden)
        missing = _problem(qs_api.client.post(IMPORT, headers=carol), 404)
        assert "gentrade quickstart" in missing["message"]

        report_file.write_text(intact[: len(intact) // 2])
        truncated = _problem(qs_api.client.post(IMPORT, headers=carol), 422)
        assert truncated["code"] == "quickstart_report_invalid"

        damaged = json.loads(intact)
        del damaged["rows"][0]["result"]["trades"]
        damaged["pairs"].append("NOPE/USDT")
        report_file.write_text(json.dumps(damaged))
        fields = _problem(qs_api.client.post(IMPORT, headers=carol), 422)
        assert "rows.0.result.trades" in fields["message"]
        assert {"path": "rows.0.result.trades", "message": "invalid or missing"} in fields["details"]

        report = QuickstartReport.model_validate_json(intact)
        edited = user_dir / report.rows[0].strategy_file.relative_to(report.user_dir)
        zipped = user_dir / report.rows[1].result_zip.relative_to(report.user_dir)  # type: ignore[union-attr]
        original_source = edited.read_text()
        report_file.write_text(intact.replace('"pairs": [', '"pairs": [\n    "NOPE/USDT",', 1))
        edited.write_text(original_source + "\n# edited by hand\n")
        zipped.rename(zipped.with_suffix(".moved"))
        try:
            every = _problem(qs_api.client.post(IMPORT, headers=carol), 422)
            paths = {problem["path"] for problem in every["details"]}
            assert paths == {"pairs[0]", "rows[0].strategy_file", "rows[1].result_zip"}, every
        finally:
            edited.write_text(original_source)
            zipped.with_suffix(".moved").rename(zipped)
        for body in (missing, truncated, fields, every):
            assert str(user_dir) not in json.dumps(body) and "/tmp" not in json.dumps(body)
        assert _counts(qs_api, carol) == (0, 0, 0)
    finally:
        hidden.unlink(missing_ok=True)
        report_file.write_text(intact)


def test_the_use_case_raises_the_same_errors_without_http(qs_api: Api, tmp_path: Path) -> None:
    qs_api.user()
    with qs_api.sessions() as session:
        owner = session.scalars(select(User).order_by(User.id.desc())).first()
        assert owner is not None
        with pytest.raises(NotFoundError):
            import_quickstart(session, owner, tmp_path, tmp_path)
        with pytest.raises(QuickstartReportError, match=r"pairs\[0\]"):
            import_quickstart(session, owner, qs_api.settings.user_dir, tmp_path)
        assert session.scalar(select(func.count()).where(Strategy.owner_id == owner.id)) == 0
