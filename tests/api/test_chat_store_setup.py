"""Several API processes opening the chat checkpointer on one fresh PostgreSQL database at once (as
``serve --workers N`` does) all start: its setup is serialised by an advisory lock that is tried, never
waited on inside a transaction (a waiting one hung the saver's CREATE INDEX CONCURRENTLY, and without the
lock all but one process failed on a duplicate type)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from gentrade.api.chat_store import open_chat_store
from gentrade.db.testing import fresh_postgres


@pytest.mark.postgres
def test_concurrent_setups_on_a_fresh_database_all_succeed() -> None:
    with fresh_postgres() as url, ThreadPoolExecutor(3) as pool:
        stores = list(pool.map(lambda _: open_chat_store(url), range(3)))
        try:
            assert len(stores) == 3
        finally:
            for store in stores:
                store.close()
