"""The OS layers under the runtime guard: a read-only view of the machine, an unprivileged uid, no ``execve``.

The audit hook (``gentrade.safety.guard``) is Python and so no boundary against native code; these layers are
the kernel's and hold on their own, with the guard off. Each one is applied where the machine permits it and
falls back cleanly where it does not, returning a note that says what is active; the notes go to the run's
log and result so a person can see what protected a run.

- ``isolate_filesystem``: a mount namespace of its own in which every mount is read-only except the run's
  directory (bound over itself, writable); ``/proc``, ``/sys`` and ``/dev`` itself stay as they are (device
  nodes are not files), ``/dev/shm`` becomes read-only like the rest.
- ``drop_privileges``: when running as root, become ``nobody`` (the run dir is handed to it) keeping only
  ``CAP_DAC_READ_SEARCH``, so the interpreter, the venv and the candles (which may sit in root-only dirs)
  stay readable while nothing else of root's power remains.
- ``forbid_exec``: ``no_new_privs`` and a seccomp filter that makes ``execve``/``execveat`` fail with EPERM,
  so not even native code can start another program.

Linux only; elsewhere each returns a "not available" note.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys
from pathlib import Path

_CLONE_NEWNS = 0x00020000
_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_NOATIME = 1024
_MS_NODIRATIME = 2048
_MS_REMOUNT = 32
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_MS_RELATIME = 1 << 21
_MOUNT_FLAGS = {
    "nosuid": _MS_NOSUID,
    "nodev": _MS_NODEV,
    "noexec": _MS_NOEXEC,
    "noatime": _MS_NOATIME,
    "nodiratime": _MS_NODIRATIME,
    "relatime": _MS_RELATIME,
}
_LEFT_WRITABLE = ("/proc", "/sys")

NOBODY = 65534
_PR_SET_KEEPCAPS = 8
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_CAP_VERSION_3 = 0x20080522
_CAP_DAC_READ_SEARCH = 2
_SYS_CAPSET = 126  # x86_64

# seccomp BPF (see _program).
_AUDIT_ARCH_X86_64 = 0xC000003E
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_SECCOMP_RET_KILL_PROCESS = 0x80000000
_EPERM = 1


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _error() -> str:
    return os.strerror(ctypes.get_errno())


def _mounts() -> list[tuple[str, int]]:
    """Mount points of this namespace with their per-mount flags, parents before children."""
    mounts = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            flags = 0
            for option in fields[5].split(","):
                flags |= _MOUNT_FLAGS.get(option, 0)
            mounts.append((point, flags))
    return mounts


def _keeps_writable(point: str) -> bool:
    if any(point == top or point.startswith(top + "/") for top in _LEFT_WRITABLE):
        return True
    return point == "/dev" or (point.startswith("/dev/") and point not in ("/dev/shm", "/dev/mqueue"))


def isolate_filesystem(writable_dirs: list[Path]) -> str:
    """Enter a mount namespace where only ``writable_dirs`` can be written; say what was achieved."""
    if not sys.platform.startswith("linux"):
        return "mount namespace: not available on this system"
    libc = _libc()
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    if libc.unshare(_CLONE_NEWNS) != 0:
        return f"mount namespace: not permitted here ({_error()}); files outside the run are writable"
    if libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        return f"mount namespace: cannot make mounts private ({_error()}); files outside the run are writable"
    # The writable dirs become mounts of their own first, so the read-only pass below can pass them by.
    kept = [os.path.realpath(directory) for directory in writable_dirs]
    for path in kept:
        if libc.mount(path.encode(), path.encode(), None, _MS_BIND | _MS_REC, None) != 0:
            return f"mount namespace: cannot bind {path} ({_error()}); files outside the run are writable"
    failed = []
    mounts = [
        (point, flags)
        for point, flags in _mounts()
        if not _keeps_writable(point) and not any(point == k or point.startswith(k + "/") for k in kept)
    ]
    for point, flags in mounts:
        remount = _MS_REMOUNT | _MS_BIND | _MS_RDONLY | flags
        if libc.mount(None, point.encode(), None, remount, None) != 0:
            failed.append(point)
    if "/" in failed:
        return f"mount namespace: cannot make / read-only ({_error()}); files outside the run are writable"
    note = f"mount namespace: {len(mounts) - len(failed)} mounts read-only, only the run dir writable"
    return note + (f" ({len(failed)} hidden mounts left as they were)" if failed else "")


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    for directory, _dirs, files in os.walk(root):
        os.chown(directory, uid, gid)
        for name in files:
            os.chown(os.path.join(directory, name), uid, gid, follow_symlinks=False)


def _capset(effective: int, permitted: int) -> bool:
    header = struct.pack("Ii", _CAP_VERSION_3, 0)
    data = struct.pack("IIIIII", effective, permitted, 0, 0, 0, 0)
    libc = _libc()
    return bool(libc.syscall(_SYS_CAPSET, ctypes.c_char_p(header), ctypes.c_char_p(data)) == 0)


def drop_privileges(writable_dirs: list[Path]) -> str:
    """As root: become ``nobody`` (owning ``writable_dirs``) keeping only CAP_DAC_READ_SEARCH; say so."""
    if not sys.platform.startswith("linux") or os.uname().machine != "x86_64":
        return "uid: unchanged (privilege drop is implemented for Linux x86_64 only)"
    if os.geteuid() != 0:
        return f"uid: {os.geteuid()} (not root, nothing to drop)"
    try:
        for directory in writable_dirs:
            _chown_tree(Path(directory), NOBODY, NOBODY)
        libc = _libc()
        if libc.prctl(_PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0:
            raise OSError(_error())
        os.setgroups([])
        os.setresgid(NOBODY, NOBODY, NOBODY)
        os.setresuid(NOBODY, NOBODY, NOBODY)
    except OSError as exc:
        return f"uid: still root (dropping to nobody is not permitted here: {exc})"
    keep = 1 << _CAP_DAC_READ_SEARCH
    if not _capset(keep, keep):
        return f"uid: nobody ({NOBODY}), capabilities could not be narrowed ({_error()})"
    return f"uid: nobody ({NOBODY}) with only CAP_DAC_READ_SEARCH (reads anything, writes only its run dir)"


_NR = {
    "clone": 56,
    "fork": 57,
    "vfork": 58,
    "execve": 59,
    "kill": 62,
    "ptrace": 101,
    "rt_sigqueueinfo": 129,
    "tkill": 200,
    "tgkill": 234,
    "rt_tgsigqueueinfo": 297,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "execveat": 322,
    "pidfd_send_signal": 424,
    "pidfd_open": 434,
    "clone3": 435,
    "pidfd_getfd": 438,
}
"""x86_64 system call numbers the filter judges."""
_REFUSED = (
    *("fork", "vfork", "execve", "execveat", "ptrace", "tkill", "process_vm_readv", "process_vm_writev"),
    *("pidfd_send_signal", "pidfd_open", "pidfd_getfd"),
)
"""Refused outright: new processes and programs, and reaching into or signalling another process."""
_OWN_PID_FIRST = ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")
"""Signals, allowed only to this process itself (its first argument is the pid)."""
_CLONE_THREAD = 0x00010000
_ENOSYS = 38
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ARG0_LOW, _ARG0_HIGH = 16, 20  # seccomp_data.args[0], little-endian halves


def _program(own_pid: int) -> bytes:
    """The filter as classic BPF, assembled from (opcode, k, true label, false label) with named targets
    (no label: the next instruction).

    ``clone`` passes only with ``CLONE_THREAD`` (a thread, as ``pthread_create`` makes); ``clone3`` gets
    ENOSYS, on which glibc falls back to ``clone`` for threads; every other way to start a process or a
    program, to trace, read or write another process's memory, or to signal another process is EPERM.
    """
    code: list[str | tuple[int, int, str | None, str | None]] = [
        (_LD_W_ABS, 4, None, None),  # seccomp_data.arch
        (_JEQ, _AUDIT_ARCH_X86_64, "nr", "kill_process"),
        "nr",
        (_LD_W_ABS, 0, None, None),  # seccomp_data.nr
        (_JGE, 0x40000000, "eperm", None),  # the x32 ABI, refused whole
        (_JEQ, _NR["clone"], "clone", None),
        (_JEQ, _NR["clone3"], "enosys", None),
        *((_JEQ, _NR[name], "own_pid", None) for name in _OWN_PID_FIRST),
        *((_JEQ, _NR[name], "eperm", None) for name in _REFUSED),
        (_RET, _SECCOMP_RET_ALLOW, None, None),
        "clone",
        (_LD_W_ABS, _ARG0_LOW, None, None),
        (_JSET, _CLONE_THREAD, "allow", "eperm"),
        "own_pid",
        (_LD_W_ABS, _ARG0_HIGH, None, None),
        (_JEQ, 0, None, "eperm"),
        (_LD_W_ABS, _ARG0_LOW, None, None),
        (_JEQ, own_pid, "allow", "eperm"),
        "allow",
        (_RET, _SECCOMP_RET_ALLOW, None, None),
        "eperm",
        (_RET, _SECCOMP_RET_ERRNO | _EPERM, None, None),
        "enosys",
        (_RET, _SECCOMP_RET_ERRNO | _ENOSYS, None, None),
        "kill_process",
        (_RET, _SECCOMP_RET_KILL_PROCESS, None, None),
    ]
    labels: dict[str, int] = {}
    instructions: list[tuple[int, int, str | None, str | None]] = []
    for entry in code:  # a string labels the instruction after it
        if isinstance(entry, str):
            labels[entry] = len(instructions)
        else:
            instructions.append(entry)

    def offset(index: int, label: str | None) -> int:
        return 0 if label is None else labels[label] - index - 1

    return b"".join(
        struct.pack("HBBI", op, offset(i, true), offset(i, false), k)
        for i, (op, k, true, false) in enumerate(instructions)
    )


def forbid_exec() -> str:
    """Install the seccomp filter of ``_program`` for this process and anything it could start; say if it
    worked."""
    if not sys.platform.startswith("linux") or os.uname().machine != "x86_64":
        return "exec filter: not available (seccomp filter is implemented for Linux x86_64 only)"
    program = _program(os.getpid())
    buffer = ctypes.create_string_buffer(program)
    fprog = struct.pack("HxxxxxxQ", len(program) // 8, ctypes.addressof(buffer))
    libc = _libc()
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return f"exec filter: no_new_privs refused ({_error()})"
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.c_char_p(fprog), 0, 0) != 0:
        return f"exec filter: seccomp refused ({_error()})"
    return (
        "exec filter: seccomp refuses execve/execveat, fork/vfork and clone without CLONE_THREAD (no program "
        "or process can be started), ptrace and process_vm_*, and signals or pidfds to other processes"
    )


def apply_os_layers(writable_dirs: list[Path]) -> list[str]:
    """Every OS layer, in the order that works (mounts need root, so they come before the uid drop)."""
    return [isolate_filesystem(writable_dirs), drop_privileges(writable_dirs), forbid_exec()]
