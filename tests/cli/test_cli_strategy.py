"""The `gentrade` command as a person uses it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gentrade.examples import load_example

GENTRADE = [sys.executable, "-m", "gentrade.cli"]


def gentrade(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GENTRADE, *args], capture_output=True, text=True, cwd=cwd, env=env, check=False, timeout=300
    )


def test_render_audit_and_spec_round_trip(tmp_path: Path) -> None:
    spec_file = tmp_path / "trend.json"
    listed = gentrade("strategy", "example")
    assert "trend_following" in listed.stdout.split()
    spec_file.write_text(gentrade("strategy", "example", "trend_following").stdout)

    rendered = gentrade("strategy", "render", str(spec_file), "-o", str(tmp_path / "out"))
    assert rendered.returncode == 0, rendered.stderr
    strategy = tmp_path / "out" / "TrendFollower.py"
    assert strategy.is_file()

    audited = gentrade("strategy", "audit", str(strategy), "--json")
    assert audited.returncode == 0 and json.loads(audited.stdout)["ok"] is True

    embedded = gentrade("strategy", "spec", str(strategy))
    assert embedded.returncode == 0
    assert json.loads(embedded.stdout) == json.loads(load_example("trend_following").model_dump_json())


def test_bad_spec_exits_1_with_the_field_named_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    spec = json.loads(load_example("trend_following").model_dump_json())
    spec["take_profit"][2]["fraction"] = 0.6
    bad.write_text(json.dumps(spec))
    result = gentrade("strategy", "render", str(bad), "-o", str(tmp_path))
    assert result.returncode == 1
    assert "take_profit" in result.stderr and "130%" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.py"))


def test_audit_rejects_a_hostile_file_with_its_line(tmp_path: Path) -> None:
    hostile = tmp_path / "Evil.py"
    hostile.write_text(
        "from freqtrade.strategy import IStrategy\nimport os\nclass Evil(IStrategy):\n    timeframe = '5m'\n"
    )
    result = gentrade("strategy", "audit", str(hostile))
    assert result.returncode == 1
    assert f"{hostile}:2:" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_quickstart_renders_audits_and_backtests_the_examples(tmp_path: Path) -> None:
    result = gentrade("quickstart", "--user-dir", str(tmp_path / "ud"), "--days", "10")
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((tmp_path / "ud" / "quickstart_report.json").read_text())
    names = {row["strategy"] for row in report["rows"]}
    assert names >= {"TrendFollower", "MeanReversion", "Breakout"}
    for row in report["rows"]:
        assert row["audit_passed"] is True
        assert Path(row["result_zip"]).is_file()
        assert row["result"]["trades"] == sum(
            p["trades"] for p in row["result"]["per_pair"] if p["pair"] != "TOTAL"
        )
    assert (tmp_path / "ud" / "quickstart_report.md").read_text().startswith("# GenTrade quickstart report")
    for name in names:
        assert name in result.stdout
    assert f"GENTRADE_USER_DIR={tmp_path / 'ud'} gentrade serve" in result.stdout
    assert "Import the quickstart's results" in result.stdout


def test_quickstart_backtests_run_where_the_settings_say(tmp_path: Path) -> None:
    """The quickstart's backtests take the settings' launcher like every other: with the Docker runner and no
    engine answering, they stop at Docker's clear error instead of quietly running locally."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GENTRADE_")},
        "GENTRADE_RUNNER": "docker",
        "DOCKER_HOST": f"unix://{tmp_path / 'no-docker.sock'}",
    }
    result = gentrade("quickstart", "--user-dir", str(tmp_path / "ud"), "--days", "2", env=env)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "error[docker_unavailable]" in result.stderr and "Traceback" not in result.stderr
    # The first example was rendered and audited before its backtest was refused; no report claims a result.
    assert any((tmp_path / "ud" / "strategies").glob("*.py"))
    assert not (tmp_path / "ud" / "quickstart_report.json").exists()
