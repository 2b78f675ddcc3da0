"""The drafter's view of a text: normalized once, then consumed piece by piece.

Every phrase a parser recognizes is blanked out with a separator character, so what is left at the end is
exactly what nobody understood, and a later parser can never read the same words twice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from gentrade.errors import SpecValidationError

MAX_TEXT_CHARS = 4000
GAP = "\x1f"


@dataclass
class Text:
    """The ASCII-folded text and a same-length lower-case working copy with consumed spans blanked."""

    original: str
    work: str
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, raw: str) -> Text:
        if len(raw) > MAX_TEXT_CHARS:
            raise SpecValidationError(
                f"the idea is {len(raw)} characters long; the drafter reads at most {MAX_TEXT_CHARS}"
            )
        folded = unicodedata.normalize("NFKC", raw).replace(GAP, " ")
        ascii_text = "".join(
            ch if ch.isascii() and (ch.isprintable() or ch in "\n\t") else " " for ch in folded
        )
        notes = ["characters outside ASCII were ignored"] if ascii_text != folded else []
        # ASCII lower() keeps every index, so spans found in `work` slice `original` at the same place.
        return cls(original=ascii_text, work=ascii_text.lower(), notes=notes)

    def finditer(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        return pattern.finditer(self.work)

    def consume(self, start: int, end: int) -> None:
        self.work = self.work[:start] + GAP * (end - start) + self.work[end:]

    def take_all(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        """Every match of `pattern` in what is left, consumed."""
        matches = list(self.finditer(pattern))
        for match in matches:
            self.consume(match.start(), match.end())
        return matches


NUMBER = r"(\d+(?:\.\d+)?)"


def number(value: str) -> float:
    return float(value)


def plain(value: float) -> str:
    """2.0 → '2', 1.5 → '1.5': how a person writes the number back."""
    return f"{value:g}"
