"""Chat thread keys and signal fields: chat_threads.thread_key/updated_at; trade_signals break-even,
reasoning, a status wide enough for every outcome status, and an index for the expiry sweep.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_threads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    # Rows from before keys existed get a key no client can have chosen (clients may not use ':').
    op.execute("UPDATE chat_threads SET thread_key = 'legacy:' || id, updated_at = created_at")
    with op.batch_alter_table("chat_threads", schema=None) as batch_op:
        batch_op.alter_column("thread_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_chat_threads_thread_key"), ["thread_key"])

    with op.batch_alter_table("trade_signals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("breakeven_after_tp1", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("reasoning", sa.Text(), nullable=True))
        batch_op.alter_column(
            "status", existing_type=sa.String(length=16), type_=sa.String(length=24), existing_nullable=False
        )
        batch_op.create_index("ix_trade_signals_status_expires", ["status", "expires_at"], unique=False)
    with op.batch_alter_table("trade_signals", schema=None) as batch_op:
        batch_op.alter_column("breakeven_after_tp1", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("trade_signals", schema=None) as batch_op:
        batch_op.drop_index("ix_trade_signals_status_expires")
        batch_op.alter_column(
            "status", existing_type=sa.String(length=24), type_=sa.String(length=16), existing_nullable=False
        )
        batch_op.drop_column("reasoning")
        batch_op.drop_column("breakeven_after_tp1")
    with op.batch_alter_table("chat_threads", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_chat_threads_thread_key"), type_="unique")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("thread_key")
