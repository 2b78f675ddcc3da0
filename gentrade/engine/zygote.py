"""The warm parent of backtest children: freqtrade imported once, one fork per backtest.

A fresh interpreter that imports freqtrade costs ~2.4 s, several times a short backtest. The zygote is a
single-threaded process started with the child environment (hash seed, allocator settings) that imports
freqtrade's backtesting modules once, never runs anything itself, and forks one child per job. Every child
so starts from the same freshly imported, unused modules, with none of the state a backtest leaves behind.

The fork gets the containment of a plain child: a session of its own (the parent kills the whole group),
death with the zygote (PDEATHSIG), stdout and stderr into the run's log, the job's environment, a network
namespace of its own without interfaces up (``unshare``; inside a user namespace where only that is
allowed), the OS layers of ``gentrade.engine.isolation`` (read-only mounts but the run dir, uid nobody, no
``execve``), and the worker's own memory and CPU limits. It then runs ``gentrade.engine.worker.main``, which
installs the runtime guard before freqtrade loads the strategy.

Protocol, on a Unix socket in a private directory: the parent sends one JSON line (``job``, ``run_dir``,
``log_file``, ``env``); the child answers one JSON line (``pid``, ``network_isolation``, ``os_layers``) and
keeps the connection until it exits, so end of file is the parent's signal that the run is over; anything it
sends meanwhile is the runtime guard's violation report (``gentrade.safety.guard``). The zygote exits
when its stdin closes, which happens when the process that started it is gone, and kills its children.

    python -m gentrade.engine.zygote SOCKET_PATH
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import selectors
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from gentrade.engine.isolation import apply_os_layers

# What a backtest imports, loaded before any fork; a child then imports nothing large of its own.
PRELOAD = (
    "freqtrade.commands.optimize_commands",
    "freqtrade.enums",
    "freqtrade.optimize.backtesting",
    "freqtrade.optimize.optimize_reports",
    "freqtrade.persistence",
    "freqtrade.strategy",
    "talib",
    "gentrade.data.markets",
    "gentrade.engine.offline_exchange",
    "gentrade.engine.result",
    "gentrade.engine.worker",
    "gentrade.safety.guard",
)
READY = b"ready\n"
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1
_REQUEST_TIMEOUT_S = 10
_REAP_INTERVAL_S = 1.0
_MAX_REQUEST_BYTES = 1 << 20


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def isolate_network() -> str:
    """Move this process into a new network namespace (only a loopback, down); say what was achieved.

    ``CLONE_NEWNET`` needs CAP_SYS_ADMIN; without it, a user namespace (mapping this user to root inside)
    grants it where the kernel allows unprivileged user namespaces. If neither works the run shares the
    host's network and the note says so; the static audit is then the only guard.
    """
    libc = _libc()
    if libc.unshare(_CLONE_NEWNET) == 0:
        return "private network namespace (unshare --net): only a loopback that is down"
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"0 {uid} 1")
        _write("/proc/self/gid_map", f"0 {gid} 1")
        return (
            "private network namespace (unshare --user --map-root-user --net): only a loopback that is down"
        )
    reason = os.strerror(ctypes.get_errno())
    return f"none: a network namespace is not permitted here ({reason}); the child shares the host network"


def _die_with_parent(parent: int) -> None:
    _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _redirect_output(log_file: str) -> None:
    with contextlib.suppress(OSError):
        sys.stdout.flush()
        sys.stderr.flush()
    log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(null)


def _run_job(conn: socket.socket, request: dict[str, Any], zygote: int) -> int:
    """In the forked child: contain this process, report, run the worker; returns its exit code."""
    from gentrade.engine import worker

    os.setsid()
    _die_with_parent(zygote)
    for signum in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_DFL)
    os.chdir(request["run_dir"])
    _redirect_output(request["log_file"])
    os.environ.update({key: str(value) for key, value in request["env"].items()})
    note = isolate_network()
    layers = apply_os_layers([Path(request["run_dir"])])
    print("sandbox: " + "; ".join([f"network: {note}", *layers]), flush=True)
    reply = {"pid": os.getpid(), "network_isolation": note, "os_layers": layers}
    conn.sendall(json.dumps(reply).encode() + b"\n")
    code = worker.main([request["job"]], report_fd=conn.fileno())
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _read_request(conn: socket.socket) -> dict[str, Any]:
    conn.settimeout(_REQUEST_TIMEOUT_S)
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk or len(data) > _MAX_REQUEST_BYTES:
            raise ValueError("incomplete request")
        data += chunk
    conn.settimeout(None)
    request = json.loads(data)
    if not isinstance(request, dict) or not {"job", "run_dir", "log_file", "env"} <= request.keys():
        raise ValueError("malformed request")
    return request


class Zygote:
    """The serving loop: accept a job, fork, let the child run it; reap children; stop on stdin EOF."""

    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.children: set[int] = set()
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ, "job")
        self.selector.register(sys.stdin.buffer, selectors.EVENT_READ, "parent")

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select(timeout=_REAP_INTERVAL_S):
                if key.data == "parent" and not os.read(sys.stdin.fileno(), 4096):
                    return
                if key.data == "job":
                    self._accept()
            self._reap()

    def _accept(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            try:
                request = _read_request(conn)
            except (OSError, ValueError) as exc:
                print(f"zygote: rejected a request: {exc}", file=sys.stderr, flush=True)
                return
            zygote = os.getpid()
            pid = os.fork()
            if pid == 0:
                self._become_child(conn, request, zygote)
            self.children.add(pid)

    def _become_child(self, conn: socket.socket, request: dict[str, Any], zygote: int) -> None:
        code = 1
        try:
            self.selector.close()
            self.listener.close()
            code = _run_job(conn, request, zygote)
        finally:
            os._exit(code)

    def _reap(self) -> None:
        for pid in list(self.children):
            with contextlib.suppress(ChildProcessError):
                done, _ = os.waitpid(pid, os.WNOHANG)
                if not done:
                    continue
            self.children.discard(pid)

    def stop(self) -> None:
        """Kill whatever still runs: a backtest must not outlive the process that waits for it."""
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        for pid in self.children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def main(argv: list[str]) -> int:
    path = Path(argv[0])
    for module in PRELOAD:
        importlib.import_module(module)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    listener.bind(str(path))
    listener.listen(64)
    zygote = Zygote(listener)
    sys.stdout.buffer.write(READY)
    sys.stdout.buffer.flush()
    try:
        zygote.serve()
    finally:
        zygote.stop()
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
