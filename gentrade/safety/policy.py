"""What a strategy source may contain, as data.

The audit in ``audit.py`` is generic machinery; every decision about *which* modules, names and attributes are
acceptable lives here so that widening or narrowing the policy is a data change with a test next to it.

The policy is layered. Imports are an allow-list (anything not listed is rejected). Because allowed libraries
re-export dangerous modules and functions (``logging.os``, ``dataclasses.builtins``, ``pandas_ta.Path``,
``DataFrame.to_csv`` ...) and the audit cannot know types statically, attribute names are additionally checked
against a deny-list on *any* receiver. ``tests/safety/test_safety_policy.py`` walks the allowed modules and
fails when a dangerous module or callable is reachable through attribute names this deny-list does not cover.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

MAX_SOURCE_BYTES = 200_000
"""Generated strategies are ~10 KB and large community ones ~60 KB; anything bigger is not a strategy file."""

MAX_AST_DEPTH = 100
"""Real strategies nest ~30 levels (long ``&`` chains); the cap also bounds the audit's own recursion."""

ALLOWED_MODULE_TREES: frozenset[str] = frozenset(
    {
        "numpy",
        "pandas",
        "talib",
        "ta",
        "technical",
        "freqtrade.enums",
        "freqtrade.constants",
        "freqtrade.vendor.qtpylib",
        "scipy.stats",
        "scipy.signal",
        "scipy.special",
        "scipy.interpolate",
        "scipy.optimize",
        "scipy.linalg",
        "scipy.fft",
        "sklearn.preprocessing",
    }
)
"""Importable together with all their submodules, except those in ``DENIED_MODULE_TREES``."""

ALLOWED_MODULES_EXACT: frozenset[str] = frozenset(
    {
        "__future__",
        "collections",
        "collections.abc",
        "logging",
        "datetime",
        "typing",
        "math",
        "functools",
        "decimal",
        "dataclasses",
        "enum",
        "itertools",
        "statistics",
        "pandas_ta",
    }
)
"""Importable themselves, but not their submodules (``logging.config``/``logging.handlers`` do file and socket
I/O; ``pandas_ta.custom`` imports code from a directory)."""

DENIED_MODULE_TREES: frozenset[str] = frozenset(
    {
        "numpy.ctypeslib",
        "numpy.distutils",
        "numpy.f2py",
        "numpy.testing",
        "numpy.lib.npyio",
        "numpy.lib.format",
        "pandas.io",
        "pandas.compat",
        "pandas.testing",
        "pandas.plotting",
        "pandas.core.computation",
        "pandas.core.config_init",
    }
)
"""File I/O, C interop, compilers and string evaluation inside otherwise allowed packages (``config_init``
imports the module named as pandas' plotting backend)."""

_PARAMETERS = frozenset(
    {"IntParameter", "DecimalParameter", "RealParameter", "CategoricalParameter", "BooleanParameter"}
)
_TIMEFRAME_HELPERS = frozenset(
    {
        "timeframe_to_minutes",
        "timeframe_to_msecs",
        "timeframe_to_seconds",
        "timeframe_to_next_date",
        "timeframe_to_prev_date",
    }
)
_STRATEGY_HELPERS = frozenset({"merge_informative_pair", "stoploss_from_open", "stoploss_from_absolute"})

RESTRICTED_MODULES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "freqtrade.strategy": frozenset(
            {"IStrategy", "informative", "Trade", "Order", "PairLocks", "AnnotationType"}
            | _PARAMETERS
            | _TIMEFRAME_HELPERS
            | _STRATEGY_HELPERS
        ),
        "freqtrade.strategy.interface": frozenset({"IStrategy"}),
        "freqtrade.strategy.parameters": _PARAMETERS,
        "freqtrade.strategy.strategy_helper": _STRATEGY_HELPERS,
        "freqtrade.persistence": frozenset({"Trade", "Order", "PairLocks", "LocalTrade"}),
        "freqtrade.exchange": _TIMEFRAME_HELPERS
        | frozenset(
            {
                "timeframe_to_resample_freq",
                "timeframe_to_floor_freq",
                "date_minus_candles",
                "amount_to_precision",
                "price_to_precision",
                "amount_to_contract_precision",
                "amount_to_contracts",
                "contracts_to_amount",
                "ROUND_DOWN",
                "ROUND_UP",
            }
        ),
    }
)
"""freqtrade packages whose namespaces also hold exchange clients, database setup and file helpers: only these
names may be imported, and only with ``from <module> import <name>`` (never the module object itself)."""

