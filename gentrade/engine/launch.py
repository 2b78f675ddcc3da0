"""What ``run_backtest`` asks of whoever starts its child: the launcher protocol, the child's environment."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import psutil

# The memory limit is on address space (RLIMIT_AS), so the child must not reserve far more than it uses:
# Arrow's jemalloc pool, per-thread malloc arenas and BLAS thread pools reserve ~1.6 GB they never touch.
# A fixed hash seed keeps any set/dict ordering in the strategy or freqtrade identical between runs.
# The zygote forks every child, so it must stay single-threaded: no BLAS pool, no jemalloc background thread
# (pyarrow starts one on import otherwise), so no lock can be held by a thread the fork leaves behind.
CHILD_ENV = {
    "PYTHONHASHSEED": "0",
    "PYTHONUNBUFFERED": "1",
    "COLUMNS": "200",
    "MALLOC_ARENA_MAX": "2",
    "ARROW_DEFAULT_MEMORY_POOL": "system",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "JE_ARROW_MALLOC_CONF": "background_thread:false",
}
# What a freqtrade child may inherit from the process that starts it. Everything else stays behind: the
# server's secrets (signing and encryption keys, database passwords) must never reach strategy code, and a
# host's ``FREQTRADE__*`` variables would silently change freqtrade's configuration, so results would
# depend on the machine.
# Certificates and proxies stay, for bots that reach a real exchange from behind them.
INHERITED_ENV = (
    *("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV"),
    *("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"),
    *("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"),
)


def inherited_environment() -> dict[str, str]:
    """The host variables any freqtrade child (a backtest or a bot running strategy code) may see."""
    return {name: os.environ[name] for name in INHERITED_ENV if name in os.environ}


def child_environment() -> dict[str, str]:
    """The environment of a backtest child: the allowed host variables, then ``CHILD_ENV``."""
    return {**inherited_environment(), **CHILD_ENV}


@dataclass(frozen=True)
class Launched:
    """A child that ran to its end: its wall seconds, what kept it off the network, the other OS layers that
    were active (mount namespace, uid, exec filter) and what the runtime guard reported (empty: nothing)."""

    wall_s: float
    network_isolation: str
    os_layers: tuple[str, ...] = ()
    sandbox_report: str = ""


class ChildLauncher(Protocol):
    """Runs the worker on ``job_file`` to completion (or kills it at the deadline, raising
    ``BacktestTimeoutError``), its output in ``log_file``; ``env`` is added to the child's environment.
    ``gentrade.engine.local_runner`` forks it from a warm zygote (the default);
    ``gentrade.engine.docker_runner`` runs it in a container."""

    def __call__(
        self, job_file: Path, run_dir: Path, log_file: Path, timeout_s: float, env: Mapping[str, str]
    ) -> Launched: ...


def kill_session(pid: int) -> None:
    """Kill a child's whole session and anything it spawned, even what left the session; return once they
    are dead (a killed child in namespaces of its own takes a moment to tear them down)."""
    try:
        leader = psutil.Process(pid)
        doomed = [leader, *leader.children(recursive=True)]
    except psutil.NoSuchProcess:
        doomed = []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for proc in doomed:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    _wait_dead(doomed, timeout_s=5)


def _wait_dead(procs: list[psutil.Process], timeout_s: float) -> None:
    """Until each process is gone or a zombie (the zygote reaps its children each second: not awaited)."""
    deadline = time.monotonic() + timeout_s
    for proc in procs:
        while time.monotonic() < deadline:
            try:
                if proc.status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.NoSuchProcess:
                break
            time.sleep(0.01)
