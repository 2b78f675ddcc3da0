"""The local launcher: backtest children forked from a warm zygote (``gentrade.engine.zygote``).

One zygote per process that runs backtests, started on first use (or ahead of time with ``warm_up``, as a
Celery worker does when its pool process starts) and replaced if it dies. A forked process (a Celery pool
child, say) never shares its parent's zygote: it starts its own. The parent side holds the deadline: at
``timeout_s``, or when the waiting thread is interrupted (a Celery soft time limit, a cancel), it kills the
child's whole session itself, so no backtest outlives the call that started it.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from gentrade.engine.launch import Launched, child_environment, kill_session
from gentrade.errors import BacktestTimeoutError, ZygoteUnavailableError

_START_TIMEOUT_S = 120
_REPLY_TIMEOUT_S = 30
_MAX_REPORT_BYTES = 64 * 1024


def _read_line(conn: socket.socket, deadline: float) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        conn.settimeout(max(deadline - time.monotonic(), 0.001))
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


class ZygoteLauncher:
    """A ``ChildLauncher`` whose children are forks of one long-lived, preloaded zygote process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._folder: Path | None = None
        self._owner = os.getpid()

    @property
    def socket_path(self) -> Path:
        assert self._folder is not None
        return self._folder / "zygote.sock"

    def warm_up(self) -> None:
        """Start the zygote now, so the first backtest does not pay for its imports."""
        with self._lock:
            self._ensure()

    def _ensure(self) -> None:
        if self._owner != os.getpid():  # a fork of the process that started it: start one of our own
            self._proc, self._folder, self._owner = None, None, os.getpid()
        if self._proc is not None and self._proc.poll() is None:
            return
        self._discard()
        self._folder = Path(tempfile.mkdtemp(prefix="gentrade-zygote-"))
        # stdin stays open and unused: its end of file is how the zygote learns this process is gone.
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "gentrade.engine.zygote", str(self.socket_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=child_environment(),
            start_new_session=True,
        )
        assert self._proc.stdout is not None
        ready = self._proc.stdout.readline()
        if ready.strip() != b"ready":
            code = self._proc.wait(timeout=_START_TIMEOUT_S)
            self._discard()
            raise ZygoteUnavailableError(f"the backtest zygote failed to start (exit code {code})")

    def _discard(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(OSError):
                if self._proc.stdin is not None:
                    self._proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
            if self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._proc, self._folder = None, None

    def stop(self) -> None:
        """Stop the zygote (and so any child still running)."""
        with self._lock:
            if self._owner == os.getpid():
                self._discard()

    def _connect(self) -> socket.socket:
        with self._lock:
            for attempt in range(2):
                self._ensure()
                conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    conn.connect(str(self.socket_path))
                    return conn
                except OSError:
                    conn.close()
                    if attempt:
                        raise
                    self._discard()  # died between the check and the connect: one fresh start
        raise AssertionError("unreachable")

    def __call__(
        self, job_file: Path, run_dir: Path, log_file: Path, timeout_s: float, env: Mapping[str, str]
    ) -> Launched:
        started = time.monotonic()
        deadline = started + timeout_s
        request = {"job": str(job_file), "run_dir": str(run_dir), "log_file": str(log_file), "env": dict(env)}
        try:
            conn = self._connect()
        except OSError as exc:
            raise ZygoteUnavailableError(f"cannot reach the backtest zygote: {exc}") from exc
        pid: int | None = None
        with conn:
            try:
                conn.sendall(json.dumps(request).encode() + b"\n")
                hello = _read_line(conn, min(deadline, time.monotonic() + _REPLY_TIMEOUT_S))
                if not hello:
                    raise ZygoteUnavailableError("the backtest zygote closed the connection without a child")
                reply = json.loads(hello)
                pid = int(reply["pid"])
                report = self._wait_for_end(conn, deadline)
            except TimeoutError:
                if pid is None:
                    raise ZygoteUnavailableError("the backtest zygote started no child in time") from None
                raise BacktestTimeoutError(
                    f"backtest exceeded {timeout_s:g} s and was killed", details={"run_dir": str(run_dir)}
                ) from None
            finally:
                # On success this ends whatever the strategy left behind; otherwise the run itself.
                if pid is not None:
                    kill_session(pid)
        return Launched(
            wall_s=time.monotonic() - started,
            network_isolation=str(reply["network_isolation"]),
            os_layers=tuple(str(layer) for layer in reply.get("os_layers", [])),
            sandbox_report=report.decode("utf-8", "replace"),
        )

    @staticmethod
    def _wait_for_end(conn: socket.socket, deadline: float) -> bytes:
        """The child holds its end of the connection until it exits: end of file means it is done. What it
        sends meanwhile is the runtime guard's violation report (a bounded amount is kept)."""
        report = b""
        while True:
            conn.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = conn.recv(4096)
            if not chunk:
                return report
            report = (report + chunk)[:_MAX_REPORT_BYTES]


_launcher = ZygoteLauncher()
atexit.register(_launcher.stop)


def local_launcher() -> ZygoteLauncher:
    """The process's one zygote launcher."""
    return _launcher