ISTRATEGY_SOURCES: frozenset[str] = frozenset({"freqtrade.strategy", "freqtrade.strategy.interface"})
"""Modules whose ``IStrategy`` name makes a class a strategy."""

FORBIDDEN_BUILTINS: frozenset[str] = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "open",
        "input",
        "__import__",
        "globals",
        "locals",
        "vars",
        "breakpoint",
        "memoryview",
        "help",
        "exit",
        "quit",
        "license",
        "credits",
        "copyright",
        "type",
    }
)
"""Builtins that run code, touch files or the terminal, expose namespaces, or stop the bot. ``type`` is here
because ``type(obj)`` hands out the class of any reachable object (``type(stream.buffer.raw)`` is ``FileIO``,
which opens files), and three-argument ``type`` builds classes; ``isinstance`` covers the honest uses."""

DYNAMIC_ATTRIBUTE_BUILTINS: frozenset[str] = frozenset({"getattr", "setattr", "delattr"})
"""Allowed only as a direct call whose attribute name is a string literal that passes the attribute rules."""


def _because(reason: str, *names: str) -> dict[str, str]:
    return dict.fromkeys(names, reason)


FORBIDDEN_ATTRIBUTES: Mapping[str, str] = MappingProxyType(
    {
        **_because("reaches pyarrow (file systems, IPC and dataset I/O)", "pyarrow", "feather", "parquet"),
        **_because(
            "writes files",
            "to_csv",
            "to_pickle",
            "to_parquet",
            "to_feather",
            "to_sql",
            "to_hdf",
            "to_json",
            "to_excel",
            "to_clipboard",
            "to_orc",
            "to_stata",
            "to_gbq",
            "to_xml",
            "to_html",
            "to_latex",
            "to_markdown",
            "tofile",
            "save",
            "savez",
            "savez_compressed",
            "savetxt",
            "dump",
            "savefig",
            "basicConfig",
            "FileHandler",
            "RotatingFileHandler",
            "TimedRotatingFileHandler",
            "WatchedFileHandler",
        ),
        **_because(
            "reads files or unpickles data",
            "load",
            "loads",
            "dumps",
            "fromfile",
            "loadtxt",
            "genfromtxt",
            "fromregex",
            "memmap",
            "open_memmap",
            "DataSource",
            "NpzFile",
            "HDFStore",
            "ExcelFile",
            "ExcelWriter",
            "open_resource",
            "fileConfig",
            "dictConfig",
        ),
        **_because(
            "evaluates a string as code",
            "eval",
            "exec",
            "query",
            "compile",
            "evaluate",
            "get_type_hints",
            "ForwardRef",
            "from_string",
            "from_custom_template",
        ),
        **_because(
            "reaches a module outside the import allow-list",
            "os",
            "sys",
            "io",
            "subprocess",
            "socket",
            "importlib",
            "pickle",
            "shutil",
            "ctypes",
            "ctypeslib",
            "pathlib",
            "builtins",
            "bltns",
            "marshal",
            "inspect",
            "gc",
            "tempfile",
            "threading",
            "multiprocessing",
            "concurrent",
            "asyncio",
            "atexit",
            "traceback",
            "codecs",
            "tokenize",
            "gzip",
            "bz2",
            "lzma",
            "tarfile",
            "zipfile",
            "mmap",
            "webbrowser",
            "fileinput",
            "platform",
            "sysconfig",
            "argparse",
            "operator",
            "distutils",
            "f2py",
            "testing",
            "npyio",
            "compat",
            "computation",
            "pa",
            "pc",
            "nv",
            "fmt",
            "console",
            "printing",
            "expressions",
            "timeit",
        ),
        **_because(
            "exposes frames, code objects or the class hierarchy",
            "gi_frame",
            "gi_code",
            "gi_yieldfrom",
            "cr_frame",
            "cr_code",
            "cr_await",
            "ag_frame",
            "ag_code",
            "f_globals",
            "f_locals",
            "f_builtins",
            "f_back",
            "f_code",
            "f_trace",
            "tb_frame",
            "tb_next",
            "co_code",
            "co_consts",
            "func_globals",
            "func_code",
            "cell_contents",
            "mro",
            "attrgetter",
            "methodcaller",
            "currentframe",
            "as_strided",
        ),
        **_because(
            "runs processes, threads or network clients",
            "system",
            "popen",
            "Popen",
            "check_output",
            "check_call",
            "create_subprocess_shell",
            "create_subprocess_exec",
            "urlopen",
            "urlretrieve",
            "environ",
            "getenv",
            "Pool",
            "cpu_count",
            "strategy",
            "study",
            "yf",
            "av",
            "yahoofinance",
            "alphavantage",
            "SocketHandler",
            "DatagramHandler",
            "SysLogHandler",
            "HTTPHandler",
            "SMTPHandler",
            "listen",
            "ThreadingTCPServer",
            "StreamRequestHandler",
        ),
        **_because(
            "imports or loads code by name",
            "import_dir",
            "create_dir",
            "find_spec",
            "import_module",
            "importer",
            "config_init",
            "plot",
            "plotting",
            "hist",
            "boxplot",
            "style",
            "Styler",
            "env",
        ),
        # Reachable without imports: freqtrade keeps pathlib paths in self.config (user_data_dir, datadir).
        **_because(
            "touches the file system",
            "Path",
            "chdir",
            "open",
            "write_text",
            "write_bytes",
            "touch",
            "unlink",
            "rmdir",
            "mkdir",
            "symlink_to",
            "hardlink_to",
            "link_to",
            "chmod",
            "lchmod",
            "write",
            "writelines",
            "iterdir",
            "glob",
            "rglob",
        ),
        # pandas.core.apply resolves method names from strings; its module name cannot be denied ("apply").
        **_because(
            "resolves method names from strings",
            "Apply",
            "FrameApply",
            "FrameColumnApply",
            "FrameRowApply",
            "GroupByApply",
            "NDFrameApply",
            "ResamplerWindowApply",
            "SeriesApply",
            "frame_apply",
            "reconstruct_func",
        ),
        **_because(
            "reaches logging handlers and their open files",
            "handlers",
            "lastResort",
            "baseFilename",
            "doRollover",
        ),
        **_because(
            "opens the trade database directly",
            "session",
            "execute",
            "exec_driver_sql",
            "raw_connection",
            "init_db",
            "enable_database_use",
            "disable_database_use",
            "usedb_context",
            "FtNoDBContext",
        ),
    }
)
"""Attribute names rejected on any receiver (the audit cannot know the receiver's type)."""

