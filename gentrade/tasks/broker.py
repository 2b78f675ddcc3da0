"""The embedded broker: kombu's SQLAlchemy transport (one SQLite file, no server) with a visibility timeout.

kombu's own transport marks a message invisible when it hands it out and remembers the delivery only in the
consumer's memory: a worker killed mid-task takes the message with it, so ``acks_late`` redelivery never
happens. Here a delivered row stays in the table as a lease (its timestamp is when it was handed out), an
ack or a reject deletes it, and a lease older than ``visibility_timeout`` is handed out again, flagged
``redelivered`` — the same contract as kombu's Redis transport. A worker that shuts down cleanly restores
its unacked messages at once, as kombu does.

Selected by ``gentrade.tasks.app`` for ``sqla+…`` broker URLs; the tables are kombu's own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from json import loads
from queue import Empty
from typing import Any

from kombu.transport import sqlalchemy as kombu_sqla
from kombu.utils.encoding import bytes_to_str
from sqlalchemy import Engine, or_, text

from gentrade.db.engine import make_engine

# Transport options kombu or GenTrade read themselves: anything else is passed to create_engine.
_NOT_ENGINE_OPTIONS = {
    "queue_tablename",
    "message_tablename",
    "callback",
    "errback",
    "max_retries",
    "interval_start",
    "interval_step",
    "interval_max",
    "retry_errors",
    "visibility_timeout",
    "polling_interval",
}


class Channel(kombu_sqla.Channel):
    visibility_timeout: float = 3600.0
    # kombu declares no type for this tuple, so mypy infers a fixed length from its two default options.
    from_transport_options = (*kombu_sqla.Channel.from_transport_options, "visibility_timeout")  # type: ignore[assignment]

    def __init__(self, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)
        self._leases: dict[str, int] = {}

    def _engine_from_config(self) -> Engine:
        """GenTrade's engine: WAL and a busy timeout, so workers and the API share the file politely."""
        conninfo = self.connection.client
        options = {k: v for k, v in conninfo.transport_options.items() if k not in _NOT_ENGINE_OPTIONS}
        return make_engine(conninfo.hostname, **options)

    def _get(self, queue: str, timeout: float | None = None) -> dict[str, Any]:
        obj = self._get_or_create(queue)
        message = self.message_cls
        if self.session.bind.name == "sqlite":
            self.session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
        try:
            # kombu's timestamps are naive local time (datetime.now); so are these.
            now = datetime.now()  # noqa: DTZ005
            expired = now - timedelta(seconds=self.visibility_timeout)
            row = (
                self.session.query(message)
                .with_for_update()
                .filter(message.queue_id == obj.id)
                .filter(or_(message.visible == True, message.sent_at < expired))  # noqa: E712
                .order_by(message.sent_at, message.id)
                .limit(1)
                .first()
            )
            if row is None:
                raise Empty()
            redelivered = not row.visible
            row.visible = False
            row.sent_at = now
            payload: dict[str, Any] = loads(bytes_to_str(row.payload))
            if redelivered:
                payload["redelivered"] = True
                payload["properties"].setdefault("delivery_info", {})["redelivered"] = True
            self._leases[payload["properties"]["delivery_tag"]] = row.id
            return payload
        finally:
            self.session.commit()

    def _settle(self, delivery_tag: str) -> None:
        row_id = self._leases.pop(delivery_tag, None)
        if row_id is not None:
            self.session.query(self.message_cls).filter(self.message_cls.id == row_id).delete()
            self.session.commit()

    def basic_ack(self, delivery_tag: str, multiple: bool = False) -> None:
        super().basic_ack(delivery_tag, multiple=multiple)
        self._settle(delivery_tag)

    def basic_reject(self, delivery_tag: str, requeue: bool = False) -> None:
        super().basic_reject(delivery_tag, requeue=requeue)
        self._settle(delivery_tag)

    def _restore(self, message: Any) -> None:
        """A clean shutdown (or a requeueing reject) republishes the message: drop the leased copy."""
        super()._restore(message)
        self._settle(message.delivery_tag)


class Transport(kombu_sqla.Transport):
    Channel = Channel
