"""The runtime guard alone (no OS layers): a fresh interpreter installs it, imports a "strategy" file the way
freqtrade does (``spec_from_file_location`` + ``exec_module``) and the strategy tries one thing.

A refused attempt ends the child with ``SANDBOX_EXIT_CODE`` and one report line naming the event and the
strategy's line; an allowed one lets the child print ``done``.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gentrade.errors import SandboxViolation
from gentrade.safety.guard_policy import SANDBOX_EXIT_CODE, violation_from_report

CHILD = """
import gc, importlib.util, pty, sqlite3, sys  # loaded before the strategy, as they are in freqtrade's process
from pathlib import Path
from gentrade.safety.guard import install_guard
from gentrade.safety.guard_policy import Endpoint, GuardPolicy
run, strategy, port = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
endpoints = (Endpoint("127.0.0.1", port),) if port else ()
install_guard(GuardPolicy(writable_dirs=(run,), strategy_path=strategy, allowed_endpoints=endpoints))
spec = importlib.util.spec_from_file_location("Strategy", strategy)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
module.attack(run)
print("done", flush=True)
"""


def _run(tmp_path: Path, body: str, port: int = 0) -> tuple[int, SandboxViolation | None, str]:
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    strategy = run / "strategies" / "Strategy.py"
    strategy.parent.mkdir(exist_ok=True)
    strategy.write_text("def attack(run):\n" + textwrap.indent(textwrap.dedent(body), "    "))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(run), str(strategy), str(port)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, violation_from_report(done.stderr), done.stdout + done.stderr


def _refused(tmp_path: Path, body: str, event: str, port: int = 0) -> SandboxViolation:
    code, violation, output = _run(tmp_path, body, port)
    assert code == SANDBOX_EXIT_CODE, output
    assert violation is not None and violation.code == "sandbox_violation"
    assert violation.details["event"] == event, violation.message
    assert violation.details["where"].startswith("Strategy.py:"), violation.message
    return violation


def _allowed(tmp_path: Path, body: str, port: int = 0) -> None:
    code, violation, output = _run(tmp_path, body, port)
    assert (code, violation) == (0, None), output
    assert "done" in output


@pytest.mark.parametrize(
    ("body", "event"),
    [
        ("import os\nos.system('true')", "os.system"),
        ("import subprocess\nsubprocess.run(['true'])", "subprocess.Popen"),
        ("import os\nos.posix_spawn('/bin/true', ['true'], {})", "os.posix_spawn"),
        ("import os\nos.fork()", "os.fork"),
        ("import os\nos.execv('/bin/true', ['true'])", "os.exec"),
        ("import pty\npty.spawn('/bin/true')", "pty.spawn"),
        ("import os\nos.forkpty()", "os.forkpty"),
        (
            # scipy's optimisers start a multiprocessing pool of their own when given workers=N.
            "from scipy.optimize import differential_evolution\n"
            "differential_evolution(abs, [(-1, 1)], workers=2, maxiter=1, updating='deferred')",
            "_posixsubprocess.fork_exec",
        ),
        # What stands where fork_exec was (it raises no audit event of its own) is refused, not missing.
        ("import subprocess\nsubprocess._fork_exec()", "_posixsubprocess.fork_exec"),
        ("import ctypes\nctypes.CDLL('libc.so.6')", "ctypes.dlopen"),
        ("import ctypes\nctypes.string_at(id(run), 8)", "ctypes.string_at"),
        ("import sys\nsys.addaudithook(lambda *a: None)", "sys.addaudithook"),
        ("import gc\ngc.get_referrers(run)", "gc.get_referrers"),
        ("import gc\ngc.get_objects()", "gc.get_objects"),
        ("import os\nos.kill(os.getppid(), 0)", "os.kill"),
        ("eval('1 + 1')", "compile"),
        ("exec(compile('x = 1', 'x.py', 'exec'))", "compile"),
        ("(lambda: 0).__code__.replace(co_name='x')", "code.__new__"),
        ("import http.client", "import"),
        ("import importlib\nimportlib.import_module('xmlrpc.client')", "exec"),
        (
            "import sys, importlib\ndel sys.modules['_posixsubprocess']\n"
            "importlib.import_module('_posixsubprocess')",
            "import",
        ),
    ],
)
def test_strategy_is_refused(tmp_path: Path, body: str, event: str) -> None:
    _refused(tmp_path, body, event)


@pytest.mark.parametrize(
    ("body", "event"),
    [
        ("open('/tmp/gentrade-guard-probe', 'w')", "open"),
        ("import os\nos.open('/tmp/gentrade-guard-probe', os.O_WRONLY | os.O_CREAT)", "open"),
        ("(run / 'a').write_text('x')\n(run / 'a').rename('/tmp/gentrade-guard-probe')", "os.rename"),
        ("(run / 'a').write_text('x')\n(run / 'a').replace('/tmp/gentrade-guard-probe')", "os.rename"),
        ("import os\nos.link('/etc/hostname', run / 'h')", "os.link"),
        ("import os\nos.symlink('/tmp', run / 'l')\nopen(run / 'l' / 'gentrade-guard-probe', 'w')", "open"),
        ("import os\nos.chmod('/tmp', 0o777)", "os.chmod"),
        ("import os\nos.mkdir('/tmp/gentrade-guard-probe')", "os.mkdir"),
        ("import os\nos.remove('/tmp/gentrade-guard-probe')", "os.remove"),
        ("import shutil\nshutil.copyfile('/etc/hostname', '/tmp/gentrade-guard-probe')", "shutil.copyfile"),
        ("import shutil\nshutil.rmtree('/tmp/gentrade-guard-probe-dir')", "shutil.rmtree"),
        ("import sqlite3\nsqlite3.connect('/tmp/gentrade-guard-probe')", "sqlite3.connect"),
        (
            "import os\nfd = os.open('/tmp', os.O_RDONLY)\nos.chdir(run)\n"
            "os.open('gentrade-guard-probe', os.O_WRONLY | os.O_CREAT, dir_fd=fd)",
            "open",
        ),
        ("import tempfile\ntempfile.mkstemp(dir='/tmp')", "tempfile.mkstemp"),
    ],
)
def test_writes_outside_the_run_are_refused(tmp_path: Path, body: str, event: str) -> None:
    probe = Path("/tmp/gentrade-guard-probe")
    assert not probe.exists()
    violation = _refused(tmp_path, body, event)
    assert not probe.exists()
    assert "/tmp" in violation.details["detail"] or "/etc" in violation.details["detail"]


def test_writes_inside_the_run_are_allowed(tmp_path: Path) -> None:
    _allowed(
        tmp_path,
        """
        import os, shutil, sqlite3
        (run / "a.txt").write_text("x")
        (run / "a.txt").rename(run / "b.txt")
        os.mkdir(run / "d")
        shutil.copyfile(run / "b.txt", run / "d" / "c.txt")
        sqlite3.connect(run / "db.sqlite").execute("create table t (x)")
        shutil.rmtree(run / "d")
        """,
    )
    assert (tmp_path / "run" / "b.txt").read_text() == "x"


def test_a_library_rewriting_its_own_code_at_import_is_allowed(tmp_path: Path) -> None:
    """freqtrade imports asyncio after the guard is in, in a bot; asyncio's ``@types.coroutine`` builds a
    code object at import time (``code.__new__``), which is the library's, not a strategy's doing."""
    child = (
        "import sys\n"
        "from gentrade.safety.guard import install_guard\n"
        "from gentrade.safety.guard_policy import GuardPolicy\n"
        "assert 'asyncio' not in sys.modules\n"
        f"install_guard(GuardPolicy(writable_dirs=({str(tmp_path)!r},), strategy_path=None))\n"
        "import asyncio\n"
        "print('done', asyncio.iscoroutinefunction(asyncio.sleep), flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "done True"), done.stderr


def test_what_a_strategy_honestly_does_is_allowed(tmp_path: Path) -> None:
    """Allowed imports (with whatever they import at their own import time), logging, numpy, reads."""
    _allowed(
        tmp_path,
        """
        import logging, statistics, fractions, json
        import numpy as np
        logging.getLogger("x").warning("hello %s", statistics.mean([1, 2, 3]))
        np.arange(10).sum()
        open("/etc/hostname").read()
        json.dumps({"a": 1})
        """,
    )


def test_network_is_refused_except_the_allowed_endpoint(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        _allowed(tmp_path, f"import socket\nsocket.create_connection(('127.0.0.1', {port})).close()", port)
        _refused(
            tmp_path, "import socket\nsocket.create_connection(('127.0.0.1', 9))", "socket.connect", port
        )
        _refused(tmp_path, "import socket\nsocket.getaddrinfo('example.com', 80)", "socket.getaddrinfo", port)
    _refused(tmp_path, "import socket\nsocket.socket().bind(('0.0.0.0', 0))", "socket.bind")


def test_patching_the_guard_or_the_builtins_it_uses_changes_nothing(tmp_path: Path) -> None:
    violation = _refused(
        tmp_path,
        """
        import builtins, os, posixpath, sys
        policy, hook = sys.modules["gentrade.safety.guard_policy"], sys.modules["gentrade.safety.guard_hook"]
        policy.SANDBOX_EXIT_CODE = 0
        hook._WRITE_FLAGS = 0
        builtins.isinstance = lambda *args: False
        builtins.any = lambda *args: False
        os.fspath = lambda path: str(run / "harmless")
        posixpath.realpath = lambda path, **kw: str(run / "harmless")
        open("/tmp/gentrade-guard-probe", "w")
        """,
        "open",
    )
    assert "/tmp/gentrade-guard-probe" in violation.details["detail"]
    assert not Path("/tmp/gentrade-guard-probe").exists()


@pytest.mark.parametrize(
    "change",
    [
        "guard.install_guard.__code__ = (lambda policy: None).__code__",
        "hook.make_hook.__code__ = (lambda *args: None).__code__",
        "policy.violation_from_report.__code__ = (lambda text: None).__code__",
    ],
)
def test_changing_any_module_of_the_guard_is_refused(tmp_path: Path, change: str) -> None:
    """The guard is three modules; the hook keeps the code of each one's functions from being swapped."""
    violation = _refused(
        tmp_path,
        f"""
        import sys
        guard = sys.modules["gentrade.safety.guard"]
        hook = sys.modules["gentrade.safety.guard_hook"]
        policy = sys.modules["gentrade.safety.guard_policy"]
        {change}
        """,
        "object.__setattr__",
    )
    assert violation.details["detail"].startswith("changing the guard's ")


def test_a_swallowed_refusal_still_ends_the_process(tmp_path: Path) -> None:
    _refused(
        tmp_path,
        """
        import os
        try:
            os.system("true")
        except BaseException:
            pass
        """,
        "os.system",
    )


def test_a_report_is_read_back_as_the_error() -> None:
    line = (
        'noise\nsandbox_violation: {"event": "os.system", "detail": "d", "where": "S.py:3", "message": "m"}\n'
    )
    violation = violation_from_report(line)
    assert violation is not None
    assert (violation.message, violation.details["where"]) == ("m", "S.py:3")
    assert violation_from_report("no report here") is None
    forged = violation_from_report("sandbox_violation: not json")
    assert forged is not None and forged.code == "sandbox_violation"
