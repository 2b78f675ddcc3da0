"""The runtime guard's audit hook (``guard.py`` installs it): one closure over a `GuardPolicy`, refusing what
the policy does not allow.

Everything the hook uses at call time is a local of ``make_hook``, bound when the hook is built; the reasons
are in ``guard.py``'s module doc.
"""

from __future__ import annotations

import _thread
import json
import keyword
import os
import posix
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Any

from gentrade.safety.guard_policy import (
    ALWAYS_REFUSED,
    NATIVE_DOORS,
    SANDBOX_EXIT_CODE,
    SANDBOX_MARKER,
    Endpoint,
    GuardPolicy,
)
from gentrade.safety.seal import SEAL_CHECK, SEAL_TAKE, make_seal

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_MAX_SYMLINKS = 40


def _code_generators_and_resolvers() -> tuple[frozenset[str], str, str]:
    """Files of the stdlib code that imports modules by name on request (``logging.config``'s resolvers,
    ``importlib``, ``pkgutil``), and those of ``dataclasses`` and ``collections`` (code generators)."""
    import collections
    import dataclasses
    import importlib
    import logging.config
    import pkgutil

    resolvers = frozenset(str(m.__file__) for m in (logging.config, importlib, pkgutil))
    return resolvers, str(dataclasses.__file__), str(collections.__file__)


def _real_dir(path: Path) -> str:
    return os.path.realpath(os.fspath(path)).rstrip("/") or "/"


def _resolve_hosts(endpoints: Iterable[Endpoint], getaddrinfo: Callable[..., Any]) -> set[str]:
    addresses: set[str] = set()
    for endpoint in endpoints:
        try:
            for info in getaddrinfo(endpoint.host, endpoint.port):
                addresses.add(str(info[4][0]))
        except OSError:
            continue
    return addresses


def _constant(reason: str) -> Callable[[tuple[Any, ...]], str | None]:
    def handler(args: tuple[Any, ...]) -> str | None:
        return reason

    return handler


