"""The data in ``gentrade.safety.policy`` must match the installed libraries it describes.

These tests import the *allowed libraries* (never an audited strategy) and walk their public attributes the
way a strategy could, following only names the audit lets through. Anything dangerous found at the end of such
a path is a hole in the deny-lists.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import types
import warnings

import pytest
from freqtrade.strategy import IStrategy

from gentrade.safety import policy
from gentrade.safety.audit import attribute_problem, module_problem

# Modules a strategy may reach without harm: pure computation, in-memory data, regex and warnings plumbing.
HARMLESS_MODULES = {
    "abc",
    "ast",
    "bisect",
    "bottleneck",
    "calendar",
    "charset_normalizer",
    "collections",
    "contextlib",
    "copy",
    "copyreg",
    "csv",
    "cython_runtime",
    "dataclasses",
    "datetime",
    "dateutil",
    "decimal",
    "dis",
    "enum",
    "errno",
    "fractions",
    "functools",
    "heapq",
    "itertools",
    "json",
    "keyword",
    "locale",
    "logging",
    "math",
    "numbers",
    "pprint",
    "pytz",
    "queue",
    "random",
    "re",
    "reprlib",
    "six",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "statistics",
    "string",
    "struct",
    "textwrap",
    "time",
    "token",
    "types",
    "typing",
    "typing_extensions",
    "tzdata",
    "unicodedata",
    "warnings",
    "weakref",
    "_weakrefset",
    "zoneinfo",
}
DANGEROUS_ORIGINS = {
    "os",
    "posix",
    "nt",
    "subprocess",
    "socket",
    "_socket",
    "pathlib",
    "shutil",
    "pickle",
    "_pickle",
    "marshal",
    "ctypes",
    "importlib",
    "multiprocessing",
    "threading",
    "_thread",
    "asyncio",
    "tempfile",
    "io",
    "_io",
    "codecs",
    "gzip",
    "bz2",
    "lzma",
    "tarfile",
    "zipfile",
    "urllib",
    "http",
    "code",
    "codeop",
    "runpy",
    "sqlite3",
    "sqlalchemy",
    "ccxt",
    "requests",
    "aiohttp",
    "webbrowser",
    "pydoc",
    "mmap",
    "socketserver",
    "smtplib",
    "ftplib",
    "poplib",
    "imaplib",
    "telnetlib",
    "xmlrpc",
    "ssl",
    "select",
    "selectors",
    "signal",
}
# Callables from those modules that do nothing dangerous: type markers, in-memory buffers, pure helpers.
HARMLESS_CALLABLES = {
    "PathLike",
    "BytesIO",
    "StringIO",
    "get_terminal_size",
    "RLock",
    "get_ident",
    "UnsupportedOperation",
    "IOBase",
    "BufferedIOBase",
    "RawIOBase",
    "TextIOBase",
    "TextIOWrapper",
    "parse_url",
    "urljoin",
    "PackageNotFoundError",
    "get_version",
    "getsizeof",
    "Components",
}
# Denied as an import, but reachable as ``np.lib.format`` because ``format`` cannot be a forbidden attribute
# name (``"{}".format`` is everywhere); walking it proves its dangerous leaves are blocked by name instead.
WALKED_DESPITE_DENIAL = {"numpy.lib.format"}
ALLOWED_PACKAGES = {"numpy", "pandas", "talib", "technical", "pandas_ta", "scipy", "freqtrade"}
# freqtrade imports these at startup, which makes them attributes of ``logging`` inside a running bot.
# Modules a freqtrade process has loaded by the time a strategy runs (reading feather candles pulls in
# pyarrow and pandas' arrow extension types), so the walk sees what a strategy would see.
LOADED_BY_FREQTRADE = [
    "logging.config",
    "logging.handlers",
    "pyarrow",
    "pyarrow.feather",
    "pandas.core.arrays.arrow.extension_types",
]
ROOTS = [
    "numpy",
    "pandas",
    "talib",
    "talib.abstract",
    "technical",
    "technical.qtpylib",
    "technical.indicators",
    "technical.util",
    "freqtrade.vendor.qtpylib.indicators",
    "freqtrade.enums",
    "freqtrade.constants",
    "pandas_ta",
    "logging",
    "datetime",
    "typing",
    "math",
    "functools",
    "decimal",
    "dataclasses",
    "enum",
    "collections",
    "itertools",
    "statistics",
    "scipy.stats",
    "scipy.signal",
    "scipy.special",
    "scipy.interpolate",
    "scipy.optimize",
    "scipy.linalg",
    "scipy.fft",
    "sklearn.preprocessing",
]


def _walkable(module: str) -> bool:
    """Modules inside allowed packages (private ones too: pandas re-exports ``_libs`` under public names)."""
    if module in WALKED_DESPITE_DENIAL:
        return True
    parts = module.split(".")
    if any(".".join(parts[: i + 1]) in policy.DENIED_MODULE_TREES for i in range(len(parts))):
        return False
    return parts[0] in ALLOWED_PACKAGES or parts[0] in HARMLESS_MODULES or module_problem(module) is None


def _dangerous_callable(name: str, value: object) -> bool:
    if not callable(value) or name in HARMLESS_CALLABLES:
        return False
    origin = getattr(value, "__module__", None)
    top = origin.split(".")[0] if isinstance(origin, str) else ""
    return top in DANGEROUS_ORIGINS or (top == "builtins" and name in policy.FORBIDDEN_BUILTINS)


def _reachable_problems() -> list[str]:
    """Breadth-first over module attributes the audit would let a strategy touch."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in LOADED_BY_FREQTRADE:
            importlib.import_module(name)
        queue = [(importlib.import_module(name), name) for name in ROOTS]
    seen: set[int] = set()
    problems: list[str] = []
    while queue:
        module, path = queue.pop()
        if id(module) in seen:
            continue
        seen.add(id(module))
        for name in list(vars(module)):
            if attribute_problem(name) is not None:
                continue
            value = getattr(module, name, None)
            where = f"{path}.{name}"
            if isinstance(value, types.ModuleType):
                if _walkable(value.__name__):
                    queue.append((value, where))
                else:
                    problems.append(f"{where} -> module {value.__name__}")
            elif _dangerous_callable(name, value):
                problems.append(f"{where} -> {getattr(value, '__module__', '?')}.{name}")
    return problems


