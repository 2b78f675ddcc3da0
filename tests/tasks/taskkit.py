"""Real Celery workers (child processes), a real broker, a real database and the API in front of them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from gentrade.api import create_app
from gentrade.data.synth import synthesize
from gentrade.db import upgrade
from gentrade.db.engine import make_engine, make_session_factory
from gentrade.db.models import Backtest
from gentrade.examples import load_example
from gentrade.settings import Settings

CELERY = Path(sys.executable).with_name("celery")
SHARED_REDIS = "redis://127.0.0.1:6379/0"
PAIRS = ["BTC/USDT"]
TIMERANGE = "20240102-20240103"
PASSWORD = "correct horse battery"
FINAL = ("succeeded", "failed", "cancelled")


def synthetic_data(folder: Path) -> Path:
    """Three days of one pair: each backtest costs little beyond freqtrade's own start-up."""
    synthesize(folder, pairs=PAIRS, days=3)
    return folder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """One deployment under test: settings (also passed to workers as GENTRADE_* variables), DB, API."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    log_dir: Path = Path()

    def env(self) -> dict[str, str]:
        s = self.settings
        values = {
            "GENTRADE_USER_DIR": str(s.user_dir),
            "GENTRADE_DATA_DIR": str(s.data_dir),
            "GENTRADE_DATABASE_URL": s.resolved_database_url,
            "GENTRADE_TASK_BROKER_URL": s.resolved_task_broker_url,
            "GENTRADE_TASK_QUEUE": s.task_queue,
            "GENTRADE_TASK_BACKEND": "celery",
            "GENTRADE_BACKTEST_TIMEOUT_S": str(s.backtest_timeout_s),
            "GENTRADE_TASK_TIME_MARGIN_S": str(s.task_time_margin_s),
            "GENTRADE_TASK_RETRY_BACKOFF_S": str(s.task_retry_backoff_s),
            "GENTRADE_BOT_EXCHANGE_URL": s.bot_exchange_url,
            "GENTRADE_BOT_HEALTH_INTERVAL_S": str(s.bot_health_interval_s),
        }
        return {**os.environ, **values}

    def start_worker(self, name: str, concurrency: int = 1) -> subprocess.Popen[bytes]:
        """``celery worker`` as a child in a session of its own, so the whole tree can be killed."""
        log = (self.log_dir / f"worker-{name}.log").open("ab")
        argv = [str(CELERY), "-A", "gentrade.tasks.app", "worker", "--loglevel=INFO", f"--hostname={name}@%h"]
        argv += [
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        proc = subprocess.Popen(
            argv, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.workers.append(proc)
        return proc

    def start_beat(self) -> subprocess.Popen[bytes]:
        """``celery beat`` on the app's schedule, with a schedule file of this stack's own."""
        log = (self.log_dir / "beat.log").open("ab")
        schedule = self.log_dir / "celerybeat-schedule"
        argv = [str(CELERY), "-A", "gentrade.tasks.app", "beat", "--loglevel=INFO", f"--schedule={schedule}"]
        proc = subprocess.Popen(
            argv, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.workers.append(proc)
        return proc

    def worker_log(self, name: str) -> str:
        return (self.log_dir / f"worker-{name}.log").read_text(errors="replace")

    def stop_workers(self) -> None:
        for proc in self.workers:
            kill_tree(proc.pid, signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                kill_tree(proc.pid)
                proc.wait()
        self.workers.clear()

    def rows(self, ids: Iterable[int]) -> dict[int, Backtest]:
        with self.sessions() as session:
            return {b.id: b for b in session.scalars(select(Backtest).where(Backtest.id.in_(list(ids))))}

    def wait_final(self, ids: list[int], timeout: float) -> dict[int, Backtest]:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.rows(ids)
            if all(row.status in FINAL for row in rows.values()) and len(rows) == len(ids):
                return rows
            if time.monotonic() > deadline:
                pending = {i: r.status for i, r in rows.items() if r.status not in FINAL}
                raise AssertionError(f"not finished after {timeout} s: {pending}")
            if self.workers and all(proc.poll() is not None for proc in self.workers):
                # No one is left to finish them (a worker that cannot import the app exits at once): say
                # so now, with the logs, instead of after a timeout sized for a hundred backtests.
                tails = {
                    log.name: log.read_text(errors="replace")[-1500:] for log in self.log_dir.glob("*.log")
                }
                raise AssertionError(f"every worker exited with backtests unfinished: {tails}")
            time.sleep(0.5)


def runs_backtest(pid: int) -> bool:
    """A backtest child (a fork of the process's zygote, working in its run dir) runs under ``pid``."""
    try:
        return any(
            os.sep + "runs" + os.sep in proc.cwd() for proc in psutil.Process(pid).children(recursive=True)
        )
    except psutil.Error:
        return False


def kill_tree(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal a process and every descendant (the freqtrade children run in sessions of their own)."""
    try:
        parent = psutil.Process(pid)
        family = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for proc in family:
        try:
            proc.send_signal(sig)
        except psutil.NoSuchProcess:
            continue


def make_settings(tmp: Path, db_url: str, broker_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "user_dir": tmp / "user_data",
        "database_url": db_url,
        "data_dir": data_dir,
        "task_backend": "celery",
        "task_broker_url": broker_url,
        "task_queue": f"test-{uuid.uuid4().hex[:10]}",
        "backtest_timeout_s": 30.0,
        "task_time_margin_s": 5.0,
        "task_retry_backoff_s": 1.0,
        "secret_key": "test-secret-" + uuid.uuid4().hex,
        "credentials_key": Fernet.generate_key().decode(),
        "rate_backtests_per_minute": 100_000,
        "rate_backtests_burst": 1_000,
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def stack(tmp: Path, db_url: str, broker_url: str, data_dir: Path, **overrides: Any) -> Iterator[Stack]:
    engine = make_engine(db_url)
    upgrade(engine)
    settings = make_settings(tmp, db_url, broker_url, data_dir, **overrides)
    (tmp / "logs").mkdir(exist_ok=True)
    deployed = Stack(settings, engine, make_session_factory(engine), log_dir=tmp / "logs")
    try:
        yield deployed
    finally:
        deployed.stop_workers()
        engine.dispose()


@contextmanager
def api_client(deployed: Stack) -> Iterator[TestClient]:
    """The API app with the executor its settings choose (Celery), behind an in-process HTTP client."""
    app = create_app(deployed.settings, engine=deployed.engine)
    with TestClient(app) as client:
        yield client


def login(client: TestClient) -> dict[str, str]:
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    assert (
        client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
    )
    token = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def create_strategy(client: TestClient, headers: dict[str, str]) -> int:
    spec = load_example("trend_following").model_dump(mode="json")
    spec.update(name=f"Task{uuid.uuid4().hex[:8].upper()}", pairs=PAIRS)
    reply = client.post("/api/v1/strategies", json={"spec": spec}, headers=headers)
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def queue_backtest(client: TestClient, headers: dict[str, str], strategy_id: int) -> int:
    reply = client.post(
        "/api/v1/backtests", json={"strategy_id": strategy_id, "timerange": TIMERANGE}, headers=headers
    )
    assert reply.status_code == 202, reply.text
    return int(reply.json()["id"])


@contextmanager
def private_redis(port: int, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A redis-server of the test's own (never the machine's shared one), stopped on exit."""
    server = shutil.which("redis-server")
    assert server is not None, "redis-server is not installed"
    proc = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def broker_url(kind: str, folder: Path) -> str:
    """The machine's Redis (tests isolate by queue name) or the embedded SQLite broker."""
    return SHARED_REDIS if kind == "redis" else f"sqla+sqlite:///{folder / 'broker.sqlite'}"
