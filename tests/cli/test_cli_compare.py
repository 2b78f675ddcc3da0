"""`gentrade compare`: two real backtests of two versions, side by side, better marked, spec diff shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gentrade.codegen import render
from gentrade.db.engine import make_engine, make_session_factory
from gentrade.db.migrate import ensure_schema
from gentrade.db.repositories import backtests as backtests_repo
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.db.repositories import users as users_repo
from gentrade.examples import load_example
from gentrade.settings import Settings
from gentrade.spec import parse_spec
from gentrade.tasks.execution import execute_backtest

pytestmark = pytest.mark.slow


def gentrade(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gentrade.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "250", **env},
        timeout=300,
        check=False,
    )


def test_compare_two_versions_from_the_command_line(shared_data_dir: Path, tmp_path: Path) -> None:
    user_dir = tmp_path / "ud"
    user_dir.mkdir()
    settings = Settings(user_dir=user_dir, data_dir=shared_data_dir)
    engine = make_engine(settings.resolved_database_url)
    ensure_schema(engine)
    sessions = make_session_factory(engine)
    base = load_example("trend_following").model_dump(mode="json", exclude_none=True)
    first = parse_spec({**base, "pairs": ["ETH/BTC", "LTC/BTC"]})
    second = parse_spec(
        {**base, "pairs": ["ETH/BTC", "LTC/BTC"], "stop": {**base["stop"], "initial": {"atr": 1.0}}}
    )
    with sessions() as session:
        owner = users_repo.create_user(session, "cmp@example.com", "not-a-real-hash")
        versions = []
        strategy, v1 = strategies_repo.create(
            session,
            owner,
            first.name,
            strategies_repo.NewVersion(first.model_dump(mode="json"), render(first), {}),
        )
        v2 = strategies_repo.add_version(
            session,
            strategy,
            second.name,
            strategies_repo.NewVersion(second.model_dump(mode="json"), render(second), {}),
        )
        for version in (v1, v2):
            parameters = {
                "timerange": "20180115-20180120",
                "pairs": ["ETH/BTC", "LTC/BTC"],
                "timeframe": None,
                "fee": 0.001,
                "slippage": 0.0005,
            }
            versions.append(backtests_repo.create(session, owner, strategy, version, parameters).id)
        session.commit()
    for backtest_id in versions:
        execute_backtest(sessions, settings, backtest_id)
    with sessions() as session:
        rows = [backtests_repo.get(session, backtest_id, owner) for backtest_id in versions]
        assert [(row.status, row.error_message) for row in rows] == [("succeeded", None)] * 2
    env = {"GENTRADE_USER_DIR": str(user_dir)}

    run = gentrade("compare", *map(str, versions), "--user", "cmp@example.com", "--json", env=env)
    assert run.returncode == 0, run.stderr
    comparison = json.loads(run.stdout)
    assert comparison["ids"] == versions
    diff = {d["path"]: d["values"] for d in comparison["spec_diff"]}
    assert diff == {"stop.initial.atr": {str(versions[0]): 2.0, str(versions[1]): 1.0}}
    profit = next(m for m in comparison["metrics"] if m["metric"] == "total_profit_pct")
    values = {int(k): v for k, v in profit["values"].items()}
    assert None not in values.values()
    assert profit["best"] == [i for i, v in values.items() if v == max(values.values())]

    table = gentrade("compare", *map(str, versions), "--user", "cmp@example.com", env=env)
    assert table.returncode == 0 and "★" in table.stdout and "stop.initial.atr" in table.stdout
    refused = gentrade("compare", str(versions[0]), "--user", "cmp@example.com", env=env)
    assert refused.returncode == 1 and refused.stderr.startswith("error[invalid_request]")
    engine.dispose()
