"""The test-only audit bypass cannot be reached from the CLI, the API or tasks.

``UNAUDITED_FOR_TESTS`` is an object, not a value any argv, JSON body or task payload can carry; these tests
prove that no code under ``gentrade/`` hands it (or anything) to an ``_audit_bypass`` parameter, and that the
CLI refuses a hostile strategy with the audit's error.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "gentrade"
HOSTILE = Path(__file__).resolve().parent / "hostile" / "NumpyTofile.py"


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_code_in_the_package_passes_the_bypass() -> None:
    passing = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call) and any(k.arg == "_audit_bypass" for k in node.keywords):
                passing.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert passing == []


def test_only_the_bypass_module_names_the_sentinel() -> None:
    naming = [p.relative_to(PACKAGE).as_posix() for p in _sources() if "UNAUDITED_FOR_TESTS" in p.read_text()]
    assert naming == ["safety/bypass.py"]


def test_the_cli_refuses_a_hostile_strategy_with_the_audit(tmp_path: Path) -> None:
    strategy = tmp_path / HOSTILE.name
    strategy.write_text(HOSTILE.read_text())
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "gentrade"),
            "backtest",
            str(strategy),
            "--results-dir",
            str(tmp_path / "runs"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "error[audit_failed]" in done.stdout + done.stderr
    assert not (tmp_path / "runs").exists()
