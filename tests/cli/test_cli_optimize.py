"""`gentrade optimize` as a person runs it: a spec file, or a stored strategy that gains a version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from gentrade.codegen import render
from gentrade.db.engine import make_engine, make_session_factory
from gentrade.db.migrate import ensure_schema
from gentrade.db.models import Optimization, StrategyVersion
from gentrade.db.repositories import strategies as strategies_repo
from gentrade.db.repositories import users as users_repo
from gentrade.examples import load_example
from gentrade.spec import AllOf, AtrMultiple, Comparison, Const, parse_spec

SEARCH = {"entry_long.all[1].right": [15, 35], "stop.initial.atr": [1, 3]}
COMMON = ["--timerange", "20180110-20180130", "--folds", "1", "-e", "3", "-j", "1"]

pytestmark = pytest.mark.slow


def ranged() -> dict:
    data = load_example("trend_following").model_dump(mode="json", exclude_none=True)
    return {**data, "pairs": ["ETH/BTC"], "search": SEARCH}


def gentrade(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gentrade.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=600,
        check=False,
    )


def test_a_spec_file_is_optimised_and_the_tuned_spec_written(shared_data_dir: Path, tmp_path: Path) -> None:
    spec_file, tuned = tmp_path / "ranged.json", tmp_path / "tuned.json"
    spec_file.write_text(json.dumps(ranged()))
    run = gentrade(
        "optimize", str(spec_file), *COMMON, "--datadir", str(shared_data_dir), "-o", str(tuned), "--json"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    [fold] = report["folds"]
    assert fold["in_sample"]["timerange"] == "20180110-20180124"
    assert fold["held_back"]["timerange"] == "20180124-20180130"
    assert fold["epochs"] == 3 and report["loss_class"] == "SharpeHyperOptLoss"
    spec = parse_spec(json.loads(tuned.read_text()))
    assert isinstance(spec.stop.initial, AtrMultiple)
    assert spec.stop.initial.atr == pytest.approx(report["params"]["stop_initial"])
    assert isinstance(spec.entry_long, AllOf)
    tuned_rule = spec.entry_long.all[1]
    assert isinstance(tuned_rule, Comparison) and isinstance(tuned_rule.right, Const)
    assert tuned_rule.right.value == pytest.approx(report["params"]["buy_entry_long_all_1_right"])
    table = gentrade("optimize", str(tuned), *COMMON, "--datadir", str(shared_data_dir))
    assert table.returncode == 0, table.stderr[-2000:]
    assert "in-sample" in table.stdout and "held-back" in table.stdout and "degradation" in table.stdout


def test_a_stored_strategy_gains_a_version_with_the_optimisation_record(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    env = {"GENTRADE_USER_DIR": str(tmp_path / "ud"), "GENTRADE_DATA_DIR": str(shared_data_dir)}
    (tmp_path / "ud").mkdir()
    engine = make_engine(f"sqlite:///{tmp_path / 'ud' / 'gentrade.sqlite'}")
    ensure_schema(engine)
    sessions = make_session_factory(engine)
    spec = parse_spec(ranged())
    with sessions() as session:
        owner = users_repo.create_user(session, "ada@example.com", "not-a-real-hash")
        strategy, first = strategies_repo.create(
            session,
            owner,
            spec.name,
            strategies_repo.NewVersion(
                spec=spec.model_dump(mode="json"), source=render(spec), audit={"ok": True}
            ),
        )
        session.commit()
        strategy_id, first_spec = strategy.id, dict(first.spec)

    run = gentrade("optimize", str(strategy_id), *COMMON, "--user", "ada@example.com", env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "saved as version 2" in run.stdout

    with sessions() as session:
        versions = session.scalars(
            select(StrategyVersion)
            .where(StrategyVersion.strategy_id == strategy_id)
            .order_by(StrategyVersion.number)
        ).all()
        assert [v.number for v in versions] == [1, 2]
        assert versions[0].spec == first_spec and versions[0].optimization is None
        record = versions[1].optimization
        assert record is not None and record["from_version"] == 1
        assert versions[1].created_by_model_id == "gentrade-optimizer/SharpeHyperOptLoss"
        assert versions[1].spec["stop"]["initial"]["atr"] == pytest.approx(record["params"]["stop_initial"])
        [row] = session.scalars(select(Optimization)).all()
        assert row.status == "succeeded" and row.result_version_id == versions[1].id
        assert row.progress is not None and row.progress["epochs_done"] == row.progress["epochs_total"] == 3

    missing = gentrade("optimize", str(strategy_id), *COMMON, "--user", "nobody@example.com", env=env)
    assert missing.returncode == 1 and missing.stderr.startswith("error[not_found]")
    engine.dispose()
