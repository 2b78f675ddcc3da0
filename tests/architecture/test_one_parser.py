"""Every parse of Python source goes through ``gentrade.syntax`` (the lock that CPython gh-106905 needs)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from layers import raw_parses  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def test_no_module_but_syntax_calls_ast_parse() -> None:
    assert raw_parses(ROOT) == []


def test_checker_finds_a_raw_parse(tmp_path: Path) -> None:
    (tmp_path / "gentrade" / "codegen").mkdir(parents=True)
    (tmp_path / "agents").mkdir()
    (tmp_path / "gentrade" / "syntax.py").write_text("import ast\nast.parse('x')\n")
    (tmp_path / "gentrade" / "codegen" / "reader.py").write_text("import ast\n\ntree = ast.parse('x = 1')\n")
    (tmp_path / "agents" / "tool.py").write_text("from ast import parse\n")
    assert raw_parses(tmp_path) == ["agents/tool.py:1", "gentrade/codegen/reader.py:3"]
