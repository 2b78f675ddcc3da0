"""Run a freqtrade command (or any Python entry point) in a guarded process: OS layers, then the audit hook.

Every process that runs a user's strategy outside the backtest zygote (``gentrade bot`` trade processes, the
lookahead/recursive analysis of ``gentrade check``, hyperopt) starts through here, so the same two layers
hold there too::

    python -m gentrade.engine.guarded POLICY_JSON -- -m freqtrade trade --config ... --strategy X
    python -m gentrade.engine.guarded POLICY_JSON -- path/to/script.py ARGS...

It applies ``gentrade.engine.isolation.apply_os_layers`` to the policy's writable dirs, prints one
``sandbox: ...`` line saying which layers are active (the process's log keeps it), points ``TMPDIR`` at a
private tmp inside the first writable dir, installs ``gentrade.safety.guard`` and only then runs the target,
in this same interpreter (``runpy``), so the strategy is imported with the guard in place.

From Python, build the command with ``guarded_command(target, policy)``; a violation ends the process with
``SANDBOX_EXIT_CODE`` and a ``sandbox_violation: {...}`` line in its output (``violation_from_report``).
"""

from __future__ import annotations

import os
import runpy
import sys
import tempfile
from collections.abc import Sequence

from gentrade.engine.isolation import apply_os_layers
from gentrade.safety.guard import install_guard
from gentrade.safety.guard_policy import GuardPolicy

_USAGE = "usage: python -m gentrade.engine.guarded POLICY_JSON -- (-m MODULE | SCRIPT) [ARGS...]"


def guarded_command(target: Sequence[str], policy: GuardPolicy) -> list[str]:
    """The argv that runs ``target`` (what follows the interpreter: ``-m freqtrade ...`` or a script) guarded
    by ``policy``, in this interpreter."""
    return [sys.executable, "-m", "gentrade.engine.guarded", policy.to_json(), "--", *target]


def private_tmp(policy: GuardPolicy) -> str:
    """A tmp dir inside the first writable dir, so libraries that write temporary files stay in the run."""
    if not policy.writable_dirs:
        raise ValueError("a guarded process needs at least one writable dir")
    folder = os.path.join(os.fspath(policy.writable_dirs[0]), "tmp")
    os.makedirs(folder, exist_ok=True)
    return folder


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print(_USAGE, file=sys.stderr)
        return 2
    policy = GuardPolicy.from_json(argv[0])
    target = argv[2:]
    tmp = private_tmp(policy)
    layers = apply_os_layers(list(policy.writable_dirs))
    print("sandbox: " + "; ".join([*layers, "runtime guard: audit hook installed"]), flush=True)
    os.environ["TMPDIR"] = tmp
    tempfile.tempdir = tmp
    install_guard(policy)
    if target[0] == "-m" and len(target) >= 2:
        sys.argv = [target[1], *target[2:]]
        runpy.run_module(target[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(target)
        runpy.run_path(target[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
