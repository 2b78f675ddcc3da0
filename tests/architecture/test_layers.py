"""docs/ARCHITECTURE.md's arrows hold in the code: no upward import, no "never" import, no cycle."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from layers import Arrow, arrows, cycles, forbidden  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

# Arrows that break the rules today and are being moved (file, target layer). The list may only shrink:
# an entry that no longer occurs fails the test, so a fix must also delete its line here.
KNOWN_DEBT: set[tuple[str, str]] = set()


def test_no_forbidden_arrow_in_the_code() -> None:
    broken = {(a.file, a.target): f"{a.file}:{a.line}: {forbidden(a)}" for a in arrows(ROOT) if forbidden(a)}
    unexpected = sorted(reason for key, reason in broken.items() if key not in KNOWN_DEBT)
    stale = sorted(KNOWN_DEBT - set(broken))
    assert unexpected == [], unexpected
    assert stale == [], f"fixed, remove from KNOWN_DEBT: {stale}"


def test_no_cycle_between_layers() -> None:
    assert cycles(arrows(ROOT)) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_checker_catches_an_added_forbidden_import(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "gentrade/spec/model.py": "from gentrade.errors import GenTradeError\n",
            "gentrade/engine/runner.py": "import os\nfrom gentrade.settings import get_settings\n",
            "gentrade/signals/evaluate.py": "from gentrade.db.models import Signal\n",
            "agents/drafting/graph.py": "from gentrade.services import backtests\n",
            "gentrade/codegen/render.py": "from gentrade.engine import run_backtest\n",
        },
    )
    reasons = {a.file: forbidden(a) for a in arrows(root)}
    assert reasons["gentrade/spec/model.py"] is None
    assert reasons["gentrade/engine/runner.py"] == "engine never imports settings"
    assert reasons["gentrade/signals/evaluate.py"] == "signals never imports db"
    assert reasons["agents/drafting/graph.py"] == "agents never imports services"
    assert "upward" in str(reasons["gentrade/codegen/render.py"])


def test_checker_finds_a_cycle(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "gentrade/engine/a.py": "from gentrade.exchange import b\n",
            "gentrade/exchange/b.py": "from gentrade.engine import a\n",
        },
    )
    assert cycles(arrows(root)) == [["engine", "exchange"]]
    assert Arrow("engine", "exchange", "gentrade/engine/a.py", 1) in arrows(root)
