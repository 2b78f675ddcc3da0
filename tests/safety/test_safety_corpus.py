"""Every file in ``hostile/`` must be rejected exactly on its lines marked ``# VIOLATION`` (see README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gentrade.safety import audit

HOSTILE = sorted((Path(__file__).parent / "hostile").glob("*.py"))
MARKER = "# VIOLATION"


def _marked_lines(source: str) -> set[int]:
    lines = enumerate(source.splitlines(), start=1)
    return {number for number, line in lines if line.rstrip().endswith(MARKER)}


def test_corpus_is_large_enough() -> None:
    assert len(HOSTILE) >= 107


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.stem)
def test_hostile_source_is_rejected_exactly_on_marked_lines(path: Path) -> None:
    source = path.read_text()
    expected = _marked_lines(source)
    assert expected, f"{path.name} has no {MARKER} marker"

    report = audit(source, filename=path.name)

    assert not report.ok
    found = {v.line for v in report.violations}
    assert found == expected, [v.model_dump() for v in report.violations]
