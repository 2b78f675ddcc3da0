"""Each strategy version's look-ahead check: its verdict (clean / biased / inconclusive / failed, NULL while
none has run) and the findings, stored by the check task.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 17:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("strategy_versions") as batch:
        batch.add_column(sa.Column("check_verdict", sa.String(16), nullable=True))
        batch.add_column(sa.Column("check_report", JSON_TYPE, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("strategy_versions") as batch:
        batch.drop_column("check_report")
        batch.drop_column("check_verdict")
