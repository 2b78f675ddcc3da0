"""Child processes that outlive their manager: spawn in a session of their own, find them again, end them.

A bot is identified by (pid, start time) rather than pid alone, because after a reboot or a long run the
pid may belong to an unrelated process; signals only ever go to processes whose identity still matches.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import psutil

_GONE = (psutil.NoSuchProcess, psutil.ZombieProcess)
_TAIL_BYTES = 256 * 1024


def spawn(
    argv: Sequence[str], *, cwd: Path, log_file: Path, env: Mapping[str, str], memory_mb: int
) -> psutil.Popen:
    """Start ``argv`` as the leader of a new session with stdout and stderr appended to ``log_file``, its
    address space capped at ``memory_mb``.

    The cap is set from outside (``prlimit``) right after the start rather than in a ``preexec_fn``, which
    is unsafe in a threaded parent such as the API; the child is still starting its interpreter then.
    """
    with log_file.open("ab") as log:
        proc = psutil.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    limit = memory_mb * 1024 * 1024
    with contextlib.suppress(*_GONE):
        proc.rlimit(psutil.RLIMIT_AS, (limit, limit))
    return proc


def find(pid: int, create_time: float) -> psutil.Process | None:
    """The live process with this identity, or None if it exited (zombies count as exited)."""
    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - create_time) > 0.01 or proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc
    except _GONE:
        return None


def session_members(leader: int, create_time: float) -> list[psutil.Process]:
    """Every live process of the session ``leader`` started (it may spawn children of its own).

    Members outlive a dead leader and keep its session id; a process that merely reuses the leader's pid
    has a different start time and is left alone.
    """
    members = []
    for proc in psutil.process_iter(["create_time"]):
        started = proc.info["create_time"]
        if proc.pid == leader and abs(started - create_time) > 0.01:
            continue
        with contextlib.suppress(*_GONE, PermissionError, ProcessLookupError):
            in_session = os.getsid(proc.pid) == leader and started >= create_time - 0.01
            if in_session and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc)
    return members


def _signal_all(procs: Iterable[psutil.Process], sig: signal.Signals) -> None:
    for proc in procs:
        with contextlib.suppress(*_GONE):
            proc.send_signal(sig)


def terminate_session(leader: int, create_time: float, grace_s: float) -> bool:
    """SIGTERM the session, SIGKILL whatever is left after ``grace_s``; True if a kill was needed.

    Returns once every member is gone, so the caller can promise that no process is left behind.
    """
    members = session_members(leader, create_time)
    _signal_all(members, signal.SIGTERM)
    _gone, alive = psutil.wait_procs(members, timeout=grace_s)
    alive += [p for p in session_members(leader, create_time) if p not in alive]
    if not alive:
        return False
    _signal_all(alive, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=10)
    return True


def free_port(taken: set[int]) -> int:
    """A loopback port nobody listens on now and no other bot of ours has recorded."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in taken:
            return port
    raise OSError("no free loopback port found in 50 tries")


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of a log, reading only its end (logs of long-running bots grow large)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - _TAIL_BYTES))
            data = handle.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:]) if lines > 0 else ""