def test_no_dangerous_module_or_callable_is_reachable_from_allowed_modules() -> None:
    assert _reachable_problems() == []


def test_the_walk_would_notice_a_missing_deny_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    weakened = {k: v for k, v in policy.FORBIDDEN_ATTRIBUTES.items() if k not in {"os", "builtins"}}
    monkeypatch.setattr(policy, "FORBIDDEN_ATTRIBUTES", weakened)
    problems = _reachable_problems()
    assert "logging.os -> module os" in problems
    assert any(p.startswith("dataclasses.builtins -> module builtins") for p in problems)


def test_trade_callbacks_match_istrategy() -> None:
    """Every user-overridable IStrategy method receiving ``trade``; internal and v2-legacy names excluded."""
    internal = {"should_exit", "min_roi_reached", "min_roi_reached_entry"}
    legacy = {"check_buy_timeout", "check_sell_timeout", "custom_sell"}
    receiving_trade = {
        name
        for name, member in inspect.getmembers(IStrategy, inspect.isfunction)
        if "trade" in inspect.signature(member).parameters and not name.startswith(("_", "ft_"))
    }
    assert receiving_trade - internal - legacy == policy.TRADE_CALLBACKS


@pytest.mark.parametrize("module", sorted(policy.RESTRICTED_MODULES))
def test_restricted_names_exist(module: str) -> None:
    imported = importlib.import_module(module)
    assert {name for name in policy.RESTRICTED_MODULES[module] if not hasattr(imported, name)} == set()


@pytest.mark.parametrize(
    "module", sorted(policy.ALLOWED_MODULE_TREES | policy.ALLOWED_MODULES_EXACT | policy.ISTRATEGY_SOURCES)
)
def test_allowed_modules_are_installed(module: str) -> None:
    assert importlib.util.find_spec(module) is not None