def make_hook(  # noqa: C901 - one closure on purpose: nothing in it is reachable from outside
    policy: GuardPolicy,
    module_rules: tuple[frozenset[str], frozenset[str], frozenset[str]],
    getaddrinfo: Callable[..., Any],
    guard_modules: tuple[str, ...],
) -> Callable[[str, tuple[Any, ...]], None]:
    """Build the hook. Every name it uses at call time is a local of this function, bound now.

    ``guard_modules``: the guard's own modules, whose classes and functions the hook keeps from being changed
    (a function's ``__code__`` swapped for the strategy's would run inside the hook)."""
    writable = tuple(_real_dir(p) for p in policy.writable_dirs)
    writable_prefixes = tuple(p + "/" for p in writable)
    strategy_files = frozenset(
        s for p in ([policy.strategy_path] if policy.strategy_path else []) for s in (str(p), _real_dir(p))
    )
    code_prefixes = writable_prefixes + tuple(_real_dir(p) + "/" for p in policy.extra_strategy_dirs)
    allowed_exact, allowed_trees, denied_trees = module_rules
    endpoint_hosts = frozenset(e.host for e in policy.allowed_endpoints)
    learned: set[str] = _resolve_hosts(policy.allowed_endpoints, getaddrinfo)
    learned_ports: dict[str, frozenset[int | None]] = {}
    for host in endpoint_hosts:
        learned_ports[host] = frozenset(e.port for e in policy.allowed_endpoints if e.host == host)
    report_fd = policy.report_fd
    resolving = _thread._local()
    marker, exit_code, write_flags, max_links, own_modules = (
        SANDBOX_MARKER,
        SANDBOX_EXIT_CODE,
        _WRITE_FLAGS,
        _MAX_SYMLINKS,
        guard_modules,
    )
    native_doors = NATIVE_DOORS
    resolver_files, dataclasses_file, namedtuple_file = _code_generators_and_resolvers()
    dict_, type_, all_, iskeyword = dict, type, all, keyword.iskeyword
    loopback = frozenset({"127.0.0.1", "::1", "localhost"})

    # Primitives, captured: later monkeypatching of os, posixpath or builtins does not reach the hook.
    fspath, lstat, readlink, getcwd, getpid = (
        os.fspath,
        posix.lstat,
        posix.readlink,
        posix.getcwd,
        posix.getpid,
    )
    s_islnk, write, exit_now, getframe = stat.S_ISLNK, posix.write, posix._exit, sys._getframe
    isinstance_, str_, int_, tuple_, repr_, len_ = isinstance, str, int, tuple, repr, len
    bytes_, getattr_, any_, range_ = bytes, getattr, any, range
    listdir, stat_, s_isdir = posix.listdir, posix.stat, stat.S_ISDIR
    dumps = json.dumps
    own_pid = getpid()

    def refuse(event: str, detail: str) -> None:
        where = strategy_line()
        message = f"the sandbox refused {event} ({detail})" + (f" at {where}" if where else "")
        line = marker + dumps({"event": event, "detail": detail, "where": where, "message": message})
        data = (line + "\n").encode("utf-8", "replace")
        for fd in (2, report_fd):
            if fd is not None:
                try:  # noqa: SIM105 - contextlib is a module a strategy could patch; this is plain syntax
                    write(fd, data)
                except OSError:
                    pass
        exit_now(exit_code)

    def is_strategy_code(filename: str) -> bool:
        return filename in strategy_files or filename.startswith(code_prefixes)

    def strategy_line() -> str | None:
        frame: FrameType | None = getframe(1)
        while frame is not None:
            code = frame.f_code
            if is_strategy_code(code.co_filename):
                return f"{code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno} in {code.co_name}"
            frame = frame.f_back
        return None

    def strategy_caused() -> bool:
        """A strategy frame is on the stack with no library ``<module>`` frame (import-time code) above it."""
        frame: FrameType | None = getframe(1)
        while frame is not None:
            code = frame.f_code
            filename = code.co_filename
            if is_strategy_code(filename):
                return True
            if code.co_name == "<module>" and not filename.startswith("<frozen importlib"):
                return False
            frame = frame.f_back
        return False

    def importer_is_strategy() -> bool:
        """The code asking for a module (past importlib and the name resolvers that import on request) is the
        strategy's. A library's own lazy import, even inside a call the strategy made, is not refused: what
        the library then does is judged by the other rules."""
        frame: FrameType | None = getframe(3)  # past this function, its handler and the hook
        while frame is not None:
            filename = frame.f_code.co_filename
            if not (filename.startswith("<frozen importlib") or filename in resolver_files):
                return is_strategy_code(filename)
            frame = frame.f_back
        return False

    def trusted_codegen(frame: FrameType) -> bool:
        """Code generated by ``namedtuple`` (which validates its field names) or by ``dataclasses`` for a
        plain class (metaclass ``type``) whose annotations are a plain dict of plain identifiers, with no
        foreign frame between the decorator and the code."""
        code = frame.f_code
        if code.co_filename == namedtuple_file and code.co_name == "namedtuple":
            return True
        current: FrameType | None = frame
        while current is not None and current.f_code.co_filename == dataclasses_file:
            if current.f_code.co_name == "_process_class":
                cls = current.f_locals.get("cls")
                if type_(cls) is not type_:
                    return False
                names = cls.__dict__.get("__annotations__", {})
                return type_(names) is dict_ and all_(
                    type_(n) is str_ and str_.isidentifier(n) and not iskeyword(n) for n in names
                )
            current = current.f_back
        return False

    def caller() -> tuple[str, str]:
        """File and function of the Python code that called the audited function (1 handler, 2 hook)."""
        code = getframe(3).f_code
        return code.co_filename, code.co_name

    def as_text(raw: Any) -> str:
        path = fspath(raw)
        return path.decode("utf-8", "surrogateescape") if isinstance_(path, bytes_) else path

    def module_denied(name: str) -> bool:
        if name in allowed_exact:
            return False
        parts = name.split(".")
        prefixes = [".".join(parts[: i + 1]) for i in range_(len_(parts))]
        if any_(p in denied_trees for p in prefixes):
            return True
        return not any_(p in allowed_trees for p in prefixes)

    def real_path(raw: Any, dir_fd: Any = None) -> str | None:
        """Absolute path with every symlink resolved, using only the captured primitives."""
        if isinstance_(raw, int_):
            return None
        path = as_text(raw)
        if not path.startswith("/"):
            base = getcwd() if dir_fd is None else readlink(f"/proc/self/fd/{int_(dir_fd)}")
            path = base + "/" + path
        parts: list[str] = []
        pending = [p for p in path.split("/") if p]
        pending.reverse()
        hops = 0
        while pending:
            part = pending.pop()
            if part == ".":
                continue
            if part == "..":
                if parts:
                    parts.pop()
                continue
            candidate = "/" + "/".join([*parts, part])
            try:
                is_link = s_islnk(lstat(candidate).st_mode)
            except OSError:
                is_link = False
            if is_link:
                hops += 1
                if hops > max_links:
                    return candidate
                target = readlink(candidate)
                if target.startswith("/"):
                    parts = []
                more = [p for p in target.split("/") if p]
                more.reverse()
                pending.extend(more)
                continue
            parts.append(part)
        return "/" + "/".join(parts)

    def outside(raw: Any, dir_fd: Any = None, *, follow_last: bool = True) -> str | None:
        """The path when it is outside every writable dir (refuse), else None."""
        if isinstance_(raw, int_):
            return None
        if follow_last:
            path = real_path(raw, dir_fd)
        else:
            # The last component is the object itself (a link to remove or rename), not where it points.
            text = as_text(raw).rstrip("/")
            head, _, tail = text.rpartition("/")
            parent = real_path(head or ("/" if text.startswith("/") else "."), dir_fd)
            path = None if parent is None else parent.rstrip("/") + "/" + tail
        if path is None:
            return None
        if path in writable or path.startswith(writable_prefixes):
            return None
        return path

    def on_open(args: tuple[Any, ...]) -> str | None:
        flags = args[2] if len_(args) > 2 else 0
        mode = args[1]
        writes = (isinstance_(flags, int_) and flags & write_flags) or (
            isinstance_(mode, str_) and any_(c in mode for c in "wax+")
        )
        if not writes:
            return None
        target = args[0]
        if not isinstance_(target, int_) and not as_text(target).startswith("/"):
            # A relative path may be meant relative to a dir_fd, which the event does not carry.
            held = held_directory_outside()
            if held is not None:
                return f"relative write while holding a descriptor of {held}"
        bad = outside(target)
        return None if bad is None else f"write to {bad}"

    def held_directory_outside() -> str | None:
        for name in listdir("/proc/self/fd"):
            try:
                if not s_isdir(stat_("/proc/self/fd/" + name).st_mode):
                    continue
                target = readlink("/proc/self/fd/" + name)
            except OSError:
                continue
            if target.startswith("/") and not (target in writable or target.startswith(writable_prefixes)):
                return target
        return None

    def on_paths(*checks: tuple[int, int | None, bool]) -> Callable[[tuple[Any, ...]], str | None]:
        """A handler checking argument ``index`` (with its dir_fd argument index) against writable dirs."""

        def handler(args: tuple[Any, ...]) -> str | None:
            for index, fd_index, follow in checks:
                if index >= len_(args) or args[index] is None:
                    continue
                dir_fd = args[fd_index] if fd_index is not None and fd_index < len_(args) else None
                bad = outside(args[index], dir_fd, follow_last=follow)
                if bad is not None:
                    return f"change to {bad}"
            return None

        return handler

    def on_kill(args: tuple[Any, ...]) -> str | None:
        target = args[0]
        return None if target in (0, own_pid) else f"signal to process {target}"

    def on_killpg(args: tuple[Any, ...]) -> str | None:
        return f"signal to process group {args[0]}"

    def on_prlimit(args: tuple[Any, ...]) -> str | None:
        return None if args[0] in (0, own_pid) else f"limits of process {args[0]}"

    def endpoint_allowed(host: str, port: Any) -> bool:
        if host in endpoint_hosts:
            ports = learned_ports[host]
            return None in ports or port in ports
        return host in learned

    def on_address(args: tuple[Any, ...]) -> str | None:
        address = args[1]
        is_inet = isinstance_(address, tuple_) and len_(address) >= 2 and isinstance_(address[0], str_)
        if is_inet and endpoint_allowed(address[0], address[1]):
            return None
        return f"network address {repr_(address)}"

    def on_bind(args: tuple[Any, ...]) -> str | None:
        address = args[1]
        # An ephemeral loopback port is how libraries probe for IPv6 support (urllib3 binds ('::1', 0)).
        if isinstance_(address, tuple_) and len_(address) >= 2 and address[1] == 0 and address[0] in loopback:
            return None
        return on_address(args)

    def on_resolve(args: tuple[Any, ...]) -> str | None:
        host = args[0]
        if getattr_(resolving, "active", False):
            return None
        if isinstance_(host, bytes_):
            host = host.decode("ascii", "replace")
        if isinstance_(host, str_) and host in endpoint_hosts:
            # Learn what the resolver answers now, so the connect that follows is recognised.
            resolving.active = True
            try:
                for info in getaddrinfo(host, None):
                    learned.add(str_(info[4][0]))
            except OSError:
                pass
            finally:
                resolving.active = False
            return None
        if host is None or host in learned:
            return None
        return f"name lookup of {repr_(host)}"

    def on_import(args: tuple[Any, ...]) -> str | None:
        name = args[0]
        if name in native_doors:
            return f"loading {name} again"
        if isinstance_(name, str_) and module_denied(name) and importer_is_strategy():
            return f"import of {name}"
        return None

    def on_exec(args: tuple[Any, ...]) -> str | None:
        frame = getframe(1)  # the hook's frame; its caller ran exec
        top = frame.f_back
        module: str | None = None
        loader = top.f_back if top is not None else None
        if top is not None and loader is not None:
            code = top.f_code
            if (
                code.co_filename.startswith("<frozen importlib")
                and code.co_name == "_call_with_frames_removed"
            ):
                name = getattr_(loader.f_locals.get("module"), "__name__", None)
                module = name if isinstance_(name, str_) else ""
        if module is not None:
            if module and module_denied(module) and importer_is_strategy():
                return f"import of {module}"
            return None
        if top is not None and trusted_codegen(top):
            return None
        if strategy_caused():
            code = args[0]
            return f"running code from {getattr_(code, 'co_filename', '?')}"
        return None

    def on_compile(args: tuple[Any, ...]) -> str | None:
        filename, function = caller()
        if filename.startswith("<frozen importlib") and function == "source_to_code":
            return None
        if trusted_codegen(getframe(2)):
            return None
        return f"compiling {repr_(args[1])}" if strategy_caused() else None

    def on_marshal(args: tuple[Any, ...]) -> str | None:
        filename, function = caller()
        if filename.startswith("<frozen importlib") and function == "_compile_bytecode":
            return None
        return "loading marshalled code" if strategy_caused() else None

    def on_code(args: tuple[Any, ...]) -> str | None:
        """Refused when the strategy builds code; a library's own import-time rewrite is not (``asyncio``'s
        ``@types.coroutine`` replaces a code object's flags when a bot first imports it)."""
        return "builds a code object" if strategy_caused() else None

    def on_sqlite(args: tuple[Any, ...]) -> str | None:
        database = args[0]
        if isinstance_(database, (str_, bytes_)) and database in (":memory:", b":memory:", "", b""):
            return None
        if isinstance_(database, str_) and database.startswith("file:"):
            return f"database URI {database}"
        bad = outside(database)
        return None if bad is None else f"database {bad}"

    take_seal, check_seal = make_seal()

    def on_seal_take(args: tuple[Any, ...]) -> str | None:
        return take_seal()

    def on_seal_check(args: tuple[Any, ...]) -> str | None:
        """A change to sealed library code, or what the worker found changed in the run's settings and
        trades (``args[0]``, "" when nothing), ends the run before its result is reported."""
        change = check_seal()
        if change is not None:
            return f"library code changed while the strategy ran: {change}"
        found = args[0] if args and isinstance_(args[0], str_) else ""
        return f"the run's settings or costs changed while the strategy ran: {found}" if found else None

    def on_setattr(args: tuple[Any, ...]) -> str | None:
        obj, name = args[0], args[1]
        module = getattr_(obj, "__module__", None)
        if module in own_modules:
            return f"changing the guard's {name}"
        if name in ("__fspath__", "__str__") and module in ("pathlib", "os", "posixpath"):
            return f"changing {getattr_(obj, '__name__', '?')}.{name}"
        return None

    handlers: dict[str, Callable[[tuple[Any, ...]], str | None]] = {
        "open": on_open,
        "os.rename": on_paths((0, 2, False), (1, 3, False)),
        "os.link": on_paths((0, 2, True), (1, 3, False)),
        "os.symlink": on_paths((1, 2, False)),
        "os.remove": on_paths((0, 1, False)),
        "os.rmdir": on_paths((0, 1, False)),
        "os.mkdir": on_paths((0, 2, False)),
        "os.chmod": on_paths((0, 2, True)),
        "os.chown": on_paths((0, 3, True)),
        "os.chflags": on_paths((0, None, True)),
        "os.lchflags": on_paths((0, None, False)),
        "os.utime": on_paths((0, 3, True)),
        "os.truncate": on_paths((0, None, True)),
        "os.setxattr": on_paths((0, None, True)),
        "os.removexattr": on_paths((0, None, True)),
        "shutil.copyfile": on_paths((1, None, True)),
        "shutil.copymode": on_paths((1, None, True)),
        "shutil.copystat": on_paths((1, None, True)),
        "shutil.copytree": on_paths((1, None, True)),
        "shutil.rmtree": on_paths((0, 1, False)),
        "shutil.move": on_paths((0, None, False), (1, None, True)),
        "shutil.chown": on_paths((0, None, True)),
        "shutil.make_archive": on_paths((0, None, True)),
        "shutil.unpack_archive": on_paths((1, None, True)),
        "tempfile.mkstemp": on_paths((0, None, True)),
        "tempfile.mkdtemp": on_paths((0, None, True)),
        "sqlite3.connect": on_sqlite,
        "os.kill": on_kill,
        "os.killpg": on_killpg,
        "resource.prlimit": on_prlimit,
        "socket.connect": on_address,
        "socket.bind": on_bind,
        "socket.sendto": on_address,
        "socket.sendmsg": on_address,
        "socket.getaddrinfo": on_resolve,
        "socket.gethostbyname": on_resolve,
        "socket.gethostbyname_ex": on_resolve,
        "socket.gethostbyaddr": on_resolve,
        "import": on_import,
        "exec": on_exec,
        "compile": on_compile,
        "marshal.loads": on_marshal,
        "marshal.load": on_marshal,
        "code.__new__": on_code,
        "object.__setattr__": on_setattr,
        "object.__delattr__": on_setattr,
        SEAL_TAKE: on_seal_take,
        SEAL_CHECK: on_seal_check,
    }
    for event, why in ALWAYS_REFUSED.items():
        handlers[event] = _constant(why)
    get_handler = handlers.get

    def hook(event: str, args: tuple[Any, ...]) -> None:
        handler = get_handler(event)
        if handler is None:
            return
        detail = handler(args)
        if detail is not None:
            refuse(event, detail)

    return hook
