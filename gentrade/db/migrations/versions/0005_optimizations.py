"""Strategy optimisations (hyperopt, walk-forward) and the record a version keeps of the one that made it.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Filled in by the optimisation work (number claimed first)."""


def downgrade() -> None:
    """Filled in by the optimisation work (number claimed first)."""
