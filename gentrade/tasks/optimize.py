"""``gentrade.optimize.run``: one walk-forward optimisation, run by a worker (the body is the service's).

An optimisation runs for minutes and uses every core the worker has (its searches run in parallel), so it is
run once: it is acknowledged when it starts rather than redelivered after a worker dies mid-way; a row left
``running`` by a dead worker says so, and the person queues it again.
"""

from __future__ import annotations

import functools

from sqlalchemy.orm import Session, sessionmaker

from gentrade.db.engine import make_engine, make_session_factory, pool_options
from gentrade.services import optimize
from gentrade.tasks.app import app, settings_of

TASK_NAME = "gentrade.optimize.run"

settings = settings_of(app)


@functools.cache
def sessions() -> sessionmaker[Session]:
    return make_session_factory(make_engine(settings.resolved_database_url, **pool_options(settings)))


@app.task(name=TASK_NAME, acks_late=False)
def run(optimization_id: int) -> str:
    row = optimize.run(
        sessions(), optimization_id, settings.resolved_data_dir, settings.user_dir / "optimizations"
    )
    return row.status
