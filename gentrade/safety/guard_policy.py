"""What a guarded process may do, and how a refusal is reported: the runtime guard's data (``guard.py``
installs it, ``guard_hook.py`` enforces it).

Parents import this module alone: they build a `GuardPolicy` for a child and read the child's report back
with ``violation_from_report``, without loading the hook.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from gentrade.errors import SandboxViolation

SANDBOX_EXIT_CODE = 97
"""Exit status of a process the guard ended; parents that see it know to look for the report."""

SANDBOX_MARKER = "sandbox_violation: "
"""Prefix of the report line (stderr and ``report_fd``); the rest of the line is JSON."""

FORK_EXEC_EVENT = "_posixsubprocess.fork_exec"
"""Raised by what the guard leaves where ``_posixsubprocess.fork_exec`` was (that function raises no audit
event of its own); refused as process creation."""

_PROCESS_EVENTS = (
    *("os.system", "subprocess.Popen", "os.posix_spawn", "os.spawn", "os.exec", "os.fork", "os.forkpty"),
    *("pty.spawn", "os.startfile", "webbrowser.open", FORK_EXEC_EVENT),
)
ALWAYS_REFUSED: dict[str, str] = {
    **dict.fromkeys(_PROCESS_EVENTS, "starts a process"),
    "sys.addaudithook": "adds an audit hook",
    **dict.fromkeys(("gc.get_referrers", "gc.get_referents", "gc.get_objects"), "walks live objects"),
    **dict.fromkeys(("sqlite3.enable_load_extension", "sqlite3.load_extension"), "loads native code"),
    **dict.fromkeys(("syslog.openlog", "syslog.syslog"), "writes to the system log"),
}
"""Refused whatever the arguments and whoever asks (ctypes events are added below)."""

_CTYPES_EVENTS = frozenset(
    {
        "ctypes.dlopen",
        "ctypes.dlsym",
        "ctypes.dlsym/handle",
        "ctypes.cdata",
        "ctypes.cdata/buffer",
        "ctypes.addressof",
        "ctypes.call_function",
        "ctypes.string_at",
        "ctypes.wstring_at",
        "ctypes.create_string_buffer",
        "ctypes.create_unicode_buffer",
        "ctypes.get_errno",
        "ctypes.set_errno",
        "ctypes.PyObj_FromPtr",
        "ctypes.set_exception",
        "ctypes.seh_exception",
    }
)
ALWAYS_REFUSED.update(dict.fromkeys(_CTYPES_EVENTS, "calls native code through ctypes"))

NATIVE_DOORS = frozenset({"_posixsubprocess", "_ctypes"})
"""Extension modules loaded (and defused) before the hook goes in; loading one again is always refused, since
a fresh copy would bring back what was taken out."""


@dataclass(frozen=True)
class Endpoint:
    """A network peer a guarded process may reach: a host name or address, and a port (None: any port)."""

    host: str
    port: int | None = None


@dataclass(frozen=True)
class GuardPolicy:
    """What a guarded process may do.

    ``writable_dirs``: the only places it may create, change or delete files (the run dir, a private tmp).
    ``strategy_path``: the strategy file, so a refusal names its line and strategy-caused events are known.
    ``allowed_endpoints``: network peers (empty for backtests: no network at all).
    ``report_fd``: an open descriptor the parent reads; the violation line is written there as well as to
    stderr (the parent's control socket for backtest children).
    """

    writable_dirs: tuple[Path, ...]
    strategy_path: Path | None = None
    allowed_endpoints: tuple[Endpoint, ...] = ()
    report_fd: int | None = None
    extra_strategy_dirs: tuple[Path, ...] = field(default=())

    def to_json(self) -> str:
        """The policy as JSON, to hand to a guarded child on its command line."""
        return json.dumps(
            {
                "writable_dirs": [str(p) for p in self.writable_dirs],
                "strategy_path": None if self.strategy_path is None else str(self.strategy_path),
                "allowed_endpoints": [[e.host, e.port] for e in self.allowed_endpoints],
                "report_fd": self.report_fd,
                "extra_strategy_dirs": [str(p) for p in self.extra_strategy_dirs],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> GuardPolicy:
        raw = json.loads(text)
        return cls(
            writable_dirs=tuple(Path(p) for p in raw["writable_dirs"]),
            strategy_path=None if raw.get("strategy_path") is None else Path(raw["strategy_path"]),
            allowed_endpoints=tuple(
                Endpoint(str(h), None if p is None else int(p)) for h, p in raw.get("allowed_endpoints", [])
            ),
            report_fd=raw.get("report_fd"),
            extra_strategy_dirs=tuple(Path(p) for p in raw.get("extra_strategy_dirs", [])),
        )


def violation_from_report(text: str) -> SandboxViolation | None:
    """The first guard report in ``text`` (a log, a control channel) as an error, or None if there is none."""
    for line in text.splitlines():
        start = line.find(SANDBOX_MARKER)
        if start < 0:
            continue
        try:
            report = json.loads(line[start + len(SANDBOX_MARKER) :])
            message = str(report["message"])
        except (ValueError, KeyError, TypeError):
            return SandboxViolation("the sandboxed process wrote a malformed violation report")
        return SandboxViolation(message, details={k: report.get(k) for k in ("event", "detail", "where")})
    return None