FORBIDDEN_ATTRIBUTE_PREFIXES: Mapping[str, str] = MappingProxyType(
    {"read_": "reads files or URLs", "write_": "writes files"}
)

BUFFER_WRITERS: frozenset[str] = frozenset({"to_string"})
"""Harmless when called without arguments (returns a string); with a ``buf`` they write a file."""

STRING_DISPATCH_METHODS: frozenset[str] = frozenset(
    {"apply", "applymap", "map", "agg", "aggregate", "transform", "pipe", "ta"}
)
"""pandas (and pandas_ta's ``df.ta(kind=...)``) resolve a string argument to a method by name, so
``df.apply("to_pickle", ...)`` is an attribute access in disguise."""

DEFINABLE_DUNDER_METHODS: frozenset[str] = frozenset(
    {
        "__init__",
        "__post_init__",
        "__repr__",
        "__str__",
        "__eq__",
        "__hash__",
        "__lt__",
        "__le__",
        "__gt__",
        "__ge__",
        "__len__",
        "__iter__",
        "__contains__",
        "__getitem__",
        "__bool__",
    }
)
"""Dunder methods a class body may define. Hooks the interpreter runs implicitly at class creation or
attribute lookup (``__init_subclass__``, ``__set_name__``, ``__class_getitem__``, ``__getattr__``, ``__del__``
...) are not listed. Inside one of these methods ``super().<same name>(...)`` is the only dunder access
allowed."""

TRADE_CALLBACKS: frozenset[str] = frozenset(
    {
        "check_entry_timeout",
        "check_exit_timeout",
        "confirm_trade_exit",
        "order_filled",
        "custom_stoploss",
        "custom_roi",
        "custom_entry_price",
        "custom_exit_price",
        "custom_exit",
        "adjust_trade_position",
        "adjust_entry_price",
        "adjust_exit_price",
        "adjust_order_price",
    }
)
"""User-overridable IStrategy callbacks that receive ``trade`` (freqtrade 2026.9, interface.py). freqtrade
deep-copies ``trade`` before each call unless the method's ``__qualname__`` starts with ``IStrategy.``;
GenTrade's renderer sets exactly that marker on these methods, and the audit accepts it only for them."""


PARALLEL_KEYWORDS: frozenset[str] = frozenset({"workers", "n_jobs", "processes", "num_workers"})
"""Keyword arguments with which allowed libraries start their own pools (scipy's optimisers take
``workers=``, scikit-learn ``n_jobs=``): processes the sandbox refuses at run time anyway, so the audit
refuses them up front, unless the value is ``1`` or ``None`` (one worker: none started)."""
