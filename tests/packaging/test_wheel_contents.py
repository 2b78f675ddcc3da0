"""A non-editable install (the Docker image does one) must carry every file GenTrade reads at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEEDED = [
    "gentrade/codegen/strategy.py.tmpl",
    "gentrade/db/alembic.ini",
    "gentrade/db/migrations/env.py",
    "gentrade/db/migrations/script.py.mako",
    "gentrade/db/migrations/versions/0001_initial_schema.py",
    "gentrade/examples/trend_following.yaml",
    "gentrade/examples/mean_reversion.yaml",
    "gentrade/examples/breakout.yaml",
    "agents/offline/drafter.py",
]
# The dashboard's templates and vendored assets: every file of gentrade/web, or a page breaks offline.
NEEDED += sorted(
    path.relative_to(ROOT).as_posix()
    for path in (ROOT / "gentrade" / "web").rglob("*")
    if path.is_file() and "__pycache__" not in path.parts
)


def test_wheel_carries_templates_migrations_and_examples(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    [wheel] = tmp_path.glob("gentrade-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in NEEDED if name not in names]
    assert not missing, f"not in the wheel: {missing}"
