"""Each OS layer alone, with the runtime guard off: a fresh interpreter applies one layer and tries to
break it.

The layers need root (mount namespace, uid drop) or Linux x86_64 (seccomp); the suite runs as root here, so
a layer that reports itself inactive is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the OS layers are Linux features")


def _in_child(code: str) -> dict[str, object]:
    """Run ``code`` in a new interpreter (no guard installed); it prints one JSON object."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _attempt(action: str) -> str:
    """Source of a helper call that reports 'ok' or the errno name of what ``action`` raised."""
    return f"_try(lambda: {action})"


PRELUDE = """
import errno, json, os, subprocess, sys
from pathlib import Path
from gentrade.engine import isolation
def _try(action):
    try:
        action()
        return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc))
"""


def test_mount_namespace_alone_makes_everything_but_the_run_dir_read_only(tmp_path: Path) -> None:
    run, outside = tmp_path / "run", tmp_path / "outside"
    run.mkdir()
    outside.mkdir()
    report = _in_child(
        PRELUDE
        + f"""
note = isolation.isolate_filesystem([Path({str(run)!r})])
print(json.dumps({{
    "note": note,
    "inside": {_attempt(f"Path({str(run / 'in.txt')!r}).write_text('x')")},
    "outside": {_attempt(f"Path({str(outside / 'out.txt')!r}).write_text('x')")},
    "tmp": {_attempt("Path('/tmp/gentrade-isolation-probe').write_text('x')")},
}}))
"""
    )
    assert str(report["note"]).startswith("mount namespace:") and "read-only" in str(report["note"])
    assert report["inside"] == "ok"
    assert report["outside"] == "EROFS"
    assert report["tmp"] == "EROFS"
    assert (run / "in.txt").read_text() == "x"
    assert not (outside / "out.txt").exists()
    assert not Path("/tmp/gentrade-isolation-probe").exists()


def test_uid_drop_alone_keeps_the_run_dir_writable_and_nothing_else(tmp_path: Path) -> None:
    assert os.geteuid() == 0, "the suite runs as root here; the drop must be exercised"
    run, outside = tmp_path / "run", tmp_path / "outside"
    run.mkdir()
    outside.mkdir(mode=0o755)
    report = _in_child(
        PRELUDE
        + f"""
note = isolation.drop_privileges([Path({str(run)!r})])
print(json.dumps({{
    "note": note,
    "uid": os.getuid(),
    "inside": {_attempt(f"Path({str(run / 'in.txt')!r}).write_text('x')")},
    "outside": {_attempt(f"Path({str(outside / 'out.txt')!r}).write_text('x')")},
    "signal_parent": {_attempt("os.kill(os.getppid(), 0)")},
}}))
"""
    )
    assert str(report["note"]).startswith("uid: nobody")
    assert report["uid"] == 65534
    assert report["inside"] == "ok"
    assert report["outside"] == "EACCES"
    assert report["signal_parent"] == "EPERM"
    assert not (outside / "out.txt").exists()


def test_exec_filter_alone_refuses_every_program(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    report = _in_child(
        PRELUDE
        + f"""
note = isolation.forbid_exec()
print(json.dumps({{
    "note": note,
    "popen": {_attempt(f"subprocess.run(['/usr/bin/touch', {str(marker)!r}])")},
    "system": os.system({f"touch {marker}"!r}),
}}))
"""
    )
    assert str(report["note"]).startswith("exec filter: seccomp")
    assert report["popen"] == "EPERM"
    assert report["system"] != 0
    assert not marker.exists()


def test_exec_filter_alone_refuses_new_processes_and_other_processes_but_not_threads(tmp_path: Path) -> None:
    """Native code needs no audit event to fork (cffi's ``fork``) or to signal a neighbour through a pidfd;
    the filter refuses both at the kernel, while threads (``clone`` with ``CLONE_THREAD``, after ``clone3``
    answers ENOSYS) and signals to the process itself keep working."""
    neighbour = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        report = _in_child(
            PRELUDE
            + f"""
import signal, threading
note = isolation.forbid_exec()
box = []
thread = threading.Thread(target=lambda: box.append(sum(range(10))))
thread.start()
thread.join()
print(json.dumps({{
    "note": note,
    "thread": box,
    "fork": {_attempt("os.fork()")},
    "kill_neighbour": {_attempt(f"os.kill({neighbour.pid}, signal.SIGKILL)")},
    "kill_group": {_attempt("os.kill(0, 0)")},
    "kill_self": {_attempt("os.kill(os.getpid(), 0)")},
    "raise_self": {_attempt("signal.pthread_kill(threading.get_ident(), 0)")},
    "pidfd": {_attempt(f"os.pidfd_open({neighbour.pid})")},
}}))
"""
        )
        assert neighbour.poll() is None  # still alive: the SIGKILL never left the filtered process
    finally:
        neighbour.kill()
        neighbour.wait()
    assert report["thread"] == [45]
    assert report["fork"] == "EPERM" and report["pidfd"] == "EPERM"
    assert report["kill_neighbour"] == "EPERM" and report["kill_group"] == "EPERM"
    assert report["kill_self"] == "ok" and report["raise_self"] == "ok"
    assert "fork" in str(report["note"])
