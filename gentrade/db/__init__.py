"""Per-user storage: SQLAlchemy 2.0 typed models, engine/session factory, repositories, Alembic migrations.

Alembic is the only way the schema changes; nothing here calls ``create_all``.
"""

from gentrade.db.engine import make_engine, make_session_factory
from gentrade.db.migrate import ensure_schema, schema_state, upgrade

__all__ = ["ensure_schema", "make_engine", "make_session_factory", "schema_state", "upgrade"]
