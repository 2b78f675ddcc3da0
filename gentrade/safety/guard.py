"""The runtime guard: a PEP 578 audit hook that keeps outside code inside its run, even where the audit
missed it.

The static audit (``audit.py``) judges source text; a deny-list over huge allowed libraries cannot be
complete, so every process that runs a user's strategy also installs this guard *before* the strategy is
imported.
``sys.addaudithook`` hooks cannot be removed, and the hook holds no state a strategy can reach: its policy is
frozen into closure variables of immutable types, and every helper it calls (``os.fspath``, ``posix.lstat``,
``str`` methods ...) is captured at install time, so replacing a module attribute or a builtin later changes
nothing. Once installed it refuses, in *every* thread and whoever asks (freqtrade itself included):

- process creation of any kind (``os.system``, ``subprocess``, ``os.posix_spawn``, ``os.exec*``, ``os.fork``,
  ``pty``), signals to other processes, ctypes / ``dlopen``, new audit hooks, ``gc`` walks over live objects;
- writes, renames, links, deletes, chmods, ``mkdir``, ``shutil`` copies and moves, SQLite databases, outside
  the writable directories (the run's own directory and a private tmp); symlinks are resolved first;
- sockets, except connections to ``allowed_endpoints`` (a bot's exchange host, its own api_server port);
- caused by strategy code (a frame of the strategy file, or of any file under a writable directory, on the
  stack): ``compile``/``exec``/``eval``/``marshal`` of code that is not a module being imported (nor code
  ``dataclasses``/``namedtuple`` generate for plain identifiers), and building code objects. A library's
  own import-time code (a ``<module>`` frame between the strategy and the event) is not caused by the
  strategy, so ``import pandas_ta`` still works;
- imports the strategy asks for itself (an import statement, ``importlib``, ``logging.config``'s resolvers)
  of modules the audit policy (``gentrade.safety.policy``) denies. A library's lazy import inside a call is
  judged by what the imported code then does.

A refusal is fatal: the hook writes one JSON line naming the event, the refused detail and the strategy's
line (``SANDBOX_MARKER`` + JSON) to stderr and to ``report_fd``, then ends the process with
``SANDBOX_EXIT_CODE``. Raising would not do: freqtrade's callback wrappers (and the strategy itself) can
catch an exception and go on.
The parent turns the report into ``SandboxViolation`` (``violation_from_report``).

The hook is not a security boundary against native code (hence ctypes is refused, and the OS layers of
``gentrade.engine.isolation`` are added where the machine allows them); ``_posixsubprocess.fork_exec``
raises no audit event, so ``install_guard`` puts a stand-in that raises one (refused) in its place and the
OS layer refuses ``execve``.

Three modules, one job each: ``guard_policy.py`` (the policy, the fixed refusals and the report, all a
parent needs), ``guard_hook.py`` (the hook that enforces them) and this one (installing it in the child).

API (stable; other runners reuse it)::

    from gentrade.safety.guard import install_guard
    from gentrade.safety.guard_policy import Endpoint, GuardPolicy, violation_from_report

    install_guard(GuardPolicy(writable_dirs=(run_dir, tmp_dir), strategy_path=strategy_file,
                              allowed_endpoints=(Endpoint("api.binance.com", 443),), report_fd=fd))
    violation_from_report(text) -> SandboxViolation | None
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

from gentrade.safety import guard_hook
from gentrade.safety.guard_policy import FORK_EXEC_EVENT, GuardPolicy

_installed: list[GuardPolicy] = []
_GUARD_MODULES = (__name__, guard_hook.__name__, GuardPolicy.__module__)
"""The modules of the guard, whose classes and functions the hook keeps from being changed."""


def guard_installed() -> bool:
    """True once ``install_guard`` ran in this process (forks inherit the hook)."""
    return bool(_installed)


def _module_rules() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(allowed exact, allowed trees, denied trees) from the audit policy, so both layers share one list.

    The packages above an allowed module count as allowed too: ``import freqtrade.vendor.qtpylib`` and
    ``from sklearn import preprocessing`` import ``freqtrade.vendor`` and ``sklearn`` first."""
    from gentrade.safety import policy

    named = {*policy.ALLOWED_MODULES_EXACT, *policy.RESTRICTED_MODULES, *policy.ALLOWED_MODULE_TREES}
    parents = {name.rsplit(".", depth)[0] for name in named for depth in range(1, name.count(".") + 1)}
    exact = frozenset({*policy.ALLOWED_MODULES_EXACT, *policy.RESTRICTED_MODULES, *parents, "__future__"})
    return exact, frozenset(policy.ALLOWED_MODULE_TREES), frozenset(policy.DENIED_MODULE_TREES)


def _refused_fork_exec(*args: object, _audit: Callable[..., None] = sys.audit, **kwargs: object) -> NoReturn:
    """Stands in for ``fork_exec``: library code that reaches for it (multiprocessing's resource tracker,
    started by e.g. scipy's ``workers=``) is stopped as a sandbox violation naming the strategy's line,
    rather than failing later with an AttributeError that reads like the strategy's own bug. ``sys.audit``
    is bound when this module loads, before any strategy could rebind the module attribute."""
    _audit(FORK_EXEC_EVENT)
    raise PermissionError("starting a process is refused in the sandbox")


def _close_fork_exec_door() -> None:
    """``_posixsubprocess.fork_exec`` starts programs without any audit event: take it out of reach, and
    leave in its place a function that raises one (the original is no longer referenced anywhere)."""
    import _posixsubprocess
    import subprocess

    for module in (_posixsubprocess, subprocess):
        for attribute in ("fork_exec", "_fork_exec"):
            if hasattr(module, attribute):
                setattr(module, attribute, _refused_fork_exec)


def install_guard(policy: GuardPolicy) -> None:
    """Install the audit hook for the rest of this process's life (and its forks). Call it once, before the
    strategy module is imported; a second call raises, since a hook can neither be removed nor replaced."""
    if _installed:
        raise RuntimeError("the sandbox guard is already installed in this process")
    import _socket
    import ctypes  # noqa: F401 - loading it dlopens the interpreter; done now, so later dlopens are all foreign

    _close_fork_exec_door()
    # A module imported later whose bytecode cache is missing would otherwise be written next to its source,
    # outside the writable dirs, and a refused write ends the process.
    sys.dont_write_bytecode = True
    hook = guard_hook.make_hook(policy, _module_rules(), _socket.getaddrinfo, _GUARD_MODULES)
    _installed.append(policy)
    sys.addaudithook(hook)
